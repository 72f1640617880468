"""`frontdesk demo` plays its whole script through the real bot and says so."""

import subprocess
import sys


def test_the_demo_runs_end_to_end(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "frontdesk.cli", "demo"], check=False, capture_output=True, text=True,
        timeout=180, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "🤖 → Анна: Здравствуйте, Анна!" in out  # /start answered
    assert "🤖 → Анна: Как создать заявку?" in out  # the FAQ, through the wrong keyboard layout
    assert "Your request #1 is registered" in out
    assert "🤖 → desk: 🎫 #1 · 🟠 High" in out
    assert "You are on duty at support level 1" in out and "· taken by Ivan" in out  # assigned in turn
    assert "Hello, John! Thank you for your request #1." in out  # a template, its placeholders filled in
    assert "👤 Ivan presses [1️⃣ Send: How do I get an invoice?] on the card" in out  # a suggested answer
    assert "Invoices and closing documents are in your account under Billing." in out
    assert "🤖 → John: 💬 Support · #1" in out
    assert "internal note" not in out.split("(the note stays in the group")[1].split("— John replies")[0]
    assert "🤖 → desk: 👤 John · #1" in out
    assert "Rating: ★★★★★" in out
    assert out.rstrip().endswith("The demo is over: everything above went through the real bot over HTTP.")
