"""Keep the catalogs in step with the code: `python -m bot.locales.catalog update|check`.

`update` extracts every string, merges it into each language's .po file and compiles the .mo
files; `check` exits 1 naming any string missing from a catalog, any Russian string left
untranslated, or any .mo file whose messages differ from its .po (compared by content, so the
Babel release that compiled it does not matter).
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

LOCALES = Path(__file__).parent
ROOT = LOCALES.parent.parent
LANGUAGES = ("ru", "en")
SOURCES = ("bot", "desk", "frontdesk")
SOURCE_DIRS = tuple(ROOT / folder for folder in SOURCES)
MUST_TRANSLATE = ("ru",)  # English strings are the msgids themselves
PLACEHOLDER = re.compile(r"{(\w*)[^{}]*}")


def po_path(language: str, locales: Path = LOCALES) -> Path:
    return locales / language / "LC_MESSAGES" / "messages.po"


def read_catalog(path: Path, language: str) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale=language)


def compiled(language: str, locales: Path = LOCALES) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, read_catalog(po_path(language, locales), language), use_fuzzy=False)
    return buffer.getvalue()


def translations(catalog: Catalog, *, include_fuzzy: bool = False) -> dict[tuple[object, object], object]:
    """What a catalog translates: (id, context) → translation, without the header and empty strings.

    This is the content gettext serves; the header (with the tool's version stamp) is left out, so
    two catalogs compiled by different Babel releases compare equal when their messages do."""
    return {
        (message.id, message.context): message.string
        for message in catalog
        if message.id and message.string and (include_fuzzy or not message.fuzzy)
    }


def source_strings(sources: Iterable[Path] = SOURCE_DIRS) -> set[str]:
    """Every string the code passes to gettext."""
    keywords = {"_": None, "__": None, "lazy_gettext": None}
    found = set()
    for folder in sources:
        for _file, _line, message, _comments, _context in extract_from_dir(folder, keywords=keywords):
            found.add(message if isinstance(message, str) else message[0])
    return found


def _placeholders(text: object) -> set[str]:
    parts = text if isinstance(text, tuple | list) else (text,)
    return {name for part in parts for name in PLACEHOLDER.findall(str(part))}


def problems(locales: Path = LOCALES, sources: Iterable[Path] = SOURCE_DIRS) -> list[str]:
    """What is wrong with the catalogs, one line each: a code string missing from a catalog, a
    Russian string untranslated or fuzzy, a translation that drops or invents a {placeholder}, or a
    compiled .mo whose messages differ from its .po."""
    found = []
    strings = source_strings(sources)
    for language in LANGUAGES:
        path = po_path(language, locales)
        catalog = read_catalog(path, language)
        known = {message.id if isinstance(message.id, str) else message.id[0] for message in catalog if message.id}
        for missing in sorted(strings - known):
            found.append(f"{language}: not in the catalog: {missing!r}: run python -m bot.locales.catalog update")
        for message in catalog:
            if not message.id:
                continue
            if language in MUST_TRANSLATE and (not message.string or message.fuzzy):
                found.append(f"{language}: untranslated or fuzzy: {message.id!r}")
            elif message.string and _placeholders(message.string) != _placeholders(message.id):
                found.append(f"{language}: placeholders differ from the original: {message.id!r}")
        mo = path.with_suffix(".mo")
        if not mo.exists():
            found.append(f"{language}: {mo} is missing: run python -m bot.locales.catalog update")
            continue
        with mo.open("rb") as handle:
            served = translations(read_mo(handle))
        if served != translations(catalog):
            found.append(f"{language}: {mo} is stale: run python -m bot.locales.catalog update")
    return found


def update() -> None:
    pot = LOCALES / "messages.pot"
    pybabel = [sys.executable, "-m", "babel.messages.frontend"]
    subprocess.run(
        [*pybabel, "extract", "-k", "_", "-k", "__", "-k", "lazy_gettext", "--no-location",
         "--omit-header", "--sort-output", "-o", str(pot), *SOURCES],
        cwd=ROOT, check=True,
    )
    subprocess.run(
        [*pybabel, "update", "-i", str(pot), "-d", str(LOCALES), "-D", "messages",
         "--no-fuzzy-matching", "--ignore-obsolete"],
        cwd=ROOT, check=True,
    )
    for language in LANGUAGES:
        po_path(language).with_suffix(".mo").write_bytes(compiled(language))


def main() -> int:
    action = sys.argv[1] if len(sys.argv) > 1 else "check"
    if action == "update":
        update()
    found = problems()
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
