"""Business time: when the desk is open, and how SLA clocks move through opening hours.

A `BusinessCalendar` knows the desk's time zone, its daily hours, its working weekdays and the
public holidays of one country (the `holidays` library), with the operator's own transfers on top.
`AroundTheClock` has the same interface for plans whose clock never stops.

Every moment taken or returned is a timezone-aware `datetime`; returned moments are in the
calendar's time zone. Durations are `timedelta`s of real elapsed time. Nothing here reads the
system clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

import holidays

# A calendar with no working day in ten years is a misconfiguration, not a long wait.
MAX_DAYS_SEARCHED = 3660

DayOffReason = Literal["weekend", "holiday", "day_off"]


@dataclass(frozen=True)
class Interval:
    """A stretch of time that counted on an SLA clock, as aware datetimes in the calendar's zone."""

    start: datetime
    end: datetime

    @property
    def duration(self) -> timedelta:
        """Real elapsed time of the stretch (UTC arithmetic, so DST days are right)."""
        return self.end.astimezone(UTC) - self.start.astimezone(UTC)


@dataclass(frozen=True)
class DayOff:
    """A calendar day the desk is closed, and why: `weekend`, `holiday` (named by the library)
    or `day_off` (the operator's `extra_days_off`)."""

    day: date
    reason: DayOffReason
    name: str = ""


class WorkingTime(Protocol):
    """What an SLA clock needs from a calendar; `BusinessCalendar` and `AroundTheClock` have it."""

    tz: ZoneInfo

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime: ...

    def add_business_days(self, start: datetime, days: int) -> datetime: ...

    def business_time_between(self, a: datetime, b: datetime) -> timedelta: ...

    def counted_intervals(self, a: datetime, b: datetime) -> list[Interval]: ...

    def days_off_between(self, a: datetime, b: datetime) -> list[DayOff]: ...


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        raise ValueError(f"an aware datetime is needed, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


def _check_duration(duration: timedelta) -> None:
    if duration < timedelta(0):
        raise ValueError(f"a duration cannot be negative, got {duration}")


class BusinessCalendar:
    """Opening hours `work_start`..`work_end` (local wall time) on working days in `tz`.

    A day is a working day when its ISO weekday is in `work_days` and the country has no public
    holiday on it; the library's transferred working Saturdays count as working days; the
    operator's `extra_days_off` and `extra_work_days` win over everything.
    All arithmetic walks day by day and converts each day's opening and closing to UTC, so a
    DST change shortens or lengthens only the day it happens on.
    """

    def __init__(
        self,
        tz: ZoneInfo | str,
        work_start: time,
        work_end: time,
        work_days: Iterable[int] = (1, 2, 3, 4, 5),
        country: str = "",
        extra_days_off: Iterable[date] = (),
        extra_work_days: Iterable[date] = (),
    ) -> None:
        self.tz = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
        if not work_start < work_end:
            raise ValueError(f"work_start ({work_start}) must be before work_end ({work_end})")
        self.work_start = work_start
        self.work_end = work_end
        self.work_days = frozenset(work_days)
        if not self.work_days <= set(range(1, 8)):
            raise ValueError(f"work_days must be ISO weekdays 1..7, got {sorted(self.work_days)}")
        self.country = country
        self._holidays = holidays.country_holidays(country) if country else None
        self.extra_days_off = frozenset(extra_days_off)
        self.extra_work_days = frozenset(extra_work_days)
        both = self.extra_days_off & self.extra_work_days
        if both:
            raise ValueError(f"{min(both)} is both an extra day off and an extra working day")

    # --- days -------------------------------------------------------------------------------

    def day_off(self, day: date) -> DayOff | None:
        """Why the desk is closed all of `day`, or None when it is a working day."""
        if day in self.extra_work_days:
            return None
        if day in self.extra_days_off:
            return DayOff(day, "day_off")
        if self._holidays is not None:
            name = self._holidays.get(day)
            if name:
                return DayOff(day, "holiday", name)
            # Read after the lookup above, which fills in the library's data for that year.
            if day in self._holidays.weekend_workdays:
                return None
        if day.isoweekday() not in self.work_days:
            return DayOff(day, "weekend")
        return None

    def is_working_day(self, day: date) -> bool:
        """True when the desk opens on `day` (a local calendar date)."""
        return self.day_off(day) is None

    def opening_hours(self, day: date) -> Interval | None:
        """The day's opening..closing as aware datetimes in `tz`, or None on a day off."""
        if not self.is_working_day(day):
            return None
        # fold=0 picks the first reading of a wall time repeated by a DST change.
        start = datetime.combine(day, self.work_start, tzinfo=self.tz)
        end = datetime.combine(day, self.work_end, tzinfo=self.tz)
        # Normalise wall times that do not exist (skipped by DST) to the real instant.
        return Interval(_utc(start).astimezone(self.tz), _utc(end).astimezone(self.tz))

    def _days_from(self, day: date) -> Iterable[tuple[date, Interval]]:
        """Working days from `day` on (inclusive), with their hours in UTC."""
        for offset in range(MAX_DAYS_SEARCHED):
            current = day + timedelta(days=offset)
            hours = self.opening_hours(current)
            if hours is not None:
                yield current, Interval(_utc(hours.start), _utc(hours.end))
        raise ValueError(f"no working day within {MAX_DAYS_SEARCHED} days after {day}")

    def _local_date(self, moment: datetime) -> date:
        return _utc(moment).astimezone(self.tz).date()

    # --- moments ----------------------------------------------------------------------------

    def is_open(self, moment: datetime) -> bool:
        """True when `moment` lies in opening hours (opening included, closing excluded)."""
        hours = self.opening_hours(self._local_date(moment))
        return hours is not None and _utc(hours.start) <= _utc(moment) < _utc(hours.end)

    def next_opening(self, moment: datetime) -> datetime:
        """`moment` itself when the desk is open then, else the next time it opens."""
        return self.add_business_time(moment, timedelta(0))

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """The moment `duration` of opening hours after `start`.

        A start outside hours begins at the next opening. A deadline that uses up a day exactly
        is that day's closing time, not the next opening (the same point in business time).
        """
        _check_duration(duration)
        moment = _utc(start)
        remaining = duration
        for _, hours in self._days_from(self._local_date(start)):
            begin = max(hours.start, moment)
            if begin >= hours.end:
                continue
            available = hours.end - begin
            if remaining <= available:
                return (begin + remaining).astimezone(self.tz)
            remaining -= available
        raise AssertionError("unreachable: _days_from raises first")

    def add_business_days(self, start: datetime, days: int) -> datetime:
        """The same time of day `days` working days after `start` (a start outside hours
        begins at the next opening). Lands on the previous working day's closing rather than an
        opening, matching `add_business_time`. Later than the day's closing means its closing
        (a DST day can be shorter)."""
        if days < 0:
            raise ValueError(f"days cannot be negative, got {days}")
        begin = _utc(self.next_opening(start))
        if days == 0:
            return begin.astimezone(self.tz)
        working = self._days_from(self._local_date(begin))
        _, target = next(working)
        into_day = begin - target.start
        if not into_day:
            # From an opening, n days end at the closing of the n-th working day, this one first.
            for _ in range(days - 1):
                _, target = next(working)
            return target.end.astimezone(self.tz)
        for _ in range(days):
            _, target = next(working)
        return min(target.start + into_day, target.end).astimezone(self.tz)

    def counted_intervals(self, a: datetime, b: datetime) -> list[Interval]:
        """The stretches of opening hours between `a` and `b`, in order (empty when b <= a)."""
        low, high = _utc(a), _utc(b)
        found: list[Interval] = []
        if high <= low:
            return found
        for _, hours in self._days_from(self._local_date(a)):
            if hours.start >= high:
                break
            begin, end = max(hours.start, low), min(hours.end, high)
            if begin < end:
                found.append(Interval(begin.astimezone(self.tz), end.astimezone(self.tz)))
        return found

    def business_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Opening hours from `a` to `b`; negative when `b` is before `a` (time past a due)."""
        if _utc(b) < _utc(a):
            return -self.business_time_between(b, a)
        return sum((part.duration for part in self.counted_intervals(a, b)), timedelta(0))

    def days_off_between(self, a: datetime, b: datetime) -> list[DayOff]:
        """Days off whose local date lies from `a`'s date to `b`'s date, inclusive."""
        first, last = self._local_date(a), self._local_date(b)
        found = []
        for offset in range((last - first).days + 1):
            reason = self.day_off(first + timedelta(days=offset))
            if reason is not None:
                found.append(reason)
        return found


class AroundTheClock:
    """The calendar of a plan whose clock never stops: business time is real elapsed time and a
    day is 24 hours. Moments come back in `tz` for display."""

    def __init__(self, tz: ZoneInfo | str) -> None:
        self.tz = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)

    def is_open(self, moment: datetime) -> bool:
        _utc(moment)
        return True

    def next_opening(self, moment: datetime) -> datetime:
        return _utc(moment).astimezone(self.tz)

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        _check_duration(duration)
        return (_utc(start) + duration).astimezone(self.tz)

    def add_business_days(self, start: datetime, days: int) -> datetime:
        if days < 0:
            raise ValueError(f"days cannot be negative, got {days}")
        return self.add_business_time(start, timedelta(days=days))

    def counted_intervals(self, a: datetime, b: datetime) -> list[Interval]:
        if _utc(b) <= _utc(a):
            return []
        return [Interval(_utc(a).astimezone(self.tz), _utc(b).astimezone(self.tz))]

    def business_time_between(self, a: datetime, b: datetime) -> timedelta:
        return _utc(b) - _utc(a)

    def days_off_between(self, a: datetime, b: datetime) -> list[DayOff]:
        return []
