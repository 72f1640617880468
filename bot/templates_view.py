"""How the agents' templates look in the group: the list to pick from and what was sent."""

from __future__ import annotations

from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.callbacks import TemplateAction, TemplateCB
from bot.telegram_text import cut
from desk.canned_replies import TemplateChoice, TemplateSent

# A few buttons at most: more are found with `/t WORD`.
LISTED = 8
# Callback data holds at most 64 bytes: a longer id is listed without a button (`/t ID` sends it).
TEMPLATE_ID_LIMIT = 40
# How much of the sent text the thread's line quotes.
QUOTED = 600
TITLE_ON_BUTTON = 48


def choice_text(choice: TemplateChoice) -> str:
    """The message above the templates' buttons."""
    lines = [_("📎 Templates for #{number}: press one to send it to the customer.").format(number=choice.ticket_id)]
    shown = choice.templates[:LISTED]
    lines += [f"• {escape(template.title)} (<code>{escape(template.id)}</code>)" for template in shown]
    if len(choice.templates) > len(shown):
        lines.append(_("…and {count} more: /t WORD finds them.").format(count=len(choice.templates) - len(shown)))
    return "\n".join(lines)


def choice_buttons(choice: TemplateChoice) -> InlineKeyboardMarkup | None:
    """One button per listed template whose id fits callback data."""
    rows = [[InlineKeyboardButton(
        text=f"📎 {template.title[:TITLE_ON_BUTTON]}",
        callback_data=TemplateCB(action=TemplateAction.SEND, ticket=choice.ticket_id, template=template.id).pack(),
    )] for template in choice.templates[:LISTED] if len(template.id) <= TEMPLATE_ID_LIMIT and ":" not in template.id]
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def sent_text(sent: TemplateSent, agent_name: str) -> str:
    """The thread's line about a template sent: which, by whom, and the text the customer got."""
    quoted, rest = cut(sent.text, QUOTED)
    more = "…" if rest else ""
    return _("📎 #{number}: {agent} sent the template «{title}» to the customer:").format(
        number=sent.ticket_id, agent=escape(agent_name), title=escape(sent.title),
    ) + f"\n<blockquote>{escape(quoted)}{more}</blockquote>"
