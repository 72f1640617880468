"""Admin commands on a FAQ folder, as functions the `frontdesk` CLI (and `python -m kb`) call."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TextIO

from kb.base import EncoderMissingError, open_knowledge_base
from kb.learn import (
    apply_review,
    draft_entries,
    pairs_from_tickets,
    propose_phrasings,
    read_review,
    write_review,
)
from kb.loader import load_folder
from kb.matcher import MatcherSettings, SearchResult
from kb.templates import load_templates

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


def templates_check_command(folder: Path, out: TextIO) -> int:
    """Validate every template file; print each problem (`file:line: message`) and return 1, or 0
    and the template count if clean."""
    result = load_templates(folder)
    for error in result.errors:
        print(error, file=out)
    if result.errors:
        print(f"{len(result.errors)} problems, {len(result.templates)} templates OK", file=out)
        return 1
    print(f"{len(result.templates)} templates OK", file=out)
    return 0


def search_command(
    kb_dir: Path,
    queries: Iterable[str],
    *,
    as_json: bool,
    settings: MatcherSettings,
    out: TextIO,
    semantic: bool | str = False,
    index_file: str | None = None,
) -> int:
    """Search the FAQ for each query (blank ones skipped) and print the decision and the matches.

    With `as_json`, one JSON object per query per line:
    `{"query", "decision": "answer"|"suggest"|"none", "matches": [{"id", "score", "question"}]}`,
    best first, at most 5; scores are 0–100. Otherwise a readable table. `semantic` (the config's
    `kb.semantic`) blends in the word vectors or the sentence encoder exactly as the bot does;
    `index_file` (`kb.index_file`) keeps the built index as the bot does. Returns 1 when the folder
    is missing or the encoder is asked for but not installed, else 0 (bad files are skipped).
    """
    if not Path(kb_dir).is_dir():
        print(f"{kb_dir}: not a folder", file=out)
        return 1
    try:
        kb = open_knowledge_base(kb_dir, settings, semantic=semantic, index_file=index_file)
    except EncoderMissingError as error:
        print(f"kb.semantic: {error}", file=out)
        return 1
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


def learn_command(
    kb_dir: Path,
    *,
    helped: Sequence[tuple[str, str]],
    tickets: Sequence[tuple[str, Sequence[str]]],
    unanswered: Sequence[tuple[str, str | None]],
    review_file: Path,
    out: TextIO,
) -> int:
    """Write the review file of proposals (`kb.learn`) from the history given; print a summary.

    Proposals come from searches that helped and from tickets answered with an entry; drafts from
    unanswered questions. Nothing in the FAQ changes. Returns 1 when the folder is missing.
    """
    if not Path(kb_dir).is_dir():
        print(f"{kb_dir}: not a folder", file=out)
        return 1
    entries = load_folder(kb_dir).entries
    proposals = propose_phrasings(helped, entries) + propose_phrasings(
        pairs_from_tickets(tickets, entries), entries, source="ticket"
    )
    drafts = draft_entries(unanswered)
    write_review(proposals, review_file, drafts)
    print(f"{len(proposals)} new phrasings proposed for {len({p.entry_id for p in proposals})} entries, "
          f"{len(drafts)} draft entries; review {review_file}, set `accept: true` on those to keep, then "
          f"run `kb learn --apply {review_file}`", file=out)
    return 0


def apply_command(kb_dir: Path, review_file: Path, out: TextIO) -> int:
    """Add the accepted phrasings of `review_file` to the FAQ files; print what changed."""
    if not Path(kb_dir).is_dir() or not Path(review_file).is_file():
        print(f"{kb_dir if not Path(kb_dir).is_dir() else review_file}: not found", file=out)
        return 1
    changed = apply_review(read_review(review_file), load_folder(kb_dir).entries)
    for path, count in sorted(changed.items()):
        print(f"{path}: {count} phrasings added", file=out)
    print(f"{sum(changed.values())} phrasings added to {len(changed)} files", file=out)
    return 0
