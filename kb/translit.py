"""Russian typed in Latin letters ("kak sbrosit parol"), read back into the FAQ's Cyrillic words.

Going from Latin back to Cyrillic is ambiguous: people mix schemes (`y`/`j`/`i` for й, `ya`/`ja`/`ia`
for я, `h`/`kh`/`x` for х, `c`/`ts`/`cz` for ц, `sh`/`sch`/`shh` for щ) and drop ь and ъ. Libraries
convert one scheme at a time (`cyrtranslit`, GOST 7.79 B, would turn `parol` into `парол`), so the
reverse is done here by *keys*: every FAQ word is romanised once with `cyrtranslit` and folded into a
scheme-free skeleton (`latin_key`); a Latin query word is folded the same way and looked up, exactly
and then fuzzily. A word no FAQ word resembles falls back to `cyrtranslit`'s own reading, so the
spelling corrector still gets a chance at it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

import cyrtranslit
from rapidfuzz import fuzz, process

# Applied in order: longer letter groups first, so that `shch` is not read as `sh` + `ch`.
_FOLDS = [
    (re.compile(r"['`’ʼ]"), ""),
    (re.compile(r"shch|shh|sch|sh'ch"), "W"),
    (re.compile(r"zh"), "Z"),
    (re.compile(r"ch"), "C"),
    (re.compile(r"sh"), "S"),
    (re.compile(r"kh|x"), "h"),
    (re.compile(r"cz|tz|ts|c"), "c"),
    (re.compile(r"[ijy]"), "i"),
    (re.compile(r"w"), "v"),
    (re.compile(r"q"), "k"),
    (re.compile(r"[^a-zA-Z]"), ""),
    (re.compile(r"(.)\1+"), r"\1"),
]
# A fuzzy look-up only for keys this long, and only this close (rapidfuzz ratio, 0–100).
_MIN_FUZZY_KEY = 4
_FUZZY_CUTOFF = 80.0


def latin_key(word: str) -> str:
    """The scheme-free skeleton of a Latin-lettered word: `sbrosit'` and `sbrosit` → `sbrosit`."""
    key = word.lower()
    for pattern, replacement in _FOLDS:
        key = pattern.sub(replacement, key)
    return key


def cyrillic_key(word: str) -> str:
    """The skeleton of a Cyrillic word, through its GOST 7.79 B romanisation."""
    return latin_key(cyrtranslit.to_latin(word, "ru"))


def is_latin_word(word: str) -> bool:
    """Whether `word` is written in ASCII letters only (digits allowed)."""
    return word.isascii() and any(ch.isalpha() for ch in word)


class Transliterator:
    """Reads Latin-lettered words as the Cyrillic words of a vocabulary (the FAQ's).

    Built once per matcher from the vocabulary's words; `to_cyrillic` is a dictionary look-up per
    word, plus a rapidfuzz scan over the keys for a word whose key is not found.
    """

    def __init__(self, cyrillic_words: Iterable[str]) -> None:
        counts = Counter(w for w in cyrillic_words if not is_latin_word(w))
        by_key: dict[str, Counter[str]] = {}
        for word, count in counts.items():
            by_key.setdefault(cyrillic_key(word), Counter())[word] += count
        # The most frequent word wins a shared key.
        self._by_key = {key: words.most_common(1)[0][0] for key, words in by_key.items() if key}
        self._keys = [k for k in self._by_key if len(k) >= _MIN_FUZZY_KEY]

    def __bool__(self) -> bool:
        """Whether the vocabulary has any Cyrillic word to read Latin letters as."""
        return bool(self._by_key)

    def word(self, latin: str) -> str:
        """The vocabulary word `latin` is a transliteration of, else `cyrtranslit`'s reading."""
        key = latin_key(latin)
        found = self._by_key.get(key)
        if found is None and len(key) >= _MIN_FUZZY_KEY and self._keys:
            near = process.extractOne(key, self._keys, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF)
            if near is not None:
                found = self._by_key[near[0]]
        return found if found is not None else cyrtranslit.to_cyrillic(latin, "ru")

    def to_cyrillic(self, words: Iterable[str]) -> list[str]:
        """Each Latin-lettered word read as Cyrillic; other words kept as they are."""
        return [self.word(w) if is_latin_word(w) else w for w in words]
