"""Helpers of the knowledge-base tests (a module of its own: test modules import it by name, which
a conftest module cannot be relied on for when several test folders have one)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

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


class Synonyms:
    """A fake encoder for which "money back" means "refund" and nothing else is alike."""

    def encode(self, texts: list[str]) -> np.ndarray:
        rows = [[1.0, 0.0] if ("refund" in t.lower() or "money back" in t.lower()) else [0.0, 1.0] for t in texts]
        return np.asarray(rows, dtype=np.float32)
