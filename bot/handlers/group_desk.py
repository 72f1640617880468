"""The agent group: relaying answers to customers, internal notes, card buttons, desk commands.

Only the configured agent group is a desk; these handlers do nothing anywhere else. Messages in
the group that belong to no ticket are left alone.
"""

from __future__ import annotations

import logging
import re
from html import escape

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import desk_view
from bot.attachments import incoming_of
from bot.callbacks import CardCB
from bot.outbox_worker import OutboxWorker
from bot.settings import BotConfig
from desk import lifecycle
from desk.clock import Clock
from desk.desk_chat import DeskChat
from desk.lifecycle import Actor, Incoming, Policy, Refused
from desk.numbers import NotANumber, parse_id
from desk.sla import SLA
from desk.tickets import by_desk_message, by_topic, get_ticket
from kb.base import KnowledgeBase
from kb.html_split import split_html
from kb.render import markdown_to_html

log = logging.getLogger(__name__)
CARD_NUMBER = re.compile(r"^🎫 #(\d+) ")


def refusal(error: Refused) -> str:
    return {
        "closed": _("The ticket is closed."),
        "taken_by": _("Already taken by {name}.").format(name=error.details.get("name") or "?"),
        "not_taken": _("Nobody has taken it."),
        "top_level": _("It is already at the top support level."),
    }.get(error.reason, _("Not possible now."))


async def _ticket_of(session: AsyncSession, message: Message):
    """The ticket a group message belongs to: its topic, or the card/relayed message it replies to."""
    if message.is_topic_message and message.message_thread_id:
        ticket = await by_topic(session, message.chat.id, message.message_thread_id)
        if ticket is not None:
            return ticket
    reply = message.reply_to_message
    if reply is None or (reply.forum_topic_created and message.is_topic_message):
        return None
    ticket = await by_desk_message(session, message.chat.id, reply.message_id)
    if ticket is None and reply.from_user and reply.from_user.is_bot:
        # A reply to a card sent a moment ago, before its message id was saved: the card says its number.
        found = CARD_NUMBER.match(reply.text or "")
        if found:
            ticket = await get_ticket(session, int(found.group(1)))
            if ticket is not None and ticket.card_chat_id not in (None, message.chat.id):
                ticket = None
    return ticket


def _agent(message_or_query) -> Actor:
    user = message_or_query.from_user
    return Actor(user.id, user.first_name or user.username or str(user.id))


async def agent_message(message: Message, sessionmaker: async_sessionmaker[AsyncSession], config: BotConfig,
                        clock: Clock, worker: OutboxWorker) -> None:
    """An agent writes about a ticket: a note (prefix or /note) stays here, anything else is relayed."""
    text = message.text or message.caption or ""
    incoming = incoming_of(message)
    if not text and not incoming.attachments:
        return  # service messages (topic created, members joined, ...) are nobody's answer
    is_note = text.startswith((config.desk.note_prefix, "/note"))
    if text.startswith("/") and not is_note:
        return  # a command for some other bot, or a typo: never relayed to a customer
    refused = None
    # Only the database inside the write transaction; Telegram is answered after it.
    async with sessionmaker.begin() as session:
        ticket = await _ticket_of(session, message)
        if ticket is None:
            return
        agent = _agent(message)
        try:
            if is_note:
                await lifecycle.note(session, ticket, agent, incoming, clock.now())
            else:
                signature = agent.name if config.desk.agent_signature == "first_name" else config.desk.team_name
                await lifecycle.support_writes(session, ticket, agent, incoming, clock.now(), signature=signature)
        except Refused as error:
            refused = error
    if refused is not None:
        await message.reply(refusal(refused) + " " + _("The message was not sent to the customer."))
        return
    worker.wake()


async def faq_command(message: Message, command: CommandObject, sessionmaker: async_sessionmaker[AsyncSession],
                      config: BotConfig, clock: Clock, worker: OutboxWorker, kb: KnowledgeBase) -> None:
    """`/faq ID` in a ticket's thread: send that FAQ entry's answer to the customer as support's."""
    entry_id = (command.args or "").strip()
    entry = kb.get(entry_id) if entry_id else None
    answer = None
    async with sessionmaker.begin() as session:
        ticket = await _ticket_of(session, message)
        if ticket is None:
            answer = _("Use /faq ID in a ticket's topic, or as a reply to its card.")
        elif entry is None:
            answer = _("There is no FAQ entry «{id}». `frontdesk kb search` finds entries.").format(id=escape(entry_id))
        else:
            html = f"<b>{escape(entry.title)}</b>\n\n{markdown_to_html(entry.answer)}"
            incoming = Incoming(chat_id=message.chat.id, message_id=message.message_id, text=entry.answer, html=html)
            agent = _agent(message)
            signature = agent.name if config.desk.agent_signature == "first_name" else config.desk.team_name
            try:
                await lifecycle.support_writes(session, ticket, agent, incoming, clock.now(), signature=signature)
            except Refused as error:
                answer = refusal(error)
    if answer is not None:
        await message.reply(answer)
        return
    worker.wake()
    await message.reply(_("The FAQ answer «{title}» is on its way to the customer.").format(title=escape(entry.title)))


async def card_button(query: CallbackQuery, callback_data: CardCB, sessionmaker: async_sessionmaker[AsyncSession],
                      clock: Clock, worker: OutboxWorker, policy: Policy) -> None:
    agent = _agent(query)
    now = clock.now()
    actions = {
        "take": lambda session, ticket: lifecycle.take(session, ticket, agent, now),
        "release": lambda session, ticket: lifecycle.release(session, ticket, agent, now),
        "priority": lambda session, ticket: lifecycle.toggle_priority(session, ticket, now),
        "escalate": lambda session, ticket: lifecycle.escalate(session, ticket, agent, now),
        "waiting": lambda session, ticket: lifecycle.set_waiting(session, ticket, now, policy),
        "resolve": lambda session, ticket: lifecycle.resolve(session, ticket, now, policy),
        "close": lambda session, ticket: lifecycle.close(session, ticket, agent, now, by_customer=False),
    }
    action = actions.get(callback_data.action)
    problem = None if action else _("This button is out of date.")
    if action is not None:
        async with sessionmaker.begin() as session:
            ticket = await get_ticket(session, callback_data.ticket, for_update=True)
            if ticket is None or ticket.card_chat_id != query.message.chat.id:
                problem = _("No such ticket here.")
            else:
                try:
                    await action(session, ticket)
                except Refused as error:
                    problem = refusal(error)
    if problem is not None:
        await query.answer(problem, show_alert=True)
        return
    await query.answer(_("Done."))
    worker.wake()


async def queue_command(message: Message, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> None:
    async with sessionmaker() as session:
        text = await desk_view.queue_text(session, clock.now())
    for chunk in split_html(text):  # a long queue is several messages, never one Telegram refuses
        await message.reply(chunk)


async def ticket_command(message: Message, command: CommandObject, sessionmaker: async_sessionmaker[AsyncSession],
                         clock: Clock, config: BotConfig, sla: SLA) -> None:
    written = (command.args or "").strip()
    try:
        number = parse_id(written)
    except NotANumber:
        await message.reply(_("Usage: /ticket NUMBER"))
        return
    text = None
    if number is not None:
        async with sessionmaker() as session:
            text = await desk_view.ticket_text(session, number, clock.now(), config, sla)
    await message.reply(text or _("There is no ticket #{number}.").format(number=escape(written.lstrip("#"))))


async def find_command(
    message: Message, command: CommandObject, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    needle = (command.args or "").strip()
    if not needle:
        await message.reply(_("Usage: /find TEXT"))
        return
    async with sessionmaker() as session:
        await message.reply(await desk_view.find_text(session, needle))


async def stats_command(message: Message, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with sessionmaker() as session:
        await message.reply(await desk_view.stats_text(session))


async def group_migrated(message: Message, sessionmaker: async_sessionmaker[AsyncSession],
                         desk_chat: DeskChat) -> None:
    """The agent group became a supergroup: follow it to its new id."""
    async with sessionmaker.begin() as session:
        await desk_chat.migrated(session, message.migrate_to_chat_id)
    log.warning("the agent group was upgraded to a supergroup: now %s", message.migrate_to_chat_id)


def build_router(desk_chat: DeskChat) -> Router:
    """A new router with this module's handlers, for the agent group only."""
    router = Router(name="group_desk")
    in_desk = F.chat.func(lambda chat: desk_chat.is_desk(chat.id))
    router.message.filter(in_desk)
    router.callback_query.filter(F.message.chat.func(lambda chat: desk_chat.is_desk(chat.id)))
    router.message.register(group_migrated, F.migrate_to_chat_id)
    router.message.register(queue_command, Command("queue"))
    router.message.register(ticket_command, Command("ticket"))
    router.message.register(find_command, Command("find"))
    router.message.register(stats_command, Command("stats"))
    router.message.register(faq_command, Command("faq"))
    router.message.register(agent_message, ~F.from_user.is_bot)
    router.callback_query.register(card_button, CardCB.filter())
    return router
