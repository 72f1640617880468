"""The `frontdesk` command line as an admin uses it: kb check/search/gaps, sla explain, db."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from desk.searches import record_search, set_outcome
from kb.matcher import Match, SearchResult
from storage import migrate
from storage.database import create_engine, create_sessionmaker

FAQ = Path(__file__).resolve().parents[2] / "faq"


def frontdesk(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "frontdesk.cli", *args],
        check=False, capture_output=True, text=True, timeout=120, cwd=cwd, input=stdin,
    )


def test_kb_check_counts_a_good_folder_and_lists_errors_of_a_bad_one(tmp_path):
    good = frontdesk("kb", "check", "--kb", str(FAQ), cwd=tmp_path)
    assert good.returncode == 0 and good.stdout.strip() == "30 entries OK"
    bad = tmp_path / "faq"
    bad.mkdir()
    (bad / "ok.md").write_text("---\nquestions: [Hi?]\n---\nHello.\n", encoding="utf-8")
    (bad / "empty.md").write_text("---\nquestions: [Why?]\n---\n\n", encoding="utf-8")
    (bad / "latin1.md").write_bytes("---\nquestions: [Caf\xe9?]\n---\nYes.\n".encode("latin-1"))
    result = frontdesk("kb", "check", "--kb", str(bad), cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert any(line.startswith(f"{bad / 'empty.md'}:") and "answer" in line for line in lines)
    assert any(line.startswith(f"{bad / 'latin1.md'}:2:") for line in lines)
    assert lines[-1] == "2 bad files, 1 entries OK"


def test_kb_search_json_contract_one_line_per_query(tmp_path):
    result = frontdesk("kb", "search", "--kb", str(FAQ), "--json", "-", cwd=tmp_path,
                       stdin="how do I create a request\nrfr cjplfnm pfzdre\nbest borscht recipe\n")
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["query"] for a in answers] == ["how do I create a request", "rfr cjplfnm pfzdre", "best borscht recipe"]
    for answer in answers:
        assert set(answer) == {"query", "decision", "matches"}
        assert len(answer["matches"]) <= 5
        assert all(set(m) == {"id", "score", "question"} for m in answer["matches"])
        scores = [m["score"] for m in answer["matches"]]
        assert scores == sorted(scores, reverse=True)
    assert answers[0]["decision"] == "answer" and answers[0]["matches"][0]["id"] == "en-create-request"
    assert answers[1]["decision"] == "answer" and answers[1]["matches"][0]["id"] == "ru-create-request"
    assert answers[2]["decision"] == "none"


def test_kb_gaps_groups_unanswered_questions_most_frequent_first(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'frontdesk.db'}"

    async def seed() -> None:
        engine = create_engine(url)
        await migrate.upgrade(engine)
        now = datetime(2026, 3, 10, 12, tzinfo=UTC)
        async with create_sessionmaker(engine).begin() as session:
            for text in ["How to export to PDF", "how to export to pdf?", "export to PDF how", "Dark theme please"]:
                await record_search(session, 1, SearchResult(text, "none", []), now)
            answered = await record_search(
                session, 1, SearchResult("reset password", "answer", [Match("en-password-reset", 80.0, "q")]), now)
            await set_outcome(session, answered.id, 1, "helped")
        await engine.dispose()

    asyncio.run(seed())
    (tmp_path / "config.toml").write_text(f"[storage]\nurl = '{url}'\n", encoding="utf-8")
    result = frontdesk("kb", "gaps", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    groups = [json.loads(line) for line in result.stdout.splitlines()]
    assert [g["count"] for g in groups] == [3, 1]
    assert groups[0]["question"] in {"how to export to pdf", "how to export to pdf?", "export to pdf how"}
    assert groups[1]["question"] == "dark theme please"
    text = frontdesk("kb", "gaps", cwd=tmp_path)
    assert text.stdout.splitlines()[0] == "5 searches, 1 answered and helped (20%)"


def test_sla_explain_friday_evening_partner(tmp_path):
    result = frontdesk("sla", "explain", "--plan", "partner", "--criticality", "normal",
                       "--opened", "2026-03-13T18:30", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["first_response_due"] == "2026-03-16T14:30:00+03:00"  # Monday 14:30 Moscow
    assert datetime.fromisoformat(answer["resolution_due"]).utcoffset().total_seconds() == 3 * 3600
    text = frontdesk("sla", "explain", "--plan", "partner", "--opened", "2026-03-13T18:30", cwd=tmp_path)
    assert "First response due: Mon 2026-03-16 14:30 +03:00" in text.stdout
    bad = frontdesk("sla", "explain", "--plan", "gold", "--opened", "2026-03-13T18:30", cwd=tmp_path)
    assert bad.returncode == 2 and "unknown plan 'gold'" in bad.stdout


def test_db_upgrade_then_current(tmp_path):
    (tmp_path / "config.toml").write_text("[storage]\nurl = 'sqlite+aiosqlite:///d.db'\n", encoding="utf-8")
    first = frontdesk("db", "upgrade", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    newest = migrate.head_revision()
    assert first.stdout == f"schema revision: {newest} (newest: {newest})\n"
    assert frontdesk("db", "current", cwd=tmp_path).stdout == first.stdout


def test_coupons_issue_voids_the_old_code_and_list_shows_both(tmp_path):
    (tmp_path / "config.toml").write_text("[storage]\nurl = 'sqlite+aiosqlite:///c.db'\n", encoding="utf-8")
    first = frontdesk("coupons", "issue", "--customer", "1002", cwd=tmp_path)
    second = frontdesk("coupons", "issue", "--customer", "1002", "--uses", "3", "--valid-days", "30", cwd=tmp_path)
    assert first.returncode == second.returncode == 0
    old, new = first.stdout.strip(), second.stdout.strip()
    assert old != new and old.startswith("SP-")
    listing = frontdesk("coupons", "list", cwd=tmp_path).stdout.splitlines()
    assert listing[0].startswith(f"{old}  customer 1002  15/15 left") and listing[0].endswith("voided")
    assert listing[1].startswith(f"{new}  customer 1002  3/3 left") and listing[1].endswith("active")
    bad = frontdesk("coupons", "issue", "--customer", "1002", "--uses", "0", cwd=tmp_path)
    assert bad.returncode == 2 and "uses must be at least 1" in bad.stderr


def test_templates_check_counts_a_good_folder_and_names_each_broken_file(tmp_path):
    good = frontdesk("templates", "check", "--path", str(FAQ / "templates"), cwd=tmp_path)
    assert good.returncode == 0 and good.stdout.strip() == "6 templates OK"
    bad = tmp_path / "templates"
    bad.mkdir()
    (bad / "ok.md").write_text("---\ntitle: Hi\n---\nHello, {customer}.\n", encoding="utf-8")
    (bad / "typo.md").write_text("---\ntitle: Typo\n---\nHello, {costumer}.\n", encoding="utf-8")
    result = frontdesk("templates", "check", "--path", str(bad), cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert lines[0] == f"{bad / 'typo.md'}:4: body: unknown placeholder {{costumer}} (known: {{customer}}, " \
                       "{ticket}, {agent})"
    assert lines[-1] == "1 problems, 1 templates OK"
