"""Numbers a person types, or sends back in a button's data, read into what the database holds.

A number that is not ASCII digits is not a number here (``str.isdigit`` would take "²" and "٣");
one beyond a column's range names no row, and is never handed to the database, which would
raise on it (SQLite: OverflowError above 2**63 - 1).
"""

from __future__ import annotations

import re

#: Largest value of an INTEGER column (row ids: tickets, searches): 32 bits on PostgreSQL.
ROW_ID_MAX = 2**31 - 1
#: Largest value of a BIGINT column (Telegram ids).
BIGINT_MAX = 2**63 - 1

_DIGITS = re.compile(r"[0-9]+")


class NotANumber(ValueError):
    """The text is not a whole number written in ASCII digits."""


def parse_id(text: str, maximum: int = ROW_ID_MAX) -> int | None:
    """The id written in ``text`` (surrounding spaces and a leading "#" allowed).

    Raises NotANumber when it is not ASCII digits; returns None when the number is 0 or above
    ``maximum``: a well-formed number that names no row.
    """
    cleaned = text.strip().removeprefix("#")
    if not _DIGITS.fullmatch(cleaned):
        raise NotANumber(text)
    # Compare the digits before converting, so a million-digit number costs nothing.
    digits = cleaned.lstrip("0")
    if not digits or len(digits) > len(str(maximum)) or int(digits) > maximum:
        return None
    return int(digits)
