"""The answer to "why is this ticket due then?": both deadlines, the hours that counted towards
them and the days that were skipped, as JSON for tools and as text for the admin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from desk.calendar import BusinessCalendar, DayOff, Interval
from desk.sla_config import BY_AGREEMENT, Duration, PlanConfig

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_REASONS = {"weekend": "weekend", "holiday": "public holiday", "day_off": "transferred day off (config)"}


@dataclass(frozen=True)
class Explanation:
    """Why a ticket's deadlines are where they are, for the admin's `sla explain`."""

    plan: str
    plan_config: PlanConfig
    criticality: str
    resolution_target: Duration | None
    opened: datetime
    first_response_due: datetime
    resolution_due: datetime | None
    first_response_intervals: tuple[Interval, ...]
    resolution_intervals: tuple[Interval, ...]
    days_off: tuple[DayOff, ...]
    calendar: BusinessCalendar

    def to_json(self) -> dict:
        """A JSON-ready dict; moments are ISO 8601 with the calendar zone's offset, a due that
        is by agreement is None (null)."""
        return {
            "plan": self.plan,
            "criticality": self.criticality,
            "timezone": self.calendar.tz.key,
            "around_the_clock": self.plan_config.around_the_clock,
            "opened": _iso(self.opened),
            "first_response_target": self.plan_config.first_response,
            "first_response_due": _iso(self.first_response_due),
            "resolution_target": str(self.resolution_target) if self.resolution_target else BY_AGREEMENT,
            "resolution_due": _iso(self.resolution_due) if self.resolution_due else None,
            "intervals": {
                "first_response": [_interval_json(part) for part in self.first_response_intervals],
                "resolution": [_interval_json(part) for part in self.resolution_intervals],
            },
            "days_off": [
                {"date": off.day.isoformat(), "reason": off.reason, "name": off.name or None}
                for off in self.days_off
            ],
        }

    def to_text(self) -> str:
        """A few lines for a person: the dues, the hours that counted, the days skipped and why."""
        return "\n".join(_render(self))



def _iso(moment: datetime) -> str:
    """ISO 8601 with seconds and the offset, the form every parser reads."""
    return moment.isoformat(timespec="seconds")


def _interval_json(part: Interval) -> dict:
    return {"start": _iso(part.start), "end": _iso(part.end), "minutes": part.duration / timedelta(minutes=1)}


def _day(day: date) -> str:
    return f"{_WEEKDAYS[day.weekday()]} {day.isoformat()}"


def _moment(moment: datetime) -> str:
    offset = moment.isoformat()[-6:]
    return f"{_day(moment.date())} {moment:%H:%M} {offset}"


def _length(span: timedelta) -> str:
    minutes = int(span / timedelta(minutes=1))
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def _span(part: Interval) -> str:
    start, end = part.start, part.end
    until = f"{end:%H:%M}" if end.date() == start.date() else _moment(end)
    return f"{_moment(start)} - {until}"


def _hours(calendar: BusinessCalendar) -> str:
    days = ",".join(_WEEKDAYS[day - 1] for day in sorted(calendar.work_days))
    holidays = f"public holidays of {calendar.country}" if calendar.country else "no public holidays"
    return f"{days} {calendar.work_start:%H:%M}-{calendar.work_end:%H:%M} {calendar.tz.key}, {holidays}"


def _section(title: str, due: datetime, intervals: tuple[Interval, ...], days_off: list[DayOff]) -> list[str]:
    lines = [f"{title}: {_moment(due)}"]
    for part in intervals:
        lines.append(f"  counted {_span(part)} ({_length(part.duration)})")
    lines.append(f"  total   {_length(sum((part.duration for part in intervals), timedelta(0)))}")
    for off in days_off:
        reason = _REASONS[off.reason] + (f": {off.name}" if off.name else "")
        lines.append(f"  skipped {_day(off.day)} ({reason})")
    return lines


def _skipped(explanation: Explanation, until: datetime) -> list[DayOff]:
    first, last = explanation.opened.date(), until.date()
    return [off for off in explanation.days_off if first <= off.day <= last]


def _render(explanation: Explanation) -> list[str]:
    plan = explanation.plan_config
    clock = "around the clock" if plan.around_the_clock else "business time"
    lines = [
        f"Plan {explanation.plan}: first response within {plan.first_response} ({clock}).",
        f"Criticality {explanation.criticality}: "
        + (f"resolution within {explanation.resolution_target}." if explanation.resolution_target
           else "no resolution deadline (by agreement)."),
    ]
    if not plan.around_the_clock:
        lines.append(f"Business hours: {_hours(explanation.calendar)}.")
    lines.append(f"Opened: {_moment(explanation.opened)}")
    first = explanation.first_response_due
    lines += _section("First response due", first, explanation.first_response_intervals, _skipped(explanation, first))
    solved = explanation.resolution_due
    if solved is None:
        lines.append(f"Resolution due: {BY_AGREEMENT} (by agreement)")
    else:
        lines += _section("Resolution due", solved, explanation.resolution_intervals, _skipped(explanation, solved))
    return lines
