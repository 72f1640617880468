"""Every string has its Russian translation, and the compiled catalogs match the .po files."""

from bot.locales.catalog import problems


def test_catalogs_are_complete_and_compiled():
    assert problems() == []
