"""Coupons in the request form: from the preview the customer enters a code for a special request
(1 h, around the clock); a bad code gets its reason and the form goes on."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot import form_view
from bot.callbacks import FormAction, FormCB
from bot.filters import NOT_A_COMMAND
from bot.form_steps import current_form, draft_of, show_step
from bot.settings import BotConfig
from bot.states import Form
from desk.forms import PREVIEW
from desk.intake import Intake
from desk.lifecycle import Refused


async def coupon_button(query: CallbackQuery, callback_data: FormCB, state: FSMContext,
                        intake: Intake) -> None:
    draft = await current_form(query, callback_data, state, intake)
    if draft is None:
        return
    await query.answer()
    await state.set_state(Form.coupon)
    await query.message.answer(
        _("Send the coupon code for a special request (answered within 1 hour, around the clock)."),
        reply_markup=form_view.back_only(draft),
    )


async def coupon_entered(message: Message, state: FSMContext, config: BotConfig, language: str,
                         intake: Intake) -> None:
    draft = await draft_of(state)
    try:
        accepted = await intake.check_coupon(message.text or "", message.from_user.id)
    except Refused as refused:
        await show_step(message, state, config, language, draft, PREVIEW,
                        notice=form_view.coupon_problem(refused.reason))
        return
    draft.coupon = accepted.code
    await show_step(message, state, config, language, draft, PREVIEW, notice=_(
        "Coupon accepted: this will be a special request. Requests left on it: {left}."
    ).format(left=accepted.uses_left))


async def coupon_not_text(message: Message, state: FSMContext, config: BotConfig, language: str) -> None:
    await show_step(message, state, config, language, await draft_of(state), PREVIEW,
                    notice=_("Please send the coupon code as text."))


def build_router() -> Router:
    """A new router with this module's handlers (each dispatcher gets its own)."""
    router = Router(name="pm_coupon")
    router.callback_query.register(coupon_button, Form.preview, FormCB.filter(F.action == FormAction.COUPON))
    router.message.register(coupon_entered, Form.coupon, F.text, NOT_A_COMMAND)
    router.message.register(coupon_not_text, Form.coupon, NOT_A_COMMAND)
    return router
