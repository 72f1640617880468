"""The desk's report as text for the terminal, as one self-contained HTML page whose charts are
PNG images drawn with matplotlib (Agg, no display) and embedded, so it opens anywhere with no
network, and as the charts alone for the weekly album in the agent group."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable
from typing import TYPE_CHECKING

from desk.analytics import CRITICALITIES, Report

if TYPE_CHECKING:
    from matplotlib.figure import Figure

COLOURS = {"critical": "#c0392b", "high": "#e67e22", "normal": "#f1c40f", "low": "#27ae60"}


def _hours(value: float | None) -> str:
    if value is None:
        return "—"
    whole = round(value * 60)
    return f"{whole // 60}h{whole % 60:02d}m"


def share(value: float | None) -> str:
    """A share as a whole percentage, "—" when there was nothing to count."""
    return "—" if value is None else f"{value:.0%}"


def text(report: Report) -> str:
    """The report's numbers, for a terminal."""
    lines = [f"Frontdesk report {report.start} – {report.end} (generated {report.generated_at:%Y-%m-%d %H:%M} UTC)",
             "", f"Tickets opened: {report.tickets}"]
    for criticality in CRITICALITIES:
        count = sum(day[criticality] for day in report.per_day.values())
        lines.append(f"  {criticality}: {count}")
    lines += ["", "First response against the SLA, by plan:"]
    for row in report.first_response:
        lines.append(f"  {row.plan}: {row.timing.count} answered, median {_hours(row.timing.median)}, "
                     f"p90 {_hours(row.timing.p90)}, met {row.met}, missed {row.missed} ({share(row.share_met)} met)")
    resolution = report.resolution
    lines += ["", f"Resolution: {resolution.count} resolved, median {_hours(resolution.median)}, "
                  f"p90 {_hours(resolution.p90)}",
              "", "Backlog now, by age: " + ", ".join(f"{name} {count}" for name, count in report.backlog.items())]
    funnel = report.funnel
    lines += ["", f"Deflection: {funnel.questions} questions → {funnel.answered} answered by the FAQ → "
                  f"{funnel.helped} helped → {funnel.requests} requests opened "
                  f"(deflection {share(funnel.deflection)})"]
    rated = sum(report.ratings.values())
    average = "—" if report.average_rating is None else f"{report.average_rating:.2f}"
    lines += ["", f"Ratings: {rated}, average {average}, CSAT (4–5 stars) {share(report.csat)}"]
    lines += [f"  #{number} {stars}★: {comment}" for number, stars, comment in report.comments]
    if report.gaps:
        lines += ["", "Top FAQ gaps:"] + [f"  {gap.count:4}  {gap.example}" for gap in report.gaps]
    if report.suggestions_used:
        lines += ["", "FAQ answers agents sent from suggestions:"] + [
            f"  {use.count:4}  {use.entry_id}" for use in report.suggestions_used]
    if report.load:
        lines += ["", "Tickets per agent:"] + [f"  {agent}: {count}" for agent, count in report.load.items()]
    return "\n".join(lines) + "\n"


# --- charts ------------------------------------------------------------------------------------


def _png(draw: Callable[[Figure], None]) -> str:
    # matplotlib (about 30 MB) is loaded by the first chart drawn, not by every bot process at start.
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    # A Figure of its own, never pyplot's global state: safe in a worker thread, nothing to close.
    figure = Figure(figsize=(7, 3.2), dpi=100)
    draw(figure)
    for axes in figure.axes:  # counts are whole numbers
        counted = axes.xaxis if axes.get_xlabel() == "count" else axes.yaxis
        counted.set_major_locator(MaxNLocator(integer=True))
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def charts(report: Report) -> list[tuple[str, bytes]]:
    """(title, PNG bytes) of every chart, in the page's order (also what the weekly album sends)."""
    return [(title, base64.b64decode(data)) for title, data in _charts(report)]


def _charts(report: Report) -> list[tuple[str, str]]:
    def per_day(figure: Figure) -> None:
        axes = figure.add_subplot()
        days = list(report.per_day)
        bottom = [0] * len(days)
        for criticality in reversed(CRITICALITIES):
            counts = [report.per_day[day][criticality] for day in days]
            axes.bar([d.strftime("%m-%d") for d in days], counts, bottom=bottom, label=criticality,
                     color=COLOURS[criticality])
            bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
        axes.set_ylabel("tickets")
        axes.legend(fontsize="small")
        axes.tick_params(axis="x", labelrotation=45)

    def first_response(figure: Figure) -> None:
        axes = figure.add_subplot()
        plans = [row.plan for row in report.first_response]
        met = [row.met for row in report.first_response]
        missed = [row.missed for row in report.first_response]
        axes.bar(plans, met, color="#27ae60", label="met")
        axes.bar(plans, missed, bottom=met, color="#c0392b", label="missed")
        axes.set_ylabel("tickets")
        axes.legend(fontsize="small")

    def funnel(figure: Figure) -> None:
        axes = figure.add_subplot()
        steps = ["questions", "answered by FAQ", "helped", "requests opened"]
        f = report.funnel
        axes.barh(steps[::-1], [f.requests, f.helped, f.answered, f.questions], color="#2980b9")
        axes.set_xlabel("count")

    def ratings(figure: Figure) -> None:
        axes = figure.add_subplot()
        axes.bar([f"{stars}★" for stars in report.ratings], list(report.ratings.values()), color="#f39c12")
        axes.set_ylabel("ratings")

    def backlog(figure: Figure) -> None:
        axes = figure.add_subplot()
        axes.bar(list(report.backlog), list(report.backlog.values()), color="#8e44ad")
        axes.set_ylabel("open tickets")

    drawn = [("Tickets opened per day, by criticality", per_day),
             ("First response against the SLA, by plan", first_response),
             ("Deflection funnel", funnel), ("Ratings", ratings), ("Backlog by age", backlog)]
    if report.load:
        def load(figure: Figure) -> None:
            axes = figure.add_subplot()
            axes.bar(list(report.load), list(report.load.values()), color="#16a085")
            axes.set_ylabel("tickets")

        drawn.append(("Tickets per agent", load))
    return [(title, _png(draw)) for title, draw in drawn]


def page(report: Report) -> str:
    """One HTML page with the numbers and every chart embedded (no network needed)."""
    figures = "\n".join(
        f'<figure><img alt="{html.escape(title)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(title)}</figcaption></figure>"
        for title, data in _charts(report)
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Frontdesk report {report.start} – {report.end}</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}
figure{{margin:1.5rem 0}}img{{max-width:100%}}pre{{background:#f6f6f6;padding:1rem;white-space:pre-wrap}}</style>
</head><body>
<h1>Frontdesk report {report.start} – {report.end}</h1>
<pre>{html.escape(text(report))}</pre>
{figures}
</body></html>
"""
