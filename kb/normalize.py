"""Text normalisation for matching Russian and English questions.

Lowercase, ё→е, apostrophes dropped (`don't` → `dont`), everything but letters and digits treated
as a word break, stop words dropped, and each word stemmed with the Snowball stemmer of its script
(Cyrillic → Russian, Latin → English; other words are kept as they are).
"""

from __future__ import annotations

import re

import snowballstemmer

from kb import stopwords

_WORD = re.compile(r"[^\W_]+")
_APOSTROPHES = str.maketrans("", "", "'’`ʼ")
# Bounded so that a flood of junk queries cannot grow memory without end.
_STEM_CACHE_LIMIT = 200_000


def fold(text: str) -> str:
    """Lowercase (casefold), ё→е and apostrophes dropped: the form all comparisons start from."""
    return text.casefold().replace("ё", "е").translate(_APOSTROPHES)


def words(text: str) -> list[str]:
    """The folded words of `text`, in order, stop words kept."""
    return _WORD.findall(fold(text))


def script_of(word: str) -> str:
    """`ru` for a word with a Cyrillic letter, `en` for one with an ASCII letter, else `other`."""
    for ch in word:
        if "\u0400" <= ch <= "\u04ff":
            return "ru"
        if "a" <= ch <= "z":
            return "en"
    return "other"


class Normalizer:
    """Turns text into the stemmed content words used by the matcher.

    One instance holds the two stemmers and a memo of stems; it is cheap to share within a process
    but is not thread-safe (the stemmers keep state), so give each thread its own.
    """

    def __init__(self) -> None:
        self._stemmers = {
            "ru": snowballstemmer.stemmer("russian"),
            "en": snowballstemmer.stemmer("english"),
        }
        self._stops = {"ru": stopwords.RUSSIAN, "en": stopwords.ENGLISH}
        self._cache: dict[str, str] = {}

    def stem(self, word: str) -> str:
        """The stem of one folded word, by its script."""
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        stemmer = self._stemmers.get(script_of(word))
        stem = stemmer.stemWord(word) if stemmer is not None else word
        if len(self._cache) >= _STEM_CACHE_LIMIT:
            self._cache.clear()
        self._cache[word] = stem
        return stem

    def is_stop_word(self, word: str) -> bool:
        """Whether the folded `word` is a stop word of its script."""
        return word in self._stops.get(script_of(word), ())

    def content_words(self, text: str) -> list[str]:
        """The folded words of `text` without stop words; all words when every one is a stop word."""
        return self.content_of(words(text))

    def content_of(self, found: list[str]) -> list[str]:
        """`found` (folded words) without stop words; all of them when every one is a stop word."""
        kept = [w for w in found if w not in self._stops.get(script_of(w), ())]
        return kept or found

    def tokens(self, text: str) -> list[str]:
        """The stems of the content words of `text`, in order (duplicates kept)."""
        return [self.stem(w) for w in self.content_words(text)]
