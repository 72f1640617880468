"""An answer written in Markdown reaches the customer as Telegram-safe HTML, in messages Telegram
accepts."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from kb.html_split import split_html
from kb.render import answer_to_html, markdown_to_html

ALLOWED = {"b", "i", "u", "s", "code", "pre", "a", "blockquote"}


def tags_of(html: str) -> list[str]:
    return re.findall(r"</?(\w+)", html)


def balanced(html: str) -> bool:
    stack = []
    for closing, name in re.findall(r"<(/?)(\w+)[^>]*>", html):
        if not closing:
            stack.append(name)
        elif not stack or stack.pop() != name:
            return False
    return not stack


def test_markdown_becomes_telegram_tags():
    html = markdown_to_html(
        "# Title\n\n**bold** *it* ~~gone~~ `x < y` [site](https://example.com/?a=1&b=2)\n\n"
        "- one\n- two\n\n> quoted\n\n```python\nprint('<hi>')\n```"
    )
    assert "<b>Title</b>" in html
    assert "<b>bold</b> <i>it</i> <s>gone</s> <code>x &lt; y</code>" in html
    assert '<a href="https://example.com/?a=1&amp;b=2">site</a>' in html
    assert "• one\n• two" in html
    assert "<blockquote>quoted</blockquote>" in html
    assert '<pre><code class="language-python">print(\'&lt;hi&gt;\')</code></pre>' in html
    assert set(tags_of(html)) <= ALLOWED


def test_html_in_the_source_is_shown_as_text():
    [html] = answer_to_html("Press <b>OK</b> & <script>alert(1)</script>")
    assert "&lt;b&gt;OK&lt;/b&gt;" in html and "&amp;" in html
    assert "<b>" not in html and "<script>" not in html


def test_unsafe_links_lose_their_link():
    html = markdown_to_html("[click](javascript:alert(1)) [file](file:///etc/passwd)")
    assert "<a" not in html


def test_a_long_answer_is_split_at_paragraphs_into_messages_of_at_most_4096():
    paragraphs = [f"Paragraph {n}: " + "**важно** " * 60 for n in range(40)]
    chunks = answer_to_html("\n\n".join(paragraphs))
    assert len(chunks) > 1
    assert all(len(c) <= 4096 and balanced(c) for c in chunks)
    # Every chunk starts a paragraph: no paragraph was cut in two.
    assert all(c.startswith("Paragraph") for c in chunks)
    assert sum(c.count("Paragraph") for c in chunks) == 40


def test_a_long_code_block_is_closed_and_reopened_across_messages():
    code = "\n".join(f"line {n} <tag>" for n in range(1000))
    chunks = answer_to_html(f"```\n{code}\n```")
    assert len(chunks) > 1
    for chunk in chunks:
        assert len(chunk) <= 4096 and chunk.startswith("<pre>") and chunk.endswith("</pre>")


def test_a_single_huge_word_is_cut_without_breaking_entities():
    chunks = split_html("<b>" + "&amp;" * 3000 + "</b>", limit=100)
    assert all(len(c) <= 100 and balanced(c) for c in chunks)
    assert all(re.fullmatch(r"<b>(&amp;)+</b>", c) for c in chunks)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=3000), st.integers(min_value=60, max_value=500))
def test_any_markdown_renders_to_balanced_chunks_within_the_limit(text, limit):
    for chunk in answer_to_html(text, limit=limit):
        assert 0 < len(chunk) <= limit
        assert balanced(chunk)
        assert set(tags_of(chunk)) <= ALLOWED
