"""FAQ answers (Markdown) as Telegram HTML messages, without depending on Telegram.

Only the tags Telegram's HTML parse mode knows are produced: b, i, s, code, pre, a href,
blockquote. Raw HTML in the Markdown source is shown as text, never passed through as markup.
Headings become bold lines, lists get bullets or numbers, images become links.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.token import Token

from kb.html_split import TELEGRAM_LIMIT, split_html

_SAFE_SCHEMES = ("http://", "https://", "tg://", "mailto:")
_LANGUAGE = re.compile(r"[\w+#-]+")
_INLINE_TAGS = {"strong": "b", "em": "i", "s": "s"}


def answer_to_html(markdown: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """The answer as Telegram HTML, cut into messages of at most `limit` characters each."""
    return list(_rendered(markdown, limit))


# The same few answers are sent again and again: each is rendered once (a pure function of its text).
@functools.lru_cache(maxsize=4096)
def _rendered(markdown: str, limit: int) -> tuple[str, ...]:
    return tuple(split_html(markdown_to_html(markdown), limit))


def markdown_to_html(markdown: str) -> str:
    """One Telegram HTML string for a Markdown text (CommonMark plus ~~strikethrough~~)."""
    parser = MarkdownIt("commonmark", {"html": False}).enable("strikethrough")
    out: list[str] = []
    lists: list[list] = []  # per open list: [ordered?, next number]
    for token in parser.parse(markdown):
        _block(token, out, lists)
    return re.sub(r"\n{3,}", "\n\n", "".join(out)).strip()


def _block(token: Token, out: list[str], lists: list[list]) -> None:
    kind = token.type
    end = "\n" if lists else "\n\n"
    if kind == "heading_open":
        out.append("<b>")
    elif kind == "heading_close":
        out.append("</b>" + end)
    elif kind == "paragraph_close":
        out.append(end)
    elif kind == "inline":
        out.append(_inline(token.children or []))
    elif kind in ("bullet_list_open", "ordered_list_open"):
        if lists and out and not out[-1].endswith("\n"):
            out.append("\n")
        start = int(token.attrGet("start") or 1)
        lists.append([kind == "ordered_list_open", start])
    elif kind in ("bullet_list_close", "ordered_list_close"):
        lists.pop()
        if not lists:
            out.append("\n")
    elif kind == "list_item_open":
        ordered, number = lists[-1]
        marker = f"{number}. " if ordered else "• "
        lists[-1][1] += 1
        out.append("   " * (len(lists) - 1) + marker)
    elif kind == "blockquote_open":
        out.append("<blockquote>")
    elif kind == "blockquote_close":
        _trim(out)
        out.append("</blockquote>" + end)
    elif kind in ("fence", "code_block"):
        out.append(_code_block(token) + end)
    elif kind == "hr":
        out.append("———" + end)
    elif kind in ("html_block", "text"):
        out.append(html.escape(token.content, quote=False))


def _code_block(token: Token) -> str:
    code = html.escape(token.content.rstrip("\n"), quote=False)
    language = _LANGUAGE.match(token.info.strip()) if token.info else None
    if language:
        return f'<pre><code class="language-{language.group(0)}">{code}</code></pre>'
    return f"<pre>{code}</pre>"


def _inline(children: Sequence[Token]) -> str:
    out: list[str] = []
    open_links: list[bool] = []  # whether each open link was emitted as <a>
    for child in children:
        kind = child.type
        if kind == "text":
            out.append(html.escape(child.content, quote=False))
        elif kind in ("softbreak", "hardbreak"):
            out.append("\n")
        elif kind == "code_inline":
            out.append(f"<code>{html.escape(child.content, quote=False)}</code>")
        elif kind.endswith("_open") and kind[:-5] in _INLINE_TAGS:
            out.append(f"<{_INLINE_TAGS[kind[:-5]]}>")
        elif kind.endswith("_close") and kind[:-6] in _INLINE_TAGS:
            out.append(f"</{_INLINE_TAGS[kind[:-6]]}>")
        elif kind == "link_open":
            href = str(child.attrGet("href") or "")
            safe = href.lower().startswith(_SAFE_SCHEMES)
            open_links.append(safe)
            if safe:
                out.append(f'<a href="{html.escape(href, quote=True)}">')
        elif kind == "link_close":
            if open_links and open_links.pop():
                out.append("</a>")
        elif kind == "image":
            out.append(_image(child))
        else:
            out.append(html.escape(child.content, quote=False))
    return "".join(out)


def _image(token: Token) -> str:
    src = str(token.attrGet("src") or "")
    alt = html.escape(token.content or src, quote=False)
    if src.lower().startswith(("http://", "https://")):
        return f'<a href="{html.escape(src, quote=True)}">{alt}</a>'
    return alt


def _trim(out: list[str]) -> None:
    """Drop trailing newlines before a closing tag."""
    while out and out[-1].endswith("\n"):
        out[-1] = out[-1].rstrip("\n")
        if out[-1]:
            break
        out.pop()
