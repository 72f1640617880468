"""Fixtures for the knowledge-base tests: FAQ folders built in tmp_path, and the starter FAQ."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kb.base import KnowledgeBase

REPO = Path(__file__).resolve().parents[2]
STARTER_FAQ = REPO / "faq"


def faq_text(questions: list[str], answer: str = "The answer.", **front: str) -> str:
    """The text of a FAQ file with the given questions, extra front-matter keys and answer."""
    lines = ["---"]
    lines += [f"{key}: {value}" for key, value in front.items()]
    lines.append("questions:")
    lines += [f"  - {q}" for q in questions]
    lines += ["---", "", answer, ""]
    return "\n".join(lines)


@pytest.fixture
def write_faq(tmp_path: Path) -> Callable[[str, str | bytes], Path]:
    """Write a file under tmp_path/faq (folders created); returns its path."""

    def write(name: str, content: str | bytes) -> Path:
        path = tmp_path / "faq" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return write


@pytest.fixture
def faq_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "faq"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def starter_kb() -> KnowledgeBase:
    """The shipped starter FAQ, loaded once."""
    return KnowledgeBase(STARTER_FAQ)
