"""``python -m emulator --port 8081 --token 123:ABC``: serve until Ctrl-C (for demos)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from emulator.core import BotAPIEmulator


async def serve(args: argparse.Namespace) -> None:
    """Start the emulator with a demo user and block until cancelled."""
    emu = BotAPIEmulator(token=args.token, bot_username=args.username, port=args.port,
                         host=args.host)
    await emu.start()
    if args.strict_limits:
        emu.enforce_rate_limits(strict=True)
    emu.add_user(args.user_id, "Demo", username="demo", language_code=args.language)
    print(f"Bot API emulator at {emu.base_url} (token {emu.token}); Ctrl-C to stop", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await emu.stop()


def main() -> None:
    """Parse arguments and serve."""
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST")
    parser.add_argument("--username", default="frontdesk_bot")
    parser.add_argument("--user-id", type=int, default=1001, help="id of the demo user")
    parser.add_argument("--language", default="en", help="demo user's language_code")
    parser.add_argument("--strict-limits", action="store_true",
                        help="answer 429 past Telegram's limits (30/s in all, 1/s per private chat "
                             "beyond a burst of 3, 20/min per group)")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
