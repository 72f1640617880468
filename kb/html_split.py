"""Splitting Telegram HTML into messages of at most 4096 UTF-16 code units without breaking markup.

Breaks go, by preference, between paragraphs, then between lines, then between words, and only as
a last resort inside a word. Tags open at a break are closed at the end of one chunk and opened
again at the start of the next, so every chunk is well-formed on its own.
"""

from __future__ import annotations

import re

TELEGRAM_LIMIT = 4096
# Whole tags and entities are atoms, so a break never falls inside one.
_ATOM = re.compile(r"<[^>]*>|&#?\w+;|\n{2,}|\n|[ \t]+|[^<&\s]+|.", re.S)
_TAG = re.compile(r"<(/?)(\w+)")
_EMPTY_PAIR = re.compile(r"<(\w+)[^>]*>(\s*)</\1>")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts (an emoji outside the BMP is 2)."""
    return len(text.encode("utf-16-le")) // 2


def utf16_prefix(text: str, units: int) -> str:
    """The longest start of `text` within `units` UTF-16 code units (never half a character)."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > units:
            return text[:index]
    return text


def _apply(stack: list[str], atom: str) -> list[str]:
    """The open-tag stack after `atom` (a list of the full opening tags, outermost first)."""
    match = _TAG.match(atom)
    if not match:
        return stack
    closing, name = match.groups()
    if not closing:
        return [*stack, atom]
    for depth in range(len(stack) - 1, -1, -1):
        if _TAG.match(stack[depth]).group(2) == name:
            return stack[:depth]
    return stack


def _closing(stack: list[str]) -> str:
    return "".join(f"</{_TAG.match(tag).group(2)}>" for tag in reversed(stack))


def _break_at(atoms: list[str], limit: int) -> int | None:
    """Index of the atom to break at: a paragraph, else a line, else a word break; None if none."""
    floor = limit // 4  # a break this early would leave a near-empty chunk; try a finer one
    for kind in ("\n\n", "\n", " "):
        offset = sum(utf16_len(a) for a in atoms)
        for index in range(len(atoms) - 1, 0, -1):
            offset -= utf16_len(atoms[index])
            if offset < floor:
                break
            atom = atoms[index]
            if (kind == "\n\n" and atom.startswith("\n\n")) or (
                kind == "\n" and atom == "\n") or (kind == " " and atom.isspace()
            ):
                return index
    return None


def _finish(start: list[str], atoms: list[str]) -> tuple[str, list[str]]:
    """The chunk's HTML and the stack still open at its end."""
    stack = start
    for atom in atoms:
        stack = _apply(stack, atom)
    html = "".join(start) + "".join(atoms) + _closing(stack)
    while True:
        cleaned = _EMPTY_PAIR.sub(r"\2", html)
        if cleaned == html:
            break
        html = cleaned
    return html.strip(), stack


def split_html(html: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Cut well-formed HTML into non-empty chunks of at most `limit` UTF-16 code units each
    (Telegram's unit; the markup counts too, so what Telegram shows is never longer)."""
    html = html.strip()
    if utf16_len(html) <= limit:
        return [html] if html else []
    atoms = _ATOM.findall(html)
    chunks: list[str] = []
    start: list[str] = []  # tags open where the current chunk starts
    current: list[str] = []
    stack: list[str] = []
    used = 0
    i = 0
    while i < len(atoms):
        atom = atoms[i]
        after = _apply(stack, atom)
        room = limit - utf16_len("".join(start)) - used - utf16_len(_closing(after))
        if utf16_len(atom) <= room:
            current.append(atom)
            used += utf16_len(atom)
            stack = after
            i += 1
            continue
        cut = _break_at(current, limit)
        if cut is not None:
            done, rest = current[:cut], current[cut + 1 :]
        else:
            fits = limit - utf16_len("".join(start)) - used - utf16_len(_closing(stack))
            if not _TAG.match(atom) and not atom.startswith("&") and fits > 0:
                # A word longer than the room left: cut it.
                piece = utf16_prefix(atom, fits)
                current.append(piece)
                atoms[i] = atom[len(piece):]
            elif not current:
                # Not even one atom fits beside the reopened tags: take it anyway to move on.
                current.append(atom)
                stack = after
                i += 1
            done, rest = current, []
        html_chunk, open_at_cut = _finish(start, done)
        if html_chunk:
            chunks.append(html_chunk)
        start, current = open_at_cut, rest
        stack = start
        for kept in current:
            stack = _apply(stack, kept)
        used = sum(utf16_len(a) for a in current)
    html_chunk, _ = _finish(start, current)
    if html_chunk:
        chunks.append(html_chunk)
    return chunks
