"""The running application: database, bot, dispatcher and polling, started and stopped as one."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import TYPE_CHECKING

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramUnauthorizedError
from aiogram.types import User
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import doctor
from bot.commands import register_commands
from bot.factory import build_bot, build_dispatcher
from bot.i18n import build_i18n
from bot.metrics import Metrics
from bot.metrics import serve as metrics_server
from bot.outbox_worker import OutboxWorker
from bot.update_intake import TolerantRequestHandler
from desk import outbox
from desk.clock import Clock, SystemClock
from desk.desk_chat import DeskChat
from desk.sla import SLA
from frontdesk import webhook
from frontdesk.config import Config
from frontdesk.health import HEALTH_PATH, Health
from frontdesk.scheduler import Scheduler
from frontdesk.startup import StartupError, open_faq, release_freed_memory
from kb.base import KnowledgeBase
from storage import migrate
from storage.database import create_engine, create_sessionmaker, is_sqlite
from storage.fsm import SQLAlchemyStorage

if TYPE_CHECKING:
    from bot.shared_limits import SharedLimits

log = logging.getLogger(__name__)


class Frontdesk:
    """Everything `frontdesk run` starts. Tests start and stop it the same way, any number of times."""

    def __init__(self, config: Config, *, clock: Clock | None = None, set_webhook: bool = False,
                 kb: KnowledgeBase | None = None) -> None:
        self.config = config
        # The FAQ, when the caller opened it already (`frontdesk run` does, before importing the bot:
        # see `frontdesk.startup`); used by the first start, a later one opens the folder again.
        self._opened_kb = kb
        self.clock = clock or SystemClock()
        # Webhook mode: register the webhook at start too (`frontdesk run --set-webhook`); by default
        # the deploy does it once (`frontdesk webhook set`), so replicas never race to.
        self.set_webhook = set_webhook
        self.health: Health | None = None
        # Webhook POSTs being handled now, and an event set whenever there are none.
        self._requests = 0
        self._no_requests = asyncio.Event()
        self._no_requests.set()
        self.engine: AsyncEngine | None = None
        self.bot: Bot | None = None
        self.dispatcher: Dispatcher | None = None
        self.me: User | None = None
        self.kb: KnowledgeBase | None = None
        self.scheduler: Scheduler | None = None
        self.worker: OutboxWorker | None = None
        self.shared: SharedLimits | None = None
        self._polling: asyncio.Task | None = None
        self._background: list[asyncio.Task] = []
        self._web = None
        self.metrics = Metrics()
        self._metrics_web = None

    async def start(self) -> None:
        """Open the FAQ and the database (migrating it), check the Bot API, open the listening
        sockets; then start receiving updates, the outbox worker, the scheduler and the FAQ watch.
        Any failure before that is one StartupError line, with everything opened closed again."""
        try:
            self._open_kb()
            await self._open_database()
            self.health = Health(self.engine, self.config.storage.fsm_url)
            await self._connect_bot()
            if self.config.telegram.mode == "webhook":
                await self._serve_webhook()
            if self.config.metrics.listen:
                self._metrics_web = await self._listen(
                    "metrics.listen", metrics_server(self.metrics, self.config.metrics.listen))
        except BaseException:
            await self.stop()
            raise
        if self.config.telegram.mode != "webhook":
            self._polling = asyncio.create_task(self._poll(), name="frontdesk-polling")
        self._background.append(asyncio.create_task(self.worker.run(), name="frontdesk-outbox"))
        self.scheduler.start()
        if self.config.kb.watch:
            self._background.append(asyncio.create_task(self._watch_kb(), name="frontdesk-kb-watch"))

    @staticmethod
    async def _listen(key: str, opening):
        """Await a server's start; a port already taken is one line naming the config key."""
        try:
            return await opening
        except OSError as error:
            raise StartupError(f"{key}: cannot listen there: {error.strerror or error}") from None

    def _open_kb(self) -> None:
        self.kb, self._opened_kb = self._opened_kb or open_faq(self.config), None

    async def _watch_kb(self) -> None:
        def report(errors) -> None:
            log.info("FAQ reloaded: %d entries, %d errors", len(self.kb), len(errors))
            for error in errors:
                log.warning("FAQ: %s", error)
            release_freed_memory()  # what the old index and the build held

        await self.kb.watch(report)

    async def _open_database(self) -> None:
        self.engine = create_engine(
            self.config.storage.url, busy_timeout_ms=self.config.storage.sqlite_busy_timeout_ms
        )
        try:
            await migrate.upgrade(self.engine)
        except Exception as error:
            log.debug("migration failed", exc_info=True)
            first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
            raise StartupError(f"storage.url: cannot open or migrate the database: {first_line}") from None

    async def _connect_bot(self) -> None:
        self.shared = self._shared_limits()
        self.bot = build_bot(self.config, self.metrics, self.shared)
        api = self.config.telegram.api_base
        try:
            self.me = await self.bot.get_me(request_timeout=15)
        except TelegramUnauthorizedError:
            raise StartupError(
                f"the Bot API at {api} rejected the token (401 Unauthorized): check telegram.token"
            ) from None
        except TelegramNetworkError as error:
            raise StartupError(f"cannot reach the Bot API at {api}: {error.message}") from None
        except TelegramAPIError as error:
            raise StartupError(f"the Bot API at {api} refused getMe: {error.message}") from None
        sessionmaker = create_sessionmaker(self.engine)
        i18n = build_i18n(self.config.i18n.default_language)
        sla = SLA(self.config.sla)
        self.desk_chat = DeskChat(self.config.desk.agent_chat_id)
        async with sessionmaker.begin() as session:
            await self.desk_chat.load(session)
            if is_sqlite(self.config.storage.url):
                # The embedded default runs one process: what it was sending when it stopped goes again.
                await outbox.release_all_sending(session)
        self.worker = OutboxWorker(self.bot, sessionmaker, self.clock, self.config, sla, i18n, self.desk_chat,
                                   self.metrics, self.kb)
        # Whatever a transaction queued goes out as soon as it commits.
        outbox.wake_after_commit(sessionmaker, self.worker.wake)
        self.scheduler = Scheduler(sessionmaker, sla, self.config.scheduler, self.clock,
                                   retention_days=self.config.retention.closed_days,
                                   metrics=self.metrics)
        fsm_storage, isolation = self._fsm_storage(sessionmaker)
        self.dispatcher = build_dispatcher(
            config=self.config,
            sessionmaker=sessionmaker,
            fsm_storage=fsm_storage,
            events_isolation=isolation,
            i18n=i18n,
            clock=self.clock,
            sla=sla,
            kb=self.kb,
            desk_chat=self.desk_chat,
            worker=self.worker,
            metrics=self.metrics,
            shared=self.shared,
        )
        await register_commands(self.bot, i18n)
        await self._doctor()
        log.info("connected to the Bot API at %s as @%s", api, self.me.username)

    async def _doctor(self) -> None:
        """The doctor's Telegram checks at start: what is wrong is logged with its fix, and the bot
        starts anyway (a fixed group right needs no restart). With --set-webhook the webhook is set next."""
        registering = self.config.telegram.mode == "webhook" and self.set_webhook
        checks = await doctor.telegram_checks(self.bot, self.config, webhook=not registering, me=self.me)
        for check in checks:
            if check.status != doctor.OK:
                log.warning("setup: %s: %s (fix: %s)", check.name, check.detail, check.fix)

    def _fsm_storage(self, sessionmaker):
        """Conversation state in the database (default), or in Redis with a per-chat lock shared by
        every bot process, so updates of one chat are handled in order whichever process gets them;
        the lock is a lease renewed while held, so a killed process's locks expire within it."""
        url = self.config.storage.fsm_url
        if not url:
            # The embedded SQLite default is one process: it may keep conversation states in memory too.
            return SQLAlchemyStorage(sessionmaker, self.clock.now, only_process=self.config.storage.one_process), None
        from aiogram.fsm.storage.base import DefaultKeyBuilder
        from aiogram.fsm.storage.redis import RedisStorage

        from storage.redis_isolation import LeaseEventIsolation  # redis-py: imported only with Redis

        storage = RedisStorage.from_url(url, key_builder=DefaultKeyBuilder(with_destiny=True))
        return storage, LeaseEventIsolation(storage.redis, storage.key_builder,
                                            lease=self.config.storage.chat_lock_lease,
                                            wait=self.config.storage.chat_lock_wait)

    def _shared_limits(self) -> SharedLimits | None:
        """With Redis, the pacer and flood control count there for all the bot's processes."""
        if not self.config.storage.fsm_url:
            return None
        from bot.shared_limits import SharedLimits  # redis-py: imported only with Redis
        from storage.redis_limits import RedisLimits

        bot_id = self.config.token.split(":", 1)[0]
        return SharedLimits(RedisLimits.from_url(self.config.storage.fsm_url, f"frontdesk:{bot_id}:"))

    async def _serve_webhook(self) -> None:
        """Listen for Telegram's POSTs (and the balancer's `/healthz`). Updates are handled before
        the answer (not in the background), so an update this process could not handle is sent
        again by Telegram; redeliveries are recognised by their update id. Several processes may
        serve one URL behind a load balancer; stopping one leaves the webhook in place for the
        others. The webhook is registered only when asked (`set_webhook`)."""
        telegram = self.config.telegram
        secret = telegram.webhook_secret.get_secret_value()
        path = webhook.listen_path(telegram)
        app = web.Application(middlewares=[self._admit])
        self.health.add_to(app)
        TolerantRequestHandler(self.dispatcher, self.bot, handle_in_background=False, secret_token=secret,
                               metrics=self.metrics).register(app, path=path)
        host, port = telegram.webhook_listen.rsplit(":", 1)
        self._web = web.AppRunner(app, access_log=None)
        await self._web.setup()
        await self._listen("telegram.webhook_listen", web.TCPSite(self._web, host, int(port)).start())
        if self.set_webhook:
            await webhook.register(self.bot, telegram, self.dispatcher.resolve_used_update_types())
            log.info("webhook registered at Telegram: %s", telegram.webhook_url)
        log.info("webhook mode: listening on %s%s for %s (health: %s/healthz)", telegram.webhook_listen, path,
                 telegram.webhook_url, telegram.webhook_listen)

    @web.middleware
    async def _admit(self, request: web.Request, handler) -> web.StreamResponse:
        """While draining, Telegram's POSTs are answered 503 (Telegram, or the balancer, sends them
        again, to another process); the ones in hand are counted so the drain can wait for them."""
        if request.path == HEALTH_PATH:
            return await handler(request)
        if self.health.draining:
            return web.Response(status=503, text="draining: this process is stopping\n")
        self._requests += 1
        self._no_requests.clear()
        try:
            return await handler(request)
        finally:
            self._requests -= 1
            if not self._requests:
                self._no_requests.set()

    async def _poll(self) -> None:
        assert self.dispatcher and self.bot
        await self.dispatcher.start_polling(
            self.bot,
            handle_signals=False,
            close_bot_session=False,
            polling_timeout=self.config.telegram.polling_timeout,
            allowed_updates=self.dispatcher.resolve_used_update_types(),
        )

    def handling(self) -> int:
        """How many updates are being handled right now (polling runs each as a task)."""
        return len(self.dispatcher._handle_update_tasks) if self.dispatcher is not None else 0

    async def busy(self) -> list[str]:
        """What the application is doing right now, one line each; empty when it is at rest:
        updates being handled, outbox rows due now that are not sent yet (queued or being sent).
        Tests and the demo wait on it rather than on the clock."""
        moving = []
        if handling := self.handling():
            moving.append(f"{handling} updates being handled")
        if self.worker is not None:
            async with self.worker.sessionmaker() as session:
                unsent = await outbox.in_progress(session, self.clock.now())
            if unsent:
                moving.append(f"{unsent} outbox rows due and not sent yet")
        return moving

    async def wait(self) -> None:
        """Run until polling ends (stop() or a fatal error); in webhook mode, until stop()."""
        if self._polling is not None:
            await self._polling
        elif self._web is not None:
            await asyncio.Event().wait()

    async def drain(self, timeout: float) -> bool:
        """The graceful stop (SIGTERM): take no more updates — `/healthz` and the webhook answer 503
        at once, polling stops — let the scheduler's sweep, the updates in hand and then the rows
        the outbox worker is sending finish, all within `timeout` seconds. What is cut short is
        not lost (an unanswered update comes again, an unsent row is given back). True when
        everything finished in time. Call `stop()` afterwards."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout

        def left() -> float:
            return max(0.0, deadline - loop.time())

        if self.health is not None:
            self.health.draining = True
        log.info("draining: taking no more updates; finishing those in hand (at most %gs)", timeout)
        finished = True
        if self.scheduler is not None:
            finished &= await self.scheduler.finish(left())
        if self._polling is not None and not self._polling.done():
            with suppress(RuntimeError):
                await self.dispatcher.stop_polling()
        in_hand = list(self.dispatcher._handle_update_tasks) if self.dispatcher is not None else []
        if in_hand:
            finished &= not (await asyncio.wait(in_hand, timeout=left()))[1]
        if not self._no_requests.is_set():
            try:
                await asyncio.wait_for(self._no_requests.wait(), left())
            except TimeoutError:
                finished = False
        if self.worker is not None:
            finished &= await self.worker.finish(left())
        if finished:
            log.info("drained: every update in hand answered, every send finished")
        else:
            log.warning("drain cut short after %gs: the updates still in hand go to Telegram again, "
                        "the rows still being sent go out again", timeout)
        return finished

    async def stop(self) -> None:
        """Stop polling, let handlers in flight finish, close the Bot API session and the database."""
        if self.scheduler is not None:
            self.scheduler.stop()
        if self.worker is not None:
            # Sends cut short here are given back at once rather than taken over later.
            await self.worker.finish(0)
        for task in self._background:
            task.cancel()
        for task in self._background:
            with suppress(asyncio.CancelledError):
                await task
        self._background = []
        if self._polling is not None and not self._polling.done():
            assert self.dispatcher
            with suppress(RuntimeError):
                await self.dispatcher.stop_polling()
            with suppress(asyncio.CancelledError):
                await self._polling
        self._polling = None
        for runner in (self._web, self._metrics_web):
            if runner is not None:
                await runner.cleanup()
        self._web = self._metrics_web = None
        self.metrics = Metrics()
        self._metrics_web = None
        if self.dispatcher is not None:
            # Handlers still running finish before the storage and the database close under them.
            in_flight = list(self.dispatcher._handle_update_tasks)
            if in_flight:
                await asyncio.wait(in_flight, timeout=10)
            await self.dispatcher.storage.close()
            await self.dispatcher.fsm.events_isolation.close()
        if self.bot is not None:
            await self.bot.session.close()
            self.bot = None
        if self.health is not None:
            await self.health.close()
            self.health = None
        if self.shared is not None:
            await self.shared.close()
            self.shared = None
        if self.engine is not None:
            await self.engine.dispose()
            self.engine = None
