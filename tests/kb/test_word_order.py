"""Small words carry meaning: "your name" is not "my name"; yet stop words alone find nothing."""

from __future__ import annotations

from kb.entries import Entry
from kb.matcher import Matcher, word_pairs

MY_NAME = Entry(id="my-name", questions=("What is my name?",), answer=".")
YOUR_NAME = Entry(id="your-name", questions=("What is your name?",), answer=".")


def test_a_pronoun_tells_apart_two_entries_with_the_same_content_words():
    # Whichever comes first, the pronoun decides (a tie would go to the first).
    assert Matcher([MY_NAME, YOUR_NAME]).search("tell me your name").matches[0].id == "your-name"
    assert Matcher([YOUR_NAME, MY_NAME]).search("what's my name").matches[0].id == "my-name"


def test_stop_words_alone_find_nothing():
    assert Matcher([MY_NAME, YOUR_NAME]).search("you me my").decision == "none"


def test_word_pairs_join_each_stem_to_the_next():
    assert word_pairs(["top", "up", "card"]) == ["top up", "up card"]
    assert word_pairs(["one"]) == []
