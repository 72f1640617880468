"""A bilingual word lexicon learnt from the FAQ's own entries that say the same in two languages.

Entries are paired when their ids are the same once the language mark is dropped (`ru-coupons` and
`en-coupons`, or `coupons-ru` and `coupons-en`) and their `lang` differ. Within a pair, every stem
of one side's phrasings may translate every stem of the other's; over all pairs, a word's
translations are the words of the other language that occur in the same pairs, scored by the Dice
coefficient (2 × pairs holding both / (pairs holding one + pairs holding the other)). With a few
dozen pairs this is coarse — a word specific to one pair translates to all that pair's words — but
it lets a question asked in the other language reach the entry it is about, which is all the
matcher asks of it: `translate` turns the question's stems into weighted stems of the other language.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from kb.entries import Entry
from kb.normalize import Normalizer

# A translation is kept when its Dice coefficient is at least this share of the word's best one.
KEEP_SHARE = 0.5
# At most this many translations per word: a word of a single pair would otherwise bring all of it.
MAX_TRANSLATIONS = 12


def pair_key(entry: Entry) -> str | None:
    """The entry's id without its language mark (`ru-coupons` → `coupons`), or None without `lang`."""
    if entry.lang is None:
        return None
    for mark in (f"{entry.lang}-", f"{entry.lang}_"):
        if entry.id.startswith(mark):
            return entry.id[len(mark) :]
    for mark in (f"-{entry.lang}", f"_{entry.lang}"):
        if entry.id.endswith(mark):
            return entry.id[: -len(mark)]
    return entry.id


def paired_entries(entries: Iterable[Entry]) -> list[tuple[Entry, Entry]]:
    """Pairs of entries that say the same in two languages (same `pair_key`, different `lang`)."""
    by_key: dict[str, list[Entry]] = {}
    for entry in entries:
        key = pair_key(entry)
        if key is not None:
            by_key.setdefault(key, []).append(entry)
    pairs = []
    for group in by_key.values():
        for i, first in enumerate(group):
            pairs.extend((first, other) for other in group[i + 1 :] if other.lang != first.lang)
    return pairs


class Lexicon:
    """Stem → weighted stems of the other language, learnt from paired entries (see the module doc).

    Words are stemmed content words (`Normalizer.tokens`); a stem that occurs in both languages'
    sides (a name, a number) is not translated.
    """

    def __init__(self, pairs: Sequence[tuple[Entry, Entry]], normalizer: Normalizer | None = None) -> None:
        norm = normalizer or Normalizer()
        sides = [
            ({s for q in a.questions for s in norm.tokens(q)}, {s for q in b.questions for s in norm.tokens(q)})
            for a, b in pairs
        ]
        single: Counter[str] = Counter()
        both: Counter[tuple[str, str]] = Counter()
        for left, right in sides:
            single.update(left ^ right)
            for a in left - right:
                both.update((a, b) for b in right - left)
        table: dict[str, list[tuple[str, float]]] = {}
        for (a, b), count in both.items():
            dice = 2 * count / (single[a] + single[b])
            table.setdefault(a, []).append((b, dice))
            table.setdefault(b, []).append((a, dice))
        self._table: dict[str, list[tuple[str, float]]] = {}
        for word, found in table.items():
            found.sort(key=lambda item: (-item[1], item[0]))
            best = found[0][1]
            self._table[word] = [(w, d / best) for w, d in found[:MAX_TRANSLATIONS] if d >= KEEP_SHARE * best]
        self.pairs = len(pairs)

    @classmethod
    def from_entries(cls, entries: Iterable[Entry], normalizer: Normalizer | None = None) -> Lexicon:
        """The lexicon of the paired entries among `entries` (empty when none are paired)."""
        return cls(paired_entries(entries), normalizer)

    def __bool__(self) -> bool:
        return bool(self._table)

    def __contains__(self, stem: str) -> bool:
        return stem in self._table

    def translate(self, stems: Iterable[str]) -> dict[str, float]:
        """Stems of the other language with weights (0–1], for the stems of a question.

        Each known stem spreads one unit of weight over its translations (in proportion to their
        scores); a stem reached from several words adds up, capped at 1. Unknown stems are dropped.
        """
        out: dict[str, float] = {}
        for stem in dict.fromkeys(stems):
            found = self._table.get(stem)
            if not found:
                continue
            total = sum(w for _, w in found)
            for word, weight in found:
                out[word] = min(1.0, out.get(word, 0.0) + weight / total)
        return out
