"""One factory builds the dispatcher; `frontdesk run`, the demo and the tests all use it."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callback_answers import CallbackAnswersNeverFail
from bot.handlers import build_root_router
from bot.i18n import DeskI18nMiddleware
from bot.inline_filters import run_inline
from bot.metrics import Metrics
from bot.middlewares.admission import AdmissionMiddleware
from bot.middlewares.bans import BanGate
from bot.middlewares.customer import CustomerMiddleware
from bot.middlewares.throttle import ThrottleMiddleware
from bot.middlewares.updates import ProcessedUpdatesMiddleware
from bot.outbox_worker import OutboxWorker
from bot.replay import ReplayMiddleware
from bot.sending import HEADROOM, SHARED_HEADROOM, Pacer, Rate, SendingMiddleware, SharedPacer
from bot.settings import BotConfig
from bot.update_intake import TolerantSession
from desk.admin import Administration
from desk.agent_actions import AgentDesk
from desk.assignments import Assignments
from desk.bans import Bans
from desk.canned_replies import CannedReplies
from desk.clock import Clock
from desk.conversation import Conversation
from desk.desk_chat import DeskChat
from desk.intake import Intake
from desk.lifecycle import Policy
from desk.membership import Membership
from desk.privacy import Privacy
from desk.questions import Questions
from desk.sla import SLA
from kb.base import KnowledgeBase

if TYPE_CHECKING:
    from bot.shared_limits import SharedLimits  # its module imports redis-py: only with Redis


def build_bot(config: BotConfig, metrics: Metrics | None = None, shared: SharedLimits | None = None) -> Bot:
    """A Bot that talks to `telegram.api_base` (Telegram, a self-hosted server, or the emulator);
    with `shared`, its pacing is shared with the bot's other processes through Redis."""
    session = TolerantSession(api=TelegramAPIServer.from_base(config.telegram.api_base),
                              timeout=config.telegram.request_timeout, metrics=metrics)
    limits = config.telegram
    headroom = HEADROOM if shared is None else SHARED_HEADROOM
    pacer = (Pacer if shared is None else partial(SharedPacer, shared))(
        overall=Rate(limits.overall_per_second * headroom, 1, 1),
        private=Rate(limits.private_per_second * headroom, 1, 3),
        # No burst: Telegram counts a group's messages in any sliding minute, and a burst on top of
        # the steady rate would put more than the limit into the minute after it.
        group=Rate(limits.group_per_minute * headroom, 60, 1),
        # What may arrive together: Telegram's own count, whatever the processes' headroom.
        arrivals=Rate(limits.overall_per_second * HEADROOM, 1, 1),
    )
    # Outermost: a callback answer that still fails after the retries never aborts a handler.
    session.middleware(CallbackAnswersNeverFail())
    session.middleware(SendingMiddleware(pacer, metrics=metrics))
    return Bot(
        token=config.token,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


def build_dispatcher(
    *,
    config: BotConfig,
    sessionmaker: async_sessionmaker[AsyncSession],
    fsm_storage: BaseStorage,
    events_isolation: BaseEventIsolation | None = None,
    i18n: I18n,
    clock: Clock,
    sla: SLA,
    kb: KnowledgeBase,
    desk_chat: DeskChat,
    worker: OutboxWorker,
    metrics: Metrics,
    shared: SharedLimits | None = None,
) -> Dispatcher:
    """The dispatcher with every router and middleware, and the services as workflow data; with
    `shared`, flood control counts in Redis for all the bot's processes."""
    policy = Policy(sla, config.scheduler, config.desk.reopen_days)
    bans = Bans(sessionmaker, clock, config.desk, only_process=config.storage.one_process)
    dispatcher = Dispatcher(
        storage=fsm_storage,
        # One update at a time per chat, so a customer's messages are handled in order.
        events_isolation=events_isolation or SimpleEventIsolation(),
        config=config,
        sessionmaker=sessionmaker,
        clock=clock,
        sla=sla,
        kb=kb,
        desk_chat=desk_chat,
        worker=worker,
        metrics=metrics,
        policy=policy,
        # The use cases the handlers call (each owns its transactions).
        conversation=Conversation(sessionmaker, clock, policy, page_size=config.desk.page_size),
        privacy=Privacy(sessionmaker, clock),
        membership=Membership(sessionmaker, clock),
        intake=Intake(sessionmaker, clock, sla, config.form, config.desk.assign_cap),
        questions=Questions(sessionmaker, clock, kb, policy),
        agent_desk=AgentDesk(sessionmaker, clock, config.desk, policy, kb, desk_chat),
        administration=Administration(sessionmaker, sla, kb),
        canned_replies=CannedReplies(sessionmaker, clock, config.desk, kb),
        bans=bans,
        assignments=Assignments(sessionmaker, clock, config.desk.assign_cap),
    )
    ThrottleMiddleware(config.telegram.flood_limit, config.telegram.flood_window, i18n,
                       config.i18n.default_language, metrics, shared=shared).install(dispatcher)
    # Inside the FSM's chat lock (installed last above), before everything that reads or writes.
    dispatcher.update.outer_middleware(AdmissionMiddleware())
    # After flood control (installed above, before the FSM), before everything that records.
    dispatcher.update.outer_middleware(BanGate(bans, i18n, config.i18n.default_language))
    dispatcher.update.outer_middleware(ProcessedUpdatesMiddleware(sessionmaker, clock, metrics,
                                                                  only_process=config.storage.one_process))
    customer = CustomerMiddleware(sessionmaker, clock, config.i18n.default_language, config.desk.language)
    for observer in (dispatcher.message, dispatcher.callback_query, dispatcher.edited_message,
                     dispatcher.my_chat_member):
        observer.outer_middleware(customer)
    replay = ReplayMiddleware()
    dispatcher.message.outer_middleware(replay)
    dispatcher.callback_query.outer_middleware(replay)
    DeskI18nMiddleware(i18n).setup(dispatcher)
    dispatcher.include_router(build_root_router(desk_chat))
    run_inline(dispatcher)  # plain filters on the loop, not one thread hop per check
    return dispatcher
