"""The ru/en evaluation set stays a fair test: every category present and big enough, and every
expected entry one the starter FAQ has in the language half it is matched against."""

from __future__ import annotations

import json
from collections import Counter

from faq_files import REPO

CATEGORIES = {"chatty", "long", "translit", "cross_language", "layout_punct", "typos", "short",
              "near_miss", "out_of_scope"}


def test_the_evaluation_set_covers_every_category_over_real_entries(starter_kb):
    rows = [json.loads(line) for line in (REPO / "bench" / "eval" / "ruen.jsonl").read_text("utf-8").splitlines()]
    assert len(rows) >= 150
    per_category = Counter(row["category"] for row in rows)
    assert set(per_category) == CATEGORIES
    assert min(per_category.values()) >= 15
    ids = {entry.id for entry in starter_kb.entries}
    for row in rows:
        halves = ("ru", "en") if row["faq"] == "all" else (row["faq"],)
        if row["expected"] is None:
            assert row["category"] in ("near_miss", "out_of_scope"), row
        else:
            assert any(f"{half}-{row['expected']}" in ids for half in halves), row
    assert len({row["text"] for row in rows}) == len(rows)
