"""Wrong keyboard layout: text typed with the Russian (ЙЦУКЕН) layout on while meaning English
(QWERTY), and the reverse. `rfr cjplfnm pfzdre` is `как создать заявку`; `ыщьуерштп` is `something`.

Punctuation keys are letters on the Russian layout (`,` б, `.` ю, `;` ж, `'` э, `[` х, `]` ъ, and
their shifted forms), so `gfhjk.` is `паролю` and `;tkfnm` is `желать`; the Russian layout's own
punctuation sits elsewhere (`/` is `.`, `?` is `,`, `&` is `?`, `^` is `:`, `$` is `;`).
"""

from __future__ import annotations

_LATIN = "`qwertyuiop[]asdfghjkl;'zxcvbnm,./" + '~QWERTYUIOP{}ASDFGHJKL:"ZXCVBNM<>?&^$@#'
_CYRILLIC = "ёйцукенгшщзхъфывапролджэячсмитьбю." + 'ЁЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮ,?:;"№'
_TO_CYRILLIC = str.maketrans(_LATIN, _CYRILLIC)
_TO_LATIN = str.maketrans(_CYRILLIC, _LATIN)
# Sentence-final punctuation is punctuation, not the б/ю keys, so it is kept as typed.
_TRAILING = ".,?!"


def _convert(text: str, table: dict[int, str], *, keep_trailing: bool = True) -> str:
    if not keep_trailing:
        return text.translate(table)
    body = text.rstrip(_TRAILING + " ")
    return body.translate(table) + text[len(body) :]


def latin_to_cyrillic(text: str, *, keep_trailing: bool = True) -> str:
    """Text typed on a QWERTY layout while meaning Russian, as it was meant: `ghbdtn` → `привет`.

    Every key is converted, punctuation keys included (`gfhjk.` → `паролю`), except, when
    `keep_trailing`, the punctuation ending the text, which is more often punctuation meant as such.
    """
    return _convert(text, _TO_CYRILLIC, keep_trailing=keep_trailing)


def cyrillic_to_latin(text: str, *, keep_trailing: bool = True) -> str:
    """Text typed on a Russian layout while meaning English, as it was meant: `руддщ` → `hello`."""
    return _convert(text, _TO_LATIN, keep_trailing=keep_trailing)


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
        variants.append(latin_to_cyrillic(text, keep_trailing=False))
    if has_cyrillic(text):
        variants.append(cyrillic_to_latin(text))
    return list(dict.fromkeys(variants))
