"""What each kind of outbox row sends, and what the send changes in the database."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, timedelta
from html import escape

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup, InputMediaPhoto, ReplyParameters
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import assign_view, card_view, desk_view, report_view
from bot.callbacks import StarsCB, TicketAction, TicketCB
from bot.keyboard_builder import InlineKeyboardBuilder
from bot.settings import BotConfig
from bot.telegram_text import CAPTION_LIMIT, shown_length
from desk import analytics, lifecycle, outbox, suggestions
from desk.clock import Clock
from desk.customer_context import context_of
from desk.customers import customer_language
from desk.desk_chat import DeskChat
from desk.export import Period
from desk.membership import set_blocked
from desk.sla import SLA
from desk.tickets import get_ticket
from kb.base import KnowledgeBase
from kb.entries import Entry
from kb.html_split import split_html
from storage.models import OutboxMessage, Ticket, TicketMessage

log = logging.getLogger(__name__)

SEND_FILE = {
    "photo": "send_photo", "document": "send_document", "video": "send_video", "voice": "send_voice",
    "audio": "send_audio", "animation": "send_animation", "video_note": "send_video_note",
}


def _gone(error: TelegramBadRequest, *needles: str) -> bool:
    return any(needle in error.message.lower() for needle in needles)


class DeskSends:
    def __init__(self, bot: Bot, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, config: BotConfig,
                 sla: SLA, i18n: I18n, desk_chat: DeskChat, kb: KnowledgeBase) -> None:
        self.bot = bot
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.config = config
        self.sla = sla
        self.i18n = i18n
        self.desk_chat = desk_chat
        self.kb = kb
        self._forum: dict[int, bool] = {}

    # --- entry points ------------------------------------------------------------------------

    async def send(self, row: OutboxMessage) -> None:
        async with self.sessionmaker() as session:
            ticket = await get_ticket(session, row.ticket_id) if row.ticket_id else None
        if row.ticket_id and ticket is None:
            raise LookupError(f"ticket {row.ticket_id} of outbox row {row.id} does not exist")
        handler = getattr(self, f"_{row.kind}")
        if row.chat_key == outbox.DESK:
            with self.i18n.context(), self.i18n.use_locale(self.config.desk.language):
                await handler(row, ticket)
        else:
            if ticket is not None and ticket.customer.blocked_bot:
                await self._finish(row, error="the customer blocked the bot")
                return
            language = customer_language(ticket.customer if ticket else None, self.config.desk.language)
            with self.i18n.context(), self.i18n.use_locale(language):
                await handler(row, ticket)

    async def forbidden(self, row: OutboxMessage, error: TelegramForbiddenError) -> None:
        """A customer blocked the bot: remember it, stop sending, tell the agents; keep the ticket."""
        now = self.clock.now()
        async with self.sessionmaker.begin() as session:
            await outbox.give_up(session, row.id, f"403: {error.message}")
            if row.chat_key == outbox.DESK:
                log.error("the bot cannot write to the agent group: %s", error.message)
                return
            telegram_id = int(row.chat_key.split(":", 1)[1])
            await set_blocked(session, telegram_id, True, now)
        log.warning("customer of outbox #%s blocked the bot; not sending to them any more", row.id)

    async def _finish(self, row: OutboxMessage, *, error: str | None = None, **placed: int) -> None:
        """Mark the row sent (or given up) in one transaction with where the relayed message now
        stands (`customer_message_id` / `desk_message_id` of its ticket message)."""
        async with self.sessionmaker.begin() as session:
            fresh = await session.get(OutboxMessage, row.id)
            if error:
                fresh.state, fresh.error = "failed", error
            else:
                await outbox.mark_sent(session, fresh, self.clock.now())
            message = await session.get(TicketMessage, row.ticket_message_id) if placed else None
            for key, value in placed.items() if message is not None else ():
                setattr(message, key, value)

    # --- the agent group ---------------------------------------------------------------------

    def _suggestions(self, ticket: Ticket) -> list[Entry]:
        """The FAQ answers the ticket's card suggests (none once it is closed)."""
        return [] if ticket.state == "closed" else suggestions.suggested_answers(self.kb, ticket)

    async def _is_forum(self, chat_id: int) -> bool:
        if chat_id not in self._forum:
            self._forum[chat_id] = bool((await self.bot.get_chat(chat_id)).is_forum)
        return self._forum[chat_id]

    async def _save_ticket(self, ticket_id: int, **values) -> None:
        async with self.sessionmaker.begin() as session:
            ticket = await session.get(Ticket, ticket_id)
            for key, value in values.items():
                setattr(ticket, key, value)

    async def _card_text(self, ticket: Ticket, suggested: list[Entry]) -> str:
        """The card as it stands now, with its customer's context read fresh and the FAQ answers
        `suggested` for it."""
        now = self.clock.now()
        async with self.sessionmaker() as session:
            context = await context_of(session, ticket, now)
        return card_view.card_text(ticket, self.config, self.sla, now, context, suggested)

    async def _details_rest(self, ticket: Ticket) -> str:
        """The part of the details the card (as `_card_text` draws it) cannot hold."""
        now = self.clock.now()
        async with self.sessionmaker() as session:
            context = await context_of(session, ticket, now)
        return card_view.details_rest(ticket, self.config, self.sla, now, context, self._suggestions(ticket))

    async def _ensure_card(self, ticket: Ticket, *, fresh: bool = False) -> Ticket:
        """The ticket's topic (in a forum) and card exist in the current agent group; each step is
        saved as soon as it is done, so a resend after a crash does not make a second topic."""
        chat_id = self.desk_chat.id
        if fresh or ticket.card_chat_id != chat_id:
            ticket.topic_thread_id = ticket.card_message_id = None
            ticket.card_chat_id = chat_id
            await self._save_ticket(ticket.id, topic_thread_id=None, card_message_id=None, card_chat_id=chat_id)
        if ticket.topic_thread_id is None and await self._is_forum(chat_id):
            topic = await self.bot.create_forum_topic(chat_id, card_view.topic_name(ticket))
            ticket.topic_thread_id = topic.message_thread_id
            await self._save_ticket(ticket.id, topic_thread_id=ticket.topic_thread_id)
        if ticket.card_message_id is None:
            suggested = self._suggestions(ticket)
            card = await self.bot.send_message(
                chat_id, await self._card_text(ticket, suggested),
                message_thread_id=ticket.topic_thread_id, reply_markup=card_view.card_buttons(ticket, suggested),
            )
            ticket.card_message_id = card.message_id
            await self._save_ticket(ticket.id, card_message_id=card.message_id)
        return ticket

    def _where(self, ticket: Ticket) -> dict:
        """Where a message about the ticket goes: its topic, or under its card in a plain group."""
        if ticket.topic_thread_id is not None:
            return {"message_thread_id": ticket.topic_thread_id}
        return {"reply_parameters": ReplyParameters(
            message_id=ticket.card_message_id, allow_sending_without_reply=True,
        )}

    async def _to_ticket_thread(self, ticket: Ticket, send):
        """Send into the ticket's thread; a deleted topic is made again, with a new card."""
        await self._ensure_card(ticket)
        try:
            return await send(self.desk_chat.id, self._where(ticket))
        except TelegramBadRequest as error:
            if not _gone(error, "thread not found", "topic_deleted", "replied message not found"):
                raise
            log.warning("ticket #%s: its topic or card is gone (%s); making it again", ticket.id, error.message)
            await self._ensure_card(ticket, fresh=True)
            return await send(self.desk_chat.id, self._where(ticket))

    async def _ticket_card(self, row: OutboxMessage, ticket: Ticket) -> None:
        """The card, then the details the card cannot hold, then each attachment of the request;
        progress is saved after each part, so a retry (after a crash or a failed send) goes on from
        the next one."""
        await self._ensure_card(ticket)
        rest = "" if row.payload.get("details_sent") else await self._details_rest(ticket)
        if rest:
            # Agents never lose part of what a customer wrote: what the card cannot hold follows it.
            text = card_view.details_continued(ticket, rest)
            await self._to_ticket_thread(ticket, lambda chat, where: self._send_long(chat, text, where))
            await self._save_progress(row, details_sent=True)
        files = [a for message in ticket.messages[:1] for a in message.attachments]
        done = int(row.payload.get("files_sent", 0))
        for attachment in files[done:]:
            method = getattr(self.bot, SEND_FILE.get(attachment.kind, "send_document"))
            await self._to_ticket_thread(
                ticket, lambda chat, where, a=attachment, m=method: m(chat, a.file_id, **where),
            )
            done += 1
            await self._save_progress(row, files_sent=done)
        await self._finish(row)

    async def _save_progress(self, row: OutboxMessage, **progress) -> None:
        """Keep in the row's payload how far its sending got (read again on a retry)."""
        async with self.sessionmaker.begin() as session:
            fresh = await session.get(OutboxMessage, row.id)
            fresh.payload = {**fresh.payload, **progress}
        row.payload = {**row.payload, **progress}

    async def _card_refresh(self, row: OutboxMessage, ticket: Ticket) -> None:
        if ticket.card_message_id is None or ticket.card_chat_id != self.desk_chat.id:
            await self._ensure_card(ticket)
        else:
            suggested = self._suggestions(ticket)
            try:
                await self.bot.edit_message_text(
                    await self._card_text(ticket, suggested),
                    chat_id=ticket.card_chat_id, message_id=ticket.card_message_id,
                    reply_markup=card_view.card_buttons(ticket, suggested),
                )
            except TelegramBadRequest as error:
                if _gone(error, "not modified"):
                    pass
                elif _gone(error, "message to edit not found", "thread not found"):
                    await self._ensure_card(ticket, fresh=True)
                else:
                    raise
        await self._finish(row)

    async def _to_desk(self, row: OutboxMessage, ticket: Ticket) -> None:
        payload = row.payload
        header = "👤 <b>{name}</b> · #{number}".format(name=escape(ticket.customer.first_name or "—"), number=ticket.id)

        async def send(chat_id: int, where: dict):
            if payload.get("has_media"):
                return await self._copy_with_caption(chat_id, payload, header, where)
            return await self._send_long(chat_id, f"{header}\n{payload.get('html', '')}", where)

        sent = await self._to_ticket_thread(ticket, send)
        await self._finish(row, desk_message_id=sent.message_id)

    async def _desk_event(self, row: OutboxMessage, ticket: Ticket) -> None:
        text = self._desk_event_text(row.payload, ticket)
        await self._to_ticket_thread(ticket, lambda chat, where: self.bot.send_message(chat, text, **where))
        await self._finish(row)

    def _desk_event_text(self, payload: dict, ticket: Ticket) -> str:
        event = payload.get("event")
        number = ticket.id
        if event == "escalated":
            mentions = " ".join(escape(m) for m in self.config.desk.level2_mentions)
            return _("⏫ #{number} escalated to support level {level} by {name}.").format(
                number=number, level=payload.get("level"), name=escape(str(payload.get("by", "")))) + (
                f" {mentions}" if mentions else "")
        if event == "closed_by_customer":
            return _("🔒 The customer closed #{number}.").format(number=number)
        if event == "reopened":
            due = lifecycle.reply_due(ticket)
            if ticket.reply_clock_since is None or due is None:
                return _("🔄 The customer reopened #{number}.").format(number=number)
            return _("🔄 The customer reopened #{number}. An answer is due {when}.").format(
                number=number, when=card_view.local_time(due, self.sla, self.config.desk.language))
        if event == "rated":
            return _("⭐ The customer rated #{number}: {score}/5.").format(number=number, score=payload.get("score"))
        if event == "rating_comment":
            return _("💬 The customer's comment on the rating of #{number}: {comment}").format(
                number=number, comment=escape(ticket.rating_comment or ""))
        if event == "customer_blocked":
            return _("⛔ The customer blocked the bot: answers on #{number} cannot be delivered.").format(number=number)
        if event in ("fr_reminder", "fr_breach", "res_reminder", "res_breach"):
            return self._sla_text(event, ticket, bool(payload.get("late")))
        if event == "autoclosed":
            return _("🔒 #{number} was closed automatically after {hours} hours without an answer from the "
                     "customer.").format(number=number, hours=payload.get("hours"))
        if event == "customer_back":
            return _("✅ The customer unblocked the bot: answers on #{number} are delivered again.").format(
                number=number,
            )
        return escape(str(payload.get("text") or event))

    def _sla_text(self, event: str, ticket: Ticket, late: bool) -> str:
        first = event.startswith("fr_")
        due = lifecycle.reply_due(ticket) if first else ticket.resolution_due
        when = card_view.local_time(due, self.sla, self.config.desk.language) if due else "—"
        number, title = ticket.id, escape(ticket.title[:60])
        # The assignee first, then (on a breach) the second level's people.
        mentions = [assign_view.mention(ticket.assignee_id, ticket.assignee_name, ticket.assignee_username)
                    ] if ticket.assignee_id is not None else []
        if event.endswith("_reminder"):
            text = (_("⏰ #{number} «{title}»: the first response is due {when}.") if first else
                    _("⏰ #{number} «{title}»: the resolution is due {when}.")).format(
                number=number, title=title, when=when)
            text += f" {mentions[0]}" if mentions else ""
        else:
            mentions = " ".join(mentions + [escape(m) for m in self.config.desk.level2_mentions])
            text = (_("🚨 #{number} «{title}»: the first response was due {when} and is overdue.") if first else
                    _("🚨 #{number} «{title}»: the resolution was due {when} and is overdue.")).format(
                number=number, title=title, when=when)
            text += f" {mentions}" if mentions else ""
        if late:
            text += " " + _("(sent late: the bot was down when it fell due)")
        return text

    async def _digest(self, row: OutboxMessage, ticket: Ticket | None) -> None:
        async with self.sessionmaker() as session:
            queue = await desk_view.queue_text(session, self.clock.now())
            stats = await desk_view.stats_text(session)
        text = _("☀️ <b>Daily digest</b>") + f"\n\n{stats}\n\n{queue}"
        await self._send_long(self.desk_chat.id, text, {})
        await self._finish(row)

    async def _weekly_report(self, row: OutboxMessage, ticket: Ticket | None) -> None:
        """The report of the seven days before the day `until`: an album of its charts with a short text."""
        zone = self.sla.calendar.tz
        until = date.fromisoformat(row.payload["until"])
        week = Period.days(until - timedelta(days=7), until - timedelta(days=1), zone)
        async with self.sessionmaker() as session:
            built = await analytics.build(session, week, zone, self.clock.now())
        charts = await asyncio.to_thread(report_view.charts, built)  # drawing takes a moment: not on the loop
        funnel = built.funnel
        # Over every judged ticket of the week, whatever its plan (not an average of the plans' shares).
        met = sum(plan.met for plan in built.first_response)
        judged = met + sum(plan.missed for plan in built.first_response)
        text = _("📊 <b>Weekly report</b> {start} – {end}: {tickets} tickets; first response in time: {met}; "
                 "deflection: {deflection}; satisfaction: {csat}.").format(
            start=built.start, end=built.end, tickets=built.tickets,
            met=report_view.share(met / judged if judged else None),
            deflection=report_view.share(funnel.deflection), csat=report_view.share(built.csat))
        album = [InputMediaPhoto(media=BufferedInputFile(png, f"report-{index}.png"),
                                 caption=text if index == 0 else None)
                 for index, (_title, png) in enumerate(charts)]
        await self.bot.send_media_group(self.desk_chat.id, album)
        await self._finish(row)

    async def _copy_with_caption(self, chat_id: int, payload: dict, header: str, where: dict,
                                 markup: InlineKeyboardMarkup | None = None):
        """Copy a media message with the header over its caption; a caption that would pass
        Telegram's 1024 characters moves into a text message after the file."""
        caption = f"{header}\n{payload.get('html', '')}".strip()
        if shown_length(caption) <= CAPTION_LIMIT:
            return await self.bot.copy_message(chat_id, payload["from_chat_id"], payload["message_id"],
                                               caption=caption, reply_markup=markup, **where)
        sent = await self.bot.copy_message(chat_id, payload["from_chat_id"], payload["message_id"],
                                           caption=header, **where)
        await self._send_long(chat_id, caption, where, markup)
        return sent

    async def _send_long(self, chat_id: int, html: str, where: dict, markup: InlineKeyboardMarkup | None = None):
        """Send a text that may pass Telegram's limit as several messages; returns the first."""
        chunks = split_html(html)
        first = None
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            sent = await self.bot.send_message(chat_id, chunk, reply_markup=markup if last else None, **where)
            first = first or sent
        return first

    # --- the customer ------------------------------------------------------------------------

    def _customer_buttons(self, ticket: Ticket, *, rate: bool) -> InlineKeyboardMarkup:
        builder = InlineKeyboardBuilder()
        builder.button(text=_("💬 Reply"), callback_data=TicketCB(action=TicketAction.REPLY, ticket=ticket.id))
        builder.button(text=_("🔒 Close"), callback_data=TicketCB(action=TicketAction.CLOSE, ticket=ticket.id))
        sizes = [2]
        if rate and not ticket.rating:
            for score in range(1, 6):
                builder.button(text=f"{score}⭐", callback_data=StarsCB(ticket=ticket.id, stars=score))
            sizes.append(5)
        builder.adjust(*sizes)
        return builder.as_markup()

    async def _to_customer(self, row: OutboxMessage, ticket: Ticket) -> None:
        payload = row.payload
        name = payload.get("signature") or self.config.desk.team_name
        header = f"💬 <b>{escape(name)}</b> · #{ticket.id} {escape(ticket.title[:60])}"
        chat_id = ticket.customer.telegram_id
        markup = self._customer_buttons(ticket, rate=True)
        if payload.get("has_media"):
            sent = await self._copy_with_caption(chat_id, payload, header, {}, markup)
        else:
            sent = await self._send_long(chat_id, f"{header}\n\n{payload.get('html', '')}", {}, markup)
        await self._finish(row, customer_message_id=sent.message_id)

    async def _notify(self, row: OutboxMessage, ticket: Ticket) -> None:
        event = row.payload.get("event")
        number, title = ticket.id, escape(ticket.title)
        rate = event in ("resolved", "closed")
        if event == "taken":
            text = _("🛠 Your request #{number} «{title}» was taken into work.").format(number=number, title=title)
        elif event == "waiting":
            text = _("⏳ Support is waiting for your answer on request #{number} «{title}».").format(
                number=number, title=title)
        elif event == "resolved":
            text = _("✅ Request #{number} «{title}» is resolved. Please rate the answer, or reply if the "
                     "problem remains.").format(number=number, title=title)
        elif event == "closed":
            text = _("🔒 Request #{number} «{title}» is closed. You can reopen it from «My requests» within "
                     "{days} days.").format(number=number, title=title, days=self.config.desk.reopen_days)
        elif event == "customer_reminder":
            text = _("⏳ We are still waiting for your answer on request #{number} «{title}».").format(
                number=number, title=title)
        elif event == "autoclose_notice":
            text = _("⌛ Request #{number} «{title}» will be closed in about {hours} hours if we do not hear "
                     "from you. Reply to keep it open.").format(number=number, title=title,
                                                                hours=row.payload.get("hours_left"))
        else:
            text = escape(str(row.payload.get("text") or event))
        markup = self._customer_buttons(ticket, rate=rate) if event != "closed" else None
        if event == "closed" and not ticket.rating:
            builder = InlineKeyboardBuilder()
            for score in range(1, 6):
                builder.button(text=f"{score}⭐", callback_data=StarsCB(ticket=ticket.id, stars=score))
            markup = builder.as_markup()
        await self.bot.send_message(ticket.customer.telegram_id, text, reply_markup=markup)
        await self._finish(row)

