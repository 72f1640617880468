"""Helpers of the knowledge-base tests (a module of its own: test modules import it by name, which
a conftest module cannot be relied on for when several test folders have one)."""

from __future__ import annotations

from pathlib import Path

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
