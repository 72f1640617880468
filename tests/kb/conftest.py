"""Fixtures for the knowledge-base tests: FAQ folders built in tmp_path, and the starter FAQ."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from faq_files import STARTER_FAQ

from kb.base import KnowledgeBase


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
