"""An admin checks the FAQ folder and tries questions from the command line."""

from __future__ import annotations

import io
import json
import subprocess
import sys

from faq_files import REPO, STARTER_FAQ, Synonyms, faq_text

import kb.base
from kb.commands import check_command, search_command
from kb.matcher import MatcherSettings


def test_check_on_a_clean_folder_says_how_many_entries_and_exits_0():
    out = io.StringIO()
    assert check_command(STARTER_FAQ, out) == 0
    assert out.getvalue().strip().endswith("entries OK")


def test_check_lists_every_error_one_per_line_and_exits_1(write_faq, faq_dir):
    write_faq("good.md", faq_text(["Fine?"]))
    bad_yaml = write_faq("bad.md", "---\nquestions: [x\n---\nBody\n")
    no_answer = write_faq("sub/empty.md", "---\nquestions: [Q?]\n---\n")
    out = io.StringIO()
    assert check_command(faq_dir, out) == 1
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"{bad_yaml}:3: ")
    assert lines[1].startswith(f"{no_answer}:4: answer:")
    assert lines[2] == "2 bad files, 1 entries OK"


def test_search_json_contract():
    out = io.StringIO()
    code = search_command(
        STARTER_FAQ,
        ["rfr cjplfnm pfzdre", "", "how to bake a cake"],
        as_json=True,
        settings=MatcherSettings(),
        out=out,
    )
    assert code == 0
    lines = out.getvalue().splitlines()
    assert len(lines) == 2  # the blank query is skipped
    for line in lines:
        obj = json.loads(line)
        assert list(obj) == ["query", "decision", "matches"]
        assert obj["decision"] in ("answer", "suggest", "none")
        assert len(obj["matches"]) <= 5
        for match in obj["matches"]:
            assert list(match) == ["id", "score", "question"]
        scores = [m["score"] for m in obj["matches"]]
        assert scores == sorted(scores, reverse=True)
    first = json.loads(lines[0])
    assert first["query"] == "rfr cjplfnm pfzdre"
    assert (first["decision"], first["matches"][0]["id"]) == ("answer", "ru-create-request")
    assert json.loads(lines[1])["decision"] == "none"


def test_search_table_is_readable():
    out = io.StringIO()
    search_command(STARTER_FAQ, ["забыл пароль"], as_json=False, settings=MatcherSettings(), out=out)
    text = out.getvalue()
    assert "забыл пароль  →  answer" in text
    assert "1." in text and "ru-password-reset" in text


def test_search_on_a_missing_folder_exits_1(tmp_path):
    out = io.StringIO()
    assert search_command(tmp_path / "none", ["q"], as_json=True, settings=MatcherSettings(), out=out) == 1


def test_python_dash_m_kb_reads_queries_from_stdin():
    run = subprocess.run(
        [sys.executable, "-m", "kb", "search", str(STARTER_FAQ), "-", "--json"],
        input="как сменить язык\nreset password\n",
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=True,
    )
    ids = [json.loads(line)["matches"][0]["id"] for line in run.stdout.splitlines()]
    assert ids == ["ru-change-language", "en-password-reset"]
    check = subprocess.run(
        [sys.executable, "-m", "kb", "check", str(STARTER_FAQ)], check=False, capture_output=True, text=True,
        cwd=REPO, timeout=60,
    )
    assert check.returncode == 0


def test_kb_search_with_kb_semantic_uses_the_encoder_as_the_bot_does(write_faq, faq_dir, monkeypatch, tmp_path):
    """An admin trying a question sees what the bot would answer: with `kb.semantic`, the encoder's
    vote is in the scores, and its vectors are kept for the next run in the cache folder."""
    write_faq("refund.md", faq_text(["How do I get a refund?"]))
    write_faq("hours.md", faq_text(["When are you open?"]))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(kb.base, "load_default_encoder", Synonyms)
    lexical, semantic = io.StringIO(), io.StringIO()
    search_command(faq_dir, ["Want my money back"], as_json=True, settings=MatcherSettings(), out=lexical)
    search_command(faq_dir, ["Want my money back"], as_json=True, settings=MatcherSettings(), out=semantic,
                   semantic=True)
    lexical_ids = [m["id"] for m in json.loads(lexical.getvalue())["matches"]]
    semantic_ids = [m["id"] for m in json.loads(semantic.getvalue())["matches"]]
    assert lexical_ids[:1] != ["refund"]
    assert semantic_ids[:1] == ["refund"]
    assert list((tmp_path / "cache" / "frontdesk").glob("vectors-*.npz"))


def test_kb_search_with_kb_semantic_but_no_encoder_says_so(faq_dir, monkeypatch):
    import io

    import kb.base
    from kb.commands import search_command
    from kb.matcher import MatcherSettings

    monkeypatch.setattr(kb.base, "load_default_encoder", lambda: None)
    out = io.StringIO()
    assert search_command(faq_dir, ["x"], as_json=True, settings=MatcherSettings(), out=out, semantic=True) == 1
    assert "not installed" in out.getvalue()
