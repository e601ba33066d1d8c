"""One clock, in Dutch time: a date rule is judged on the date in the Netherlands.

Containers run in UTC; between 00:00 and 01:00 (02:00 in summer) Dutch time the UTC date is
still yesterday. A consent that ended yesterday must not open the file then.
"""

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gezinsplan.kit.clock import today, utcnow
from tests.conftest import Clock, Directory, Token
from tests.test_consents import add_member, consent_body

API = "/api/v1"


@pytest.mark.parametrize(
    ("instant", "dutch_date"),
    [
        # Winter time (CET, UTC+1) until the clocks go forward on Sunday 29 March 2026.
        ("2026-03-28T22:59:59Z", "2026-03-28"),
        ("2026-03-28T23:00:00Z", "2026-03-29"),
        ("2026-03-28T23:30:00Z", "2026-03-29"),
        # Summer time (CEST, UTC+2) from 01:00 UTC that Sunday.
        ("2026-03-29T21:59:59Z", "2026-03-29"),
        ("2026-03-29T22:00:00Z", "2026-03-30"),
        ("2026-10-24T21:59:59Z", "2026-10-24"),
        ("2026-10-24T22:30:00Z", "2026-10-25"),
        # Sunday 25 October 2026 the clocks go back: 02:00-03:00 Dutch time comes twice.
        ("2026-10-25T00:30:00Z", "2026-10-25"),
        ("2026-10-25T01:30:00Z", "2026-10-25"),
        ("2026-10-25T22:59:59Z", "2026-10-25"),
        ("2026-10-25T23:00:00Z", "2026-10-26"),
        ("2026-12-31T23:30:00Z", "2027-01-01"),
    ],
)
def test_today_is_the_date_in_the_netherlands(clock: Clock, instant: str, dutch_date: str) -> None:
    clock.set(datetime.fromisoformat(instant))
    assert today() == date.fromisoformat(dutch_date)
    assert utcnow().utcoffset() == timedelta(0)


def test_the_clock_fixture_pins_the_instant_and_moves_only_when_told(clock: Clock) -> None:
    first, second = utcnow(), utcnow()
    assert timedelta(0) < second - first < timedelta(milliseconds=1)  # order kept, time frozen
    clock.advance(timedelta(days=2))
    assert utcnow() - second >= timedelta(days=2)
    clock.set(datetime(2026, 7, 1, 12, tzinfo=UTC))
    assert (utcnow().date(), clock.today()) == (date(2026, 7, 1), date(2026, 7, 1))
    with pytest.raises(ValueError, match="aware"):
        clock.set(datetime(2026, 7, 1, 12))  # naive: refused


def _on(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), UTC)


@pytest.fixture
def shared(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any], directory: Directory
) -> tuple[str, dict[str, Any]]:
    """The household's base URL and its parent; debt help works on it as care provider."""
    base = f"{API}/households/{household['id']}"
    role = client.post(
        f"{base}/roles", json={"organizationId": directory.debt_help}, headers=toegang
    )
    assert role.status_code == 201, role.text
    return base, add_member(client, household["id"], toegang)


def _reads(client: TestClient, base: str, headers: dict[str, str]) -> tuple[int, int]:
    """What the care provider gets for the basic data and for the plan."""
    return (
        client.get(base, headers=headers).status_code,
        client.get(f"{base}/plan", headers=headers).status_code,
    )


def _status(client: TestClient, base: str, consent: str, headers: dict[str, str]) -> str:
    response = client.get(f"{base}/consents/{consent}", headers=headers)
    assert response.status_code == 200, response.text
    status: str = response.json()["status"]
    return status


def test_a_consent_on_its_last_day_is_expired_at_2330_utc(
    client: TestClient,
    toegang: dict[str, str],
    token: Token,
    directory: Directory,
    shared: tuple[str, dict[str, Any]],
    clock: Clock,
) -> None:
    """At 23:30 UTC on a consent's last day it is already the next day in Amsterdam."""
    base, parent = shared
    last_day = clock.today() + timedelta(days=1)
    body = consent_body(directory, parent, validUntil=last_day.isoformat())
    consent = client.post(f"{base}/consents", json=body, headers=toegang)
    assert consent.status_code == 201, consent.text

    clock.set(_on(last_day, 21))  # 22:00 (winter) or 23:00 (summer) in Amsterdam
    # Minted after the clock moved, and still valid: tokens follow the system clock.
    carla = token("care_provider", org=uuid.UUID(directory.debt_help), sub="carla")
    assert clock.today() == last_day
    assert _reads(client, base, carla) == (200, 200)
    assert _status(client, base, consent.json()["id"], toegang) == "active"

    clock.set(_on(last_day, 23, 30))  # 00:30 or 01:30 the next day in Amsterdam
    assert clock.today() == last_day + timedelta(days=1)
    assert _reads(client, base, carla) == (404, 404)
    assert _status(client, base, consent.json()["id"], toegang) == "expired"


def test_a_consent_from_tomorrow_opens_the_file_at_dutch_midnight(
    client: TestClient,
    toegang: dict[str, str],
    token: Token,
    directory: Directory,
    shared: tuple[str, dict[str, Any]],
    clock: Clock,
) -> None:
    base, parent = shared
    first_day = clock.today() + timedelta(days=1)
    body = consent_body(directory, parent, validFrom=first_day.isoformat(), validUntil=None)
    consent = client.post(f"{base}/consents", json=body, headers=toegang)
    assert consent.status_code == 201, consent.text
    carla = token("care_provider", org=uuid.UUID(directory.debt_help), sub="carla")

    clock.set(_on(first_day - timedelta(days=1), 21))  # the evening before, in Amsterdam
    assert _reads(client, base, carla) == (404, 404)
    assert _status(client, base, consent.json()["id"], toegang) == "pending"

    clock.set(_on(first_day - timedelta(days=1), 23, 30))  # after midnight in Amsterdam
    assert _reads(client, base, carla) == (200, 200)
    assert _status(client, base, consent.json()["id"], toegang) == "active"
