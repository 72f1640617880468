"""`frontdesk run` with a broken config: one clear line naming the key or file, exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

GOOD = """
[telegram]
token = "123456:TEST"
api_base = "http://127.0.0.1:9"
"""


def run_frontdesk(tmp_path: Path, config_text: str | bytes | None, *extra_env: tuple[str, str]):
    config = tmp_path / "config.toml"
    if isinstance(config_text, bytes):
        config.write_bytes(config_text)
    elif config_text is not None:
        config.write_text(config_text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "FRONTDESK_TELEGRAM_TOKEN"}
    env.update(dict(extra_env))
    return subprocess.run(
        [sys.executable, "-m", "frontdesk.cli", "run", "--config", str(config)],
        check=False, capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD + "colour = 'red'\n", "unknown key 'telegram.colour'"),
        (GOOD + "[desk]\nagent_chat_id = 'the agents'\n", "key 'desk.agent_chat_id'"),
        (GOOD + "[desk]\nadmin_ids = 5\n", "key 'desk.admin_ids'"),
        (GOOD + "[i18n]\ndefault_language = 'de'\n", "key 'i18n.default_language'"),
        (GOOD + "[storage]\nurl = 42\n", "key 'storage.url'"),
        (GOOD + "[wat]\nx = 1\n", "unknown key 'wat'"),
        ("[telegram]\napi_base = 'http://127.0.0.1:9'\n", "missing key 'telegram.token'"),
        ("[telegram]\ntoken = 'nocolon'\n", "key 'telegram.token'"),
        ("[telegram\ntoken = 1", "not valid TOML"),
        (b"[telegram]\ntoken = '\xff\xfe'\n", "not UTF-8"),
        (GOOD + "[kb]\nanswer_threshold = 40.0\nsuggest_threshold = 60.0\n", "kb.suggest_threshold"),
        # The encoder's default suggest threshold (25) is above an answer threshold of 20.
        (GOOD + "[kb]\nsemantic = true\nanswer_threshold = 20.0\n", "kb.suggest_threshold"),
    ],
    ids=["unknown-key", "wrong-type-int", "wrong-type-list", "bad-choice", "url-not-string",
         "unknown-section", "missing-token", "malformed-token", "broken-toml", "not-utf8",
         "inconsistent-thresholds", "threshold-below-the-encoders-default"],
)
def test_broken_config_is_one_line_and_exit_2(tmp_path, text, expected):
    result = run_frontdesk(tmp_path, text)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert "config.toml" in lines[0]
    assert "Traceback" not in result.stderr


def test_missing_file_names_the_file(tmp_path):
    result = run_frontdesk(tmp_path, None)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"frontdesk: {tmp_path / 'config.toml'}: config file not found (copy config.example.toml to start)"
    ]


def test_unreadable_file_names_the_file(tmp_path):
    folder = tmp_path / "config.toml"
    folder.mkdir()  # a directory where the file should be: unreadable as a file, also for root
    result = subprocess.run(
        [sys.executable, "-m", "frontdesk.cli", "run", "--config", str(folder)],
        check=False, capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )
    assert result.returncode == 2
    line, = result.stderr.strip().splitlines()
    assert str(folder) in line and "cannot read" in line


def test_token_from_environment_wins(tmp_path):
    # No token in the file, one in the environment: the config is accepted and the run gets as
    # far as the Bot API, which is unreachable here (port 9): one line, non-zero exit.
    result = run_frontdesk(
        tmp_path,
        "[telegram]\napi_base = 'http://127.0.0.1:9'\n[storage]\nurl = 'sqlite+aiosqlite:///t.db'\n"
        "[kb]\npath = '.'\n",
        ("FRONTDESK_TELEGRAM_TOKEN", "123456:FROMENV"),
    )
    assert result.returncode == 1, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert "cannot reach the Bot API at http://127.0.0.1:9" in last
    assert "Traceback" not in result.stderr


def test_a_missing_faq_folder_is_one_line(tmp_path):
    result = run_frontdesk(tmp_path, GOOD + "[kb]\npath = 'no-such-folder'\n")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == ["frontdesk: kb.path: FAQ folder no-such-folder does not exist"]


async def test_a_rejected_token_is_one_line(tmp_path):
    import asyncio

    from emulator import BotAPIEmulator

    async with BotAPIEmulator(token="123456:RIGHT") as emu:
        config = tmp_path / "config.toml"
        config.write_text(
            f"[telegram]\ntoken = '123456:WRONG'\napi_base = '{emu.base_url}'\n[kb]\npath = '.'\n",
            encoding="utf-8",
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "frontdesk.cli", "run", "--config", str(config),
            cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    last = stderr.decode().strip().splitlines()[-1]
    assert last == (
        f"frontdesk: the Bot API at {emu.base_url} rejected the token (401 Unauthorized): check telegram.token"
    )
    assert "Traceback" not in stderr.decode()


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("mode = 'webhook'\n", "key 'telegram.webhook_url'"),
        ("mode = 'webhook'\nwebhook_url = 'https://bot.example.com/tg'\n", "key 'telegram.webhook_secret'"),
        ("mode = 'webhook'\nwebhook_url = 'https://bot.example.com/tg'\nwebhook_secret = 'short'\n",
         "key 'telegram.webhook_secret'"),
        ("mode = 'carrier-pigeon'\n", "key 'telegram.mode'"),
    ],
)
def test_webhook_mode_needs_its_url_and_secret(tmp_path, extra, expected):
    result = run_frontdesk(tmp_path, GOOD + extra)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert expected in line


def test_a_taken_metrics_port_is_one_line(tmp_path):
    import socket

    from emulator import BotAPIEmulator

    async def scenario():
        async with BotAPIEmulator(token="123456:TEST") as emu:
            with socket.socket() as taken:
                taken.bind(("127.0.0.1", 0))
                taken.listen()
                port = taken.getsockname()[1]
                config = tmp_path / "config.toml"
                config.write_text(f"[telegram]\ntoken = '123456:TEST'\napi_base = '{emu.base_url}'\n"
                                  f"[kb]\npath = '.'\n[metrics]\nlisten = '127.0.0.1:{port}'\n", encoding="utf-8")
                process = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "frontdesk.cli", "run", "--config", str(config), cwd=tmp_path,
                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
                _, stderr = await asyncio.wait_for(process.communicate(), 60)
                return process.returncode, stderr.decode()

    import asyncio

    code, stderr = asyncio.run(scenario())
    assert code == 1
    assert stderr.strip().splitlines()[-1].startswith("frontdesk: metrics.listen: cannot listen there")
    assert "Traceback" not in stderr
