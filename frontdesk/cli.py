"""The `frontdesk` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from datetime import UTC
from pathlib import Path

from frontdesk.config import Config, ConfigError, load_config, matcher_settings, parse_config

EXIT_CONFIG = 2
EXIT_STARTUP = 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="frontdesk", description="A Telegram help-desk front desk."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def with_config(sub: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sub.add_argument(
            "--config", type=Path, default=Path("config.toml"),
            help="TOML config file (default: ./config.toml)",
        )
        return sub

    with_config(commands.add_parser("run", help="run the bot (long polling)"))

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    with_config(db_commands.add_parser("upgrade", help="apply every pending migration"))
    with_config(db_commands.add_parser("current", help="print the schema revision"))

    kb = commands.add_parser("kb", help="the FAQ knowledge base")
    kb_commands = kb.add_subparsers(dest="kb_command", metavar="ACTION", required=True)
    check = with_config(kb_commands.add_parser(
        "check", help="validate every FAQ file: list the errors and exit 1, or print the entry count"
    ))
    search = with_config(kb_commands.add_parser(
        "search", help="show the decision and the best matches for a query ('-': one per line from stdin)"
    ))
    search.add_argument("--json", action="store_true", help="one JSON object per query per line")
    search.add_argument("query", nargs="+", help="the question, or - to read questions from standard input")
    gaps = with_config(kb_commands.add_parser(
        "gaps", help="questions the FAQ did not answer or whose answer did not help, grouped, most frequent first"
    ))
    gaps.add_argument("--days", type=int, default=None, help="only the last N days")
    gaps.add_argument("--json", action="store_true", help="one JSON object per group per line")
    learn = with_config(kb_commands.add_parser(
        "learn", help="propose new phrasings and draft entries from past questions into a review file; "
                      "--apply FILE writes the accepted ones into the FAQ"
    ))
    learn.add_argument("--days", type=int, default=None, help="only the last N days")
    learn.add_argument("--out", type=Path, default=Path("kb-review.yaml"), help="review file to write")
    learn.add_argument("--apply", type=Path, default=None, metavar="FILE",
                       help="add the phrasings accepted in this review file to the FAQ files")
    for sub in (check, search, gaps, learn):
        sub.add_argument("--kb", type=Path, default=None, help="FAQ folder (default: kb.path of the config)")

    coupons = commands.add_parser("coupons", help="coupons for special requests")
    coupon_commands = coupons.add_subparsers(dest="coupons_command", metavar="ACTION", required=True)
    issue = with_config(coupon_commands.add_parser(
        "issue", help="print a new code for a customer; their older codes are voided"))
    issue.add_argument("--customer", type=int, required=True, help="the customer's Telegram user id")
    issue.add_argument("--uses", type=int, default=15, help="special requests the code allows (default 15)")
    issue.add_argument("--valid-days", type=int, default=365, help="days the code is valid (default 365)")
    with_config(coupon_commands.add_parser("list", help="every code with its customer, uses left and state"))

    sla = commands.add_parser("sla", help="SLA plans and the business calendar")
    sla_commands = sla.add_subparsers(dest="sla_command", metavar="ACTION", required=True)
    explain = with_config(sla_commands.add_parser(
        "explain", help="print a ticket's first-response and resolution due times and how they were reached"
    ))
    explain.add_argument("--plan", default=None, help="plan name (default: sla.default_plan)")
    explain.add_argument("--criticality", default="normal", help="low, normal, high or critical")
    explain.add_argument("--opened", required=True, help="ISO datetime; without an offset, in the calendar's zone")
    explain.add_argument("--json", action="store_true", help="one JSON object instead of text")

    demo = commands.add_parser(
        "demo", help="run the bot against a local Bot API emulator with a scripted conversation"
    )
    demo.add_argument("--db", type=Path, default=None, help="SQLite file to use (default: a temporary one)")
    return parser


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # aiogram logs every handled update at INFO; keep the operator's log for what matters.
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _fail(message: str, code: int) -> int:
    print(f"frontdesk: {message}", file=sys.stderr)
    return code


def _load(path: Path, command: str) -> Config:
    """The config file; commands other than `run` accept a missing file (all defaults, no token)."""
    if command != "run" and not path.exists() and path == Path("config.toml"):
        return parse_config({}, source=str(path), require_token=False)
    return load_config(path, require_token=command == "run")


async def _run(config: Config) -> None:
    from frontdesk.app import Frontdesk

    app = Frontdesk(config)
    await app.start()
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    waiter = asyncio.create_task(app.wait())
    stopper = asyncio.create_task(stopping.wait())
    await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    logging.getLogger("frontdesk").info("stopping")
    await app.stop()


async def _db(config: Config, action: str) -> None:
    from storage import migrate
    from storage.database import create_engine

    engine = create_engine(config.storage.url, busy_timeout_ms=config.storage.sqlite_busy_timeout_ms)
    try:
        if action == "upgrade":
            await migrate.upgrade(engine)
        print(f"schema revision: {await migrate.current_revision(engine)} (newest: {migrate.head_revision()})")
    finally:
        await engine.dispose()


def _kb(config: Config, args: argparse.Namespace) -> int:
    from kb.commands import apply_command, check_command, search_command

    folder = args.kb or Path(config.kb.path)
    if args.kb_command == "check":
        return check_command(folder, sys.stdout)
    if args.kb_command == "search":
        queries = sys.stdin if args.query == ["-"] else [" ".join(args.query)]
        return search_command(folder, queries, as_json=args.json, settings=matcher_settings(config.kb),
                              out=sys.stdout, semantic=config.kb.semantic)
    if args.kb_command == "learn":
        if args.apply is not None:
            return apply_command(folder, args.apply, sys.stdout)
        return asyncio.run(_learn(config, folder, args.days, args.out))
    return asyncio.run(_gaps(config, args.days, args.json))


async def _read_searches(config: Config, days: int | None, read):
    """`await read(session, since)` in a session of the configured database (migrated first)."""
    from datetime import datetime, timedelta

    from storage import migrate
    from storage.database import create_engine, create_sessionmaker

    engine = create_engine(config.storage.url, busy_timeout_ms=config.storage.sqlite_busy_timeout_ms)
    try:
        await migrate.upgrade(engine)
        since = datetime.now(UTC) - timedelta(days=days) if days else None
        async with create_sessionmaker(engine)() as session:
            return await read(session, since)
    finally:
        await engine.dispose()


async def _learn(config: Config, folder: Path, days: int | None, review_file: Path) -> int:
    from desk.searches import learning_history
    from kb.commands import learn_command

    history = await _read_searches(config, days, lambda session, since: learning_history(session, since=since))
    return learn_command(folder, helped=history.helped, tickets=history.tickets, unanswered=history.unanswered,
                         review_file=review_file, out=sys.stdout)


async def _gaps(config: Config, days: int | None, as_json: bool) -> int:
    import json

    from desk.searches import deflection_rate, gaps

    async def read(session, since):
        return await gaps(session, since=since), await deflection_rate(session)

    found, (helped, total) = await _read_searches(config, days, read)
    if as_json:
        for gap in found:
            print(json.dumps({"count": gap.count, "question": gap.example, "variants": list(gap.variants)},
                             ensure_ascii=False))
        return 0
    print(f"{total} searches, {helped} answered and helped ({helped / total:.0%})" if total else "no searches yet")
    for gap in found:
        print(f"{gap.count:5}  {gap.example}")
        for variant in gap.variants[:5]:
            print(f"       ~ {variant}")
    return 0


async def _coupons(config: Config, args: argparse.Namespace) -> int:
    from datetime import datetime

    from desk import coupons
    from storage import migrate
    from storage.database import create_engine, create_sessionmaker

    engine = create_engine(config.storage.url, busy_timeout_ms=config.storage.sqlite_busy_timeout_ms)
    now = datetime.now(UTC)
    try:
        await migrate.upgrade(engine)
        async with create_sessionmaker(engine).begin() as session:
            if args.coupons_command == "issue":
                try:
                    coupon = await coupons.issue(session, args.customer, uses=args.uses,
                                                 valid_days=args.valid_days, now=now)
                except ValueError as error:
                    print(f"error: {error}", file=sys.stderr)
                    return 2
                print(coupon.code)
                return 0
            rows = await coupons.all_coupons(session)
    finally:
        await engine.dispose()
    if not rows:
        print("no coupons issued yet")
    for coupon in rows:
        state = ("voided" if coupon.voided_at else "expired" if coupon.expires_at <= now
                 else "spent" if coupon.uses_left <= 0 else "active")
        print(f"{coupon.code}  customer {coupon.customer_telegram_id}  {coupon.uses_left}/{coupon.uses_total} left  "
              f"until {coupon.expires_at:%Y-%m-%d}  {state}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command is None:
        _parser().print_help()
        return 0
    if args.command == "demo":
        from frontdesk.demo import run_demo

        _configure_logging("WARNING")
        return asyncio.run(run_demo(db_path=args.db))
    try:
        config = _load(args.config, args.command)
    except ConfigError as error:
        return _fail(str(error), EXIT_CONFIG)
    if args.command == "kb":
        return _kb(config, args)
    if args.command == "coupons":
        return asyncio.run(_coupons(config, args))
    if args.command == "sla":
        from desk.sla import sla_explain_command

        return sla_explain_command(
            config.sla, plan=args.plan or config.sla.default_plan, criticality=args.criticality,
            opened=args.opened, as_json=args.json, out=sys.stdout,
        )
    _configure_logging(config.log.level)
    from frontdesk.app import StartupError
    from storage.database import DatabaseError

    try:
        if args.command == "run":
            asyncio.run(_run(config))
        elif args.command == "db":
            asyncio.run(_db(config, args.db_command))
    except (StartupError, DatabaseError) as error:
        return _fail(str(error), EXIT_STARTUP)
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
