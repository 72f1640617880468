"""The admin asks why a ticket is due when it is: `sla explain`, as text and as JSON."""

from __future__ import annotations

import io
import json
from datetime import datetime

import pytest
from sla_moments import msk

from desk.sla import SLA, SLAConfig, sla_explain_command


def _run(**options) -> tuple[int, str]:
    out = io.StringIO()
    arguments = {"plan": "partner", "criticality": "normal", "opened": "2026-03-13T18:30", "as_json": False}
    arguments.update(options)
    code = sla_explain_command(SLAConfig(), out=out, **arguments)
    return code, out.getvalue()


def test_the_friday_evening_partner_ticket_as_json():
    code, out = _run(as_json=True)
    assert code == 0
    answer = json.loads(out)
    assert answer["plan"] == "partner" and answer["criticality"] == "normal"
    assert answer["opened"] == "2026-03-13T18:30:00+03:00"
    assert answer["first_response_due"] == "2026-03-16T14:30:00+03:00"
    assert answer["resolution_due"] == "2026-03-18T18:30:00+03:00"
    assert datetime.fromisoformat(answer["first_response_due"]) == msk(2026, 3, 16, 14, 30)
    assert answer["intervals"]["first_response"] == [
        {"start": "2026-03-13T18:30:00+03:00", "end": "2026-03-13T19:00:00+03:00", "minutes": 30.0},
        {"start": "2026-03-16T10:00:00+03:00", "end": "2026-03-16T14:30:00+03:00", "minutes": 270.0},
    ]
    assert answer["days_off"] == [
        {"date": "2026-03-14", "reason": "weekend", "name": None},
        {"date": "2026-03-15", "reason": "weekend", "name": None},
    ]


def test_a_resolution_by_agreement_is_null():
    code, out = _run(as_json=True, criticality="low")
    assert code == 0
    answer = json.loads(out)
    assert answer["resolution_due"] is None and answer["resolution_target"] == "none"
    assert answer["intervals"]["resolution"] == []


def test_an_opened_time_with_an_offset_is_shown_in_the_desks_zone():
    _code, out = _run(as_json=True, opened="2026-03-13T15:30Z")
    assert json.loads(out)["opened"] == "2026-03-13T18:30:00+03:00"
    assert json.loads(out)["first_response_due"] == "2026-03-16T14:30:00+03:00"


def test_the_text_says_which_hours_counted_and_which_days_were_skipped():
    code, out = _run()
    assert code == 0
    assert "First response due: Mon 2026-03-16 14:30 +03:00" in out
    assert "counted Fri 2026-03-13 18:30 +03:00 - 19:00 (0h30m)" in out
    assert "counted Mon 2026-03-16 10:00 +03:00 - 14:30 (4h30m)" in out
    assert "skipped Sat 2026-03-14 (weekend)" in out


def test_the_text_names_holidays_and_transferred_days_off():
    explanation = SLA(SLAConfig.model_validate({"extra_days_off": ["2026-05-04"]})).explain(
        "vip", "low", msk(2026, 4, 30, 18)
    )
    text = explanation.to_text()
    assert "skipped Fri 2026-05-01 (public holiday: " in text
    assert "skipped Mon 2026-05-04 (transferred day off (config))" in text
    assert "Resolution due: none (by agreement)" in text
    assert explanation.first_response_due == msk(2026, 5, 5, 11)


def test_an_around_the_clock_plan_explains_real_time():
    answer = SLA(SLAConfig()).explain("special", "critical", msk(2026, 3, 14, 23, 30)).to_json()
    assert answer["around_the_clock"] is True
    assert answer["first_response_due"] == "2026-03-15T00:30:00+03:00"
    assert answer["resolution_due"] == "2026-03-15T03:30:00+03:00"
    assert answer["days_off"] == []


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"opened": "2026-13-13T18:30"}, "not an ISO date"),
        ({"plan": "gold"}, "unknown plan 'gold'"),
        ({"criticality": "urgent"}, "unknown criticality 'urgent'"),
    ],
)
def test_a_wrong_argument_gives_one_error_line_and_code_2(options, words):
    code, out = _run(**options)
    assert code == 2
    assert out.count("\n") == 1 and out.startswith("error: ") and words in out
