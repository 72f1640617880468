"""Business time on the Moscow desk: 10:00-19:00 on weekdays, closed on Russian holidays."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sla_moments import MSK, msk, utc

from desk.calendar import BusinessCalendar, DayOff, Interval

H = timedelta(hours=1)


def test_weekdays_are_working_days_and_weekends_are_not(moscow):
    assert moscow.is_working_day(date(2026, 3, 13))  # Friday
    assert moscow.day_off(date(2026, 3, 14)) == DayOff(date(2026, 3, 14), "weekend")
    assert not moscow.is_working_day(date(2026, 3, 15))


@pytest.mark.parametrize("day", [date(2026, 1, 1), date(2026, 1, 8), date(2026, 5, 1), date(2026, 6, 12)])
def test_public_holidays_close_the_desk_and_carry_their_name(moscow, day):
    off = moscow.day_off(day)
    assert off is not None and off.reason == "holiday" and off.name


def test_the_librarys_transferred_working_saturday_is_a_working_day(moscow):
    assert moscow.is_working_day(date(2025, 11, 1))  # a Saturday worked for 2025-11-03


def test_extra_days_from_config_win_over_the_library():
    calendar = BusinessCalendar(
        MSK, time(10), time(19), country="RU",
        extra_days_off=[date(2026, 3, 13)], extra_work_days=[date(2026, 1, 9), date(2026, 3, 14)],
    )
    assert calendar.day_off(date(2026, 3, 13)) == DayOff(date(2026, 3, 13), "day_off")
    assert calendar.is_working_day(date(2026, 1, 9))  # the library's New Year transfer
    assert calendar.is_working_day(date(2026, 3, 14))  # a working Saturday
    # Thursday 18:00 + 2 h: Friday is off, so Saturday 11:00.
    assert calendar.add_business_time(msk(2026, 3, 12, 18), 2 * H) == msk(2026, 3, 14, 11)


def test_a_day_cannot_be_both_off_and_working():
    with pytest.raises(ValueError, match="2026-03-13"):
        BusinessCalendar(MSK, time(10), time(19), extra_days_off=[date(2026, 3, 13)],
                         extra_work_days=[date(2026, 3, 13)])


def test_opening_must_come_before_closing():
    with pytest.raises(ValueError, match="work_start"):
        BusinessCalendar(MSK, time(19), time(10))


def test_is_open_includes_the_opening_and_excludes_the_closing(moscow):
    assert moscow.is_open(msk(2026, 3, 13, 10))
    assert moscow.is_open(msk(2026, 3, 13, 18, 59))
    assert not moscow.is_open(msk(2026, 3, 13, 19))
    assert not moscow.is_open(msk(2026, 3, 13, 9, 59))
    assert not moscow.is_open(msk(2026, 3, 14, 12))


def test_next_opening(moscow):
    assert moscow.next_opening(msk(2026, 3, 13, 12)) == msk(2026, 3, 13, 12)
    assert moscow.next_opening(msk(2026, 3, 13, 8)) == msk(2026, 3, 13, 10)
    assert moscow.next_opening(msk(2026, 3, 13, 19)) == msk(2026, 3, 16, 10)
    assert moscow.next_opening(msk(2025, 12, 30, 20)) == msk(2026, 1, 12, 10)


def test_a_deadline_inside_one_day(moscow):
    assert moscow.add_business_time(msk(2026, 3, 11, 11), 2 * H) == msk(2026, 3, 11, 13)


def test_a_deadline_that_uses_up_the_day_is_its_closing_time(moscow):
    assert moscow.add_business_time(msk(2026, 3, 11, 10), 9 * H) == msk(2026, 3, 11, 19)


def test_a_deadline_across_several_days(moscow):
    # Wednesday 15:00 + 24 h: 4 h Wed, 9 Thu, 9 Fri, weekend, 2 Mon.
    assert moscow.add_business_time(msk(2026, 3, 11, 15), 24 * H) == msk(2026, 3, 16, 12)


@pytest.mark.parametrize(
    ("opened", "due"),
    [
        (msk(2026, 3, 11, 7, 15), msk(2026, 3, 11, 12)),  # before opening
        (msk(2026, 3, 11, 21), msk(2026, 3, 12, 12)),  # after closing
        (msk(2026, 3, 11, 19), msk(2026, 3, 12, 12)),  # exactly at closing
        (msk(2026, 3, 15, 12), msk(2026, 3, 16, 12)),  # on a Sunday
        (msk(2026, 5, 1, 12), msk(2026, 5, 4, 12)),  # on Labour Day, a Friday
    ],
)
def test_a_ticket_opened_outside_hours_starts_at_the_next_opening(moscow, opened, due):
    assert moscow.add_business_time(opened, 2 * H) == due


def test_the_new_year_holidays_are_skipped(moscow):
    assert moscow.add_business_time(msk(2025, 12, 30, 18), 2 * H) == msk(2026, 1, 12, 11)


def test_an_opened_time_in_utc_near_midnight_is_read_in_moscow(moscow):
    # 21:30 UTC Thursday is 00:30 Friday in Moscow: the clock starts at Friday 10:00.
    opened = utc(2026, 3, 12, 21, 30)
    due = moscow.add_business_time(opened, 2 * H)
    assert due == msk(2026, 3, 13, 12) and due.tzinfo is MSK
    # 23:30 UTC Friday is already Saturday in Moscow.
    late = utc(2026, 3, 13, 23, 30)
    assert moscow.add_business_time(late, 2 * H) == msk(2026, 3, 16, 12)


def test_naive_datetimes_are_refused(moscow):
    with pytest.raises(ValueError, match="aware"):
        moscow.add_business_time(msk(2026, 3, 11, 12).replace(tzinfo=None), H)


def test_business_time_between_counts_only_opening_hours(moscow):
    assert moscow.business_time_between(msk(2026, 3, 13, 18, 30), msk(2026, 3, 16, 14, 30)) == 5 * H
    assert moscow.business_time_between(msk(2026, 3, 14, 1), msk(2026, 3, 15, 23)) == timedelta(0)
    assert moscow.business_time_between(msk(2026, 3, 16, 14, 30), msk(2026, 3, 13, 18, 30)) == -5 * H


def test_counted_intervals_and_days_off(moscow):
    opened, due = msk(2026, 3, 13, 18, 30), msk(2026, 3, 16, 14, 30)
    assert moscow.counted_intervals(opened, due) == [
        Interval(msk(2026, 3, 13, 18, 30), msk(2026, 3, 13, 19)),
        Interval(msk(2026, 3, 16, 10), msk(2026, 3, 16, 14, 30)),
    ]
    assert [off.day.day for off in moscow.days_off_between(opened, due)] == [14, 15]


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (msk(2026, 3, 11, 15), 1, msk(2026, 3, 12, 15)),
        (msk(2026, 3, 13, 15), 1, msk(2026, 3, 16, 15)),
        (msk(2026, 3, 11, 10), 1, msk(2026, 3, 11, 19)),  # from an opening: that day's closing
        (msk(2026, 3, 11, 20), 2, msk(2026, 3, 13, 19)),  # after hours: counts from Thursday 10:00
        (msk(2026, 3, 11, 15), 0, msk(2026, 3, 11, 15)),
        (msk(2026, 4, 30, 12), 1, msk(2026, 5, 4, 12)),  # over Labour Day and the weekend
    ],
)
def test_add_business_days_keeps_the_time_of_day(moscow, start, days, due):
    assert moscow.add_business_days(start, days) == due


def test_a_calendar_with_no_working_day_says_so():
    calendar = BusinessCalendar(MSK, time(10), time(19), work_days=[])
    with pytest.raises(ValueError, match="no working day"):
        calendar.add_business_time(msk(2026, 3, 11, 12), H)
