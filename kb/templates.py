"""Templates (canned replies) agents send to customers: one Markdown file per template in the
`templates/` folder inside the FAQ folder, with a YAML front matter of the FAQ's family::

    ---
    id: password-sent         # optional, default: the file name without .md
    title: Password reset link sent
    lang: en                  # optional: ru or en
    ---
    Hello, {customer}! We have sent the link for your request #{ticket}. {agent}

The body is Markdown. Its placeholders are `PLACEHOLDERS`: `{customer}` the customer's first name,
`{ticket}` the ticket's number, `{agent}` the signature the customer sees; any other `{word}` is a
problem. Every problem is a `KBError` naming the file and the line; a bad file never stops the others.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from kb.entries import KBError
from kb.loader import (
    LANGS,
    SKIPPED_NAMES,
    duplicate_error,
    file_id,
    key_error,
    load_each,
    read_bytes,
    text_and_front,
)
from kb.render import markdown_to_html

log = logging.getLogger(__name__)

PLACEHOLDERS = ("customer", "ticket", "agent")
# `{word}` without spaces or braces inside: a placeholder (known or not); other braces are text.
_PLACEHOLDER = re.compile(r"\{([^{}\s]+)\}")


@dataclass(frozen=True)
class Template:
    """One canned reply read from one file; `body` is Markdown with placeholders."""

    id: str
    title: str
    body: str
    lang: str | None = None
    path: Path | None = field(default=None, compare=False)

    def fill(self, values: Mapping[str, str]) -> str:
        """The body as Markdown with each placeholder replaced by its value."""
        return _PLACEHOLDER.sub(lambda found: values.get(found.group(1), found.group(0)), self.body)

    def fill_html(self, values: Mapping[str, str]) -> str:
        """The body as Telegram HTML; values are filled in after the Markdown is rendered, so a
        customer's name is shown as written, never read as markup."""
        html = markdown_to_html(self.body)
        return _PLACEHOLDER.sub(lambda found: escape(values[found.group(1)]) if found.group(1) in values
                                else found.group(0), html)

    def matches(self, words: str) -> bool:
        """Whether every word of `words` is in the id, the title or the body (any case)."""
        haystack = f"{self.id}\n{self.title}\n{self.body}".casefold()
        return all(word in haystack for word in words.casefold().split())


@dataclass
class TemplatesLoad:
    """What one pass over a templates folder found: good templates (sorted by path) and problems."""

    templates: list[Template] = field(default_factory=list)
    errors: list[KBError] = field(default_factory=list)


def template_files(root: Path) -> list[Path]:
    """The template files under `root`, recursively, sorted; hidden files and READMEs skipped."""
    found = []
    for path in root.rglob("*.md"):
        parts = path.relative_to(root).parts
        if any(part.startswith(".") for part in parts) or path.name.lower() in SKIPPED_NAMES:
            continue
        if path.is_file():
            found.append(path)
    return sorted(found)


def load_template(path: Path) -> Template | KBError:
    """Read one template file, or the first problem found in it (an unknown placeholder: its line)."""
    raw = read_bytes(path)
    read = raw if isinstance(raw, KBError) else text_and_front(path, raw)
    if isinstance(read, KBError):
        return read
    text, front = read
    data = front.data

    def error(key: str, message: str) -> KBError:
        return key_error(path, front, key, message)

    template_id = file_id(path, data)
    if template_id is None:
        return error("id", "must be a non-empty string")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        return error("title", "must be a non-empty string")
    lang = data.get("lang")
    if lang is not None and lang not in LANGS:
        return error("lang", f"must be one of {', '.join(LANGS)}")
    lines = text.splitlines()
    for number in range(front.body_line, len(lines) + 1):
        for found in _PLACEHOLDER.finditer(lines[number - 1]):
            if found.group(1) not in PLACEHOLDERS:
                known = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
                return KBError(path, number, f"body: unknown placeholder {found.group(0)} (known: {known})")
    body = "\n".join(lines[front.body_line - 1:]).strip()
    if not body:
        return KBError(path, front.body_line, "body: empty, write the reply below the front matter")
    return Template(id=template_id.strip(), title=title.strip(), body=body, lang=lang, path=path)


def load_templates(root: Path | str) -> TemplatesLoad:
    """Read every template under `root` (`frontdesk templates check`): a missing folder is a
    problem; duplicate ids are problems for every file after the first."""
    root = Path(root)
    result = TemplatesLoad()
    if not root.is_dir():
        result.errors.append(KBError(root, 0, "not a folder"))
        return result
    load_each(template_files(root), load_template, duplicate_error, result.templates, result.errors)
    return result


class TemplateBook:
    """The templates of the folder `root` in service; loads it at once. A folder that does not
    exist is no templates (they are optional). A reload keeps a broken file's last good version."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self._good: dict[Path, Template] = {}
        self._by_id: dict[str, Template] = {}
        self.errors: list[KBError] = []
        self.reload()

    @property
    def templates(self) -> list[Template]:
        """The templates in service, sorted by file path."""
        return list(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, template_id: str) -> Template | None:
        """The template with this id, or None."""
        return self._by_id.get(template_id)

    def find(self, words: str) -> list[Template]:
        """The templates whose id, title or body hold every word of `words`, in file order."""
        return [template for template in self._by_id.values() if template.matches(words)]

    def reload(self) -> list[KBError]:
        """Re-read the folder; returns this pass's problems (also `.errors`)."""
        errors: list[KBError] = []
        wanted: dict[Path, Template] = {}
        if self.root.is_dir():
            for path in template_files(self.root):
                parsed = load_template(path)
                if isinstance(parsed, KBError):
                    errors.append(parsed)
                    if path in self._good:
                        wanted[path] = self._good[path]
                else:
                    wanted[path] = parsed
        good: dict[Path, Template] = {}
        by_id: dict[str, Template] = {}
        for path in sorted(wanted):
            template = wanted[path]
            if template.id in by_id:
                errors.append(duplicate_error(template, by_id[template.id].path or path))
                continue
            good[path] = template
            by_id[template.id] = template
        # Swapped in whole: a reader sees the old set or the new one.
        self._good, self._by_id, self.errors = good, by_id, errors
        if good or errors:
            log.info("templates loaded: %d, %d bad files", len(good), len(errors))
        return errors
