"""A desk in Berlin across the DST changes: each day's hours are its own local wall time."""

from __future__ import annotations

from datetime import date, time, timedelta

from sla_moments import BERLIN, berlin, utc

from desk.calendar import BusinessCalendar

H = timedelta(hours=1)


def test_a_deadline_over_the_spring_change_keeps_local_opening_hours(germany):
    # Friday 18:00 CET + 2 h: 1 h Friday, then Monday 10:00 CEST (the clocks moved on Sunday).
    due = germany.add_business_time(berlin(2026, 3, 27, 18), 2 * H)
    assert due == berlin(2026, 3, 30, 11)
    assert due.utcoffset() == 2 * H and due == utc(2026, 3, 30, 9)
    assert germany.business_time_between(berlin(2026, 3, 27, 18), due) == 2 * H


def test_a_deadline_over_the_autumn_change(germany):
    due = germany.add_business_time(berlin(2026, 10, 23, 18), 2 * H)
    assert due == berlin(2026, 10, 26, 11) and due.utcoffset() == H


def test_a_german_public_holiday_is_skipped(germany):
    assert germany.day_off(date(2026, 10, 3)).reason == "holiday"  # Unity Day, a Saturday
    assert germany.add_business_time(berlin(2026, 12, 24, 18), 2 * H) == berlin(2026, 12, 28, 11)


def test_hours_that_span_the_change_count_real_time():
    night = BusinessCalendar(BERLIN, time(1), time(5), work_days=range(1, 8))
    # 2026-03-29: 02:00 becomes 03:00, so 01:00-05:00 is three real hours.
    spring = night.opening_hours(date(2026, 3, 29))
    assert spring.duration == 3 * H
    assert night.add_business_time(berlin(2026, 3, 29, 1), 3 * H) == berlin(2026, 3, 29, 5)
    assert night.add_business_time(berlin(2026, 3, 29, 1), 2 * H) == berlin(2026, 3, 29, 4)
    # 2026-10-25: 03:00 becomes 02:00 again, so the same hours are five real hours.
    autumn = night.opening_hours(date(2026, 10, 25))
    assert autumn.duration == 5 * H
    assert night.add_business_time(berlin(2026, 10, 25, 1), 5 * H) == berlin(2026, 10, 25, 5)
    assert night.business_time_between(berlin(2026, 10, 24, 12), berlin(2026, 10, 25, 12)) == 5 * H
