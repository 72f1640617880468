"""A FAQ that learns: new phrasings proposed from what customers asked, written in once accepted.

`propose_phrasings` turns (question, entry id) pairs — searches whose answer "helped", tickets an
agent answered with an entry — into proposals, one per distinct question, counted, skipping what an
entry already says. `write_review` puts them in a YAML review file where every proposal starts
`accept: false`; an admin flips the ones to keep, and `apply_review` writes those into the FAQ files,
adding lines to the `questions:` list of the front matter and leaving every other byte (formatting,
comments, the answer) as it was. Nothing here changes the FAQ without that file.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from kb.entries import Entry
from kb.extract import question_parts
from kb.normalize import Normalizer

# A proposed phrasing this short (content words) says too little to help matching.
MIN_WORDS = 2


@dataclass(frozen=True)
class Proposal:
    """A new phrasing for an entry, how many times it was asked, and where it came from."""

    entry_id: str
    phrasing: str
    count: int = 1
    source: str = "helped"


def propose_phrasings(
    pairs: Iterable[tuple[str, str]],
    entries: Sequence[Entry],
    *,
    source: str = "helped",
    normalizer: Normalizer | None = None,
) -> list[Proposal]:
    """Proposals from (customer question, entry id) pairs, the most asked first.

    Each question is cut to its question part (`kb.extract`); questions for unknown entries, with
    fewer than `MIN_WORDS` content words, or saying in other words nothing new (the same stems as a
    phrasing the entry has or another proposal for it) are skipped; repeats are counted.
    """
    norm = normalizer or Normalizer()
    known = {e.id: {frozenset(norm.tokens(q)) for q in e.questions} for e in entries}
    counts: Counter[tuple[str, frozenset[str]]] = Counter()
    first_text: dict[tuple[str, frozenset[str]], str] = {}
    for question, entry_id in pairs:
        if entry_id not in known:
            continue
        text = _question_of(question)
        tokens = frozenset(norm.tokens(text))
        if len(tokens) < MIN_WORDS or tokens in known[entry_id]:
            continue
        key = (entry_id, tokens)
        counts[key] += 1
        first_text.setdefault(key, text)
    return [
        Proposal(entry_id=key[0], phrasing=first_text[key], count=n, source=source)
        for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0], first_text[kv[0]]))
    ]


def with_phrasings(entries: Sequence[Entry], proposals: Iterable[Proposal]) -> list[Entry]:
    """The entries with the proposals' phrasings appended (in memory, for trying them out)."""
    extra: dict[str, list[str]] = {}
    for p in proposals:
        extra.setdefault(p.entry_id, []).append(p.phrasing)
    return [
        Entry(
            id=e.id, questions=e.questions + tuple(extra.get(e.id, ())), answer=e.answer, tags=e.tags,
            category=e.category, lang=e.lang, path=e.path,
        )
        for e in entries
    ]


def write_review(proposals: Sequence[Proposal], path: Path, drafts: Sequence[Draft] = ()) -> None:
    """The review file: one item per proposal, `accept: false` until an admin says otherwise.

    Drafts of new entries follow under `drafts:` for the admin to turn into FAQ files by hand.
    """
    items = [
        {"entry": p.entry_id, "phrasing": p.phrasing, "asked": p.count, "source": p.source, "accept": False}
        for p in proposals
    ]
    review = {
        "phrasings": items,
        "drafts": [{"asked": d.count, "questions": list(d.questions), "answer": d.answer} for d in drafts],
    }
    header = (
        "# Proposed FAQ phrasings. Set `accept: true` on those to add, then run\n"
        "# `frontdesk kb learn --apply THIS_FILE`. Edit a phrasing freely before accepting it.\n"
        "# `drafts` are new entries proposed from unanswered questions: write them as FAQ files.\n"
    )
    path.write_text(header + yaml.safe_dump(review, allow_unicode=True, sort_keys=False), "utf-8")


def read_review(path: Path) -> list[Proposal]:
    """The accepted proposals of a review file."""
    review = yaml.safe_load(path.read_text("utf-8")) or {}
    items = review.get("phrasings") or [] if isinstance(review, dict) else []
    return [
        Proposal(entry_id=str(i["entry"]), phrasing=str(i["phrasing"]).strip(), count=int(i.get("asked", 1)),
                 source=str(i.get("source", "helped")))
        for i in items
        if i.get("accept") is True and str(i.get("phrasing", "")).strip()
    ]


def add_questions(text: str, phrasings: Sequence[str]) -> str:
    """The FAQ file `text` with `phrasings` added at the end of its front matter's `questions:` list.

    Only lines are inserted: the new items copy the indentation of the list's last item, and every
    other line (comments, key order, quoting, the answer) is kept byte for byte. Raises ValueError
    when the file has no front matter with a block-style `questions:` list.
    """
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ValueError("no front matter")
    end = next((n for n in range(1, len(lines)) if lines[n].strip() == "---"), None)
    start = next((n for n in range(1, end or 0) if lines[n].rstrip() == "questions:"), None)
    if end is None or start is None:
        raise ValueError("no block-style questions: list in the front matter")
    last, indent = start, None
    for n in range(start + 1, end):
        stripped = lines[n].lstrip(" ")
        if stripped.startswith("- "):
            last, indent = n, lines[n][: len(lines[n]) - len(stripped)]
        elif stripped.strip() and not stripped.startswith("#") and not lines[n].startswith(" "):
            break  # the next key
        elif stripped.strip() and not stripped.startswith("#") and indent is not None:
            last = n  # a continuation line of the last item
    newline = "\r\n" if lines[0].endswith("\r\n") else "\n"
    added = [f"{indent or ''}- {json.dumps(p, ensure_ascii=False)}{newline}" for p in phrasings]
    if not lines[last].endswith(("\n", "\r")):
        lines[last] += newline
    return "".join(lines[: last + 1] + added + lines[last + 1 :])


def apply_review(proposals: Sequence[Proposal], entries: Sequence[Entry]) -> dict[Path, int]:
    """Write accepted proposals into their entries' files; returns file → phrasings added.

    A phrasing the entry already has (same text) is not added twice; proposals for unknown entries
    or entries built in code (no file) are skipped.
    """
    by_id = {e.id: e for e in entries}
    wanted: dict[Path, list[str]] = {}
    for p in proposals:
        entry = by_id.get(p.entry_id)
        if entry is None or entry.path is None or p.phrasing in entry.questions:
            continue
        bucket = wanted.setdefault(entry.path, [])
        if p.phrasing not in bucket:
            bucket.append(p.phrasing)
    for path, phrasings in wanted.items():
        path.write_text(add_questions(path.read_text("utf-8"), phrasings), "utf-8")
    return {path: len(p) for path, p in wanted.items()}


def _question_of(message: str) -> str:
    parts = question_parts(message)
    return parts[0] if parts else message.strip()


def pairs_from_tickets(
    tickets: Iterable[tuple[str, Sequence[str]]], entries: Sequence[Entry], *, similarity: float = 90.0
) -> list[tuple[str, str]]:
    """(customer question, entry id) for tickets an agent answered with an entry's answer.

    `tickets` holds each ticket's first customer message and its support replies; a reply whose
    text resembles an entry's answer at `similarity` (rapidfuzz ratio, 0–100, on whitespace-folded
    text) — what `/faq ID` or a suggestion button sends — ties the question to that entry.
    """
    answers = {e.id: " ".join(e.answer.split()) for e in entries}
    pairs = []
    for question, replies in tickets:
        for reply in replies:
            folded = " ".join(reply.split())
            found = process.extractOne(folded, answers, scorer=fuzz.ratio, score_cutoff=similarity)
            if found is not None:
                pairs.append((question, found[2]))
                break
    return pairs


@dataclass(frozen=True)
class Draft:
    """A proposed new entry: the questions of one cluster, most asked first, and a proposed answer."""

    questions: tuple[str, ...]
    count: int
    answer: str | None


def draft_entries(
    unanswered: Iterable[tuple[str, str | None]], *, similarity: float = 70.0, min_count: int = 2
) -> list[Draft]:
    """Drafts from unanswered questions (each with the agents' first reply to it, if a ticket got one).

    Questions are grouped greedily (a question joins the first group whose first question it resembles
    at `similarity`, rapidfuzz token_set_ratio on the folded question part); groups asked at least
    `min_count` times become drafts, with the reply agents gave most often as the proposed answer.
    """
    texts: list[list[str]] = []  # per group: its questions, the first one the group's example
    replies: list[Counter[str]] = []
    totals: list[int] = []
    counted = Counter((_question_of(q), a) for q, a in unanswered)
    for (question, reply), count in sorted(counted.items(), key=lambda kv: (-kv[1], kv[0][0])):
        folded = " ".join(question.casefold().split())
        group = next(
            (n for n, group_texts in enumerate(texts)
             if fuzz.token_set_ratio(folded, " ".join(group_texts[0].casefold().split())) >= similarity),
            None,
        )
        if group is None:
            group = len(texts)
            texts.append([])
            replies.append(Counter())
            totals.append(0)
        if question not in texts[group]:
            texts[group].append(question)
        totals[group] += count
        if reply and reply.strip():
            replies[group][" ".join(reply.split())] += count
    drafts = [
        Draft(tuple(group_texts), total, answers.most_common(1)[0][0] if answers else None)
        for group_texts, answers, total in zip(texts, replies, totals, strict=True)
        if total >= min_count
    ]
    return sorted(drafts, key=lambda d: (-d.count, d.questions[0]))
