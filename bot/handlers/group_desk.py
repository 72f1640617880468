"""The agent group: relaying answers to customers, internal notes, card buttons, desk commands.

Only the configured agent group is a desk; these handlers do nothing anywhere else. Messages in
the group that belong to no ticket are left alone. The rules are the desk's (`desk.agent_actions`);
a handler reads the update, calls one use case and answers.
"""

from __future__ import annotations

import logging
from html import escape

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot import desk_view
from bot.attachments import incoming_of
from bot.callbacks import CardCB, SuggestCB
from bot.card_view import card_text, customer_history_text, number_on_card
from bot.settings import BotConfig
from desk.agent_actions import AgentDesk, Place
from desk.clock import Clock
from desk.desk_chat import DeskChat
from desk.lifecycle import Actor, Refused
from desk.numbers import BIGINT_MAX, NotANumber, parse_id
from desk.sla import SLA
from kb.html_split import split_html

log = logging.getLogger(__name__)


def refusal(error: Refused) -> str:
    return {
        "closed": _("The ticket is closed."),
        "taken_by": _("Already taken by {name}.").format(name=error.details.get("name") or "?"),
        "not_taken": _("Nobody has taken it."),
        "top_level": _("It is already at the top support level."),
    }.get(error.reason, _("Not possible now."))


def _place(message: Message) -> Place:
    """What in a group message tells which ticket it is about: its topic, the message it replies to
    (not its topic's opening), and the number of a card of the bot's it replies to."""
    thread_id = message.message_thread_id if message.is_topic_message and message.message_thread_id else None
    reply = message.reply_to_message
    if reply is None or (reply.forum_topic_created and message.is_topic_message):
        return Place(message.chat.id, message.message_id, thread_id)
    card_number = number_on_card(reply.text or "") if reply.from_user and reply.from_user.is_bot else None
    return Place(message.chat.id, message.message_id, thread_id, reply.message_id, card_number)


def _agent(message_or_query) -> Actor:
    user = message_or_query.from_user
    return Actor(user.id, user.first_name or user.username or str(user.id))


async def agent_message(message: Message, agent_desk: AgentDesk) -> None:
    """An agent writes about a ticket: a note (prefix or /note) stays here, anything else is relayed."""
    try:
        await agent_desk.write(_place(message), _agent(message), incoming_of(message))
    except Refused as refused:
        await message.reply(refusal(refused) + " " + _("The message was not sent to the customer."))


async def faq_command(message: Message, command: CommandObject, agent_desk: AgentDesk) -> None:
    """`/faq ID` in a ticket's thread: send that FAQ entry's answer to the customer as support's."""
    try:
        sent = await agent_desk.send_faq(_place(message), _agent(message), (command.args or "").strip())
    except Refused as error:
        if error.reason == "no_ticket":
            await message.reply(_("Use /faq ID in a ticket's topic, or as a reply to its card."))
        elif error.reason == "no_entry":
            await message.reply(_("There is no FAQ entry «{id}». `frontdesk kb search` finds entries.").format(
                id=escape(error.details["id"])))
        else:
            await message.reply(refusal(error))
        return
    await message.reply(_("The FAQ answer «{title}» is on its way to the customer.").format(title=escape(sent.title)))


async def card_button(query: CallbackQuery, callback_data: CardCB, agent_desk: AgentDesk) -> None:
    """A button on a ticket's card: the change, or why not, as the button's answer."""
    try:
        await agent_desk.press(query.message.chat.id, callback_data.ticket, callback_data.action, _agent(query))
    except Refused as error:
        problem = {
            "unknown_change": _("This button is out of date."),
            "no_ticket": _("No such ticket here."),
        }.get(error.reason) or refusal(error)
        await query.answer(problem, show_alert=True)
        return
    await query.answer(_("Done."))


async def suggestion_button(query: CallbackQuery, callback_data: SuggestCB, agent_desk: AgentDesk) -> None:
    """A suggested FAQ answer on a card: sent to the customer as support's answer, or why not."""
    try:
        sent = await agent_desk.send_suggestion(query.message.chat.id, query.message.message_id, callback_data.ticket,
                                                callback_data.entry, callback_data.position, _agent(query))
    except Refused as error:
        problem = {
            "no_ticket": _("No such ticket here."),
            "no_entry": _("This FAQ entry is gone."),
            "not_suggested": _("This button is out of date."),
        }.get(error.reason) or refusal(error)
        await query.answer(problem, show_alert=True)
        return
    await query.answer(_("The FAQ answer «{title}» is on its way to the customer.").format(title=sent.title))


async def queue_command(message: Message, command: CommandObject, agent_desk: AgentDesk, clock: Clock) -> None:
    """`/queue`, or `/queue #TAG` for the open tickets carrying that tag."""
    tag = (command.args or "").strip()
    try:
        tickets = await agent_desk.queue(tag or None)
    except Refused:
        await message.reply(_("Usage: /queue or /queue #TAG"))
        return
    text = desk_view.show_queue(tickets, clock.now(), tag)
    for chunk in split_html(text):  # a long queue is several messages, never one Telegram refuses
        await message.reply(chunk)


async def ticket_command(message: Message, command: CommandObject, agent_desk: AgentDesk, clock: Clock,
                         config: BotConfig, sla: SLA) -> None:
    written = (command.args or "").strip()
    try:
        number = parse_id(written)
    except NotANumber:
        await message.reply(_("Usage: /ticket NUMBER"))
        return
    shown = await agent_desk.ticket_card(number) if number is not None else None
    if shown is None:
        await message.reply(_("There is no ticket #{number}.").format(number=escape(written.lstrip("#"))))
        return
    await message.reply(card_text(shown.ticket, config, sla, clock.now(), shown.context))


async def customer_command(message: Message, command: CommandObject, agent_desk: AgentDesk, config: BotConfig,
                           sla: SLA) -> None:
    """`/customer ID [PAGE]` (the Telegram id a card shows): the customer's history with the desk,
    a page of their tickets at a time."""
    written, _space, page_written = (command.args or "").strip().partition(" ")
    try:
        telegram_id = parse_id(written, BIGINT_MAX)
        page = parse_id(page_written) if page_written.strip() else 1
    except NotANumber:
        telegram_id = page = None
    if telegram_id is None or page is None:
        await message.reply(_("Usage: /customer ID [PAGE] (the id on a ticket's card)"))
        return
    found = await agent_desk.customer(telegram_id, page)
    if found is None:
        await message.reply(_("No customer with id {id} has written to the bot.").format(id=telegram_id))
        return
    for chunk in split_html(customer_history_text(found, config, sla)):
        await message.reply(chunk)


async def find_command(message: Message, command: CommandObject, agent_desk: AgentDesk) -> None:
    needle = (command.args or "").strip()
    if not needle:
        await message.reply(_("Usage: /find TEXT"))
        return
    await message.reply(desk_view.show_found(needle, await agent_desk.find(needle)))


async def stats_command(message: Message, agent_desk: AgentDesk) -> None:
    await message.reply(desk_view.show_stats(await agent_desk.stats()))


async def help_command(message: Message, config: BotConfig) -> None:
    await message.reply(desk_view.agent_help(config.desk.note_prefix))


async def group_migrated(message: Message, agent_desk: AgentDesk) -> None:
    """The agent group became a supergroup: follow it to its new id."""
    await agent_desk.follow_migration(message.migrate_to_chat_id)
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
    router.message.register(help_command, Command("help"))
    router.message.register(customer_command, Command("customer"))
    router.message.register(find_command, Command("find"))
    router.message.register(stats_command, Command("stats"))
    router.message.register(faq_command, Command("faq"))
    router.message.register(agent_message, ~F.from_user.is_bot)
    router.callback_query.register(card_button, CardCB.filter())
    router.callback_query.register(suggestion_button, SuggestCB.filter())
    return router
