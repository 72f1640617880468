"""The `frontdesk` command line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import re
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from frontdesk.config import Config, ConfigError, load_config, parse_config

if TYPE_CHECKING:
    from storage.database import Sessions

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

    run = with_config(commands.add_parser(
        "run", help="run the bot (long polling, or a webhook server with telegram.mode = \"webhook\")"))
    run.add_argument("--listen", default=None, metavar="HOST:PORT",
                     help="webhook mode: listen here instead of telegram.webhook_listen (one port per process)")
    run.add_argument("--set-webhook", action="store_true",
                     help="webhook mode: register the webhook at start (default: `frontdesk webhook set` does, once)")

    hook = commands.add_parser("webhook", help="the webhook registered at Telegram (webhook mode)")
    hook_commands = hook.add_subparsers(dest="webhook_command", metavar="ACTION", required=True)
    with_config(hook_commands.add_parser(
        "set", help="register telegram.webhook_url with the secret and the update kinds the bot handles"))
    with_config(hook_commands.add_parser(
        "info", help="print what Telegram has: url, pending_update_count, last_error"))
    delete = with_config(hook_commands.add_parser("delete", help="remove the webhook (the bot may poll again)"))
    delete.add_argument("--drop-pending-updates", action="store_true",
                        help="also forget the updates Telegram still holds for the bot")

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    with_config(db_commands.add_parser("upgrade", help="apply every pending migration"))
    with_config(db_commands.add_parser("current", help="print the schema revision"))
    backup = with_config(db_commands.add_parser(
        "backup", help="copy the SQLite database to FILE, safely while the bot runs (PostgreSQL: use pg_dump)"))
    backup.add_argument("file", type=Path, help="where to write the copy")
    backup.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")

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

    templates = commands.add_parser("templates", help="the agents' templates (canned replies)")
    template_commands = templates.add_subparsers(dest="templates_command", metavar="ACTION", required=True)
    templates_check = with_config(template_commands.add_parser(
        "check", help="validate every template file: list the problems and exit 1, or print the count"))
    templates_check.add_argument("--path", type=Path, default=None,
                                 help="templates folder (default: the templates folder in kb.path of the config)")

    coupons = commands.add_parser("coupons", help="coupons for special requests")
    coupon_commands = coupons.add_subparsers(dest="coupons_command", metavar="ACTION", required=True)
    issue = with_config(coupon_commands.add_parser(
        "issue", help="print a new code for a customer; their older codes are voided"))
    issue.add_argument("--customer", type=int, required=True, help="the customer's Telegram user id")
    issue.add_argument("--uses", type=int, default=15, help="special requests the code allows (default 15)")
    issue.add_argument("--valid-days", type=int, default=365, help="days the code is valid (default 365)")
    with_config(coupon_commands.add_parser("list", help="every code with its customer, uses left and state"))

    export = with_config(commands.add_parser(
        "export", help="write tickets, messages, ratings and searches as CSV or JSON Lines files"))
    export.add_argument("--format", choices=("csv", "jsonl"), default="csv", help="file format (default csv)")
    export.add_argument("--from", dest="start", default=None, help="first day, YYYY-MM-DD (in sla.timezone)")
    export.add_argument("--to", dest="end", default=None, help="last day, YYYY-MM-DD, included")
    export.add_argument("--out", type=Path, default=Path("export"), help="folder to write to (default ./export)")
    export.add_argument("--with-notes", action="store_true", help="include the agents' internal notes")
    doctor = with_config(commands.add_parser(
        "doctor", help="check the setup (token, agent group, rights, topics, privacy, webhook, database, FAQ)"))
    doctor.add_argument("--json", action="store_true", help="one JSON object instead of text")
    report = with_config(commands.add_parser(
        "report", help="the desk's numbers for a period; --html writes a page with charts"))
    report.add_argument("--from", dest="start", default=None, help="first day, YYYY-MM-DD (default: 6 days ago)")
    report.add_argument("--to", dest="end", default=None, help="last day, YYYY-MM-DD, included (default: today)")
    report.add_argument("--html", type=Path, default=None, help="also write a self-contained HTML page here")
    forget = with_config(commands.add_parser(
        "forget", help="erase one customer's personal data; anonymous counts stay for the reports"))
    forget.add_argument("--customer", type=int, required=True, help="the customer's Telegram user id")
    forget.add_argument("--yes", action="store_true", help="do not ask for confirmation")

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
    """The config file; commands other than `run` and `webhook` accept a missing file (all
    defaults, no token)."""
    needs_token = command in ("run", "webhook")
    if not needs_token and not path.exists() and path == Path("config.toml"):
        return parse_config({}, source=str(path), require_token=False)
    return load_config(path, require_token=needs_token)


async def _run(config: Config, set_webhook: bool) -> None:
    from frontdesk.startup import open_faq

    kb = open_faq(config)  # before the bot's modules are imported: see frontdesk.startup
    from frontdesk.app import Frontdesk

    app = Frontdesk(config, set_webhook=set_webhook, kb=kb)
    await app.start()
    # What start-up built (aiogram's types and schemas, the FAQ index, the ORM's mappers) lives as
    # long as the process: frozen, no garbage collection walks it again (a full one took ~0.3 s).
    gc.collect()
    gc.freeze()
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    waiter = asyncio.create_task(app.wait())
    stopper = asyncio.create_task(stopping.wait())
    await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    if stopping.is_set():
        # SIGTERM or Ctrl-C: drain first (a second signal stops at once).
        hurry = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, hurry.set)
        draining = asyncio.create_task(app.drain(config.telegram.drain_seconds))
        hurrying = asyncio.create_task(hurry.wait())
        await asyncio.wait({draining, hurrying}, return_when=asyncio.FIRST_COMPLETED)
        if not draining.done():
            logging.getLogger("frontdesk").warning("second signal: stopping without finishing the drain")
            draining.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await draining
        hurrying.cancel()
    waiter.cancel()
    logging.getLogger("frontdesk").info("stopping")
    await app.stop()


async def _webhook(config: Config, action: str, drop_pending: bool) -> int:
    from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramUnauthorizedError

    from bot.factory import build_bot
    from frontdesk import webhook

    if action == "set":
        try:
            webhook.check(config.telegram)
        except webhook.WebhookConfigError as error:
            return _fail(str(error), EXIT_CONFIG)
    bot = build_bot(config)
    api = config.telegram.api_base
    try:
        if action == "set":
            kinds = webhook.used_update_types(config.desk.agent_chat_id)
            await webhook.register(bot, config.telegram, kinds)
            print(f"webhook set: {config.telegram.webhook_url} (updates: {', '.join(kinds)})")
        elif action == "info":
            print("\n".join(webhook.describe(await bot.get_webhook_info(request_timeout=15))))
        else:
            await bot.delete_webhook(drop_pending_updates=drop_pending)
            print("webhook deleted" + (" with the updates Telegram held" if drop_pending else ""))
    except TelegramUnauthorizedError:
        return _fail(f"the Bot API at {api} rejected the token (401 Unauthorized): check telegram.token",
                     EXIT_STARTUP)
    except TelegramNetworkError as error:
        return _fail(f"cannot reach the Bot API at {api}: {error.message}", EXIT_STARTUP)
    except TelegramAPIError as error:
        return _fail(f"the Bot API at {api} refused {action} webhook: {error.message}", EXIT_STARTUP)
    finally:
        await bot.session.close()
    return 0


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
        return search_command(folder, queries, as_json=args.json, settings=config.kb.matcher(),
                              out=sys.stdout, semantic=config.kb.semantic,
                              index_file=config.kb.index_file or None)
    if args.kb_command == "learn":
        if args.apply is not None:
            return apply_command(folder, args.apply, sys.stdout)
        return asyncio.run(_learn(config, folder, args.days, args.out))
    return asyncio.run(_gaps(config, args.days, args.json))


def _templates(config: Config, args: argparse.Namespace) -> int:
    from kb.commands import templates_check_command
    from kb.loader import TEMPLATES_FOLDER

    return templates_check_command(args.path or Path(config.kb.path) / TEMPLATES_FOLDER, sys.stdout)


@contextlib.asynccontextmanager
async def _database(config: Config) -> AsyncIterator[Sessions]:
    """The configured database, migrated to the newest schema, for one command; closed after it."""
    from storage import migrate
    from storage.database import create_engine, create_sessionmaker

    engine = create_engine(config.storage.url, busy_timeout_ms=config.storage.sqlite_busy_timeout_ms)
    try:
        await migrate.upgrade(engine)
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


async def _read_searches(config: Config, days: int | None, read):
    """`await read(session, since)` in a session of the configured database (migrated first)."""
    since = datetime.now(UTC) - timedelta(days=days) if days else None
    async with _database(config) as sessions, sessions() as session:
        return await read(session, since)


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
    from desk import coupons

    now = datetime.now(UTC)
    async with _database(config) as sessions, sessions.begin() as session:
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
    if not rows:
        print("no coupons issued yet")
    for coupon in rows:
        state = ("voided" if coupon.voided_at else "expired" if coupon.expires_at <= now
                 else "spent" if coupon.uses_left <= 0 else "active")
        print(f"{coupon.code}  customer {coupon.customer_telegram_id}  {coupon.uses_left}/{coupon.uses_total} left  "
              f"until {coupon.expires_at:%Y-%m-%d}  {state}")
    return 0


def _period(config: Config, start: str | None, end: str | None):
    """--from/--to days in the desk's time zone, as a [start, end) period."""
    from zoneinfo import ZoneInfo

    from desk.export import Period

    def day(value: str | None, flag: str) -> date | None:
        try:
            return date.fromisoformat(value) if value else None
        except ValueError:
            raise ValueError(f"{flag}: expected a day like 2026-03-01, got {value!r}") from None

    return Period.days(day(start, "--from"), day(end, "--to"), ZoneInfo(config.sla.timezone))


async def _export(config: Config, args: argparse.Namespace) -> int:
    from desk import export

    try:
        period = _period(config, args.start, args.end)
    except ValueError as error:
        return _fail(str(error), EXIT_CONFIG)
    async with _database(config) as sessions, sessions() as session:
        rows = await export.collect(session, period, with_notes=args.with_notes)
    for path, count in export.write(rows, args.out, args.format):
        print(f"{path}: {count} rows")
    return 0


async def _doctor(config: Config, json_output: bool) -> int:
    from bot import doctor
    from bot.factory import build_bot

    if not config.token:
        checks = [doctor.fail("token", "telegram.token is not set",
                              "put the token from @BotFather into telegram.token (or FRONTDESK_TELEGRAM_TOKEN)")]
        checks += [await doctor.database_check(config), *doctor.local_checks(config, datetime.now(UTC))]
    else:
        bot = build_bot(config)
        try:
            checks = await doctor.diagnose(config, bot)
        finally:
            await bot.session.close()
    seen = await _seen_groups(config)
    if json_output:
        print(doctor.as_json(checks, seen))
    else:
        print(doctor.render(checks), end="")
        if seen:
            print("groups the bot has been added to (the agents' group goes into desk.agent_chat_id):")
        for group in seen:
            print(f"  {group.chat_id}  «{group.title}»  {group.kind}{', topics on' if group.forum else ''}, "
                  f"the bot: {group.status}, last seen {group.seen_at:%Y-%m-%d %H:%M} UTC")
    return 0 if all(check.status != doctor.FAIL for check in checks) else 1


async def _seen_groups(config: Config) -> list:
    """The groups the bot was added to, as remembered in the database (none if it cannot be read)."""
    from desk import groups
    from storage.database import DatabaseError, create_engine, create_sessionmaker

    try:
        engine = create_engine(config.storage.url, busy_timeout_ms=config.storage.sqlite_busy_timeout_ms)
    except DatabaseError:
        return []
    try:
        async with create_sessionmaker(engine)() as session:
            return await groups.seen(session)
    except Exception:  # not migrated, unreachable: the database check above already says so
        return []
    finally:
        await engine.dispose()


async def _report(config: Config, args: argparse.Namespace) -> int:
    from zoneinfo import ZoneInfo

    from desk import analytics

    zone = ZoneInfo(config.sla.timezone)
    now = datetime.now(UTC)
    end = args.end or now.astimezone(zone).date().isoformat()
    start = args.start or (now.astimezone(zone).date() - timedelta(days=6)).isoformat()
    try:
        period = _period(config, start, end)
    except ValueError as error:
        return _fail(str(error), EXIT_CONFIG)
    async with _database(config) as sessions, sessions() as session:
        built = await analytics.build(session, period, zone, now)
    from bot import report_view as render

    print(render.text(built), end="")
    if args.html is not None:
        args.html.write_text(render.page(built), encoding="utf-8")
        print(f"written: {args.html}")
    return 0


async def _forget(config: Config, telegram_id: int) -> int:
    from desk.privacy import forget_customer

    async with _database(config) as sessions, sessions.begin() as session:
        done = await forget_customer(session, telegram_id, datetime.now(UTC))
    if config.storage.fsm_url:
        await _forget_redis_state(config.storage.fsm_url, telegram_id)
    if done is None:
        return _fail(f"no customer with Telegram id {telegram_id}", EXIT_STARTUP)
    print(f"customer {telegram_id} forgotten (now customer {done.pseudonym}): {done.tickets} tickets, "
          f"{done.messages} messages, {done.files} files and {done.searches} searches kept without personal data")
    return 0


async def _forget_redis_state(url: str, telegram_id: int) -> None:
    """The person's conversation state kept in Redis (aiogram's keys: fsm:<bot>:<chat>:<user>:...)."""
    from redis.asyncio import Redis

    redis = Redis.from_url(url)
    try:
        keys = [key async for key in redis.scan_iter(match=f"fsm:*:{telegram_id}:{telegram_id}:*")]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()


def _confirmed(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


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
    if args.command == "templates":
        return _templates(config, args)
    if args.command == "webhook":
        # The Bot API's retries stay quiet: what failed in the end is the one line of `_fail`.
        _configure_logging("ERROR")
        return asyncio.run(_webhook(config, args.webhook_command, getattr(args, "drop_pending_updates", False)))
    if args.command == "coupons":
        return asyncio.run(_coupons(config, args))
    if args.command == "export":
        return asyncio.run(_export(config, args))
    if args.command == "doctor":
        return asyncio.run(_doctor(config, args.json))
    if args.command == "report":
        return asyncio.run(_report(config, args))
    if args.command == "forget":
        if not args.yes and not _confirmed(f"Erase every personal detail of customer {args.customer}? "
                                           "This cannot be undone."):
            return _fail("not confirmed: nothing erased (pass --yes to confirm without a terminal)", EXIT_CONFIG)
        return asyncio.run(_forget(config, args.customer))
    if args.command == "db" and args.db_command == "backup":
        from storage.backup import BackupError, backup_sqlite

        try:
            done = backup_sqlite(config.storage.url, args.file, overwrite=args.overwrite)
        except BackupError as error:
            return _fail(str(error), EXIT_STARTUP)
        print(f"backed up to {done.target}: {done.size} bytes, {done.pages} pages, {done.tickets} tickets; "
              "integrity check ok")
        return 0
    if args.command == "sla":
        from desk.sla import sla_explain_command

        return sla_explain_command(
            config.sla, plan=args.plan or config.sla.default_plan, criticality=args.criticality,
            opened=args.opened, as_json=args.json, out=sys.stdout,
        )
    if args.command == "run" and args.listen is not None:
        if not re.fullmatch(r"[^:\s]+:\d{1,5}", args.listen):
            return _fail(f"--listen: expected HOST:PORT, got {args.listen!r}", EXIT_CONFIG)
        config = config.model_copy(update={"telegram": config.telegram.model_copy(
            update={"webhook_listen": args.listen})})
    _configure_logging(config.log.level)
    from frontdesk.startup import StartupError
    from storage.database import DatabaseError

    try:
        if args.command == "run":
            asyncio.run(_run(config, args.set_webhook))
        elif args.command == "db":
            asyncio.run(_db(config, args.db_command))
    except (StartupError, DatabaseError) as error:
        return _fail(str(error), EXIT_STARTUP)
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
