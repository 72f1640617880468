"""Laws of business time that hold for any start and duration (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from sla_moments import BERLIN, MSK

from desk.calendar import AroundTheClock, BusinessCalendar

CALENDARS = [
    BusinessCalendar(MSK, time(10), time(19), country="RU"),
    BusinessCalendar(BERLIN, time(10), time(19), country="DE"),
    # Hours across the DST change, and a late start with a half-hour grain.
    BusinessCalendar(BERLIN, time(1), time(5), work_days=range(1, 8)),
    BusinessCalendar(MSK, time(8, 30), time(20), work_days=(1, 2, 3, 4, 5, 6), country="RU"),
]

calendars = st.sampled_from(CALENDARS)
starts = st.datetimes(datetime(2024, 1, 1), datetime(2028, 12, 31), timezones=st.just(UTC))
durations = st.timedeltas(timedelta(0), timedelta(days=40))
laws = settings(deadline=None, max_examples=150)


def _at_closing(calendar: BusinessCalendar, moment: datetime) -> bool:
    hours = calendar.opening_hours(moment.astimezone(calendar.tz).date())
    return hours is not None and moment == hours.end


@laws
@given(calendars, starts, durations)
def test_the_due_is_never_before_the_start_and_lies_in_opening_hours(calendar, start, duration):
    due = calendar.add_business_time(start, duration)
    assert due >= start
    assert calendar.is_open(due) or _at_closing(calendar, due)
    assert due.tzinfo is calendar.tz


@laws
@given(calendars, starts, durations)
def test_the_business_time_between_start_and_due_is_the_duration(calendar, start, duration):
    due = calendar.add_business_time(start, duration)
    assert calendar.business_time_between(start, due) == duration
    assert sum((part.duration for part in calendar.counted_intervals(start, due)), timedelta(0)) == duration


@laws
@given(calendars, starts, durations, durations)
def test_a_longer_duration_is_never_due_earlier(calendar, start, one, other):
    short, long = sorted((one, other))
    assert calendar.add_business_time(start, short) <= calendar.add_business_time(start, long)


@laws
@given(calendars, starts, starts)
def test_adding_the_business_time_between_two_moments_leaves_none_to_go(calendar, one, other):
    a, b = sorted((one, other))
    reached = calendar.add_business_time(a, calendar.business_time_between(a, b))
    assert calendar.business_time_between(reached, b) == timedelta(0)


@laws
@given(st.sampled_from(CALENDARS[:2]), starts, st.integers(0, 30))
def test_a_business_day_is_one_days_opening_hours(calendar, start, days):
    due = calendar.add_business_days(start, days)
    assert calendar.business_time_between(start, due) == days * timedelta(hours=9)
    assert calendar.is_open(due) or _at_closing(calendar, due)


@laws
@given(starts, durations)
def test_around_the_clock_is_real_time(start, duration):
    clock = AroundTheClock(MSK)
    assert clock.add_business_time(start, duration) == start + duration
    assert clock.business_time_between(start, start + duration) == duration


@laws
@given(calendars, starts)
def test_the_next_opening_is_open_and_never_earlier(calendar, moment):
    opening = calendar.next_opening(moment)
    assert opening >= moment and calendar.is_open(opening)
    assert calendar.business_time_between(moment, opening) == timedelta(0)
