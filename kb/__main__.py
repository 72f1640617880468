"""`python -m kb check DIR` and `python -m kb search DIR QUERY|- [--json]` (`-` reads stdin lines)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kb.commands import check_command, search_command
from kb.matcher import MatcherSettings


def main(argv: list[str] | None = None) -> int:
    """Run one admin command; returns the exit code."""
    defaults = MatcherSettings()
    parser = argparse.ArgumentParser(prog="python -m kb", description="FAQ folder tools")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="validate every FAQ file")
    check.add_argument("dir", type=Path)
    search = commands.add_parser("search", help="try queries and see the scores")
    search.add_argument("dir", type=Path)
    search.add_argument("query", nargs="+", help="the question, or - to read one per line from stdin")
    search.add_argument("--json", action="store_true", help="one JSON object per query per line")
    search.add_argument("--answer-threshold", type=float, default=defaults.answer_threshold)
    search.add_argument("--suggest-threshold", type=float, default=defaults.suggest_threshold)
    search.add_argument(
        "--answer-margin",
        type=float,
        default=defaults.answer_margin,
        help="points the best entry must lead the second by to be answered",
    )
    args = parser.parse_args(argv)
    if args.command == "check":
        return check_command(args.dir, sys.stdout)
    queries = sys.stdin if args.query == ["-"] else [" ".join(args.query)]
    settings = MatcherSettings(
        args.answer_threshold, args.suggest_threshold, answer_margin=args.answer_margin
    )
    return search_command(args.dir, queries, as_json=args.json, settings=settings, out=sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
