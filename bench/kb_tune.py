"""Tuning the "answer" rule (score threshold AND margin over the runner-up) without fooling ourselves.

Queries are split in two halves (even / odd positions after a seeded shuffle): the rule is chosen on
the tuning half and reported on the other. For each margin, the lowest score threshold whose
answers on the tuning half keep precision ≥ the target and out-of-scope answers ≤ the target is
picked, then the held-out half's figures are shown beside it. A score at or above the matcher's
`sure_threshold` is answered whatever the margin, as `MatcherSettings.decide` does.

With `--semantic`, the rule may also be relaxed when the words alone and the encoder alone put the
same entry first (`SearchResult.agreed`): the threshold and the margin are then lowered by
`MatcherSettings.agreed_threshold_cut` / `agreed_margin_cut` points. Per data set the best rules
with such cuts are listed, and then the one rule that answers the most on the worse of the data
sets' tuning halves while meeting the targets on each (how `MatcherSettings.for_encoder` was chosen).

Usage: python bench/kb_tune.py [--data DIR] [--semantic] [--precision 0.9] [--oos 0.05]
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kb_bench import REPO, read_data_set, split

from kb.matcher import Matcher, MatcherSettings
from kb.semantic import load_default_encoder
from kb.word_vectors import load_word_vectors

MARGINS = (0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 22, 26, 30)
THRESHOLDS = np.arange(24.0, 100.0, 0.5)
# The cuts tried when the words and the encoder agree (points off the threshold, off the margin).
THRESHOLD_CUTS = (0, 1, 2, 3, 4, 5, 6, 8)
MARGIN_CUTS = (0, 1, 2, 3, 4, 5, 6)


@dataclass
class Outcomes:
    """Per query: best score, runner-up score, whether the best is right, whether in scope, whether
    the words and the encoder agreed on the best."""

    top: np.ndarray
    second: np.ndarray
    right: np.ndarray
    in_scope: np.ndarray
    agreed: np.ndarray
    sure: float

    def take(self, index: np.ndarray) -> Outcomes:
        return Outcomes(self.top[index], self.second[index], self.right[index], self.in_scope[index],
                        self.agreed[index], self.sure)

    def rule(self, threshold: float, margin: float, threshold_cut: float = 0.0,
             margin_cut: float = 0.0) -> tuple[float, float, float]:
        """(in-scope answered, precision of those, out-of-scope answered) under the rule."""
        t = np.where(self.agreed, threshold - threshold_cut, threshold)
        m = np.where(self.agreed, margin - margin_cut, margin)
        answered = (self.top >= t) & ((self.top - self.second >= m) | (self.top >= self.sure))
        ins = answered[self.in_scope]
        n_ans = int(ins.sum())
        precision = float(self.right[self.in_scope][ins].mean()) if n_ans else 1.0
        oos = answered[~self.in_scope]
        return float(ins.mean()), precision, float(oos.mean()) if len(oos) else 0.0


def outcomes(matcher: Matcher, queries: list[tuple[str, str | None]]) -> Outcomes:
    top, second, right, in_scope, agreed = [], [], [], [], []
    for text, expected in queries:
        result = matcher.search(text, limit=2)
        matches = result.matches
        top.append(matches[0].score if matches else 0.0)
        second.append(matches[1].score if len(matches) > 1 else 0.0)
        right.append(bool(matches) and matches[0].id == expected)
        in_scope.append(expected is not None)
        agreed.append(result.agreed)
    return Outcomes(np.array(top), np.array(second), np.array(right), np.array(in_scope), np.array(agreed),
                    matcher.settings.sure_threshold)


def best_threshold(o: Outcomes, margin: float, precision: float, oos: float,
                   cuts: tuple[float, float] = (0.0, 0.0)) -> float | None:
    """The lowest threshold meeting both targets on `o` (the most answers), or None."""
    for threshold in THRESHOLDS:
        _, p, f = o.rule(threshold, margin, *cuts)
        if p >= precision and f <= oos:
            return float(threshold)
    return None


def halves(o: Outcomes, seed: int) -> tuple[Outcomes, Outcomes]:
    tune, held = split(len(o.top), seed)
    return o.take(np.array(tune)), o.take(np.array(held))


def figures(o: Outcomes, rule: tuple[float, ...]) -> str:
    a, p, f = o.rule(*rule)
    return f"{a:>14.3f} {p:>6.3f} {f:>6.3f}"


HEADER = (f"{'tune: answered':>14} {'prec':>6} {'oos':>6} | {'held: answered':>14} {'prec':>6} {'oos':>6}")


def report(name: str, o: Outcomes, args) -> None:
    t, h = halves(o, args.seed)
    print(f"\n== {name}: rule tuned on {len(t.top)} queries, shown on the other {len(h.top)} ==")
    print(f"  target: precision ≥ {args.precision:g}, out-of-scope answered ≤ {args.oos:g}")
    print(f"  {'margin':>6} {'threshold':>9} | {HEADER}")
    for margin in MARGINS:
        threshold = best_threshold(t, margin, args.precision, args.oos)
        if threshold is None:
            print(f"  {margin:>6} {'—':>9} | (no threshold meets the targets)")
            continue
        rule = (threshold, margin)
        print(f"  {margin:>6} {threshold:>9.1f} | {figures(t, rule)} | {figures(h, rule)}")
    if not o.agreed.any():
        return
    print(f"  the words and the encoder agree on {o.agreed[o.in_scope].mean():.3f} of in-scope queries (right "
          f"{o.right[o.in_scope & o.agreed].mean():.3f} of them; else {o.right[o.in_scope & ~o.agreed].mean():.3f})"
          + (f", {o.agreed[~o.in_scope].mean():.3f} of out-of-scope ones" if (~o.in_scope).any() else ""))
    rows = []
    for margin, cut_t, cut_m in itertools.product(MARGINS, THRESHOLD_CUTS, MARGIN_CUTS):
        if cut_m > margin:
            continue
        threshold = best_threshold(t, margin, args.precision, args.oos, (cut_t, cut_m))
        if threshold is not None:
            rows.append((t.rule(threshold, margin, cut_t, cut_m)[0], (threshold, margin, cut_t, cut_m)))
    rows.sort(reverse=True)
    print("  with the threshold / margin cut when they agree, the best on the tuning half:")
    print(f"  {'threshold':>9} {'margin':>6} {'cuts':>7} | {HEADER}")
    for _, rule in rows[:8]:
        print(f"  {rule[0]:>9.1f} {rule[1]:>6g} {rule[2]:>3g}/{rule[3]:<3g} | {figures(t, rule)} | {figures(h, rule)}")


def joint(found: dict[str, Outcomes], args) -> None:
    """The one rule (threshold, margin, cuts) whose worse tuning half answers the most."""
    split_sets = {name: halves(o, args.seed) for name, o in found.items()}
    best: tuple[float, tuple[float, float, float, float]] | None = None
    for margin, cut_t, cut_m in itertools.product(MARGINS, THRESHOLD_CUTS, MARGIN_CUTS):
        if cut_m > margin:
            continue
        # The lowest threshold meeting the targets on every tuning half answers the most on each.
        lows = [best_threshold(t, margin, args.precision, args.oos, (cut_t, cut_m)) for t, _ in split_sets.values()]
        if None in lows:
            continue
        rule = (max(lows), margin, cut_t, cut_m)
        worst = min(t.rule(*rule)[0] for t, _ in split_sets.values())
        if best is None or worst > best[0]:
            best = (worst, rule)
    if best is None:
        print("\n== one rule for every data set: none meets the targets ==")
        return
    rule = best[1]
    print(f"\n== one rule for every data set: threshold {rule[0]:g}, margin {rule[1]:g}, when the words and "
          f"the encoder agree {rule[2]:g} / {rule[3]:g} points less ==")
    print(f"  {'':<12} | {HEADER}")
    for name, (t, h) in split_sets.items():
        print(f"  {name:<12} | {figures(t, rule)} | {figures(h, rule)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "kbdata")
    parser.add_argument("--semantic", action="store_true", help="tune the sentence-encoder blend")
    parser.add_argument("--words", action="store_true", help="tune the word-vector blend (kb.word_vectors)")
    parser.add_argument("--precision", type=float, default=0.9)
    parser.add_argument("--oos", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    encoder = load_default_encoder() if args.semantic else load_word_vectors() if args.words else None
    folders = sorted(p for p in args.data.iterdir() if (p / "faq.jsonl").exists())
    found = {}
    for folder in folders:
        data = read_data_set(folder)
        settings = MatcherSettings.default_for(encoder)
        matcher = Matcher(data.entries, settings, encoder=encoder)
        found[data.name] = outcomes(matcher, data.queries)
        report(data.name, found[data.name], args)
    if encoder is not None:
        joint(found, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
