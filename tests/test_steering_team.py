"""Figures by team and an access team's own figures, from a known history in Zwolle (0193)
and Dalfsen (0148). Every episode opens 6 Jan 2025 (10:00 UTC); the period is 2025-H1.

Team T is an access team, C a care provider acting as regisseur organization.
Zwolle
- 10 open with anna (T) from the opening; one of them is the canary household.
- 3 closed 1 Mar with anna (T), whose assignment ends at the closing: team T.
- 9 open with anna (T) until 1 Feb, then carl (C): team C at the period's end.
- 4 with anna (T) until 1 Mar, then carl (C) until their closing on 1 Apr: team C.
- 2 open without a regisseur: team none.
Dalfsen
- 8 open with bob (T) from the opening.

``closings`` adds closed episodes for relapse and closed without maatwerk:
Zwolle
- 5 closed 1 Mar with anna (T), reopened 1 Aug 2025: team T, followed.
- 6 with anna (T) until 1 Mar, then carl (C) until their closing on 1 Apr, each with a
  Jeugdwet indication running in the episode: team C, with maatwerk; 2 of them reopened
  5 Jan 2026: followed.
- 3 closed 1 Mar without a regisseur, with an indication that ended before the opening:
  team none, without maatwerk.
Dalfsen
- 9 closed 1 May with bob (T); 4 with a Wmo indication running in the episode, 3 (of the
  others) reopened 1 Sep 2025: followed.

``moved`` adds, in Zwolle, dave, regisseur of 3 open households for T and 4 for C (his
assignments name the organization he worked for when each started): his team is C.
"""

import uuid
from datetime import date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from gezinsplan.auth.actor import Actor, Role
from gezinsplan.organizations.models import Organization
from gezinsplan.roles.models import RoleAssignment
from gezinsplan.steering import service
from gezinsplan.steering.catalogue import BY_ID, Breakdown
from gezinsplan.steering.periods import parse_period
from tests.conftest import Clock, Token
from tests.test_generic_plans import numbered
from tests.test_steering import (
    API,
    CANARY_BSN,
    CANARY_NAME,
    DALFSEN,
    MEMBERS,
    ZWOLLE,
    at,
    published,
    seed,
)
from tests.test_steering_care import indication

ROLES = RoleAssignment.__table__  # type: ignore[attr-defined]
ORGANIZATIONS = Organization.__table__  # type: ignore[attr-defined]
OPENED = at(2025, 1, 6)
TEAM = uuid.UUID("00000000-0000-4000-8000-00000000000a")
CARE = uuid.UUID("00000000-0000-4000-8000-00000000000c")

Spell = tuple[str, uuid.UUID, datetime, datetime | None]


def household(
    connection: Connection,
    code: str,
    regisseurs: list[Spell],
    closed: datetime | None = None,
    name: str = "Gezin",
    reopened: datetime | None = None,
) -> uuid.UUID:
    reason = None if closed is None else "goals_achieved"
    episodes = [(OPENED, "self", closed, reason)]
    if reopened is not None:
        episodes.append((reopened, "self", None, None))
    found = seed(connection, code, episodes, name=name)
    for sub, organization, started, ended in regisseurs:
        connection.execute(
            insert(ROLES).values(
                id=uuid.uuid4(),
                household_id=found,
                role_type="regisseur",
                organization_id=organization,
                professional_sub=sub,
                professional_name=f"Regisseur {sub}",
                started_at=started,
                ended_at=ended,
                started_by="toegang",
                created_at=started,
            )
        )
    return found


@pytest.fixture
def teams(connection: Connection, municipalities: list[str], clock: Clock) -> None:
    clock.set(at(2026, 12, 6))
    connection.execute(
        insert(ORGANIZATIONS).values(id=TEAM, kind="access_team", name="Wijkteam T", version=1)
    )
    connection.execute(
        insert(ORGANIZATIONS).values(
            id=CARE, kind="care_provider", name="Zorg C", agb_code="12345678", version=1
        )
    )
    for number in range(10):
        name = CANARY_NAME if number == 0 else "Gezin"
        found = household(connection, ZWOLLE, [("anna", TEAM, OPENED, None)], name=name)
        if number == 0:
            connection.execute(
                insert(MEMBERS).values(
                    id=uuid.uuid4(),
                    household_id=found,
                    household_status="open",
                    given_name="CANARY-TEAM-Sanne",
                    family_name=CANARY_NAME,
                    birth_date=datetime(1980, 1, 1).date(),
                    bsn=CANARY_BSN,
                    relation="parent",
                    is_guardian=True,
                    version=1,
                    created_at=OPENED,
                    updated_at=OPENED,
                )
            )
    closing = at(2025, 3, 1)
    for _ in range(3):
        household(connection, ZWOLLE, [("anna", TEAM, OPENED, closing)], closed=closing)
    handover = at(2025, 2, 1)
    for _ in range(9):
        spells = [("anna", TEAM, OPENED, handover), ("carl", CARE, handover, None)]
        household(connection, ZWOLLE, spells)
    closing = at(2025, 4, 1)
    for _ in range(4):
        spells = [("anna", TEAM, OPENED, at(2025, 3, 1)), ("carl", CARE, at(2025, 3, 1), closing)]
        household(connection, ZWOLLE, spells, closed=closing)
    for _ in range(2):
        household(connection, ZWOLLE, [])
    for _ in range(8):
        household(connection, DALFSEN, [("bob", TEAM, OPENED, None)])


@pytest.fixture
def closings(connection: Connection, teams: None) -> None:
    march, april = at(2025, 3, 1), at(2025, 4, 1)
    for _ in range(5):
        spells = [("anna", TEAM, OPENED, march)]
        household(connection, ZWOLLE, spells, closed=march, reopened=at(2025, 8, 1))
    for number in range(6):
        spells = [("anna", TEAM, OPENED, march), ("carl", CARE, march, april)]
        reopened = at(2026, 1, 5) if number < 2 else None
        found = household(connection, ZWOLLE, spells, closed=april, reopened=reopened)
        indication(connection, found, date(2025, 3, 20), date(2025, 6, 30))
    for _ in range(3):
        found = household(connection, ZWOLLE, [], closed=march)
        indication(connection, found, date(2024, 1, 1), date(2025, 1, 5))
    may = at(2025, 5, 1)
    for number in range(9):
        reopened = at(2025, 9, 1) if 4 <= number < 7 else None
        spells = [("bob", TEAM, OPENED, may)]
        found = household(connection, DALFSEN, spells, closed=may, reopened=reopened)
        if number < 4:
            indication(connection, found, date(2025, 4, 30), None, "wmo", code=DALFSEN)


@pytest.fixture
def moved(connection: Connection, teams: None) -> None:
    for organization, count in ((TEAM, 3), (CARE, 4)):
        for _ in range(count):
            household(connection, ZWOLLE, [("dave", organization, OPENED, None)])


def actor(role: Role, org: uuid.UUID | None, *codes: str) -> Actor:
    return Actor(
        sub="reader",
        name="Reader",
        org=org,
        roles=frozenset({role}),
        municipalities=frozenset(codes),
    )


POLICY = actor(Role.POLICY, None, ZWOLLE, DALFSEN)


def raw(
    connection: Connection, who: Actor, indicator: str, by: Breakdown | None = None
) -> service.RawPeriod:
    with Session(connection) as session:
        return service.raw_figures(
            session, who, BY_ID[indicator], [DALFSEN, ZWOLLE], parse_period("2025-H1"), by
        )


def per_team(figures: service.RawPeriod, area: str, measure: str) -> dict[str | None, int]:
    counts = figures.areas[area].counts
    return {g: n for (m, d, g), n in counts.items() if m == measure and d == "team"}


def total(figures: service.RawPeriod, area: str, measure: str) -> int:
    return figures.areas[area].counts[measure, None, None]


T, C = str(TEAM), str(CARE)


def test_flows_by_team_follow_the_regisseur_at_the_episode_end(
    connection: Connection, teams: None
) -> None:
    inflow = raw(connection, POLICY, "inflow", Breakdown.TEAM)
    assert per_team(inflow, ZWOLLE, "inflow") == {T: 13, C: 13, "none": 2}
    assert per_team(inflow, DALFSEN, "inflow") == {T: 8, C: 0, "none": 0}
    assert per_team(inflow, "all", "inflow") == {T: 21, C: 13, "none": 2}
    outflow = raw(connection, POLICY, "outflow", Breakdown.TEAM)
    assert per_team(outflow, ZWOLLE, "outflow") == {T: 3, C: 4}
    stock = raw(connection, POLICY, "stock-flow", Breakdown.TEAM)
    assert per_team(stock, ZWOLLE, "endStock") == {T: 10, C: 9, "none": 2}
    assert per_team(stock, ZWOLLE, "active") == {T: 13, C: 13, "none": 2}
    assert per_team(stock, ZWOLLE, "outflow") == {T: 3, C: 4, "none": 0}
    assert total(stock, ZWOLLE, "endStock") == 21
    duration = raw(connection, POLICY, "duration", Breakdown.TEAM)
    assert per_team(duration, ZWOLLE, "closed") == {T: 3, C: 4}
    assert duration.areas[ZWOLLE].samples["closed", "team", C] == [85] * 4


def test_an_access_team_counts_only_its_own_team(connection: Connection, teams: None) -> None:
    team = actor(Role.TOEGANG, TEAM, ZWOLLE, DALFSEN)
    inflow = raw(connection, team, "inflow")
    assert total(inflow, ZWOLLE, "inflow") == 13
    assert total(inflow, DALFSEN, "inflow") == 8
    care = actor(Role.TOEGANG, CARE, ZWOLLE, DALFSEN)
    stock = raw(connection, care, "stock-flow")
    assert total(stock, ZWOLLE, "endStock") == 9
    assert total(stock, ZWOLLE, "outflow") == 4
    assert total(stock, DALFSEN, "active") == 0
    nobody = actor(Role.CARE_PROVIDER, CARE, ZWOLLE)
    assert total(raw(connection, nobody, "inflow"), ZWOLLE, "inflow") == 0


def test_relapse_and_without_maatwerk_by_the_team_at_the_closing(
    connection: Connection, closings: None
) -> None:
    relapse = raw(connection, POLICY, "relapse", Breakdown.TEAM)
    assert per_team(relapse, ZWOLLE, "closed") == {T: 8, C: 10, "none": 3}
    assert per_team(relapse, ZWOLLE, "followed") == {T: 5, C: 2, "none": 0}
    assert per_team(relapse, ZWOLLE, "notFollowed") == {T: 3, C: 8, "none": 3}
    assert per_team(relapse, DALFSEN, "closed") == {T: 9, C: 0, "none": 0}
    assert per_team(relapse, DALFSEN, "followed") == {T: 3, C: 0, "none": 0}
    assert per_team(relapse, "all", "followed") == {T: 8, C: 2, "none": 0}
    assert total(relapse, ZWOLLE, "closed") == 21
    care = raw(connection, POLICY, "without_maatwerk", Breakdown.TEAM)
    assert per_team(care, ZWOLLE, "closed") == {T: 8, C: 10, "none": 3}
    assert per_team(care, ZWOLLE, "withMaatwerk") == {T: 0, C: 6, "none": 0}
    assert per_team(care, ZWOLLE, "withoutMaatwerk") == {T: 8, C: 4, "none": 3}
    assert per_team(care, DALFSEN, "withMaatwerk") == {T: 4, C: 0, "none": 0}
    assert per_team(care, "all", "withoutMaatwerk") == {T: 13, C: 4, "none": 3}
    # Each team's closed = followed + not followed (and with + without) is a line.
    for figures, parts in ((relapse, ("followed", "notFollowed")), (care, MAATWERK)):
        for group in (T, C, "none"):
            line = (("closed", "team", group), tuple((m, "team", group) for m in parts))
            assert line in figures.lines


MAATWERK = ("withoutMaatwerk", "withMaatwerk")


def test_an_access_team_reads_only_its_own_closings(connection: Connection, closings: None) -> None:
    team = actor(Role.TOEGANG, TEAM, ZWOLLE, DALFSEN)
    relapse = raw(connection, team, "relapse", Breakdown.TEAM)
    assert per_team(relapse, ZWOLLE, "closed") == {T: 8}
    assert per_team(relapse, DALFSEN, "followed") == {T: 3}
    assert total(raw(connection, team, "relapse"), ZWOLLE, "followed") == 5
    care = actor(Role.TOEGANG, CARE, ZWOLLE, DALFSEN)
    without = raw(connection, care, "without_maatwerk", Breakdown.TEAM)
    assert per_team(without, ZWOLLE, "withMaatwerk") == {C: 6}
    assert total(without, ZWOLLE, "withoutMaatwerk") == 4
    assert total(without, DALFSEN, "closed") == 0


def test_caseload_by_the_team_of_the_regisseur(connection: Connection, moved: None) -> None:
    figures = raw(connection, POLICY, "caseload", Breakdown.TEAM)
    assert per_team(figures, ZWOLLE, "openHouseholds") == {T: 13, C: 13, "none": 2}
    assert per_team(figures, DALFSEN, "openHouseholds") == {T: 8, C: 0, "none": 0}
    assert total(figures, ZWOLLE, "withoutRegisseur") == 2
    # anna (10, T) and carl (9, C); dave holds most of his households for C.
    assert per_team(figures, ZWOLLE, "regisseurs") == {T: 1, C: 2}
    assert per_team(figures, "all", "regisseurs") == {T: 2, C: 2}
    samples = figures.areas[ZWOLLE].samples
    assert samples["caseload", "team", T] == [10]
    assert sorted(samples["caseload", "team", C]) == [7, 9]
    assert sorted(figures.areas["all"].samples["caseload", "team", T]) == [8, 10]
    assert (("withoutRegisseur", None, None), (("openHouseholds", "team", "none"),)) in (
        figures.lines
    )
    # Days to the first regisseur and handovers are not split by team.
    assert not per_team(figures, ZWOLLE, "handovers")


def test_an_access_team_reads_its_own_caseload_by_team(connection: Connection, moved: None) -> None:
    team = actor(Role.TOEGANG, TEAM, ZWOLLE, DALFSEN)
    figures = raw(connection, team, "caseload", Breakdown.TEAM)
    assert per_team(figures, ZWOLLE, "openHouseholds") == {T: 13}
    assert per_team(figures, DALFSEN, "openHouseholds") == {T: 8}
    # dave counts for T too: the team reads every regisseur working on its episodes.
    assert per_team(figures, ZWOLLE, "regisseurs") == {T: 2}
    assert sorted(figures.areas[ZWOLLE].samples["caseload", "team", T]) == [3, 10]
    care = actor(Role.TOEGANG, CARE, ZWOLLE, DALFSEN)
    figures = raw(connection, care, "caseload")
    assert total(figures, ZWOLLE, "openHouseholds") == 13
    assert total(figures, ZWOLLE, "withoutRegisseur") == 0
    assert total(figures, DALFSEN, "regisseurs") == 0


def get(client: TestClient, headers: dict[str, str], path: str, **params: Any) -> Any:
    return client.get(f"{API}/indicators/{path}", params=params, headers=headers)


def test_the_access_team_reads_its_own_figures_through_the_api(
    client: TestClient, token: Token, teams: None
) -> None:
    team = token("toegang", municipalities=(ZWOLLE, DALFSEN), org=TEAM)
    response = get(client, team, "inflow", period="2025-H1", by="team")
    assert response.status_code == 200, response.text
    assert published(response.json(), ZWOLLE)["inflow", "team", T] == (15, None)
    assert ("inflow", "team", C) not in published(response.json(), ZWOLLE)
    for indicator in ("relapse", "without_maatwerk", "caseload"):
        response = get(client, team, indicator, period="2025-H1", by="team")
        assert response.status_code == 200, response.text
        groups = {g for _, d, g in published(response.json(), ZWOLLE) if d == "team"}
        assert groups == {T}, indicator
    outside = get(client, team, "inflow", period="2025-H1", municipality="0363")
    assert outside.status_code == 403
    assert get(client, team, "goal-attainment", period="2025-H1").status_code == 403
    no_org = token("toegang", municipalities=(ZWOLLE,))
    assert get(client, no_org, "inflow", period="2025-H1").status_code == 403


def test_regisseurs_by_name_only_for_their_own_access_team(
    client: TestClient, token: Token, teams: None
) -> None:
    team = token("toegang", municipalities=(ZWOLLE, DALFSEN), org=TEAM)
    response = get(client, team, "caseload", period="2025-H1", by="regisseur", municipality=ZWOLLE)
    assert response.status_code == 200, response.text
    named = published(response.json(), ZWOLLE)
    assert named["openHouseholds", "regisseur", "Regisseur anna (anna)"] == (10, None)
    assert "carl" not in response.text
    care = token("toegang", municipalities=(ZWOLLE,), org=CARE)
    response = get(client, care, "caseload", period="2025-H1", by="regisseur")
    assert response.status_code == 200, response.text
    assert "Regisseur carl (carl)" in response.text
    assert "anna" not in response.text
    policy = token("policy", municipalities=(ZWOLLE, DALFSEN))
    assert get(client, policy, "caseload", period="2025-H1", by="regisseur").status_code == 403
    response = get(client, policy, "caseload", period="2025-H1")
    assert response.status_code == 200
    assert "anna" not in response.text


def test_no_team_report_names_a_household_or_a_member(
    client: TestClient, token: Token, teams: None
) -> None:
    team = token("toegang", municipalities=(ZWOLLE, DALFSEN), org=TEAM)
    for indicator, by in (
        ("inflow", "team"),
        ("outflow", "team"),
        ("stock-flow", "team"),
        ("duration", "team"),
        ("relapse", "team"),
        ("without_maatwerk", "team"),
        ("caseload", "team"),
        ("caseload", "regisseur"),
    ):
        for accept in ("application/json", "text/csv"):
            response = client.get(
                f"{API}/indicators/{indicator}",
                params={"period": "2025-H1", "by": by},
                headers=team | {"Accept": accept},
            )
            assert response.status_code == 200, response.text
            assert CANARY_NAME not in response.text
            assert CANARY_BSN not in response.text


def test_the_team_of_each_episode_is_one_index_probe(
    connection: Connection, teams: None, engine_name: str
) -> None:
    """Looked up once per episode, the team comes from the regisseur history index, never
    from all of a household's assignments sorted (a series' first request at 100,000
    households spent most of a second there); on PostgreSQL in the generic plan of a
    prepared statement too, so the role type must be a literal."""
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "team_assignment" in statement and statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", capture)
    try:
        raw(connection, POLICY, "inflow", Breakdown.TEAM)
    finally:
        event.remove(connection, "before_cursor_execute", capture)
    assert sent, "inflow by team sent no team lookup"
    if engine_name == "postgresql":
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        explained = [(f"EXPLAIN (GENERIC_PLAN) {numbered(s)}", None) for s, _ in sent]
    else:
        explained = [(f"EXPLAIN QUERY PLAN {s}", p) for s, p in sent]
    for statement, parameters in explained:
        plan = "\n".join(str(row[-1]) for row in connection.exec_driver_sql(statement, parameters))
        assert "ix_role_assignments_regisseur_history" in plan, plan
