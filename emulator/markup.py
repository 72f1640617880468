"""Turn text sent with ``parse_mode`` into plain text plus MessageEntity dicts.

Covers the HTML and MarkdownV2 subsets bots really use, and fails like Telegram on broken
markup ("can't parse entities: ..."). Offsets and lengths are in UTF-16 code units, as in
the Bot API.
"""

from __future__ import annotations

import html
import re
from typing import Any

Entity = dict[str, Any]

# Tag -> entity type; tags that need attributes are handled separately.
_SIMPLE_TAGS = {
    "b": "bold", "strong": "bold",
    "i": "italic", "em": "italic",
    "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "tg-spoiler": "spoiler", "code": "code", "pre": "pre", "blockquote": "blockquote",
}
_ATTR_TAGS = {"a", "span", "tg-emoji"}
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*?)?)\s*(/?)>")
_ATTR_RE = re.compile(r'([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\'|([^\s"\']+))')
_ENTITY_RE = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);")


class EntityParseError(ValueError):
    """Raised with Telegram's wording after "Bad Request: can't parse entities: "."""


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (the unit of entity offsets)."""
    return len(text.encode("utf-16-le")) // 2


def parse(text: str, parse_mode: str | None) -> tuple[str, list[Entity]]:
    """Plain text and entities for ``text`` sent with ``parse_mode`` (None: as is)."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown_v2(text, legacy=True)
    return text, []


def parse_html(source: str) -> tuple[str, list[Entity]]:
    """Parse Telegram-flavoured HTML."""
    out: list[str] = []
    length = 0  # UTF-16 length of what is in ``out``
    stack: list[tuple[str, Entity, int]] = []  # (tag, entity, start offset)
    entities: list[Entity] = []
    pos = 0

    def byte_offset(index: int) -> int:
        return len(source[:index].encode("utf-8"))

    def add_text(chunk: str, at: int) -> None:
        nonlocal length
        if "<" in chunk:
            where = byte_offset(at + chunk.index("<"))
            raise EntityParseError(f'Unsupported start tag "" at byte offset {where}')
        plain = _unescape(chunk, lambda i: byte_offset(at + i))
        out.append(plain)
        length += utf16_len(plain)

    for match in _TAG_RE.finditer(source):
        add_text(source[pos:match.start()], pos)
        pos = match.end()
        closing, tag, attrs = match.group(1) == "/", match.group(2).lower(), match.group(3)
        if closing:
            if not stack or stack[-1][0] != tag:
                raise EntityParseError(
                    f'Unmatched end tag at byte offset {byte_offset(match.start())}, '
                    f'expected "</{stack[-1][0]}>", found "</{tag}>"'
                    if stack else
                    f'Unexpected end tag at byte offset {byte_offset(match.start())}'
                )
            _, entity, start = stack.pop()
            if length > start and entity["type"] != "_inside_pre":
                entity.update(offset=start, length=length - start)
                entities.append(entity)
            continue
        if tag not in _SIMPLE_TAGS and tag not in _ATTR_TAGS:
            raise EntityParseError(
                f'Unsupported start tag "{tag}" at byte offset {byte_offset(match.start())}'
            )
        entity = _entity_for_tag(tag, dict(_attrs(attrs)), stack)
        if entity is None:
            raise EntityParseError(
                f'Unsupported start tag "{tag}" at byte offset {byte_offset(match.start())}'
            )
        stack.append((tag, entity, length))
    add_text(source[pos:], pos)
    if stack:
        raise EntityParseError(
            f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"'
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _attrs(raw: str) -> list[tuple[str, str]]:
    return [
        (m.group(1).lower(), html.unescape(m.group(2) or m.group(3) or m.group(4) or ""))
        for m in _ATTR_RE.finditer(raw)
    ]


def _entity_for_tag(tag: str, attrs: dict[str, str], stack: list) -> Entity | None:
    if tag == "a":
        href = attrs.get("href", "")
        if href.startswith("tg://user?id="):
            return {"type": "text_mention", "user": {
                "id": int(href.split("=", 1)[1]), "is_bot": False, "first_name": "User"}}
        return {"type": "text_link", "url": href}
    if tag == "span":
        return {"type": "spoiler"} if attrs.get("class") == "tg-spoiler" else None
    if tag == "tg-emoji":
        return {"type": "custom_emoji", "custom_emoji_id": attrs.get("emoji-id", "")}
    kind = _SIMPLE_TAGS[tag]
    if tag == "blockquote" and "expandable" in attrs:
        return {"type": "expandable_blockquote"}
    if tag == "code" and stack and stack[-1][0] == "pre":
        # <pre><code class="language-x"> is one pre entity with a language.
        language = attrs.get("class", "").removeprefix("language-")
        if language:
            stack[-1][1]["language"] = language
        return {"type": "_inside_pre"}
    return {"type": kind}


def _unescape(chunk: str, where) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("#"):
            return html.unescape(match.group(0))
        if name in ("lt", "gt", "amp", "quot"):
            return {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}[name]
        raise EntityParseError(
            f'Unsupported HTML entity "{match.group(0)}" at byte offset {where(match.start())}'
        )

    return _ENTITY_RE.sub(replace, chunk)


# MarkdownV2 markers, longest first so "__" wins over "_" and "||" is one token.
_MD_MARKERS = [("```", "pre"), ("||", "spoiler"), ("__", "underline"), ("*", "bold"),
               ("_", "italic"), ("~", "strikethrough"), ("`", "code")]
_MD_RESERVED = set("_*[]()~`>#+-=|{}.!")


def parse_markdown_v2(source: str, legacy: bool = False) -> tuple[str, list[Entity]]:
    """Parse MarkdownV2 (``legacy``: the old Markdown, without escaping rules)."""
    out: list[str] = []
    length = 0
    open_: dict[str, int] = {}  # entity type -> start offset
    entities: list[Entity] = []
    i = 0

    def emit(chunk: str) -> None:
        nonlocal length
        out.append(chunk)
        length += utf16_len(chunk)

    while i < len(source):
        char = source[i]
        if char == "\\" and not legacy and i + 1 < len(source):
            emit(source[i + 1])
            i += 2
            continue
        marker = next(((m, t) for m, t in _MD_MARKERS if source.startswith(m, i)), None)
        if legacy and marker and marker[0] in ("||", "__", "~"):
            marker = ("_", "italic") if marker[0] == "__" else None
        if marker:
            token, kind = marker
            i += len(token)
            if kind in ("code", "pre"):
                end = source.find(token, i)
                if end < 0:
                    raise EntityParseError(
                        f"Can't find end of {kind.capitalize()} entity at byte offset "
                        f"{len(source[:i - len(token)].encode())}"
                    )
                body = source[i:end]
                entity: Entity = {"type": kind}
                if kind == "pre" and "\n" in body:
                    first, rest = body.split("\n", 1)
                    if first.strip():
                        entity["language"] = first.strip()
                    body = rest
                if not legacy:
                    body = re.sub(r"\\(.)", r"\1", body)
                start = length
                emit(body)
                entity.update(offset=start, length=length - start)
                entities.append(entity)
                i = end + len(token)
                continue
            if kind in open_:
                start = open_.pop(kind)
                if length > start:
                    entities.append({"type": kind, "offset": start, "length": length - start})
            else:
                open_[kind] = length
            continue
        if char == "[":
            link = re.match(r"\[((?:\\.|[^\]\\])*)\]\(((?:\\.|[^)\\])*)\)", source[i:])
            if link:
                label = link.group(1) if legacy else re.sub(r"\\(.)", r"\1", link.group(1))
                inner, inner_entities = parse_markdown_v2(label, legacy=True)
                start = length
                emit(inner)
                url = re.sub(r"\\(.)", r"\1", link.group(2))
                entities.append({"type": "text_link", "offset": start,
                                 "length": length - start, "url": url})
                entities.extend({**e, "offset": e["offset"] + start} for e in inner_entities)
                i += link.end()
                continue
        if not legacy and char in _MD_RESERVED:
            raise EntityParseError(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        emit(char)
        i += 1
    if open_:
        kind = next(iter(open_))
        raise EntityParseError(f"Can't find end of {kind.capitalize()} entity at byte offset "
                               f"{len(source.encode())}")
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities
