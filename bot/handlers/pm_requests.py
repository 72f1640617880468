"""The customer's requests: the list, one ticket's discussion, writing to it, closing, rating,
reopening. Each handler calls one use case of `desk.conversation`, which finds only the customer's
own tickets: a forged button for another customer's ticket finds nothing and changes nothing."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot import keyboards
from bot import requests_view as view
from bot.attachments import attachment_of, incoming_of
from bot.callbacks import ListCB, MenuAction, MenuCB, StarsCB, TicketAction, TicketCB
from bot.edits import edit_markup, edit_text
from bot.filters import NOT_A_COMMAND
from bot.form_view import local_time
from bot.settings import BotConfig
from bot.states import TicketChat
from desk.conversation import Conversation, TicketShown, Written
from desk.lifecycle import Actor, Refused
from desk.sla import SLA
from desk.visible import shows_nothing


async def _leave(state: FSMContext, mode: str, number: int) -> None:
    """Out of `mode` if it is the one of ticket `number` (a stale button of another leaves it be)."""
    if await state.get_state() == mode and (await state.get_data()).get("ticket") == number:
        await state.clear()


async def _refuse(query: CallbackQuery, error: Refused, number: int) -> None:
    await query.answer(view.refusal(error.reason, number, error.details), show_alert=True)


# --- the list ----------------------------------------------------------------------------------


async def _leave_ticket_chat(state: FSMContext) -> None:
    if await state.get_state() in (TicketChat.writing.state, TicketChat.rating_comment.state):
        await state.clear()


async def requests_command(message: Message, state: FSMContext, conversation: Conversation) -> None:
    await _leave_ticket_chat(state)
    page = await conversation.requests(message.from_user.id, "all", 0)
    text, markup = view.ticket_list(page, "all")
    await message.answer(text, reply_markup=markup)


async def requests_button(query: CallbackQuery, state: FSMContext, conversation: Conversation) -> None:
    await _leave_ticket_chat(state)
    await query.answer()
    page = await conversation.requests(query.from_user.id, "all", 0)
    text, markup = view.ticket_list(page, "all")
    await query.message.answer(text, reply_markup=markup)


async def list_switched(query: CallbackQuery, callback_data: ListCB, conversation: Conversation) -> None:
    """A filter, a page, or «Back to the list»: the same message shows the new list."""
    try:
        page = await conversation.requests(query.from_user.id, callback_data.show, callback_data.page)
    except Refused:
        await query.answer(_("This button is out of date."), show_alert=True)
        return
    text, markup = view.ticket_list(page, callback_data.show)
    await query.answer()
    await edit_text(query.message, text, markup)


# --- one ticket --------------------------------------------------------------------------------


async def _show_ticket(query: CallbackQuery, shown: TicketShown, config: BotConfig, sla: SLA, language: str,
                       position: int) -> None:
    """In place of the list it was opened from; as a new message when opened from elsewhere."""
    if view.position_of(position) is None:
        position = 0
    text = view.ticket_text(shown.ticket, config.desk, sla, language)
    markup = view.ticket_buttons(shown, position)
    if position:
        await edit_text(query.message, text, markup)
    else:
        await query.message.answer(text, reply_markup=markup)


async def ticket_opened(query: CallbackQuery, callback_data: TicketCB, config: BotConfig, sla: SLA,
                        language: str, conversation: Conversation) -> None:
    try:
        shown = await conversation.ticket(query.from_user.id, callback_data.ticket)
    except Refused as error:
        await _refuse(query, error, callback_data.ticket)
        return
    await query.answer()
    await _show_ticket(query, shown, config, sla, language, callback_data.back)


# --- writing to a ticket -----------------------------------------------------------------------


async def write_button(query: CallbackQuery, callback_data: TicketCB, state: FSMContext,
                       conversation: Conversation) -> None:
    """«Write a message» in the view, or «Reply» under a relayed answer: the writing mode."""
    number = callback_data.ticket
    try:
        await conversation.start_writing(query.from_user.id, number)
    except Refused as error:
        await _refuse(query, error, number)
        return
    await state.set_state(TicketChat.writing)
    await state.set_data({"ticket": number, "acked_groups": []})
    await query.answer()
    await query.message.answer(view.writing_prompt(number))


async def _add_message(message: Message, number: int, conversation: Conversation) -> Written | Refused:
    """The message into ticket `number`'s discussion; the refusal if it cannot go there."""
    customer = Actor(message.from_user.id, message.from_user.full_name)
    try:
        return await conversation.write(customer, number, incoming_of(message))
    except Refused as error:
        return error


def _added(text: str, written: Written, number: int, sla: SLA, language: str) -> str:
    """`text`, and when the message opened a resolved ticket again, by when support will answer."""
    if written.reopened_due is None:
        return text
    return text + "\n\n" + _("Request #{number} is open again: support will answer by {when}.").format(
        number=number, when=local_time(written.reopened_due, sla, language))


async def _first_of_album(message: Message, state: FSMContext) -> bool:
    """False for the second and later items of an album (acknowledged once, on the first)."""
    group = message.media_group_id
    if not group:
        return True
    acknowledged = (await state.get_data()).get("acked_groups", [])
    if group in acknowledged:
        return False
    await state.update_data(acked_groups=[*acknowledged[-9:], group])
    return True


async def writing_message(message: Message, state: FSMContext, conversation: Conversation, sla: SLA,
                          language: str) -> None:
    number = int((await state.get_data()).get("ticket", 0))
    if attachment_of(message) is None and shows_nothing(message.text):
        await message.answer(_(
            "This cannot be added to a request. Send text, photos, documents, videos or voice messages."
        ), reply_markup=view.done_button(number))
        return
    written = await _add_message(message, number, conversation)
    if isinstance(written, Refused):
        await state.clear()
        await message.answer(view.refusal(written.reason, number, written.details), reply_markup=keyboards.main_menu())
        return
    if await _first_of_album(message, state):
        text = _("Added to request #{number}. Send more, or press «Done».").format(number=number)
        await message.answer(_added(text, written, number, sla, language), reply_markup=view.done_button(number))


async def _leave_mode(query: CallbackQuery, callback_data: TicketCB, state: FSMContext,
                      conversation: Conversation, mode: str, text: str) -> None:
    """A button that ends a mode on one of the customer's tickets, then says `text`."""
    try:
        await conversation.confirm(query.from_user.id, callback_data.ticket)
    except Refused as error:
        await _refuse(query, error, callback_data.ticket)
        return
    await _leave(state, mode, callback_data.ticket)
    await query.answer()
    await edit_text(query.message, text, None)


async def writing_done(query: CallbackQuery, callback_data: TicketCB, state: FSMContext,
                       conversation: Conversation) -> None:
    """«Done»: out of the writing mode (a stale «Done» only loses its button)."""
    await _leave_mode(query, callback_data, state, conversation, TicketChat.writing.state, _(
        "Done: your messages are in request #{number}. Support will answer in this chat."
    ).format(number=callback_data.ticket))


async def replied_ticket(message: Message, conversation: Conversation) -> dict | bool:
    """Filter: a reply to a message of one of the customer's tickets gives {"replied_ticket": number}."""
    number = await conversation.replied_ticket(message.from_user.id, message.reply_to_message.message_id)
    return {"replied_ticket": number} if number is not None else False


async def reply_to_ticket(message: Message, replied_ticket: int, state: FSMContext,
                          conversation: Conversation, sla: SLA, language: str) -> None:
    """A reply to a ticket's message goes to that ticket, even outside the writing mode."""
    if attachment_of(message) is None and shows_nothing(message.text):
        await message.answer(_(
            "This cannot be added to a request. Send text, photos, documents, videos or voice messages."
        ))
        return
    written = await _add_message(message, replied_ticket, conversation)
    if isinstance(written, Refused):
        await message.answer(view.refusal(written.reason, replied_ticket, written.details))
        return
    if await _first_of_album(message, state):
        text = _("Added to request #{number}.").format(number=replied_ticket)
        await message.answer(_added(text, written, replied_ticket, sla, language))


# --- closing -----------------------------------------------------------------------------------


async def close_button(query: CallbackQuery, callback_data: TicketCB, conversation: Conversation) -> None:
    """«Close» asks first."""
    number = callback_data.ticket
    try:
        await conversation.ask_to_close(query.from_user.id, number)
    except Refused as error:
        await _refuse(query, error, number)
        return
    await query.answer()
    text, markup = view.close_confirmation(number)
    await query.message.answer(text, reply_markup=markup)


async def close_sure_button(query: CallbackQuery, callback_data: TicketCB, conversation: Conversation) -> None:
    """«Yes, close it» closes, and offers the stars when the ticket may be rated."""
    number = callback_data.ticket
    try:
        closed = await conversation.close(Actor(query.from_user.id, query.from_user.full_name), number)
    except Refused as error:
        await _refuse(query, error, number)
        return
    await query.answer(_("Request #{number} is closed.").format(number=number))
    text = _("Request #{number} is closed. Thank you for writing to us!").format(number=number)
    if closed.can_rate:
        await edit_text(query.message, f"{text}\n\n{view.rate_prompt(number)}", view.stars(number))
    else:
        await edit_text(query.message, text, None)


async def keep_button(query: CallbackQuery, callback_data: TicketCB, conversation: Conversation) -> None:
    try:
        await conversation.confirm(query.from_user.id, callback_data.ticket)
    except Refused as error:
        await _refuse(query, error, callback_data.ticket)
        return
    await query.answer()
    await edit_text(query.message, _("Request #{number} stays open.").format(number=callback_data.ticket), None)


# --- rating ------------------------------------------------------------------------------------


async def rate_button(query: CallbackQuery, callback_data: TicketCB, conversation: Conversation) -> None:
    """«Rate» shows the stars."""
    number = callback_data.ticket
    try:
        await conversation.ask_to_rate(query.from_user.id, number)
    except Refused as error:
        await _refuse(query, error, number)
        return
    await query.answer()
    await query.message.answer(view.rate_prompt(number), reply_markup=view.stars(number))


async def star_button(query: CallbackQuery, callback_data: StarsCB, state: FSMContext,
                      conversation: Conversation) -> None:
    """A star (1–5) rates; then a comment may follow."""
    number, score = callback_data.ticket, callback_data.stars
    try:
        await conversation.rate(query.from_user.id, number, score)
    except Refused as error:
        await _refuse(query, error, number)
        return
    await query.answer()
    # The stars go; the message they stood under (a relayed answer, perhaps) stays as it was.
    if isinstance(query.message, Message):
        await edit_markup(query.message, view.without_stars(query.message.reply_markup))
    if await state.get_state() not in (None, TicketChat.writing.state, TicketChat.rating_comment.state):
        # In the middle of something else (a new request's form): no comment, nothing of it lost.
        await query.message.answer(_("Thank you for rating request #{number}!").format(number=number))
        return
    await state.set_state(TicketChat.rating_comment)
    await state.set_data({"ticket": number})
    await query.message.answer(_(
        "Thank you! You rated request #{number}: {stars}.\n\n"
        "If you like, write a comment in one message, or press «Skip»."
    ).format(number=number, stars="⭐" * score), reply_markup=view.skip_button(number))


async def rating_comment_entered(message: Message, state: FSMContext, conversation: Conversation) -> None:
    number = int((await state.get_data()).get("ticket", 0))
    comment = message.text.strip()
    if shows_nothing(comment):
        await rating_comment_not_text(message, state)
        return
    try:
        await conversation.comment_rating(message.from_user.id, number, comment)
    except Refused as error:
        if error.reason == "too_long":  # still in the mode: the customer may shorten it
            await message.answer(view.refusal(error.reason, number, error.details),
                                 reply_markup=view.skip_button(number))
            return
        await state.clear()
        await message.answer(view.refusal(error.reason, number, error.details))
        return
    await state.clear()
    await message.answer(_("Thank you! Your comment is saved with request #{number}.").format(number=number),
                         reply_markup=keyboards.main_menu())


async def rating_comment_not_text(message: Message, state: FSMContext) -> None:
    number = int((await state.get_data()).get("ticket", 0))
    await message.answer(_("Please write the comment as a text message, or press «Skip»."),
                         reply_markup=view.skip_button(number))


async def skip_button(query: CallbackQuery, callback_data: TicketCB, state: FSMContext,
                      conversation: Conversation) -> None:
    await _leave_mode(query, callback_data, state, conversation, TicketChat.rating_comment.state,
                      _("Thank you for rating request #{number}!").format(number=callback_data.ticket))


# --- reopening ---------------------------------------------------------------------------------


async def reopen_button(query: CallbackQuery, callback_data: TicketCB, config: BotConfig, sla: SLA,
                        language: str, conversation: Conversation) -> None:
    number = callback_data.ticket
    try:
        shown = await conversation.reopen(query.from_user.id, number)
    except Refused as error:
        await _refuse(query, error, number)
        return
    await query.answer(_("Request #{number} is open again.").format(number=number))
    await _show_ticket(query, shown, config, sla, language, callback_data.back)


# --- anything else -----------------------------------------------------------------------------


async def stale_button(query: CallbackQuery) -> None:
    """A ticket or list button with an unknown action or data that does not parse."""
    await query.answer(_("This button is out of date."), show_alert=True)


def build_router() -> Router:
    """A new router with this module's handlers (each dispatcher gets its own)."""
    router = Router(name="pm_requests")
    router.message.register(requests_command, Command("requests"))
    router.callback_query.register(requests_button, MenuCB.filter(F.action == MenuAction.MINE))
    router.callback_query.register(list_switched, ListCB.filter())
    router.callback_query.register(ticket_opened, TicketCB.filter(F.action == TicketAction.VIEW))
    router.callback_query.register(write_button,
                                   TicketCB.filter(F.action.in_({TicketAction.WRITE, TicketAction.REPLY})))
    router.callback_query.register(writing_done, TicketCB.filter(F.action == TicketAction.DONE))
    router.callback_query.register(close_button, TicketCB.filter(F.action == TicketAction.CLOSE))
    router.callback_query.register(close_sure_button, TicketCB.filter(F.action == TicketAction.CLOSE_SURE))
    router.callback_query.register(keep_button, TicketCB.filter(F.action == TicketAction.KEEP))
    router.callback_query.register(rate_button, TicketCB.filter(F.action == TicketAction.RATE))
    router.callback_query.register(star_button, StarsCB.filter())
    router.callback_query.register(skip_button, TicketCB.filter(F.action == TicketAction.SKIP))
    router.callback_query.register(reopen_button, TicketCB.filter(F.action == TicketAction.REOPEN))
    router.callback_query.register(stale_button, F.data.startswith(("t:", "l:")))
    router.message.register(writing_message, TicketChat.writing, NOT_A_COMMAND)
    router.message.register(rating_comment_entered, TicketChat.rating_comment, F.text, NOT_A_COMMAND)
    router.message.register(rating_comment_not_text, TicketChat.rating_comment, NOT_A_COMMAND)
    # Before the FAQ question handler (the next router), so a reply to a ticket is not a question.
    router.message.register(reply_to_ticket, StateFilter(None), F.reply_to_message, replied_ticket)
    return router
