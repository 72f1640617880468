"""Reading FAQ files: one Markdown file per entry with a YAML front matter.

A file looks like::

    ---
    id: refund                # optional, default: the file name without .md
    questions:                # the main question first, then other phrasings
      - How do I get a refund?
      - Money back
    tags: [billing]           # optional list of strings
    category: Billing         # optional string
    lang: en                  # optional: ru or en
    ---
    The answer, in Markdown.

Every problem becomes a `KBError` naming the file and the line; a bad file never stops the others.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from kb.entries import Entry, KBError

FENCE = "---"
LANGS = ("ru", "en")
# libyaml's loader is ~10x faster, which matters for folders of thousands of files.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Files that document the folder itself, not FAQ entries.
SKIPPED_NAMES = frozenset({"readme.md"})
# The folder of the agents' templates (canned replies, `kb.templates`) inside the FAQ folder: not FAQ entries.
TEMPLATES_FOLDER = "templates"


@dataclass
class LoadResult:
    """What one pass over a folder found: good entries (sorted by path) and the bad files' errors."""

    entries: list[Entry] = field(default_factory=list)
    errors: list[KBError] = field(default_factory=list)


@dataclass(frozen=True)
class FrontMatter:
    """The parsed front matter with the line numbers needed for messages."""

    data: dict
    lines: list[str]  # the front matter's own lines, without the fences
    body_line: int  # 1-based line where the body starts


def faq_files(root: Path) -> list[Path]:
    """All FAQ files under `root`, recursively, sorted; hidden files and folders, and the templates
    folder (`TEMPLATES_FOLDER`), are skipped."""
    found = []
    for path in root.rglob("*.md"):
        parts = path.relative_to(root).parts
        if any(part.startswith(".") for part in parts) or path.name.lower() in SKIPPED_NAMES:
            continue
        if len(parts) > 1 and parts[0] == TEMPLATES_FOLDER:
            continue
        if path.is_file():
            found.append(path)
    return sorted(found)


def load_folder(root: Path | str) -> LoadResult:
    """Read every FAQ file under `root`; duplicate ids are errors for every file after the first."""
    root = Path(root)
    result = LoadResult()
    if not root.is_dir():
        result.errors.append(KBError(root, 0, "not a folder"))
        return result
    load_each(faq_files(root), load_file, duplicate_error, result.entries, result.errors)
    return result


def load_each(paths: Iterable[Path], load: Callable[[Path], Any], duplicate: Callable[[Any, Path], KBError],
              loaded: list, errors: list[KBError]) -> None:
    """`load` each file into `loaded` (anything with an `id`), its problems into `errors`; a file whose
    id an earlier file took is a problem (`duplicate(item, earlier_path)`)."""
    seen: dict[str, Path] = {}
    for path in paths:
        parsed = load(path)
        if isinstance(parsed, KBError):
            errors.append(parsed)
        elif parsed.id in seen:
            errors.append(duplicate(parsed, seen[parsed.id]))
        else:
            seen[parsed.id] = path
            loaded.append(parsed)


class Identified(Protocol):
    """An FAQ entry or a template: read from a file, known by an id."""

    id: str
    path: Path | None


def duplicate_error(item: Identified, first: Path) -> KBError:
    """The error for `item` whose id is already taken by the file `first`."""
    assert item.path is not None
    line = _key_line(item.path, "id")
    return KBError(item.path, line, f"id: duplicate id {item.id!r}, already used by {first}")


def load_file(path: Path) -> Entry | KBError:
    """Read one FAQ file into an `Entry`, or the first problem found in it."""
    raw = read_bytes(path)
    return raw if isinstance(raw, KBError) else parse_entry(path, raw)


def read_bytes(path: Path) -> bytes | KBError:
    """The file's bytes, or why it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        return KBError(path, 0, f"cannot read the file: {exc.strerror or exc}")


def decode(path: Path, raw: bytes) -> str | KBError:
    """The file's text (UTF-8, a byte-order mark allowed), or the line of the first bad byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return KBError(path, line, f"not UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded")


def parse_entry(path: Path, raw: bytes) -> Entry | KBError:
    """Parse the bytes of one FAQ file; `path` gives the default id and the error location."""
    read = text_and_front(path, raw)
    return read if isinstance(read, KBError) else _build_entry(path, read[1], read[0])


def text_and_front(path: Path, raw: bytes) -> tuple[str, FrontMatter] | KBError:
    """A Markdown file's text and its front matter (FAQ entries and templates alike), or the first
    problem with them."""
    text = decode(path, raw)
    if isinstance(text, KBError):
        return text
    front = split_front_matter(path, text)
    return front if isinstance(front, KBError) else (text, front)


def key_error(path: Path, front: FrontMatter, key: str, message: str) -> KBError:
    """The problem with the front matter's `key`, at its line."""
    return KBError(path, line_of_key(front.lines, key), f"{key}: {message}")


def file_id(path: Path, data: dict) -> str | None:
    """The `id` of the front matter `data` (the file's name when absent; a number is a string),
    or None when it is not a non-empty string."""
    value = data.get("id", path.stem)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return value if isinstance(value, str) and value.strip() else None


def split_front_matter(path: Path, text: str) -> FrontMatter | KBError:
    """The front matter of a file's text (parsed, with its lines), or the problem with it."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != FENCE:
        return KBError(path, 1, "no front matter: the file must start with a '---' line")
    closing = next((i for i in range(1, len(lines)) if lines[i].strip() == FENCE), None)
    if closing is None:
        return KBError(path, 1, "front matter: no closing '---' line")
    own = lines[1:closing]
    try:
        data = yaml.load("\n".join(own), Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        # The front matter starts on line 2 of the file; marks count from 0.
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return KBError(path, line, f"front matter: broken YAML: {problem}")
    except (ValueError, RecursionError) as exc:  # e.g. absurd numbers or nesting
        return KBError(path, 1, f"front matter: broken YAML: {exc}")
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        return KBError(path, 2, f"front matter: must be a mapping of keys, got {kind}")
    return FrontMatter(data=data, lines=own, body_line=closing + 2)


def _build_entry(path: Path, front: FrontMatter, text: str) -> Entry | KBError:
    data = front.data

    def error(key: str, message: str) -> KBError:
        return key_error(path, front, key, message)

    entry_id = file_id(path, data)
    if entry_id is None:
        return error("id", "must be a non-empty string")
    questions = data.get("questions")
    if not _is_string_list(questions, allow_empty=False):
        return error("questions", "must be a non-empty list of strings")
    tags = data.get("tags", [])
    if tags is None:
        tags = []
    if not _is_string_list(tags, allow_empty=True):
        return error("tags", "must be a list of strings")
    category = data.get("category")
    if category is not None and not (isinstance(category, str) and category.strip()):
        return error("category", "must be a non-empty string")
    lang = data.get("lang")
    if lang is not None and lang not in LANGS:
        return error("lang", f"must be one of {', '.join(LANGS)}")
    body = "\n".join(text.splitlines()[front.body_line - 1 :]).strip()
    if not body:
        return KBError(path, front.body_line, "answer: empty, write the answer below the front matter")
    return Entry(
        id=entry_id.strip(),
        questions=tuple(q.strip() for q in questions),
        answer=body,
        tags=tuple(t.strip() for t in tags),
        category=category.strip() if category else None,
        lang=lang,
        path=path,
    )


def _is_string_list(value: object, *, allow_empty: bool) -> bool:
    if not isinstance(value, list) or (not value and not allow_empty):
        return False
    return all(isinstance(item, str) and item.strip() for item in value)


def line_of_key(front_lines: list[str], key: str) -> int:
    """1-based file line of `key:` in the front matter, or 1 (the opening fence) when absent."""
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*:")
    for index, line in enumerate(front_lines):
        if pattern.match(line):
            return index + 2
    return 1


def _key_line(path: Path, key: str) -> int:
    try:
        lines = path.read_text("utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError):
        return 1
    closing = next((i for i in range(1, len(lines)) if lines[i].strip() == FENCE), len(lines))
    return line_of_key(lines[1:closing], key)
