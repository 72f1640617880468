"""Every string has its Russian translation, and the compiled catalogs serve what the .po files say.

The check compares content, never bytes: a .mo compiled by another Babel release (another
"Generated-By" stamp in its header) is as good as ours when its messages are the same."""

from __future__ import annotations

import shutil

import babel.messages.catalog
import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import write_po

from bot.locales.catalog import LOCALES, SOURCE_DIRS, po_path, problems, read_catalog


def test_the_projects_catalogs_are_complete_and_compiled():
    assert problems() == []


@pytest.fixture
def locales(tmp_path):
    """A copy of the project's catalogs to break."""
    copy = tmp_path / "locales"
    for language in ("ru", "en"):
        shutil.copytree(LOCALES / language, copy / language)
    return copy


def _save_po(locales, language, catalog):
    with po_path(language, locales).open("wb") as handle:
        write_po(handle, catalog)


def _save_mo(locales, language, catalog):
    with po_path(language, locales).with_suffix(".mo").open("wb") as handle:
        write_mo(handle, catalog, use_fuzzy=False)


def test_a_string_in_the_code_but_not_in_the_catalogs_is_named(locales, tmp_path):
    code = tmp_path / "code"
    code.mkdir()
    (code / "new_feature.py").write_text('_("A brand new notice")\n', encoding="utf-8")
    found = problems(locales, [*SOURCE_DIRS, code])
    assert any(line.startswith("ru: not in the catalog: 'A brand new notice'") for line in found)
    assert any(line.startswith("en: not in the catalog: 'A brand new notice'") for line in found)


def test_an_untranslated_russian_string_is_named(locales):
    catalog = read_catalog(po_path("ru", locales), "ru")
    message = catalog["⬅️ Back"]
    message.string = ""
    _save_po(locales, "ru", catalog)
    _save_mo(locales, "ru", catalog)
    assert problems(locales) == ["ru: untranslated or fuzzy: '⬅️ Back'"]


def test_a_fuzzy_russian_string_is_named(locales):
    catalog = read_catalog(po_path("ru", locales), "ru")
    catalog["⬅️ Back"].flags.add("fuzzy")
    _save_po(locales, "ru", catalog)
    _save_mo(locales, "ru", catalog)
    assert problems(locales) == ["ru: untranslated or fuzzy: '⬅️ Back'"]


def test_a_translation_that_loses_a_placeholder_is_named(locales):
    catalog = read_catalog(po_path("ru", locales), "ru")
    message = next(m for m in catalog if m.id and "{number}" in str(m.id))
    message.string = str(message.string).replace("{number}", "")
    _save_po(locales, "ru", catalog)
    _save_mo(locales, "ru", catalog)
    assert problems(locales) == [f"ru: placeholders differ from the original: {message.id!r}"]


def test_a_mo_that_serves_an_old_translation_is_stale(locales):
    catalog = read_catalog(po_path("ru", locales), "ru")
    catalog["⬅️ Back"].string = "Назад (старый перевод)"
    _save_mo(locales, "ru", catalog)  # the .po keeps the current translation
    found = problems(locales)
    assert len(found) == 1 and found[0].startswith("ru: ") and "is stale" in found[0]


def test_a_missing_mo_is_named(locales):
    po_path("en", locales).with_suffix(".mo").unlink()
    found = problems(locales)
    assert len(found) == 1 and found[0].startswith("en: ") and "is missing" in found[0]


@pytest.mark.parametrize("stamp", ["Babel 2.14.0", "Babel 2.19.0", "Babel 9.0.0"])
def test_a_mo_compiled_by_another_babel_release_is_not_stale(locales, stamp, monkeypatch):
    # Babel writes its own release into every catalog's header; pretend to be another release.
    monkeypatch.setattr(babel.messages.catalog, "VERSION", stamp.removeprefix("Babel "))
    for language in ("ru", "en"):
        _save_mo(locales, language, read_catalog(po_path(language, locales), language))
        assert stamp.encode() in po_path(language, locales).with_suffix(".mo").read_bytes()
    assert problems(locales) == []
