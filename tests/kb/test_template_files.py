"""Template files (kb.templates): what a good one gives, every problem named with file and line,
and a reload keeping a broken file's last good version."""

from __future__ import annotations

from kb.base import KnowledgeBase
from kb.loader import load_folder
from kb.templates import Template, TemplateBook, load_templates


def write(folder, name: str, text: str):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_template_and_filling_it(tmp_path):
    write(tmp_path, "hi.md", "---\ntitle: Greeting\nlang: en\n---\nHello, {customer}! #{ticket} {agent} {}\n")
    result = load_templates(tmp_path)
    assert result.errors == []
    (hi,) = result.templates
    assert (hi.id, hi.title, hi.lang) == ("hi", "Greeting", "en")
    values = {"customer": "*Bo*", "ticket": "7", "agent": "Olga"}
    # Lone braces are text; a name is filled in as written.
    assert hi.fill(values) == "Hello, *Bo*! #7 Olga {}"
    assert hi.fill_html(values) == "Hello, *Bo*! #7 Olga {}"


def test_every_problem_is_named_with_its_file_and_line(tmp_path):
    write(tmp_path, "a.md", "---\nid: same\ntitle: A\n---\nHi {customer}\n")
    write(tmp_path, "b.md", "---\ntitle: B\nid: same\n---\nHi\n")
    write(tmp_path, "unknown.md", "---\ntitle: U\n---\nfirst line\nHi {name}, #{ticket}\n")
    write(tmp_path, "no-title.md", "---\nlang: en\n---\nHi\n")
    write(tmp_path, "empty.md", "---\ntitle: E\n---\n\n")
    write(tmp_path, "broken.md", "---\ntitle: [oops\n---\nHi\n")
    write(tmp_path, "bare.md", "Hi {customer}\n")
    write(tmp_path, "README.md", "not a template {whatever}\n")
    problems = {error.path.name: (error.line, error.message) for error in load_templates(tmp_path).errors}
    assert problems["b.md"][0] == 3 and "duplicate id 'same'" in problems["b.md"][1]
    assert problems["unknown.md"] == (5, "body: unknown placeholder {name} (known: {customer}, {ticket}, {agent})")
    assert problems["no-title.md"][1] == "title: must be a non-empty string"
    assert problems["empty.md"][1].startswith("body: empty")
    assert problems["broken.md"][1].startswith("front matter: broken YAML")
    assert problems["bare.md"] == (1, "no front matter: the file must start with a '---' line")
    assert set(problems) == {"b.md", "unknown.md", "no-title.md", "empty.md", "broken.md", "bare.md"}
    assert load_templates(tmp_path / "nowhere").errors[0].message == "not a folder"


def test_search_matches_every_word_in_id_title_or_body():
    reset = Template("reset", "Password reset", "The link is in your mail.")
    assert reset.matches("PASSWORD mail") and reset.matches("reset")
    assert not reset.matches("password refund")


def test_the_faq_skips_its_templates_folder_and_the_kb_reloads_both(tmp_path):
    write(tmp_path, "faq.md", "---\nquestions: [How?]\n---\nLike this.\n")
    good = write(tmp_path, "templates/en/hi.md", "---\ntitle: Hi\n---\nHello {customer}\n")
    assert [e.id for e in load_folder(tmp_path).entries] == ["faq"] and load_folder(tmp_path).errors == []
    kb = KnowledgeBase(tmp_path)
    assert kb.templates.get("hi").body == "Hello {customer}"
    good.write_text("---\ntitle: Hi\n---\nHello {client}\n", encoding="utf-8")
    errors = kb.reload()
    assert [(e.path, e.line) for e in errors] == [(good, 4)]
    assert kb.templates.get("hi").body == "Hello {customer}"  # the last good version stays
    write(tmp_path, "templates/bye.md", "---\ntitle: Bye\n---\nBye {customer}\n")
    kb.reload()
    assert sorted(t.id for t in kb.templates.templates) == ["bye", "hi"]


def test_no_templates_folder_is_no_templates():
    book = TemplateBook("/nonexistent/templates")
    assert (len(book), book.errors, book.find("x")) == (0, [], [])
