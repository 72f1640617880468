"""The plain objects the knowledge base deals in: FAQ entries and the errors of bad files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Entry:
    """One FAQ entry read from one Markdown file.

    `questions[0]` is the main question (the entry's title); the rest are other phrasings.
    `answer` is the Markdown body. `path` is the file it came from (None when built in code).
    """

    id: str
    questions: tuple[str, ...]
    answer: str
    tags: tuple[str, ...] = ()
    category: str | None = None
    lang: str | None = None
    path: Path | None = field(default=None, compare=False)

    @property
    def title(self) -> str:
        """The main question, shown as the entry's title."""
        return self.questions[0]


@dataclass(frozen=True)
class KBError:
    """A problem with one FAQ file: where it is (1-based line, 0 when it is the whole file) and what."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"
