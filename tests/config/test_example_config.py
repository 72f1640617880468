"""The shipped config.example.toml is valid and spells out the built-in defaults."""

import tomllib
from pathlib import Path

from desk.settings import FormConfig
from frontdesk.config import parse_config

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"


def test_example_config_is_valid_and_matches_the_defaults():
    document = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    config = parse_config(document, source=str(EXAMPLE), environ={})
    assert config.form == FormConfig()
    assert config.token == "123456:replace-me"
