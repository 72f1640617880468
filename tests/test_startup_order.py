"""What a start imports, and when: `frontdesk run` builds the FAQ index before the bot's modules
(aiogram's ~170 MB of types) are imported, so the build's passing memory is handed back or reused
instead of adding to the peak; Redis' client and Alembic are imported only when they are needed."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import sys
from frontdesk.cli import _load
from frontdesk.startup import open_faq
from frontdesk.config import parse_config
config = parse_config({"telegram": {"token": "1:A"}, "kb": {"path": sys.argv[1], "watch": False}}, source="probe")
kb = open_faq(config)
assert len(kb) > 0
print("aiogram" in sys.modules)
"""


def test_the_faq_opens_without_importing_aiogram():
    result = subprocess.run([sys.executable, "-c", PROBE, str(ROOT / "faq")], check=False, capture_output=True,
                            text=True,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


UPGRADE = """
import asyncio, sys
from storage import migrate
from storage.database import create_engine

async def main():
    engine = create_engine(sys.argv[1])
    await migrate.upgrade(engine)
    await engine.dispose()

asyncio.run(main())
print("alembic" in sys.modules)
"""


def test_a_start_on_a_database_at_head_does_not_import_alembic(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'f.db'}"
    runs = [subprocess.run([sys.executable, "-c", UPGRADE, url], check=False, capture_output=True, text=True, cwd=ROOT,
                           timeout=120) for _ in range(2)]
    assert [run.returncode for run in runs] == [0, 0], runs[-1].stderr
    assert [run.stdout.strip() for run in runs] == ["True", "False"]  # migrated, then only checked


def test_the_bot_imports_neither_redis_nor_alembic_until_it_needs_them():
    probe = "import sys, frontdesk.app; print(sorted({'redis', 'alembic'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], check=False, capture_output=True, text=True, cwd=ROOT,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
