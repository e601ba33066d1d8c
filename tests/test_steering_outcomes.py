"""Outcome figures from a known plan history in Zwolle (0193) and Dalfsen (0148).

2025-H1 runs from 1 January to 30 June (Dutch days). Goals: (life domain, ZRM start, ZRM
target, created, performers of its actions).

Zwolle
- A, 10 households, open since 1 Dec 2024. Version 10 Jan 2025: finances (2 -> 4, member
  and own network) and housing (1 -> 3, professional), both open. Version 15 Mar: finances
  achieved. Evaluation 20 Apr: housing partly achieved; scores finances 4, housing 2.
  Parties: care provider X (role from 1 Feb 2025) and Y (indication from 1 Jan 2025): 2.
- B, 3 households, open since 1 Jun 2024. Version 1 Nov 2024: mental health (3 -> 4, an
  organization) and domestic relations (2 -> 3, no actions). Evaluation 15 Dec 2024:
  domestic relations not achieved. Version 30 Jun 2025 21:30 UTC (23:30 Dutch, the last day):
  mental health not achieved, domestic relations achieved. Evaluation 30 Jun 2025: mental
  health achieved (wins over the status of the same day), score mental health 3.
  Parties: roles X and Z, an indication by AGB only, one by X again, one withdrawn by W: 3.
- C, 1 household open 1 Jan 2024 to 1 Feb 2025. Version 1 Feb 2024: finances (3 -> 4,
  member). Evaluation 20 Jan 2025: score finances 2.

Dalfsen
- D, 10 households, open since 5 Jan 2025. Version 5 Jan 2025: work and education (2 -> 3,
  member, professional, organization) and physical health (3 -> 4, open, no actions).
  Evaluations 25 Jan (score work 3: only 20 days after the start) and 1 May 2025 (work not
  achieved, score work 2). No parties.
- E, 1 household open since 5 Jan 2025. Finances (2 -> 4) open 5 Jan, achieved 1 Feb,
  cancelled 1 Mar 2025. Parties: role X.
"""

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.engine import Connection
from sqlmodel import Session

from gezinsplan.indications.models import Indication
from gezinsplan.organizations.models import Organization
from gezinsplan.plans.models import (
    Action,
    Evaluation,
    EvaluationOutcome,
    EvaluationScore,
    Goal,
    Plan,
    PlanVersion,
)
from gezinsplan.roles.models import RoleAssignment
from gezinsplan.steering import service
from gezinsplan.steering.catalogue import BY_ID, Breakdown
from gezinsplan.steering.periods import parse_period
from tests.conftest import Token
from tests.test_steering import DALFSEN, POLICY, ZWOLLE, at, seed

API = "/api/v1"
CANARY = "CANARY-OUTCOMES"

# (life domain, ZRM start, ZRM target, created, performers)
GoalSpec = tuple[str, int, int, datetime, tuple[str, ...]]
# (changed at, status per goal present)
Version = tuple[datetime, dict[str, str]]
# (evaluated on, outcome per goal, score per life domain)
EvaluationSpec = tuple[date, dict[str, str], dict[str, int]]


def table(model: Any) -> Any:
    return model.__table__


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def plan(
    connection: Connection,
    household: uuid.UUID,
    goals: dict[str, GoalSpec],
    versions: list[Version],
    evaluations: Sequence[EvaluationSpec] = (),
) -> dict[str, uuid.UUID]:
    """A plan with its goals and actions as the last version has them, each version kept
    whole as the service keeps it, and its evaluations."""
    plan_id = uuid.uuid4()
    ids = {label: uuid.uuid4() for label in goals}
    created, updated = versions[0][0], versions[-1][0]
    connection.execute(
        insert(table(Plan)).values(
            id=plan_id,
            household_id=household,
            status="active",
            family_wishes=CANARY,
            version=len(versions),
            created_at=created,
            updated_at=updated,
        )
    )

    def goal_json(label: str, status: str) -> dict[str, Any]:
        domain, start, target, since, performers = goals[label]
        return {
            "id": str(ids[label]),
            "plan_id": str(plan_id),
            "life_domain": domain,
            "description": CANARY,
            "zrm_start": start,
            "zrm_target": target,
            "target_date": None,
            "organization_id": None,
            "status": status,
            "actions": [
                {
                    "id": str(uuid.uuid4()),
                    "goal_id": str(ids[label]),
                    "description": CANARY,
                    "performer": performer,
                    "performer_member_id": None,
                    "performer_organization_id": None,
                    "performer_name": CANARY,
                    "due_date": None,
                    "done": False,
                    "done_at": None,
                    "created_at": iso(since),
                    "updated_at": iso(since),
                }
                for performer in performers
            ],
            "created_at": iso(since),
            "updated_at": iso(since),
        }

    for number, (changed_at, statuses) in enumerate(versions, start=1):
        snapshot = {
            "id": str(plan_id),
            "household_id": str(household),
            "status": "active",
            "family_wishes": CANARY,
            "version": number,
            "goals": [goal_json(label, status) for label, status in statuses.items()],
            "evaluations": [],
            "created_at": iso(created),
            "updated_at": iso(changed_at),
        }
        connection.execute(
            insert(table(PlanVersion)).values(
                plan_id=plan_id, version=number, snapshot=snapshot, changed_at=changed_at
            )
        )
    for label, status in versions[-1][1].items():
        domain, start, target, since, performers = goals[label]
        connection.execute(
            insert(table(Goal)).values(
                id=ids[label],
                plan_id=plan_id,
                life_domain=domain,
                description=CANARY,
                zrm_start=start,
                zrm_target=target,
                status=status,
                created_at=since,
                updated_at=updated,
            )
        )
        for performer in performers:
            connection.execute(
                insert(table(Action)).values(
                    id=uuid.uuid4(),
                    goal_id=ids[label],
                    description=CANARY,
                    performer=performer,
                    done=False,
                    created_at=since,
                    updated_at=since,
                )
            )
    for evaluated_on, outcomes, scores in evaluations:
        evaluation = uuid.uuid4()
        connection.execute(
            insert(table(Evaluation)).values(
                id=evaluation,
                plan_id=plan_id,
                evaluated_on=evaluated_on,
                summary=CANARY,
                created_at=at(evaluated_on.year, evaluated_on.month, evaluated_on.day),
            )
        )
        for label, outcome in outcomes.items():
            connection.execute(
                insert(table(EvaluationOutcome)).values(
                    evaluation_id=evaluation, goal_id=ids[label], outcome=outcome, note=CANARY
                )
            )
        for domain, score in scores.items():
            connection.execute(
                insert(table(EvaluationScore)).values(
                    evaluation_id=evaluation, life_domain=domain, score=score
                )
            )
    return ids


def organization(connection: Connection, name: str, agb: str) -> uuid.UUID:
    found = uuid.uuid4()
    connection.execute(
        insert(table(Organization)).values(
            id=found,
            kind="care_provider",
            name=name,
            agb_code=agb,
            version=1,
            created_at=at(2020, 1, 1),
            updated_at=at(2020, 1, 1),
        )
    )
    return found


def role(connection: Connection, household: uuid.UUID, org: uuid.UUID, since: datetime) -> None:
    connection.execute(
        insert(table(RoleAssignment)).values(
            id=uuid.uuid4(),
            household_id=household,
            role_type="care_provider",
            organization_id=org,
            started_at=since,
            started_by="seed",
            created_at=since,
        )
    )


def indication(
    connection: Connection,
    household: uuid.UUID,
    code: str,
    org: uuid.UUID | None,
    agb: str,
    status: str = "active",
) -> None:
    connection.execute(
        insert(table(Indication)).values(
            id=uuid.uuid4(),
            municipality_code=code,
            indication_number=str(uuid.uuid4())[:20],
            regulation="jeugdwet",
            bsn="123456782",
            household_id=household,
            product_category="45",
            provider_agb=agb,
            provider_organization_id=org,
            start_date=date(2025, 1, 1),
            decision_date=date(2024, 12, 20),
            status=status,
            content_hash="0" * 64,
            created_at=at(2024, 12, 20),
            updated_at=at(2024, 12, 20),
        )
    )


@pytest.fixture
def history(connection: Connection, municipalities: list[str]) -> dict[str, Any]:
    x, y, z, w = (organization(connection, n, f"9{i}000000") for i, n in enumerate("XYZW"))
    found: dict[str, Any] = {"households": [], "d-goals": []}
    for _ in range(10):
        household = seed(connection, ZWOLLE, [(at(2024, 12, 1), "school", None, None)])
        plan(
            connection,
            household,
            {
                "finances": ("finances", 2, 4, at(2025, 1, 10), ("member", "own_network")),
                "housing": ("housing", 1, 3, at(2025, 1, 10), ("professional",)),
            },
            [
                (at(2025, 1, 10), {"finances": "open", "housing": "open"}),
                (at(2025, 3, 15), {"finances": "achieved", "housing": "open"}),
            ],
            [(date(2025, 4, 20), {"housing": "partly_achieved"}, {"finances": 4, "housing": 2})],
        )
        role(connection, household, x, at(2025, 2, 1))
        indication(connection, household, ZWOLLE, y, "01010101")
        found["households"].append(household)
    for _ in range(3):
        household = seed(connection, ZWOLLE, [(at(2024, 6, 1), "police", None, None)])
        plan(
            connection,
            household,
            {
                "mental": ("mental_health", 3, 4, at(2024, 11, 1), ("organization",)),
                "relations": ("domestic_relations", 2, 3, at(2024, 11, 1), ()),
            },
            [
                (at(2024, 11, 1), {"mental": "open", "relations": "open"}),
                (at(2025, 6, 30, 21, 30), {"mental": "not_achieved", "relations": "achieved"}),
            ],
            [
                (date(2024, 12, 15), {"relations": "not_achieved"}, {}),
                (date(2025, 6, 30), {"mental": "achieved"}, {"mental_health": 3}),
            ],
        )
        role(connection, household, x, at(2024, 6, 1))
        role(connection, household, z, at(2024, 6, 1))
        indication(connection, household, ZWOLLE, None, "02020202")
        indication(connection, household, ZWOLLE, x, "03030303")
        indication(connection, household, ZWOLLE, w, "04040404", status="withdrawn")
        found["households"].append(household)
    closed = seed(connection, ZWOLLE, [(at(2024, 1, 1), "self", at(2025, 2, 1), "goals_achieved")])
    plan(
        connection,
        closed,
        {"finances": ("finances", 3, 4, at(2024, 2, 1), ("member",))},
        [(at(2024, 2, 1), {"finances": "open"})],
        [(date(2025, 1, 20), {}, {"finances": 2})],
    )
    role(connection, closed, x, at(2024, 1, 1))
    for _ in range(10):
        household = seed(connection, DALFSEN, [(at(2025, 1, 5), "school", None, None)])
        ids = plan(
            connection,
            household,
            {
                "work": (
                    "work_and_education", 2, 3, at(2025, 1, 5),
                    ("member", "professional", "organization"),
                ),
                "health": ("physical_health", 3, 4, at(2025, 1, 5), ()),
            },
            [(at(2025, 1, 5), {"work": "open", "health": "open"})],
            [
                (date(2025, 1, 25), {}, {"work_and_education": 3}),
                (date(2025, 5, 1), {"work": "not_achieved"}, {"work_and_education": 2}),
            ],
        )  # fmt: skip
        found["households"].append(household)
        found["d-goals"].append((household, ids["work"], ids["health"]))
    cancelled = seed(connection, DALFSEN, [(at(2025, 1, 5), "school", None, None)])
    plan(
        connection,
        cancelled,
        {"finances": ("finances", 2, 4, at(2025, 1, 5), ())},
        [
            (at(2025, 1, 5), {"finances": "open"}),
            (at(2025, 2, 1), {"finances": "achieved"}),
            (at(2025, 3, 1), {"finances": "cancelled"}),
        ],
    )
    role(connection, cancelled, x, at(2025, 1, 5))
    found["households"] += [closed, cancelled]
    return found


def raw(
    connection: Connection, indicator: str, period: str = "2025-H1", by: Breakdown | None = None
) -> service.RawPeriod:
    with Session(connection) as session:
        return service.raw_figures(
            session, POLICY, BY_ID[indicator], [DALFSEN, ZWOLLE], parse_period(period), by
        )


def settled(figures: service.RawPeriod) -> dict[str, Any]:
    """The counts and the samples in order (rows come in no particular order)."""
    return {
        code: (area.counts, {cell: sorted(values) for cell, values in area.samples.items()})
        for code, area in figures.areas.items()
    }


def counts(figures: service.RawPeriod, area: str, dimension: str | None = None) -> dict[Any, int]:
    """The area's counts without a dimension by measure, or with one by (measure, group)."""
    return {
        (m if dimension is None else (m, g)): n
        for (m, d, g), n in figures.areas[area].counts.items()
        if d == dimension
    }


# --- raw figures, computed by hand above ------------------------------------------------------


def test_goal_attainment_counts_each_goal_once_by_its_latest_judgement(
    connection: Connection, history: Any
) -> None:
    figures = raw(connection, "goal-attainment", by=Breakdown.LIFE_DOMAIN)
    assert figures.provisional is False
    # A: 10 achieved, 10 partly; B: 3 mental health, achieved by the evaluation of the same
    # day as the status not achieved; B's domestic relations were judged in 2024.
    assert counts(figures, ZWOLLE) == {
        "goals": 23, "achieved": 13, "partlyAchieved": 10, "notAchieved": 0,
    }  # fmt: skip
    # D: 10 not achieved; E's goal was achieved but is cancelled at the period's end.
    assert counts(figures, DALFSEN) == {
        "goals": 10, "achieved": 0, "partlyAchieved": 0, "notAchieved": 10,
    }  # fmt: skip
    by_domain = counts(figures, ZWOLLE, "lifeDomain")
    assert by_domain["achieved", "finances"] == 10
    assert by_domain["partlyAchieved", "housing"] == 10
    assert by_domain["achieved", "mental_health"] == 3
    assert by_domain["goals", "work_and_education"] == 0
    assert counts(figures, DALFSEN, "lifeDomain")["notAchieved", "work_and_education"] == 10
    assert counts(figures, service.ALL)["goals"] == 33
    earlier = raw(connection, "goal-attainment", "2024-H2")
    assert counts(earlier, ZWOLLE) == {
        "goals": 3, "achieved": 0, "partlyAchieved": 0, "notAchieved": 3,
    }  # fmt: skip
    assert counts(raw(connection, "goal-attainment", "2025-H2"), ZWOLLE)["goals"] == 0


def test_zrm_change_from_first_to_last_score_30_days_apart(
    connection: Connection, history: Any
) -> None:
    figures = raw(connection, "zrm-change", by=Breakdown.LIFE_DOMAIN)
    # A: finances 2 -> 4 and housing 1 -> 2 (x10); B: mental health 3 -> 3 (x3), domestic
    # relations only its start score; C: finances 3 -> 2.
    assert counts(figures, ZWOLLE) == {
        "measured": 24, "improved": 20, "same": 3, "worse": 1, "withTarget": 24,
        "reachedTarget": 10, "problemAtStart": 20, "problemAtEnd": 11,
    }  # fmt: skip
    # D: work 2 -> 2 (5 January to 1 May; the score of 25 January lies between); physical
    # health and E's finances have one score each.
    assert counts(figures, DALFSEN) == {
        "measured": 10, "improved": 0, "same": 10, "worse": 0, "withTarget": 10,
        "reachedTarget": 0, "problemAtStart": 10, "problemAtEnd": 10,
    }  # fmt: skip
    zwolle = counts(figures, ZWOLLE, "lifeDomain")
    assert zwolle["improved", "finances"] == 10
    assert zwolle["worse", "finances"] == 1
    assert zwolle["problemAtEnd", "housing"] == 10
    samples = figures.areas[ZWOLLE].samples
    assert sorted(samples["change", None, None]) == [-1] + [0] * 3 + [1] * 10 + [2] * 10
    assert sorted(samples["change", "lifeDomain", "finances"]) == [-1] + [2] * 10
    # In 2025-Q1 only C's score (20 January) and D's (25 January, 20 days) are new.
    quarter = raw(connection, "zrm-change", "2025-Q1")
    assert counts(quarter, ZWOLLE)["measured"] == 1
    assert counts(quarter, DALFSEN)["measured"] == 0


def test_own_strength_from_the_plans_of_households_open_in_the_period(
    connection: Connection, history: Any
) -> None:
    figures = raw(connection, "own-strength", by=Breakdown.LIFE_DOMAIN)
    assert counts(figures, ZWOLLE) == {
        "actions": 34, "member": 11, "ownNetwork": 10, "professional": 10, "organization": 3,
        "ownStrength": 21,
    }  # fmt: skip
    assert counts(figures, DALFSEN) == {
        "actions": 30, "member": 10, "ownNetwork": 0, "professional": 10, "organization": 10,
        "ownStrength": 10,
    }  # fmt: skip
    assert counts(figures, ZWOLLE, "lifeDomain")["ownStrength", "finances"] == 21
    # C closed on 1 February 2025: not in the second half-year.
    assert counts(raw(connection, "own-strength", "2025-H2"), ZWOLLE)["member"] == 10


def test_parties_per_household_open_on_the_last_day(connection: Connection, history: Any) -> None:
    figures = raw(connection, "parties")
    assert counts(figures, ZWOLLE) == {"households": 13, "threeOrMore": 3}
    assert counts(figures, ZWOLLE, "parties") == {
        ("households", "0"): 0, ("households", "1"): 0, ("households", "2"): 10,
        ("households", "3+"): 3,
    }  # fmt: skip
    assert sorted(figures.areas[ZWOLLE].samples["parties", None, None]) == [2] * 10 + [3] * 3
    assert sorted(figures.areas[DALFSEN].samples["parties", None, None]) == [0] * 10 + [1]
    # On 31 December 2024 no indication had started, nor A's role; C was still open.
    before = raw(connection, "parties", "2024-H2")
    assert sorted(before.areas[ZWOLLE].samples["parties", None, None]) == [0] * 10 + [1] + [2] * 3


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


def test_outcomes_published_with_disclosure_control(
    client: TestClient, policy: dict[str, str], history: Any
) -> None:
    goals = get(client, policy, "goal-attainment", period="2025-H1")
    together = published(goals, None)
    # 33 goals: 13 achieved, 10 partly, 10 not; shares from the rounded counts.
    assert together["goals", None, None] == (35, None)
    assert together["achievedShare", None, None] == (round(15 / 35, 3), None)
    assert published(goals, DALFSEN)["achieved", None, None] == (None, "small_count")
    assert published(goals, DALFSEN)["achievedShare", None, None] == (None, "part_suppressed")
    # Dalfsen's 0 achieved is hidden, so Zwolle's 13 would follow from all together's 13.
    assert published(goals, ZWOLLE)["achieved", None, None] == (None, "secondary")
    zrm = get(client, policy, "zrm-change", period="2025-H1")
    zwolle = published(zrm, ZWOLLE)
    # Same (3) and worse (1) are hidden and add up to 7 or less beside the shown 24.
    assert zwolle["improved", None, None] == (None, "secondary")
    assert zwolle["improvedShare", None, None] == (None, "part_suppressed")
    assert zwolle["problemAtEndShare", None, None] == (round(10 / 25, 3), None)
    assert published(zrm, None)["improvedShare", None, None] == (round(20 / 35, 3), None)
    assert zwolle["changeMedian", None, None] == (1.0, None)
    assert zwolle["changeMean", None, None] == (round(29 / 24, 1), None)
    assert published(zrm, DALFSEN)["changeMean", None, None] == (0.0, None)
    parties = get(client, policy, "parties", period="2025-H1")
    assert published(parties, ZWOLLE)["partiesMedian", None, None] == (2.0, None)
    assert published(parties, ZWOLLE)["partiesMean", None, None] == (round(29 / 13, 1), None)
    assert published(parties, ZWOLLE)["threeOrMore", None, None] == (None, "small_count")
    assert published(parties, DALFSEN)["partiesMedian", None, None] == (0.0, None)
    actions = published(get(client, policy, "own-strength", period="2025-H1"), None)
    assert actions["ownStrengthShare", None, None] == (round(30 / 65, 3), None)
    for indicator, by in (
        ("goal-attainment", "life_domain"),
        ("zrm-change", "life_domain"),
        ("own-strength", "life_domain"),
        ("parties", None),
    ):
        params = {"period": "2024-H2..2025-H2"} | ({"by": by} if by else {})
        body = get(client, policy, indicator, **params)
        text = str(body)
        assert CANARY not in text
        assert not any(str(h) in text for h in history["households"])
        for period in body["periods"]:
            for area in period["areas"]:
                for figure in area["figures"]:
                    if figure["kind"] == "count" and figure["value"] is not None:
                        assert figure["value"] % 5 == 0
                        assert figure["value"] >= 10


def test_a_past_period_keeps_its_outcomes_after_later_changes(
    client: TestClient,
    connection: Connection,
    policy: dict[str, str],
    toegang: dict[str, str],
    history: dict[str, Any],
) -> None:
    names = ("goal-attainment", "zrm-change", "own-strength")
    before = {name: raw(connection, name, by=Breakdown.LIFE_DOMAIN) for name in names}
    before_parties = raw(connection, "parties")
    published_before = {name: get(client, policy, name, period="2025-H1") for name in names}
    for household, work, health in history["d-goals"]:
        base = f"{API}/households/{household}/plan"
        for goal, change in ((work, {"zrmStart": 4}), (health, {"status": "achieved"})):
            etag = client.get(base, headers=toegang).headers["etag"]
            changed = client.patch(
                f"{base}/goals/{goal}", json=change, headers=toegang | {"If-Match": etag}
            )
            assert changed.status_code == 200, changed.text
        etag = client.get(base, headers=toegang).headers["etag"]
        action = client.post(
            f"{base}/goals/{health}/actions",
            json={"description": CANARY, "performer": "professional", "performerName": "X"},
            headers=toegang | {"If-Match": etag},
        )
        assert action.status_code == 201, action.text
    for household in history["households"][:5]:
        closed = client.post(
            f"{API}/households/{household}/close",
            json={"closingReason": "goals_achieved"},
            headers=toegang,
        )
        assert closed.status_code == 200, closed.text
    for name in names:
        after = raw(connection, name, by=Breakdown.LIFE_DOMAIN)
        assert settled(after) == settled(before[name]), name
        assert get(client, policy, name, period="2025-H1") == published_before[name]
    assert settled(raw(connection, "parties")) == settled(before_parties)
    # The versions the service keeps now read the same way: the goals count today.
    current = service.periods_of(None)[0].label
    now = raw(connection, "goal-attainment", current, Breakdown.LIFE_DOMAIN)
    assert counts(now, DALFSEN, "lifeDomain")["achieved", "physical_health"] == 10
    assert counts(raw(connection, "own-strength", current), DALFSEN)["professional"] == 20
