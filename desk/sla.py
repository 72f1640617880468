"""SLA deadlines: when a ticket's first response and resolution are due, and when to remind.

The functions take the moment the ticket was opened (an aware datetime) and return aware datetimes
in the calendar's time zone. Business-hours plans count only opening hours; around-the-clock plans
count real time, for first response and resolution alike. Nothing here reads the system clock.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TextIO

from desk.calendar import AroundTheClock, BusinessCalendar, WorkingTime
from desk.sla_config import (
    BY_AGREEMENT,
    CRITICALITIES,
    Duration,
    PlanConfig,
    ResolutionConfig,
    SLAConfig,
)
from desk.sla_explanation import Explanation

__all__ = [
    "BY_AGREEMENT",
    "CRITICALITIES",
    "SLA",
    "Duration",
    "Explanation",
    "PlanConfig",
    "ResolutionConfig",
    "SLAConfig",
    "build_calendar",
    "first_response_due",
    "plan_clock",
    "reminder_at",
    "resolution_due",
    "sla_explain_command",
]


def build_calendar(config: SLAConfig) -> BusinessCalendar:
    """The desk's business calendar as the `[sla]` section describes it."""
    return BusinessCalendar(
        tz=config.timezone,
        work_start=config.work_start,
        work_end=config.work_end,
        work_days=config.work_days,
        country=config.holiday_country,
        extra_days_off=config.extra_days_off,
        extra_work_days=config.extra_work_days,
    )


def plan_clock(plan: PlanConfig, calendar: BusinessCalendar) -> WorkingTime:
    """The calendar a plan's clocks run on: the desk's hours, or real time around the clock."""
    return AroundTheClock(calendar.tz) if plan.around_the_clock else calendar


def add_target(start: datetime, target: Duration, clock: WorkingTime) -> datetime:
    """`start` plus an SLA target: whole days first, then the hours and minutes."""
    if not target.days:
        return clock.add_business_time(start, target.time)
    moment = clock.add_business_days(start, target.days)
    # Adding no time would push a due that sits at a closing time on to the next opening.
    return clock.add_business_time(moment, target.time) if target.time else moment


def first_response_due(opened_at: datetime, plan: PlanConfig, calendar: BusinessCalendar) -> datetime:
    """When the first agent answer is due for a ticket opened at `opened_at` on `plan`."""
    return add_target(opened_at, plan.first_response_target, plan_clock(plan, calendar))


def resolution_due(
    opened_at: datetime,
    plan: PlanConfig,
    criticality: str,
    calendar: BusinessCalendar,
    targets: ResolutionConfig | None = None,
) -> datetime | None:
    """When the ticket must be solved, or None when its criticality's target is by agreement.

    `targets` defaults to the built-in resolution targets; raises ValueError for an unknown
    criticality.
    """
    target = (targets or ResolutionConfig()).target(criticality)
    if target is None:
        return None
    return add_target(opened_at, target, plan_clock(plan, calendar))


def reminder_at(opened_at: datetime, due: datetime, calendar: WorkingTime, lead: float) -> datetime:
    """The moment `lead` (0..1) of the business time from `opened_at` to `due` has passed.

    Pass `plan_clock(plan, calendar)` so an around-the-clock plan's reminder counts real time.
    """
    if not 0 <= lead <= 1:
        raise ValueError(f"lead must be a fraction between 0 and 1, got {lead}")
    total = calendar.business_time_between(opened_at, due)
    # Whole seconds: reminders need no finer grain, and it keeps the result reproducible.
    part = timedelta(seconds=int(total.total_seconds() * lead))
    return calendar.add_business_time(opened_at, max(part, timedelta(0)))


class SLA:
    """The desk's SLA rules built once from the `[sla]` section; pass it to whoever needs dues."""

    def __init__(self, config: SLAConfig, calendar: BusinessCalendar | None = None) -> None:
        self.config = config
        self.calendar = calendar or build_calendar(config)

    def plan(self, name: str | None = None) -> PlanConfig:
        """The named plan (the default plan for None); ValueError names the known ones."""
        name = name or self.config.default_plan
        try:
            return self.config.plans[name]
        except KeyError:
            known = ", ".join(sorted(self.config.plans))
            raise ValueError(f"unknown plan {name!r} (known: {known})") from None

    def first_response_due(self, opened_at: datetime, plan: str | None = None) -> datetime:
        return first_response_due(opened_at, self.plan(plan), self.calendar)

    def resolution_due(self, opened_at: datetime, plan: str | None, criticality: str) -> datetime | None:
        return resolution_due(opened_at, self.plan(plan), criticality, self.calendar, self.config.resolution)

    def reminder_at(self, opened_at: datetime, due: datetime, plan: str | None = None) -> datetime:
        """When agents get the reminder before `due`, at `reminder_lead` of the plan's clock."""
        clock = plan_clock(self.plan(plan), self.calendar)
        return reminder_at(opened_at, due, clock, self.config.reminder_lead)

    def explain(self, plan: str | None, criticality: str, opened_at: datetime) -> Explanation:
        """Both dues for a ticket and the business time that counted towards each."""
        plan_config = self.plan(plan)
        target = self.config.resolution.target(criticality)
        clock = plan_clock(plan_config, self.calendar)
        first_due = first_response_due(opened_at, plan_config, self.calendar)
        solved_due = resolution_due(opened_at, plan_config, criticality, self.calendar, self.config.resolution)
        last = max(first_due, solved_due) if solved_due else first_due
        return Explanation(
            plan=plan or self.config.default_plan,
            plan_config=plan_config,
            criticality=criticality,
            resolution_target=target,
            opened=opened_at.astimezone(self.calendar.tz),
            first_response_due=first_due,
            resolution_due=solved_due,
            first_response_intervals=tuple(clock.counted_intervals(opened_at, first_due)),
            resolution_intervals=tuple(clock.counted_intervals(opened_at, solved_due)) if solved_due else (),
            days_off=tuple(clock.days_off_between(opened_at, last)),
            calendar=self.calendar,
        )



def parse_opened(text: str, calendar: BusinessCalendar) -> datetime:
    """An ISO 8601 moment; without an offset it is read as wall time in the calendar's zone."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"opened: not an ISO date and time like 2026-03-13T18:30, got {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=calendar.tz)
    return moment.astimezone(calendar.tz)


def sla_explain_command(
    config: SLAConfig, *, plan: str, criticality: str, opened: str, as_json: bool, out: TextIO
) -> int:
    """`frontdesk sla explain`: print why a ticket would be due when it is; exit code 0, or 2
    with one `error: ...` line for a bad date, plan or criticality."""
    sla = SLA(config)
    try:
        moment = parse_opened(opened, sla.calendar)
        explanation = sla.explain(plan, criticality, moment)
    except ValueError as error:
        print(f"error: {error}", file=out)
        return 2
    if as_json:
        print(json.dumps(explanation.to_json(), ensure_ascii=False, indent=2), file=out)
    else:
        print(explanation.to_text(), file=out)
    return 0
