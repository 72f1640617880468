"""All routers, composed in one place. Private-chat routers carry the chat filter."""

from aiogram import F, Router
from aiogram.enums import ChatType

from bot.handlers import group_desk, pm_admin, pm_form, pm_members, pm_questions, pm_requests, pm_start
from desk.desk_chat import DeskChat


def build_root_router(desk_chat: DeskChat) -> Router:
    root = Router(name="root")
    private = Router(name="private")
    private.message.filter(F.chat.type == ChatType.PRIVATE)
    private.callback_query.filter(F.message.chat.type == ChatType.PRIVATE)
    private.include_routers(
        pm_start.build_router(), pm_admin.build_router(), pm_form.build_router(), pm_requests.build_router(),
        pm_questions.build_router(),
    )
    private.include_router(pm_members.build_router())
    root.include_routers(private, group_desk.build_router(desk_chat))
    return root
