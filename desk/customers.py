"""Customers: who writes to the bot, and the language they read."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from desk.clock import Clock
from storage.models import Customer

LANGUAGES = ("ru", "en")


@dataclass(frozen=True)
class Person:
    """What Telegram tells about a user."""

    telegram_id: int
    first_name: str
    username: str | None = None
    language_code: str | None = None


def telegram_language(code: str | None) -> str | None:
    """Our language for a Telegram language code (`ru`, `en-US`, ...), or None if we have none."""
    if not code:
        return None
    base = code.split("-")[0].lower()
    return base if base in LANGUAGES else None


async def touch_customer(session: AsyncSession, person: Person, clock: Clock) -> Customer:
    """The customer for `person`, created on first contact, its Telegram profile kept current."""
    customer = await find_customer(session, person.telegram_id)
    if customer is None:
        customer = Customer(
            telegram_id=person.telegram_id,
            first_name=person.first_name,
            username=person.username,
            telegram_language=person.language_code,
            created_at=clock.now(),
        )
        try:
            async with session.begin_nested():
                session.add(customer)
        except IntegrityError:
            # Two updates of a new customer at once: the other one created the row.
            customer = await find_customer(session, person.telegram_id)
            assert customer is not None
        return customer
    customer.first_name = person.first_name
    customer.username = person.username
    customer.telegram_language = person.language_code
    return customer


def is_current(customer: Customer, person: Person) -> bool:
    """Whether the stored profile already says what Telegram says now."""
    return (customer.first_name, customer.username, customer.telegram_language) == (
        person.first_name, person.username, person.language_code)


async def find_customer(session: AsyncSession, telegram_id: int) -> Customer | None:
    return (
        await session.execute(select(Customer).where(Customer.telegram_id == telegram_id))
    ).scalar_one_or_none()


def customer_language(customer: Customer | None, default: str) -> str:
    """The chosen language, else the Telegram one if we have it, else the desk's default."""
    if customer is not None:
        if customer.language in LANGUAGES:
            return customer.language
        from_telegram = telegram_language(customer.telegram_language)
        if from_telegram:
            return from_telegram
    return default


async def set_language(session: AsyncSession, telegram_id: int, language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    customer = await find_customer(session, telegram_id)
    if customer is not None:
        customer.language = language


async def set_blocked_flag(session: AsyncSession, telegram_id: int, blocked: bool) -> Customer | None:
    """Remember that the customer blocked (or unblocked) the bot; the customer if that changed
    anything, None if it did not (or the bot never saw them)."""
    customer = await find_customer(session, telegram_id)
    if customer is None or customer.blocked_bot == blocked:
        return None
    customer.blocked_bot = blocked
    return customer


async def set_customer_plan(session: AsyncSession, telegram_id: int, plan: str) -> bool:
    """Put the customer on `plan`; False if they have never written to the bot."""
    customer = await find_customer(session, telegram_id)
    if customer is None:
        return False
    customer.plan = plan
    return True
