"""Keep the catalogs in step with the code: `python -m bot.locales.catalog update|check`.

`update` extracts every string, merges it into each language's .po file and compiles the .mo
files; `check` exits 1 naming any Russian string left untranslated or any stale .mo file.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES = Path(__file__).parent
ROOT = LOCALES.parent.parent
LANGUAGES = ("ru", "en")
SOURCES = ("bot", "desk", "frontdesk")


def po_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / "messages.po"


def compiled(language: str) -> bytes:
    with po_path(language).open("rb") as po:
        catalog = read_po(po, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def source_strings() -> set[str]:
    """Every string the code passes to gettext."""
    keywords = {"_": None, "__": None, "lazy_gettext": None}
    found = set()
    for folder in SOURCES:
        for _file, _line, message, _comments, _context in extract_from_dir(ROOT / folder, keywords=keywords):
            found.add(message if isinstance(message, str) else message[0])
    return found


def problems() -> list[str]:
    """What is wrong with the catalogs, one line each."""
    found = []
    with po_path("ru").open("rb") as po:
        catalog = read_po(po, locale="ru")
    known = {message.id for message in catalog if message.id}
    for missing in sorted(source_strings() - known):
        found.append(f"not in the catalog: {missing!r}: run python -m bot.locales.catalog update")
    for message in catalog:
        if message.id and (not message.string or message.fuzzy):
            found.append(f"ru: untranslated or fuzzy: {message.id!r}")
    for language in LANGUAGES:
        mo = po_path(language).with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != compiled(language):
            found.append(f"{language}: {mo.relative_to(ROOT)} is stale: run python -m bot.locales.catalog update")
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
