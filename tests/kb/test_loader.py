"""An admin writes FAQ files; every mistake is reported with its file and line, and never stops
the other files from loading."""

from __future__ import annotations

from pathlib import Path

import pytest
from faq_files import faq_text

from kb.loader import load_folder, parse_entry


def only_error(folder: Path):
    result = load_folder(folder)
    assert len(result.errors) == 1, result.errors
    return result.errors[0]


def test_a_good_file_becomes_an_entry(write_faq, faq_dir):
    write_faq(
        "billing/refund.md",
        faq_text(["How do I get a refund?", "Money back"], "Write to us.", tags="[billing]",
                 category="Billing", lang="en"),
    )
    result = load_folder(faq_dir)
    assert result.errors == []
    [entry] = result.entries
    assert entry.id == "refund"  # the file name without .md
    assert entry.questions == ("How do I get a refund?", "Money back")
    assert entry.title == "How do I get a refund?"
    assert entry.answer == "Write to us."
    assert (entry.tags, entry.category, entry.lang) == (("billing",), "Billing", "en")


def test_an_explicit_id_wins_over_the_file_name(write_faq, faq_dir):
    write_faq("x.md", faq_text(["Q?"], id="my-id"))
    assert load_folder(faq_dir).entries[0].id == "my-id"


def test_the_error_reads_as_file_line_message(write_faq, faq_dir):
    path = write_faq("billing/refund.md", "---\nid: refund\nquestions: []\n---\nBody\n")
    error = only_error(faq_dir)
    assert str(error) == f"{path}:3: questions: must be a non-empty list of strings"


@pytest.mark.parametrize(
    ("content", "line", "fragment"),
    [
        ("Just an answer, no front matter\n", 1, "no front matter"),
        ("---\nquestions:\n  - Q?\nNo closing fence\n", 1, "no closing"),
        ("---\nid: x\nquestions: [a, b\n---\nBody\n", 4, "broken YAML"),
        ("---\nid: x\nquestions:\n  - ok\n   - bad: indent\n---\nBody\n", 5, "broken YAML"),
        ("---\n- just\n- a list\n---\nBody\n", 2, "must be a mapping"),
        ("---\nid: x\n---\nBody\n", 1, "questions: must be a non-empty list"),
        ("---\ncategory: c\nquestions: What?\n---\nBody\n", 3, "questions: must be a non-empty list"),
        ("---\nquestions:\n  - ok\n  - ''\n---\nBody\n", 2, "questions: must be"),
        ("---\nquestions:\n  - 42\n---\nBody\n", 2, "questions: must be"),
        ("---\nquestions: [Q?]\n---\n\n   \n", 4, "answer: empty"),
        ("---\nquestions: [Q?]\ntags: billing\n---\nBody\n", 3, "tags: must be a list of strings"),
        ("---\nquestions: [Q?]\ncategory: [a]\n---\nBody\n", 3, "category: must be"),
        ("---\nquestions: [Q?]\nlang: de\n---\nBody\n", 3, "lang: must be one of ru, en"),
        ("---\nid: [x]\nquestions: [Q?]\n---\nBody\n", 2, "id: must be"),
    ],
)
def test_each_kind_of_bad_file_names_its_line(write_faq, faq_dir, content, line, fragment):
    path = write_faq("bad.md", content)
    error = only_error(faq_dir)
    assert error.path == path
    assert error.line == line
    assert fragment in error.message


def test_a_file_that_is_not_utf8_names_the_line_of_the_bad_byte(write_faq, faq_dir):
    text = "---\nquestions: [Как оплатить?]\n---\n" + "Оплата картой"
    write_faq("cp1251.md", text.encode("utf-8") + "\nСчёт\n".encode("cp1251"))
    error = only_error(faq_dir)
    assert "not UTF-8" in error.message
    assert error.line == 5


def test_a_duplicate_id_names_both_files(write_faq, faq_dir):
    first = write_faq("a.md", faq_text(["One?"], id="same"))
    second = write_faq("b.md", faq_text(["Two?"], id="same"))
    result = load_folder(faq_dir)
    assert [e.path for e in result.entries] == [first]
    [error] = result.errors
    assert error.path == second and error.line == 2
    assert str(first) in error.message


def test_a_bad_file_never_takes_the_rest_down(write_faq, faq_dir):
    write_faq("a.md", faq_text(["Good one?"]))
    write_faq("b.md", "---\nquestions: [\n---\nbroken\n")
    write_faq("c/d.md", faq_text(["Good two?"]))
    write_faq("e.md", b"\xff\xfe garbage")
    result = load_folder(faq_dir)
    assert sorted(e.id for e in result.entries) == ["a", "d"]
    assert len(result.errors) == 2


def test_hidden_files_and_the_readme_are_not_entries(write_faq, faq_dir):
    write_faq("README.md", "# About this folder\n")
    write_faq(".drafts/x.md", "not an entry")
    write_faq("notes.txt", "not markdown")
    result = load_folder(faq_dir)
    assert result.entries == [] and result.errors == []


def test_a_byte_order_mark_and_windows_line_ends_are_fine(tmp_path):
    raw = "\ufeff---\r\nquestions:\r\n  - Вопрос?\r\n---\r\nОтвет\r\n".encode()
    entry = parse_entry(tmp_path / "bom.md", raw)
    assert entry.questions == ("Вопрос?",) and entry.answer == "Ответ"


def test_a_missing_folder_is_an_error_not_a_crash(tmp_path):
    result = load_folder(tmp_path / "nowhere")
    assert result.entries == [] and result.errors[0].line == 0
