"""The `[sla]` section: the seed's defaults, and one message naming the key for each mistake."""

from __future__ import annotations

import tomllib
from datetime import date, time, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from desk.sla import SLAConfig
from desk.sla_config import Duration, ResolutionConfig


def _error(document: dict) -> tuple[str, str]:
    """The dotted key and the message of the first problem, as the config loader reports it."""
    with pytest.raises(ValidationError) as caught:
        SLAConfig.model_validate(document)
    first = caught.value.errors()[0]
    return ".".join(str(part) for part in first["loc"]), first["msg"]


def test_the_defaults_are_the_seeds():
    config = SLAConfig()
    assert (config.timezone, config.work_start, config.work_end) == ("Europe/Moscow", time(10), time(19))
    assert config.work_days == (1, 2, 3, 4, 5) and config.holiday_country == "RU"
    targets = {name: plan.first_response for name, plan in config.plans.items()}
    assert targets == {
        "vip": "2h", "partner": "5h", "commercial": "6h", "non_commercial": "24h",
        "consultation": "40h", "development": "24d", "special": "1h",
    }
    assert [name for name, plan in config.plans.items() if plan.around_the_clock] == ["special"]
    assert config.default_plan == "commercial" and config.reminder_lead == 0.8
    assert config.resolution.target("low") is None
    assert config.resolution.target("critical") == Duration(0, timedelta(hours=4))


def test_a_toml_section_with_strings_and_toml_literals():
    document = tomllib.loads(
        """
        timezone = "Europe/Berlin"
        work_start = "09:30"
        work_end = 18:00:00
        work_days = [1, 2, 3, 4, 5, 6]
        holiday_country = "DE"
        extra_days_off = ["2026-12-31"]
        extra_work_days = [2026-01-03]
        default_plan = "gold"
        reminder_lead = 0.5
        [plans.gold]
        first_response = "1d 4h 30m"
        [resolution]
        low = "none"
        critical = "90m"
        """
    )
    config = SLAConfig.model_validate(document)
    assert config.work_start == time(9, 30) and config.work_end == time(18)
    assert config.extra_days_off == (date(2026, 12, 31),) and config.extra_work_days == (date(2026, 1, 3),)
    assert config.plans["gold"].first_response_target == Duration(1, timedelta(hours=4, minutes=30))
    assert str(config.plans["gold"].first_response_target) == "1d 4h 30m"
    assert config.resolution.target("critical") == Duration(0, timedelta(minutes=90))


@pytest.mark.parametrize(
    ("document", "key", "words"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone", "unknown time zone"),
        ({"work_start": "10"}, "work_start", "time of day"),
        ({"work_start": "19:00", "work_end": "10:00"}, "work_end", "after work_start"),
        ({"work_days": [0, 1]}, "work_days", "ISO weekdays"),
        ({"work_days": []}, "work_days", "at least one"),
        ({"holiday_country": "XX"}, "holiday_country", "unknown country"),
        ({"extra_days_off": ["2026-02-30"]}, "extra_days_off", "ISO dates"),
        ({"extra_days_off": ["2026-03-13"], "extra_work_days": ["2026-03-13"]}, "extra_work_days", "2026-03-13"),
        ({"default_plan": "gold"}, "default_plan", "'gold' is not a plan"),
        ({"plans": {"gold": {"first_response": "2x"}}}, "plans.gold.first_response", "'90m', '2h', '3d'"),
        ({"plans": {"gold": {"first_response": "0h"}}}, "plans.gold.first_response", "longer than zero"),
        ({"plans": {"gold": {"first_response": "2h", "nights": True}}}, "plans.gold.nights", "Extra inputs"),
        ({"plans": {"gold": {}}}, "plans.gold.first_response", "Field required"),
        ({"work_start": "25:00"}, "work_start", "time of day"),
        ({"work_start": "10:00+03:00"}, "work_start", "time of day"),
        ({"plans": {}}, "plans", "at least one plan"),
        ({"resolution": {"high": "soon"}}, "resolution.high", "duration"),
        ({"resolution": {"urgent": "1h"}}, "resolution.urgent", "Extra inputs"),
        ({"reminder_lead": 1.5}, "reminder_lead", "less than 1"),
        ({"reminder_lead": "0.8"}, "reminder_lead", "valid number"),
    ],
)
def test_a_mistake_names_its_key(document, key, words):
    where, message = _error(document)
    assert where == key
    assert words in message


def test_a_config_with_the_default_plan_removed_must_name_another():
    config = SLAConfig.model_validate({"plans": {"gold": {"first_response": "3h"}}, "default_plan": "gold"})
    assert list(config.plans) == ["gold"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", Duration(0, timedelta(minutes=90))),
        ("2h", Duration(0, timedelta(hours=2))),
        ("3d", Duration(3)),
        ("1d4h", Duration(1, timedelta(hours=4))),
        (" 2h 15m ", Duration(0, timedelta(hours=2, minutes=15))),
    ],
)
def test_durations(text, expected):
    assert Duration.parse(text) == expected


@pytest.mark.parametrize("text", ["", "h", "2", "1.5h", "2h 1d", "-1h", "2 hours"])
def test_bad_durations(text):
    with pytest.raises(ValueError):
        Duration.parse(text)


def test_an_unknown_criticality_is_refused():
    with pytest.raises(ValueError, match="unknown criticality 'urgent'"):
        ResolutionConfig().target("urgent")


def test_config_example_documents_the_defaults():
    example = Path(__file__).parents[2] / "config.example.toml"
    section = tomllib.loads(example.read_text(encoding="utf-8")).get("sla")
    if section is None:
        pytest.skip("config.example.toml has no [sla] section yet")
    assert SLAConfig.model_validate(section) == SLAConfig()
