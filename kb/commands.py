"""Admin commands on a FAQ folder, as functions the `frontdesk` CLI (and `python -m kb`) call."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from kb.base import KnowledgeBase
from kb.loader import load_folder
from kb.matcher import MatcherSettings, SearchResult

MAX_MATCHES = 5


def check_command(kb_dir: Path, out: TextIO) -> int:
    """Validate every FAQ file; print each error (`file:line: message`) and return 1, or 0 if clean."""
    result = load_folder(kb_dir)
    for error in result.errors:
        print(error, file=out)
    if result.errors:
        print(f"{len(result.errors)} bad files, {len(result.entries)} entries OK", file=out)
        return 1
    print(f"{len(result.entries)} entries OK", file=out)
    return 0


def search_command(
    kb_dir: Path,
    queries: Iterable[str],
    *,
    as_json: bool,
    settings: MatcherSettings,
    out: TextIO,
) -> int:
    """Search the FAQ for each query (blank ones skipped) and print the decision and the matches.

    With `as_json`, one JSON object per query per line:
    `{"query", "decision": "answer"|"suggest"|"none", "matches": [{"id", "score", "question"}]}`,
    best first, at most 5; scores are 0–100. Otherwise a readable table. Returns 1 when the
    folder is missing, else 0 (bad files are skipped; `check` lists them).
    """
    if not Path(kb_dir).is_dir():
        print(f"{kb_dir}: not a folder", file=out)
        return 1
    kb = KnowledgeBase(kb_dir, settings)
    if kb.errors and not as_json:
        print(f"({len(kb.errors)} bad files skipped, see the check command)", file=out)
    for line in queries:
        query = line.strip()
        if not query:
            continue
        result = kb.search(query, limit=MAX_MATCHES)
        if as_json:
            print(json.dumps(result_to_json(result), ensure_ascii=False), file=out)
        else:
            print(format_table(result), file=out)
    return 0


def result_to_json(result: SearchResult) -> dict:
    """The JSON form of a search result (the `search --json` contract)."""
    return {
        "query": result.query,
        "decision": result.decision,
        "matches": [
            {"id": m.id, "score": m.score, "question": m.question}
            for m in result.matches[:MAX_MATCHES]
        ],
    }


def format_table(result: SearchResult) -> str:
    """A few readable lines: the query and decision, then rank, score, id and question."""
    lines = [f"{result.query}  →  {result.decision}"]
    if not result.matches:
        lines.append("    (no match)")
    width = max((len(m.id) for m in result.matches), default=0)
    for rank, match in enumerate(result.matches, 1):
        lines.append(f"  {rank}. {match.score:5.1f}  {match.id:<{width}}  {match.question}")
    return "\n".join(lines)
