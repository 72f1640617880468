"""Templates (canned replies) in the agent group: `/t ID`, `/t WORD`, the card's "📎 Templates"
and a template's button. The rules are the desk's (`desk.canned_replies`)."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot import templates_view
from bot.callbacks import TemplateAction, TemplateCB
from bot.edits import edit_text
from bot.handlers.group_desk import _agent, _place, refusal
from desk.canned_replies import CannedReplies, TemplateSent
from desk.desk_chat import DeskChat
from desk.lifecycle import Refused


def _refusal(error: Refused) -> str:
    if error.reason == "no_template":
        return _("There is no template «{words}». /t alone lists them.").format(words=escape(error.details["words"]))
    return {
        "no_ticket": _("Use /t in a ticket's topic, or as a reply to its card."),
        "no_templates": _("The desk has no templates yet: see `frontdesk templates check`."),
    }.get(error.reason) or refusal(error)


async def template_command(message: Message, command: CommandObject, canned_replies: CannedReplies) -> None:
    """`/t ID` sends that template to the ticket's customer; `/t WORD` (or `/t`) offers the
    templates found to pick from, or sends the only one."""
    try:
        used = await canned_replies.use(_place(message), _agent(message), command.args or "")
    except Refused as error:
        await message.reply(_refusal(error))
        return
    if isinstance(used, TemplateSent):
        await message.reply(templates_view.sent_text(used, _agent(message).name))
        return
    await message.reply(templates_view.choice_text(used), reply_markup=templates_view.choice_buttons(used))


async def template_button(query: CallbackQuery, callback_data: TemplateCB, canned_replies: CannedReplies) -> None:
    """The card's "📎 Templates" (the list, below the card) or a template's button (it is sent;
    the list becomes the line saying what was sent)."""
    chat_id = query.message.chat.id
    try:
        if callback_data.action == TemplateAction.LIST:
            choice = await canned_replies.choices(chat_id, callback_data.ticket)
        else:
            sent = await canned_replies.send(chat_id, query.message.message_id, callback_data.ticket,
                                             callback_data.template, _agent(query))
    except Refused as error:
        problem = _("No such ticket here.") if error.reason == "no_ticket" else _refusal(error)
        await query.answer(problem, show_alert=True)
        return
    if callback_data.action == TemplateAction.LIST:
        await query.answer()
        # Below the card: in its topic, or replying to it in a plain group.
        await query.message.reply(templates_view.choice_text(choice),
                                  reply_markup=templates_view.choice_buttons(choice))
        return
    await query.answer(_("The template «{title}» is on its way to the customer.").format(title=sent.title))
    await edit_text(query.message, templates_view.sent_text(sent, _agent(query).name), None)


def build_router(desk_chat: DeskChat) -> Router:
    """A new router with this module's handlers, for the agent group only."""
    router = Router(name="group_templates")
    router.message.filter(F.chat.func(lambda chat: desk_chat.is_desk(chat.id)))
    router.callback_query.filter(F.message.chat.func(lambda chat: desk_chat.is_desk(chat.id)))
    router.message.register(template_command, Command("t"))
    router.callback_query.register(template_button, TemplateCB.filter())
    return router
