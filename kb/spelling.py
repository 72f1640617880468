"""Typo correction of query words against the knowledge base's own vocabulary.

A query word that no entry holds (neither the word nor its stem) is replaced by the closest word
the entries do hold, when one is within a few edits: `саздать` → `создать`, `pasword` → `password`.
The number of edits allowed grows with the word's length, so short words, where one edit already
makes another word, are left alone. Words are only ever corrected *to* the vocabulary, so a
correction can only make a query match what the FAQ says.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

# Bounded so that a flood of junk queries cannot grow memory without end.
_CACHE_LIMIT = 100_000


def max_edits(length: int) -> int:
    """Edits (insert, delete, substitute) allowed to correct a word of `length` letters."""
    if length < 5:
        return 0
    if length < 9:
        return 1
    return 2


class Speller:
    """Nearest known word for unknown ones; built once per vocabulary, then read-only (+ a memo).

    `words` are the folded content words of every phrasing (repeats count: on a tie in edit
    distance the more frequent word wins).
    """

    def __init__(self, words: Iterable[str]) -> None:
        counts = Counter(w for w in words if w.isalpha())
        self._known = frozenset(counts)
        # Bucketed by length: a word within k edits is at most k letters longer or shorter.
        self._by_length: dict[int, list[str]] = {}
        for word, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            self._by_length.setdefault(len(word), []).append(word)
        self._cache: dict[str, str | None] = {}

    def __contains__(self, word: str) -> bool:
        return word in self._known

    def correct(self, word: str) -> str | None:
        """The known word closest to `word` within `max_edits(len(word))`, or None."""
        if word in self._cache:
            return self._cache[word]
        found = self._search(word)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[word] = found
        return found

    def _search(self, word: str) -> str | None:
        edits = max_edits(len(word))
        if not edits or not word.isalpha():
            return None
        best: tuple[int, int, str] | None = None
        for length in range(len(word) - edits, len(word) + edits + 1):
            bucket = self._by_length.get(length)
            if not bucket:
                continue
            hit = process.extractOne(word, bucket, scorer=Levenshtein.distance, score_cutoff=edits)
            if hit is None:
                continue
            # Fewest edits first; then the most frequent word (lowest position in its bucket)
            # among lengths, which the position alone cannot compare: prefer the same length.
            key = (int(hit[1]), abs(length - len(word)), hit[0])
            if best is None or key[:2] < best[:2]:
                best = key
        return None if best is None else best[2]
