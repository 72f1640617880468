"""Property tests: any config file gives a valid config or one clear ConfigError, never a traceback."""

from __future__ import annotations

import contextlib
import tomllib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontdesk.config import ConfigError, load_config, parse_config

KEYS = st.sampled_from([
    "telegram", "desk", "storage", "kb", "i18n", "log", "form", "sla", "scheduler", "token", "api_base",
    "agent_chat_id", "admin_ids", "url", "path", "default_language", "level", "types", "plans", "timezone",
    "work_start", "work_end", "answer_threshold", "polling_timeout", "digest_time", "resolution", "vip",
    "first_response", "steps", "key", "label", "ru", "en", "unknown",
])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-2**40, 2**40), st.floats(allow_nan=True), st.text(max_size=20),
    st.sampled_from(["123:abc", "ru", "en", "10:00", "25:99", "Europe/Moscow", "Mars/Base", "2h", "-1h", "none",
                     "sqlite+aiosqlite:///x.db", "http://127.0.0.1:1", "09:30"]),
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=5)),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, DOCUMENTS, max_size=6))
def test_any_document_is_a_config_or_one_clear_error(document):
    try:
        parse_config(document, source="fuzz.toml", environ={})
    except ConfigError as error:
        message = str(error)
        assert message.startswith("fuzz.toml: ")
        assert "\n" not in message


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_any_file_bytes_are_a_config_or_one_clear_error(tmp_path, raw):
    path = tmp_path / "fuzz.toml"
    path.write_bytes(raw)
    try:
        load_config(path, environ={})
    except ConfigError as error:
        assert str(error).startswith(f"{path}: ") and "\n" not in str(error)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_any_text_is_a_config_or_one_clear_error(tmp_path, text):
    path = tmp_path / "fuzz.toml"
    path.write_text(text, encoding="utf-8")
    with contextlib.suppress(tomllib.TOMLDecodeError):
        tomllib.loads(text)
    try:
        load_config(path, environ={})
    except ConfigError as error:
        assert "\n" not in str(error)
