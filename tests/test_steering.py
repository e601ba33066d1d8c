"""Steering figures from a known episode history in Zwolle (0193) and Dalfsen (0148).

The history (all in 2024-2025; 2025-H1 runs from 1 January to 30 June, Dutch days):

Zwolle
- 12 households opened 10 Feb 2025 (huisarts), 4 of them closed 20 May 2025 (goals achieved,
  BIJ 01): 99 days each.
- 9 households closed 1 Mar 2024 (no contact, BIJ 03), reopened 3 Mar 2025 (municipal access):
  repeat inflow.
- 1 household open since 1 Jun 2024, closed 31 Mar 2025 22:30 UTC = 1 April Dutch time
  (ended by the team, BIJ 04: 304 days) and reopened 2 April: adjoining, so new inflow.
- 1 household open since 1 Nov 2024, closed 30 Jun 2025 21:30 UTC = 23:30 on the period's last
  day (family declined, BIJ 03: 241 days): outflow, not in the end stock.
- 1 household closed 1 Jun 2019, reopened 15 Jan 2025: more than 5 years, so new inflow.

Dalfsen
- 10 households opened 20 Jan 2025 (school), closed 1 Mar 2025 (moved away, BIJ 05): 40 days.
- 3 households open since 1 Dec 2024.
"""

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection
from sqlmodel import Session, col

from gezinsplan.audit.models import AuditRecord
from gezinsplan.auth.actor import Actor, Role
from gezinsplan.codelists import registry
from gezinsplan.episodes import repeat
from gezinsplan.episodes.models import Episode
from gezinsplan.households.models import Household
from gezinsplan.members.models import Member
from gezinsplan.steering import service
from gezinsplan.steering.catalogue import BY_ID, Breakdown
from gezinsplan.steering.figures import CLOSING_REASONS, REFERRAL_SOURCES
from gezinsplan.steering.periods import parse_period
from tests.conftest import Token

API = "/api/v1"
ZWOLLE, DALFSEN = "0193", "0148"
CANARY_NAME = "CANARY-STEERING-Jansen"
CANARY_BSN = "123456782"

EPISODES = Episode.__table__  # type: ignore[attr-defined]
HOUSEHOLDS = Household.__table__  # type: ignore[attr-defined]
MEMBERS = Member.__table__  # type: ignore[attr-defined]

Spell = tuple[datetime, str, datetime | None, str | None]


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def seed(connection: Connection, code: str, spells: list[Spell], name: str = "Gezin") -> uuid.UUID:
    """A household with its episodes, oldest first; its status is that of the last one."""
    household_id = uuid.uuid4()
    last_closed, last_reason = spells[-1][2], spells[-1][3]
    connection.execute(
        insert(HOUSEHOLDS).values(
            id=household_id,
            municipality_code=code,
            name=name,
            status="open" if last_closed is None else "closed",
            closing_reason=last_reason,
            opened_at=spells[-1][0],
            closed_at=last_closed,
            version=1,
            created_at=spells[0][0],
            updated_at=spells[-1][0],
        )
    )
    for number, (opened, source, closed, reason) in enumerate(spells):
        earlier = [spell[2] for spell in spells[:number] if spell[2] is not None]
        connection.execute(
            insert(EPISODES).values(
                id=uuid.uuid4(),
                household_id=household_id,
                opened_at=opened,
                referral_source=source,
                # As ``episodes.service.start`` decides it when the household opens.
                is_repeat=repeat.is_repeat(opened, earlier),
                closed_at=closed,
                closing_reason=reason,
            )
        )
    return household_id


@pytest.fixture
def history(connection: Connection, municipalities: list[str]) -> dict[str, list[uuid.UUID]]:
    found: dict[str, list[uuid.UUID]] = {"zwolle-open": [], "dalfsen": []}
    for number in range(12):
        closed = at(2025, 5, 20) if number < 4 else None
        reason = "goals_achieved" if number < 4 else None
        household = seed(
            connection, ZWOLLE, [(at(2025, 2, 10), "general_practitioner", closed, reason)]
        )
        if closed is None:
            found["zwolle-open"].append(household)
    for _ in range(9):
        found["zwolle-open"].append(
            seed(
                connection,
                ZWOLLE,
                [
                    (at(2023, 1, 5), "self", at(2024, 3, 1), "no_contact"),
                    (at(2025, 3, 3), "municipal_access", None, None),
                ],
            )
        )
    seed(
        connection,
        ZWOLLE,
        [
            (at(2024, 6, 1), "police", at(2025, 3, 31, 22, 30), "ended_by_team"),
            (at(2025, 4, 2, 8), "police", None, None),
        ],
    )
    seed(
        connection,
        ZWOLLE,
        [(at(2024, 11, 1), "school", at(2025, 6, 30, 21, 30), "family_declined")],
    )
    canary = seed(
        connection,
        ZWOLLE,
        [
            (at(2019, 1, 1), "self", at(2019, 6, 1), "goals_achieved"),
            (at(2025, 1, 15), "self", None, None),
        ],
        name=CANARY_NAME,
    )
    connection.execute(
        insert(MEMBERS).values(
            id=uuid.uuid4(),
            household_id=canary,
            household_status="open",
            given_name="CANARY-STEERING-Sanne",
            family_name=CANARY_NAME,
            birth_date=date(1986, 4, 12),
            bsn=CANARY_BSN,
            relation="parent",
            is_guardian=True,
            version=1,
            created_at=at(2025, 1, 15),
            updated_at=at(2025, 1, 15),
        )
    )
    for _ in range(10):
        found["dalfsen"].append(
            seed(connection, DALFSEN, [(at(2025, 1, 20), "school", at(2025, 3, 1), "moved_away")])
        )
    for _ in range(3):
        seed(connection, DALFSEN, [(at(2024, 12, 1), "general_practitioner", None, None)])
    return found


POLICY = Actor(
    sub="beleid",
    name="Beleid",
    org=None,
    roles=frozenset({Role.POLICY}),
    municipalities=frozenset({ZWOLLE, DALFSEN}),
)


def raw(
    connection: Connection, indicator: str, period: str = "2025-H1", by: Breakdown | None = None
) -> service.RawPeriod:
    with Session(connection) as session:
        return service.raw_figures(
            session, POLICY, BY_ID[indicator], [DALFSEN, ZWOLLE], parse_period(period), by
        )


def totals(figures: service.RawPeriod, area: str) -> dict[str, int]:
    """The area's counts without dimension, by measure."""
    return {m: n for (m, d, _), n in figures.areas[area].counts.items() if d is None}


def every(codelist: str) -> dict[str | None, int]:
    """A breakdown by a codelist lists every code, 0 where nothing happened."""
    return dict.fromkeys((entry.code for entry in registry.get(codelist).entries), 0)


def dimension(figures: service.RawPeriod, area: str, name: str) -> dict[str | None, int]:
    """The area's counts of its main measure (the first) broken down by ``name``."""
    main = next(iter(figures.areas[area].counts))[0]
    return {g: n for (m, d, g), n in figures.areas[area].counts.items() if d == name and m == main}


# --- raw figures, computed by hand above ------------------------------------------------------


def test_stock_flow_follows_the_cbs_boundary_rule(connection: Connection, history: Any) -> None:
    figures = raw(connection, "stock-flow")
    assert figures.provisional is False
    zwolle = {"startStock": 2, "inflow": 23, "outflow": 6, "endStock": 19, "active": 25}
    dalfsen = {"startStock": 3, "inflow": 10, "outflow": 10, "endStock": 3, "active": 13}
    assert totals(figures, ZWOLLE) == zwolle
    assert totals(figures, DALFSEN) == dalfsen
    assert totals(figures, service.ALL) == {k: zwolle[k] + dalfsen[k] for k in zwolle}
    # The episode closed at 23:30 on 30 June is in the next half-year's start stock neither.
    assert totals(raw(connection, "stock-flow", "2025-H2"), ZWOLLE)["startStock"] == 19
    assert totals(raw(connection, "stock-flow", "2025-07"), ZWOLLE)["startStock"] == 19


def test_inflow_tells_repeat_from_new_by_the_cbs_rule(connection: Connection, history: Any) -> None:
    figures = raw(connection, "inflow", by=Breakdown.REFERRAL_SOURCE)
    assert totals(figures, ZWOLLE) == {"inflow": 23, "new": 14, "repeat": 9}
    assert totals(figures, DALFSEN) == {"inflow": 10, "new": 10, "repeat": 0}
    assert dimension(figures, ZWOLLE, "referralSource") == every(REFERRAL_SOURCES) | {
        "general_practitioner": 12,
        "municipal_access": 9,
        "police": 1,
        "school": 0,
        "self": 1,
    }
    counts = figures.areas[ZWOLLE].counts
    assert counts["repeat", "referralSource", "municipal_access"] == 9
    assert counts["new", "referralSource", "police"] == 1  # adjoining: not a repeat


def test_outflow_by_bij_reason_and_dropout(connection: Connection, history: Any) -> None:
    figures = raw(connection, "outflow", by=Breakdown.CLOSING_REASON)
    assert totals(figures, ZWOLLE) == {"outflow": 6, "dropout": 2}
    assert dimension(figures, ZWOLLE, "reasonOfEnding") == {
        "01": 4, "02": 0, "03": 1, "04": 1, "05": 0, "onbekend": 0,
    }  # fmt: skip
    assert dimension(figures, DALFSEN, "reasonOfEnding")["05"] == 10
    assert dimension(figures, service.ALL, "closingReason") == every(CLOSING_REASONS) | {
        "ended_by_team": 1,
        "family_declined": 1,
        "goals_achieved": 4,
        "moved_away": 10,
    }


def test_durations_in_dutch_days(connection: Connection, history: Any) -> None:
    figures = raw(connection, "duration")
    assert sorted(figures.areas[ZWOLLE].samples["closed", None, None]) == [99] * 4 + [241, 304]
    assert dimension(figures, ZWOLLE, "durationDays") == {
        "0-30": 0, "31-90": 0, "91-180": 4, "181-365": 2, "366+": 0,
    }  # fmt: skip
    assert dimension(figures, DALFSEN, "durationDays")["31-90"] == 10


def test_a_period_not_yet_over_is_provisional(connection: Connection, history: Any) -> None:
    assert raw(connection, "stock-flow", "2025").provisional is False
    assert raw(connection, "stock-flow", "2999-Q1").provisional is True


# --- through the API, after disclosure control --------------------------------------------------


@pytest.fixture
def policy(token: Token) -> dict[str, str]:
    return token("policy", municipalities=(ZWOLLE, DALFSEN), sub="beleid")


def get(client: TestClient, headers: dict[str, str], path: str, **params: Any) -> Any:
    response = client.get(f"{API}/indicators/{path}", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def published(body: Any, area: str | None, period: int = 0) -> dict[tuple[str, Any, Any], Any]:
    found = next(a for a in body["periods"][period]["areas"] if a["municipality"] == area)
    return {
        (f["measure"], f["dimension"], f["group"]): (f["value"], f["suppressed"])
        for f in found["figures"]
    }


def test_stock_flow_published_with_suppression(
    client: TestClient, policy: dict[str, str], history: Any
) -> None:
    body = get(client, policy, "stock-flow", period="2025-H1")
    assert body["municipalities"] == [DALFSEN, ZWOLLE]
    period = body["periods"][0]
    assert period | {"areas": None} == {
        "period": "2025-H1",
        "kind": "half_year",
        "firstDay": "2025-01-01",
        "lastDay": "2025-06-30",
        "provisional": False,
        "areas": None,
    }
    hidden, secondary = (None, "small_count"), (None, "secondary")
    assert published(body, ZWOLLE) == {
        ("startStock", None, None): hidden,  # 2
        ("inflow", None, None): secondary,  # 23: else start = active - inflow
        ("outflow", None, None): hidden,  # 6
        # Stocks are hidden for their own size only where another cell can protect (they
        # are the next period's start stock): active hides for outflow = active - end...
        ("active", None, None): secondary,  # 25
        # ... and the end stock only because all together's 22 = 19 + Dalfsen's 3.
        ("endStock", None, None): secondary,  # 19
    }
    assert published(body, DALFSEN) == {
        ("startStock", None, None): hidden,  # 3
        ("inflow", None, None): secondary,  # 10
        ("outflow", None, None): secondary,  # 10
        ("endStock", None, None): hidden,  # 3
        ("active", None, None): secondary,  # 13: else Zwolle's 25 = 38 - 13
    }
    assert published(body, None) == {
        ("startStock", None, None): hidden,  # 5
        ("inflow", None, None): secondary,  # 33
        ("outflow", None, None): (15, None),  # 16
        ("endStock", None, None): (20, None),  # 22
        ("active", None, None): (40, None),  # 38
    }


def test_shares_and_statistics_published_only_when_safe(
    client: TestClient, policy: dict[str, str], history: Any
) -> None:
    outflow = get(client, policy, "outflow", period="2025-H1")
    # Zwolle: 2 of 6 endings were dropout; Dalfsen none of 10; all together 2 of 16.
    assert published(outflow, ZWOLLE)["dropoutShare", None, None] == (None, "part_suppressed")
    assert published(outflow, None)["dropoutShare", None, None] == (None, "part_suppressed")
    # All together 4, 0, 1, 1, 10, 0: the small ones add up to 6, so 05 (10) goes with them.
    together = published(outflow, None)
    assert together["outflow", "reasonOfEnding", "05"] == (None, "secondary")
    assert together["outflow", None, None] == (15, None)
    # Dalfsen's 10 endings all had reason 05: the empty reasons beside it hide it too.
    assert published(outflow, DALFSEN)["outflow", "reasonOfEnding", "05"] == (None, "secondary")
    # Zwolle's 6 endings are hidden, and all together (16) is shown: Dalfsen's 10 must go.
    assert published(outflow, DALFSEN)["outflow", None, None] == (None, "secondary")
    duration = get(client, policy, "duration", period="2025-H1")
    assert published(duration, DALFSEN)["closedMedianDays", None, None] == (40.0, None)
    assert published(duration, DALFSEN)["closedMeanDays", None, None] == (40.0, None)
    assert published(duration, ZWOLLE)["closedMedianDays", None, None] == (None, "small_n")
    # All 16 together: 10 x 40, 4 x 99, 241, 304.
    assert published(duration, None)["closedMedianDays", None, None] == (40.0, None)
    assert published(duration, None)["closedMeanDays", None, None] == (round(1341 / 16, 1), None)


def test_every_published_count_is_safe(
    client: TestClient, policy: dict[str, str], history: Any
) -> None:
    for indicator, by in (
        ("inflow", "referral_source"),
        ("outflow", "closing_reason"),
        ("duration", "closing_reason"),
        ("stock-flow", None),
    ):
        params = {"period": "2024-H2..2025-H2"} | ({"by": by} if by else {})
        body = get(client, policy, indicator, **params)
        assert [p["period"] for p in body["periods"]] == ["2024-H2", "2025-H1", "2025-H2"]
        for period in body["periods"]:
            for area in period["areas"]:
                for figure in area["figures"]:
                    if figure["kind"] == "count" and figure["value"] is not None:
                        assert figure["value"] % 5 == 0
                        assert figure["value"] >= 10


def test_a_past_period_keeps_its_figures_after_later_changes(
    client: TestClient,
    connection: Connection,
    policy: dict[str, str],
    toegang: dict[str, str],
    history: dict[str, list[uuid.UUID]],
) -> None:
    before = {
        name: get(client, policy, name, period="2025-H1", by=by)
        for name, by in (("inflow", "referral_source"), ("outflow", "closing_reason"))
    } | {"stock-flow": get(client, policy, "stock-flow", period="2025-H1")}
    raw_before = raw(connection, "stock-flow")
    for household in history["zwolle-open"][:10]:
        closed = client.post(
            f"{API}/households/{household}/close",
            json={"closingReason": "goals_achieved"},
            headers=toegang,
        )
        assert closed.status_code == 200, closed.text
    for household in history["dalfsen"]:
        reopened = client.post(
            f"{API}/households/{household}/reopen",
            json={"referralSource": "school"},
            headers=toegang,
        )
        assert reopened.status_code == 200, reopened.text
    after = {
        name: get(client, policy, name, period="2025-H1", by=by)
        for name, by in (("inflow", "referral_source"), ("outflow", "closing_reason"))
    } | {"stock-flow": get(client, policy, "stock-flow", period="2025-H1")}
    assert after == before
    assert totals(raw(connection, "stock-flow"), ZWOLLE) == totals(raw_before, ZWOLLE)
    # Reopened through the API within 5 years of their closing: repeats in today's period.
    now = service.periods_of(None)[0].label
    assert totals(raw(connection, "inflow", now), DALFSEN) == {
        "inflow": 10,
        "new": 0,
        "repeat": 10,
    }


def test_a_published_period_survives_the_erasure_of_a_household(
    client: TestClient,
    connection: Connection,
    policy: dict[str, str],
    history: dict[str, list[uuid.UUID]],
) -> None:
    """Once a passed period is published, its figures are read back as published; a period
    still running is computed on every request."""
    now = service.periods_of(None)[0].label
    before = get(client, policy, "inflow", period="2025-H1", by="referral_source")
    running = get(client, policy, "stock-flow", period=now)
    raw_before = raw(connection, "inflow")
    gone = history["dalfsen"] + history["zwolle-open"][:10]
    connection.execute(delete(HOUSEHOLDS).where(HOUSEHOLDS.c.id.in_(gone)))
    # The history itself changed: computed again, the period would say otherwise.
    assert totals(raw(connection, "inflow"), DALFSEN)["inflow"] == (
        totals(raw_before, DALFSEN)["inflow"] - len(history["dalfsen"])
    )
    assert get(client, policy, "inflow", period="2025-H1", by="referral_source") == before
    assert get(client, policy, "stock-flow", period=now) != running


def test_no_report_names_a_household_or_a_member(
    client: TestClient, policy: dict[str, str], history: Any
) -> None:
    texts = [client.get(f"{API}/indicators", headers=policy).text]
    for indicator in BY_ID:
        for by in (None, *BY_ID[indicator].breakdowns):
            params = {"period": "2024..2025"} | ({"by": by.value} if by else {})
            response = client.get(f"{API}/indicators/{indicator}", params=params, headers=policy)
            # Regisseurs by name are never for policy staff.
            expected = 403 if by is Breakdown.REGISSEUR else 200
            assert response.status_code == expected, response.text
            texts.append(response.text)
    for text in texts:
        assert "CANARY" not in text
        assert CANARY_BSN not in text
        for households in history.values():
            assert not any(str(h) in text for h in households)


# --- who sees what, and the audit ----------------------------------------------------------------


def test_only_policy_reads_figures_of_its_own_municipalities(
    client: TestClient, token: Token, policy: dict[str, str], municipalities: list[str]
) -> None:
    path = f"{API}/indicators/inflow"
    for headers in (
        token("toegang", municipalities=(ZWOLLE,)),  # no organization: no team
        token("admin"),
        token("privacy_officer", municipalities=(ZWOLLE,)),
        token("municipal_system", municipalities=(ZWOLLE,)),
        token("policy"),  # no municipality in the token
    ):
        response = client.get(path, headers=headers)
        assert response.status_code == 403, response.text
        assert response.headers["content-type"] == "application/problem+json"
    outside = client.get(path, params={"municipality": "0363"}, headers=policy)
    assert outside.status_code == 403
    one = client.get(path, params={"municipality": ZWOLLE, "period": "2025-Q1"}, headers=policy)
    assert one.status_code == 200
    assert [a["municipality"] for a in one.json()["periods"][0]["areas"]] == [ZWOLLE]
    assert client.get(f"{API}/indicators/nope", headers=policy).status_code == 404
    assert client.get(f"{API}/indicators", headers=token("toegang")).status_code == 200


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"period": "2025-13"}, "query:period"),
        ({"period": "2025-Q5"}, "query:period"),
        ({"period": "2025-H1..2026-Q1"}, "query:period"),
        ({"period": "2026-H1..2025-H1"}, "query:period"),
        ({"period": "2000-01..2025-12"}, "query:period"),
        ({"period": "soon"}, "query:period"),
        ({"by": "life_domain"}, "query:by"),
        ({"by": "closing_reason"}, "query:by"),
        ({"municipality": "19"}, "query:municipality"),
    ],
)
def test_bad_parameters_are_422_problems(
    client: TestClient, policy: dict[str, str], params: dict[str, str], name: str
) -> None:
    response = client.get(f"{API}/indicators/inflow", params=params, headers=policy)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["invalidParams"][0]["name"].startswith(name)


def test_every_report_request_is_audited_with_indicator_and_municipalities(
    client: TestClient,
    connection: Connection,
    token: Token,
    policy: dict[str, str],
    municipalities: list[str],
) -> None:
    ok = client.get(
        f"{API}/indicators/outflow", params={"period": "2025-H1..2025-H2"}, headers=policy
    )
    assert ok.status_code == 200
    denied = client.get(f"{API}/indicators/outflow", headers=token("toegang", sub="nosy"))
    assert denied.status_code == 403
    statement = (
        select(col(AuditRecord.actor_sub), col(AuditRecord.outcome), col(AuditRecord.purpose))
        .where(col(AuditRecord.resource) == "/indicators/{indicator_id}")
        .order_by(col(AuditRecord.number))
    )
    records = list(connection.execute(statement))
    assert [(r[0], r[1]) for r in records] == [("beleid", "success"), ("nosy", "denied")]
    assert records[0][2] == (
        "Stuurinformatie: indicator outflow, municipalities 0148, 0193, periods 2025-H1..2025-H2"
    )
