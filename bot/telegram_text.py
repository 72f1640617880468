"""Measuring a message the way Telegram does: in UTF-16 code units, of the text left after
entity parsing (so "&lt;" counts 1 and an emoji outside the BMP counts 2).

The HTML measured here is the bot's own: tags it wrote, everything a person typed escaped.
"""

from __future__ import annotations

import html
import re

from kb.html_split import utf16_len, utf16_prefix

#: Telegram's limits, in UTF-16 code units after entity parsing.
MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024

_TAG = re.compile(r"<[^>]*>")


def shown_length(html_text: str) -> int:
    """What Telegram counts for `html_text` sent with parse_mode HTML."""
    return utf16_len(html.unescape(_TAG.sub("", html_text)))


def cut(text: str, units: int) -> tuple[str, str]:
    """`text` split into a head of at most `units` UTF-16 code units and the rest.

    The head ends at a line or word break when one is in its last fifth, and never inside a
    character; head + rest == text.
    """
    if utf16_len(text) <= units:
        return text, ""
    end = len(utf16_prefix(text, units))
    at = max(text.rfind("\n", 0, end), text.rfind(" ", 0, end))
    if at >= end * 4 // 5:
        end = at + 1
    return text[:end], text[end:]
