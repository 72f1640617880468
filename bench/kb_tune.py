"""Tuning the "answer" rule (score threshold AND margin over the runner-up) without fooling ourselves.

Queries are split in two halves (even / odd positions after a seeded shuffle): the rule is chosen on
the tuning half and reported on the other. For each margin, the lowest score threshold whose
answers on the tuning half keep precision ≥ the target and out-of-scope answers ≤ the target is
picked, then the held-out half's figures are shown beside it.

Usage: python bench/kb_tune.py [--data DIR] [--semantic] [--precision 0.9] [--oos 0.05]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kb_bench import REPO, read_data_set, split

from kb.matcher import Matcher, MatcherSettings
from kb.semantic import load_default_encoder

MARGINS = (0, 2, 4, 6, 8, 10, 12, 15, 18, 22, 26, 30)
THRESHOLDS = np.arange(30.0, 100.0, 0.5)


@dataclass
class Outcomes:
    """Per query: best score, runner-up score, whether the best is right, whether in scope."""

    top: np.ndarray
    second: np.ndarray
    right: np.ndarray
    in_scope: np.ndarray

    def take(self, index: np.ndarray) -> Outcomes:
        return Outcomes(self.top[index], self.second[index], self.right[index], self.in_scope[index])

    def rule(self, threshold: float, margin: float) -> tuple[float, float, float]:
        """(in-scope answered, precision of those, out-of-scope answered) under the rule."""
        answered = (self.top >= threshold) & (self.top - self.second >= margin)
        ins = answered[self.in_scope]
        n_ans = int(ins.sum())
        precision = float(self.right[self.in_scope][ins].mean()) if n_ans else 1.0
        oos = answered[~self.in_scope]
        return float(ins.mean()), precision, float(oos.mean()) if len(oos) else 0.0


def outcomes(matcher: Matcher, queries: list[tuple[str, str | None]]) -> Outcomes:
    top, second, right, in_scope = [], [], [], []
    for text, expected in queries:
        matches = matcher.search(text, limit=2).matches
        top.append(matches[0].score if matches else 0.0)
        second.append(matches[1].score if len(matches) > 1 else 0.0)
        right.append(bool(matches) and matches[0].id == expected)
        in_scope.append(expected is not None)
    return Outcomes(np.array(top), np.array(second), np.array(right), np.array(in_scope))


def best_threshold(o: Outcomes, margin: float, precision: float, oos: float) -> float | None:
    """The lowest threshold meeting both targets on `o` (the most answers), or None."""
    for threshold in THRESHOLDS:
        _, p, f = o.rule(threshold, margin)
        if p >= precision and f <= oos:
            return float(threshold)
    return None


def report(name: str, o: Outcomes, args) -> None:
    tune, held = split(len(o.top), args.seed)
    t, h = o.take(np.array(tune)), o.take(np.array(held))
    print(f"\n== {name}: rule tuned on {len(tune)} queries, shown on the other {len(held)} ==")
    print(f"  target: precision ≥ {args.precision:g}, out-of-scope answered ≤ {args.oos:g}")
    print(f"  {'margin':>6} {'threshold':>9} | {'tune: answered':>14} {'prec':>6} {'oos':>6} |"
          f" {'held: answered':>14} {'prec':>6} {'oos':>6}")
    for margin in MARGINS:
        threshold = best_threshold(t, margin, args.precision, args.oos)
        if threshold is None:
            print(f"  {margin:>6} {'—':>9} | (no threshold meets the targets)")
            continue
        a1, p1, f1 = t.rule(threshold, margin)
        a2, p2, f2 = h.rule(threshold, margin)
        print(f"  {margin:>6} {threshold:>9.1f} | {a1:>14.3f} {p1:>6.3f} {f1:>6.3f} |"
              f" {a2:>14.3f} {p2:>6.3f} {f2:>6.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "kbdata")
    parser.add_argument("--semantic", action="store_true", help="tune the sentence-encoder blend")
    parser.add_argument("--precision", type=float, default=0.9)
    parser.add_argument("--oos", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    encoder = load_default_encoder() if args.semantic else None
    folders = sorted(p for p in args.data.iterdir() if (p / "faq.jsonl").exists())
    for folder in folders:
        data = read_data_set(folder)
        matcher = Matcher(data.entries, MatcherSettings(), encoder=encoder)
        report(data.name, outcomes(matcher, data.queries), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
