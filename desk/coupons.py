"""Coupons for special requests (seed): an admin issues a code of N requests valid for a year;
issuing a new code to the same customer voids the unused rest of the old one."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Coupon

# No 0/O, 1/I/L: a code is read aloud and typed by people.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
SPECIAL_PLAN = "special"


def new_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(12))
    return f"SP-{body[:4]}-{body[4:8]}-{body[8:]}"


def normalize(code: str) -> str:
    return code.strip().upper().replace(" ", "")


async def issue(
    session: AsyncSession, customer_telegram_id: int, *, uses: int, valid_days: int, now: datetime,
) -> Coupon:
    """A new code for the customer; their older codes are voided."""
    if uses < 1:
        raise ValueError("uses must be at least 1")
    if valid_days < 1:
        raise ValueError("valid days must be at least 1")
    await session.execute(
        update(Coupon)
        .where(Coupon.customer_telegram_id == customer_telegram_id, Coupon.voided_at.is_(None))
        .values(voided_at=now)
    )
    coupon = Coupon(code=new_code(), customer_telegram_id=customer_telegram_id, uses_total=uses, uses_left=uses,
                    issued_at=now, expires_at=now + timedelta(days=valid_days), voided_at=None)
    session.add(coupon)
    await session.flush()
    return coupon


async def all_coupons(session: AsyncSession) -> list[Coupon]:
    return list((await session.execute(select(Coupon).order_by(Coupon.issued_at, Coupon.id))).scalars())


@dataclass(frozen=True)
class Check:
    """Whether a code can be used now: `problem` is None, "unknown", "voided", "expired" or "spent"."""

    coupon: Coupon | None
    problem: str | None


async def check(session: AsyncSession, code: str, customer_telegram_id: int, now: datetime) -> Check:
    coupon = (await session.execute(select(Coupon).where(Coupon.code == normalize(code)))).scalar_one_or_none()
    # Another customer's code is as good as unknown: nothing about it is revealed.
    if coupon is None or coupon.customer_telegram_id != customer_telegram_id:
        return Check(None, "unknown")
    if coupon.voided_at is not None:
        return Check(coupon, "voided")
    if coupon.expires_at <= now:
        return Check(coupon, "expired")
    if coupon.uses_left <= 0:
        return Check(coupon, "spent")
    return Check(coupon, None)


async def use(session: AsyncSession, code: str, customer_telegram_id: int, now: datetime) -> Check:
    """Spend one request of the code, atomically (two submits at once cannot both take the last one)."""
    checked = await check(session, code, customer_telegram_id, now)
    if checked.problem is not None:
        return checked
    result = await session.execute(
        update(Coupon).where(Coupon.id == checked.coupon.id, Coupon.uses_left > 0, Coupon.voided_at.is_(None))
        .values(uses_left=Coupon.uses_left - 1)
    )
    if result.rowcount != 1:
        return Check(checked.coupon, "spent")
    await session.refresh(checked.coupon)
    return checked
