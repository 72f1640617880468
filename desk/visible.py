"""Whether a text shows anything to a reader.

A text of only zero-width characters (U+200B, U+200C, U+200D, U+2060, U+FEFF), other format
characters, spaces, variation selectors or the blank "letters" people use for invisible names
is accepted by Telegram, but a reader sees nothing: the bot treats it as empty.
"""

from __future__ import annotations

import unicodedata

# Letters and symbols that render as blank: Hangul fillers, the braille blank, the Mongolian
# vowel separator, Khmer inherent vowels.
_BLANK = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e\u17b4\u17b5")
# Categories that show nothing: controls, format characters, separators (spaces, line breaks).
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})


def _invisible(char: str) -> bool:
    code = ord(char)
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:  # variation selectors
        return True
    return char in _BLANK or unicodedata.category(char) in _INVISIBLE_CATEGORIES


def shows_nothing(text: str | None) -> bool:
    """True when `text` is None, empty, or made only of characters that render as nothing."""
    return not text or all(_invisible(char) for char in text)
