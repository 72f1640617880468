"""`frontdesk run` builds the FAQ index before the bot's modules (aiogram's ~170 MB of types) are
imported, so the build's passing memory is handed back or reused instead of adding to the peak."""

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
    result = subprocess.run([sys.executable, "-c", PROBE, str(ROOT / "faq")], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
