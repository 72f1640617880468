"""Wrong keyboard layout: text typed with the Russian (ЙЦУКЕН) layout on while meaning English
(QWERTY), and the reverse. `rfr cjplfnm pfzdre` is `как создать заявку`; `ыщьуерштп` is `something`.
"""

from __future__ import annotations

_LATIN = "`qwertyuiop[]asdfghjkl;'zxcvbnm,./" + '~QWERTYUIOP{}ASDFGHJKL:"ZXCVBNM<>'
_CYRILLIC = "ёйцукенгшщзхъфывапролджэячсмитьбю." + "ЁЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮ"
_TO_CYRILLIC = str.maketrans(_LATIN, _CYRILLIC)
_TO_LATIN = str.maketrans(_CYRILLIC, _LATIN)
# Sentence-final punctuation is punctuation, not the б/ю keys, so it is kept as typed.
_TRAILING = ".,?!"


def _convert(text: str, table: dict[int, str]) -> str:
    body = text.rstrip(_TRAILING + " ")
    return body.translate(table) + text[len(body) :]


def latin_to_cyrillic(text: str) -> str:
    """Text typed on a QWERTY layout while meaning Russian, as it was meant: `ghbdtn` → `привет`."""
    return _convert(text, _TO_CYRILLIC)


def cyrillic_to_latin(text: str) -> str:
    """Text typed on a Russian layout while meaning English, as it was meant: `руддщ` → `hello`."""
    return _convert(text, _TO_LATIN)


def has_latin(text: str) -> bool:
    """Whether `text` holds at least one ASCII letter."""
    return any("a" <= ch <= "z" or "A" <= ch <= "Z" for ch in text)


def has_cyrillic(text: str) -> bool:
    """Whether `text` holds at least one Cyrillic letter."""
    return any("\u0400" <= ch <= "\u04ff" for ch in text)


def layout_variants(text: str) -> list[str]:
    """The query as typed, then converted to the other layout in each direction that applies."""
    variants = [text]
    if has_latin(text):
        variants.append(latin_to_cyrillic(text))
    if has_cyrillic(text):
        variants.append(cyrillic_to_latin(text))
    return list(dict.fromkeys(variants))
