"""All routers, composed in one place. Private-chat routers carry the chat filter."""

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _

from bot.handlers import (
    group_assign,
    group_bans,
    group_desk,
    group_report,
    group_tags,
    group_templates,
    pm_admin,
    pm_coupon,
    pm_form,
    pm_members,
    pm_privacy,
    pm_questions,
    pm_requests,
    pm_start,
    setup,
)
from bot.middlewares.form_kept import FormKeptMiddleware
from desk.desk_chat import DeskChat


async def unknown_button(query: CallbackQuery) -> None:
    await query.answer(_("This button is out of date."), show_alert=True)


def build_root_router(desk_chat: DeskChat) -> Router:
    root = Router(name="root")
    private = Router(name="private")
    private.message.filter(F.chat.type == ChatType.PRIVATE)
    private.callback_query.filter(F.message.chat.type == ChatType.PRIVATE)
    private.message.middleware(FormKeptMiddleware())
    # The coupon's router comes before the form's, whose last handler takes any stale form button.
    private.include_routers(
        pm_start.build_router(), pm_admin.build_router(), pm_privacy.build_router(), pm_coupon.build_router(),
        pm_form.build_router(),
        pm_requests.build_router(),
        pm_questions.build_router(),
    )
    private.include_router(pm_members.build_router())
    # Last: a button nobody handles (forged, stale, from an old version) gets an answer, not a
    # spinner. (A router's own handlers run before its children's, so this is a child of its own.)
    fallback = Router(name="fallback")
    fallback.callback_query.register(unknown_button)
    # Setup first: /whoami and /doctor work in any state, and the bot's own membership in groups.
    root.include_routers(setup.build_router(), private, group_report.build_router(desk_chat),
                         group_bans.build_router(desk_chat), group_templates.build_router(desk_chat),
                         group_tags.build_router(desk_chat), group_assign.build_router(desk_chat),
                         group_desk.build_router(desk_chat), fallback)
    return root
