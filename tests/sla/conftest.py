"""The desk's calendars as the tests know them: Moscow with Russian holidays (the seed's desk)
and Berlin, whose DST changes the Moscow desk never sees."""

from __future__ import annotations

from datetime import time

import pytest
from sla_moments import BERLIN, MSK

from desk.calendar import BusinessCalendar


@pytest.fixture(scope="session")
def moscow() -> BusinessCalendar:
    return BusinessCalendar(MSK, time(10), time(19), country="RU")


@pytest.fixture(scope="session")
def germany() -> BusinessCalendar:
    return BusinessCalendar(BERLIN, time(10), time(19), country="DE")
