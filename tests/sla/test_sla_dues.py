"""When a ticket's answer and solution are due, plan by plan, on the seed's Moscow desk."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sla_moments import msk, utc

from desk.sla import SLA, SLAConfig, first_response_due, plan_clock, reminder_at, resolution_due
from desk.sla_config import PlanConfig, ResolutionConfig

H = timedelta(hours=1)
# Friday 2026-03-13 is an ordinary working day; so is Monday 2026-03-16.
FRIDAY_EVENING = msk(2026, 3, 13, 18, 30)


@pytest.fixture(scope="module")
def sla() -> SLA:
    return SLA(SLAConfig())


def test_a_partner_ticket_opened_friday_evening_is_answered_by_monday_1430(sla):
    # 30 min on Friday, then 4 h 30 min from Monday's 10:00.
    assert sla.first_response_due(FRIDAY_EVENING, "partner") == msk(2026, 3, 16, 14, 30)


@pytest.mark.parametrize(
    ("plan", "due"),
    [
        ("vip", msk(2026, 3, 16, 11, 30)),
        ("commercial", msk(2026, 3, 16, 15, 30)),
        ("non_commercial", msk(2026, 3, 18, 15, 30)),  # 24 h = 2 days 6 h of opening hours
        ("consultation", msk(2026, 3, 20, 13, 30)),  # 40 h = 30 min + 4 days + 3 h 30 min
        ("development", msk(2026, 4, 16, 18, 30)),  # 24 working days
        ("special", msk(2026, 3, 13, 19, 30)),  # around the clock
    ],
)
def test_each_plans_first_response(sla, plan, due):
    assert sla.first_response_due(FRIDAY_EVENING, plan) == due


def test_the_default_plan_is_commercial(sla):
    assert sla.first_response_due(FRIDAY_EVENING) == sla.first_response_due(FRIDAY_EVENING, "commercial")


def test_a_special_request_runs_through_a_sunday_night_and_a_holiday(sla):
    assert sla.first_response_due(msk(2026, 1, 4, 23, 30), "special") == msk(2026, 1, 5, 0, 30)
    assert sla.resolution_due(msk(2026, 1, 4, 23, 30), "special", "high") == msk(2026, 1, 5, 23, 30)


@pytest.mark.parametrize(
    ("criticality", "due"),
    [
        ("critical", msk(2026, 3, 16, 13, 30)),
        ("high", msk(2026, 3, 16, 18, 30)),
        ("normal", msk(2026, 3, 18, 18, 30)),
        ("low", None),
    ],
)
def test_resolution_by_criticality(sla, criticality, due):
    assert sla.resolution_due(FRIDAY_EVENING, "commercial", criticality) == due


def test_the_module_functions_take_the_pieces_directly(sla):
    plan = PlanConfig(first_response="2h")
    assert first_response_due(utc(2026, 3, 12, 21, 30), plan, sla.calendar) == msk(2026, 3, 13, 12)
    targets = ResolutionConfig(low="1d")
    assert resolution_due(FRIDAY_EVENING, plan, "low", sla.calendar, targets) == msk(2026, 3, 16, 18, 30)
    with pytest.raises(ValueError, match="criticality"):
        resolution_due(FRIDAY_EVENING, plan, "urgent", sla.calendar)


def test_an_unknown_plan_names_the_known_ones(sla):
    with pytest.raises(ValueError, match="unknown plan 'gold' \\(known: commercial, "):
        sla.first_response_due(FRIDAY_EVENING, "gold")


def test_the_reminder_comes_at_four_fifths_of_the_business_time(sla):
    due = sla.first_response_due(FRIDAY_EVENING, "partner")
    # 5 h * 0.8 = 4 h: 30 min Friday + 3 h 30 min Monday.
    assert sla.reminder_at(FRIDAY_EVENING, due, "partner") == msk(2026, 3, 16, 13, 30)


def test_an_around_the_clock_reminder_counts_real_time(sla):
    due = sla.first_response_due(FRIDAY_EVENING, "special")
    assert sla.reminder_at(FRIDAY_EVENING, due, "special") == msk(2026, 3, 13, 19, 18)
    clock = plan_clock(sla.plan("special"), sla.calendar)
    assert reminder_at(FRIDAY_EVENING, due, clock, 0.5) == FRIDAY_EVENING + 0.5 * H


def test_a_lead_outside_zero_to_one_is_refused(sla):
    with pytest.raises(ValueError, match="lead"):
        reminder_at(FRIDAY_EVENING, FRIDAY_EVENING + H, sla.calendar, 1.2)


def test_config_transfers_move_the_due(sla):
    config = SLAConfig.model_validate({"extra_days_off": ["2026-03-16"], "extra_work_days": ["2026-03-14"]})
    assert SLA(config).first_response_due(FRIDAY_EVENING, "partner") == msk(2026, 3, 14, 14, 30)


def test_a_whole_day_from_the_opening_is_due_at_that_days_closing(sla):
    assert sla.resolution_due(msk(2026, 3, 16, 10), "commercial", "high") == msk(2026, 3, 16, 19)
    assert sla.resolution_due(msk(2026, 3, 13, 19), "commercial", "high") == msk(2026, 3, 16, 19)
