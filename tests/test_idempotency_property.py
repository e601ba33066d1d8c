"""Property: whatever the schedule of retries, exactly once and nothing across clients.

Hypothesis draws schedules for three partner systems (two of one organization, one of
another) sending bulk pushes and single reports, with keys drawn from a small shared pool
(so clients reuse their own keys and collide with each other's), resends of the same body,
changed bodies under a used key, and external ids that overlap within and across requests.
After each schedule: at most one stored update per (organization, external id), every
acknowledged item stored exactly once, every replay equal to the first answer to the same
client, and no body naming another organization's updates. Each example works in its own
namespace of keys and external ids, in a savepoint rolled back after it, so no example
starts with the rows of hundreds before it.
"""

import json
import re
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

import hypothesis.strategies as st
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlmodel import col

from gezinsplan.progress.models import ProgressUpdate
from tests.conftest import Directory, Token
from tests.progress_case import API, Case, build_case, item, report

MIN_EXAMPLES = 1_000
PUSH = f"{API}/progress-updates"
CLIENTS = ("a", "b", "c")  # a and c: debt help; b: youth care
ORG_OF = {"a": "debt", "b": "youth", "c": "debt"}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# ~3,400 requests, one at a time: without the hand-offs to worker threads.
pytestmark = pytest.mark.usefixtures("sync_calls_inline")


@dataclass(frozen=True)
class Step:
    client: str
    kind: str  # push, single, resend (the client's previous request again)
    key: int  # index into the example's key pool
    items: tuple[tuple[int, int, bool], ...]  # (external id, content variant, own goal)
    variant: int
    own_goal: bool


steps = st.builds(
    Step,
    client=st.sampled_from(CLIENTS),
    kind=st.sampled_from(("push", "push", "single", "resend")),
    key=st.integers(0, 3),
    items=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 1), st.sampled_from((True, True, False))),
        min_size=1,
        max_size=3,
    ).map(tuple),
    variant=st.integers(0, 1),
    own_goal=st.sampled_from((True, True, True, False)),
)


@pytest.fixture
def case(
    client: TestClient,
    token: Token,
    toegang: dict[str, str],
    household: dict[str, Any],
    directory: Directory,
) -> Case:
    return build_case(client, token, toegang, household, directory)


@dataclass
class Sent:
    path: str
    body: Any
    key: str


def test_retries_duplicates_and_interleaved_clients(
    client: TestClient,
    case: Case,
    token: Token,
    connection: Connection,
    engine_name: str,
) -> None:
    orgs = {"debt": case.directory.debt_help, "youth": case.directory.youth_care}
    goal_of = {"debt": case.goals["finances"], "youth": case.goals["parenting"]}
    headers = {
        name: token("partner_system", org=uuid.UUID(orgs[ORG_OF[name]]), sub=f"systeem-{name}")
        for name in CLIENTS
    }
    tally: Counter[str] = Counter()

    def request_for(step: Step, ns: str) -> Sent:
        org = ORG_OF[step.client]
        other = "youth" if org == "debt" else "debt"
        goal = goal_of[org] if step.own_goal else goal_of[other]
        key = f"{ns}-key-{step.key}"
        if step.kind == "single":
            body = report(f"{ns} {step.client} enkel {step.variant}")
            return Sent(f"{case.base}/plan/goals/{goal}/progress", body, key)
        updates = [
            item(case, f"{ns}-e{external}", text=f"{ns} {org} e{external} v{variant}")
            | {"goalId": goal_of[org] if own else goal_of[other]}
            for external, variant, own in step.items
        ]
        return Sent(PUSH, {"updates": updates}, key)

    @settings(
        max_examples=MIN_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(schedule=st.lists(steps, min_size=1, max_size=6))
    def check(schedule: list[Step]) -> None:
        # Rolled back after the example: the tables stay the size of one schedule.
        nested = connection.begin_nested()
        try:
            run(schedule)
        finally:
            nested.rollback()
        tally["runs"] += 1

    def run(schedule: list[Step]) -> None:
        ns = uuid.uuid4().hex[:10]
        first: dict[tuple[str, str], tuple[str, int, bytes]] = {}  # (client, key) -> answer
        last: dict[str, Sent] = {}
        acknowledged: dict[str, tuple[str, str]] = {}  # update id -> (org, external id)
        ids_of_org: dict[str, set[str]] = {"debt": set(), "youth": set()}
        single_created = 0
        bodies: list[tuple[str, bytes]] = []
        for step in schedule:
            sent = last.get(step.client) if step.kind == "resend" else None
            sent = sent or request_for(step, ns)
            last[step.client] = sent
            identity = sent.path + json.dumps(sent.body, sort_keys=True)
            response = client.post(
                sent.path,
                json=sent.body,
                headers=headers[step.client] | {"Idempotency-Key": sent.key},
            )
            tally["requests"] += 1
            org = ORG_OF[step.client]
            earlier = first.get((step.client, sent.key))
            replayed = response.headers.get("idempotent-replayed") == "true"
            if sent.path != PUSH and goal_of[org] not in sent.path:
                # Another organization's goal: refused before the key is looked at.
                assert (response.status_code, replayed) == (404, False), response.text
                continue
            if earlier is not None:
                if earlier[0] == identity:
                    assert replayed, response.text
                    assert (response.status_code, response.content) == earlier[1:]
                    tally["replays"] += 1
                else:
                    assert response.status_code == 422, response.text
                    assert response.json()["type"].endswith("idempotency-key-reused")
                continue
            assert not replayed, "a replay of a response this client never had"
            assert response.status_code < 300, response.text
            first[(step.client, sent.key)] = (identity, response.status_code, response.content)
            bodies.append((org, response.content))
            answer = response.json()
            if sent.path == PUSH:
                for result, update in zip(answer["results"], sent.body["updates"], strict=True):
                    if result["status"] in {"created", "duplicate"}:
                        acknowledged[result["id"]] = (org, update["externalId"])
                        ids_of_org[org].add(result["id"])
                    elif update["goalId"] == goal_of[org]:
                        assert result["problem"]["status"] == 409, result  # other content
            else:
                single_created += 1
                ids_of_org[org].add(answer["id"])

        # No body names another organization's updates or texts.
        for org, content in bodies:
            others = set().union(*(ids for o, ids in ids_of_org.items() if o != org))
            named = set(UUID.findall(content.decode()))
            other_org = "youth" if org == "debt" else "debt"
            leaked = named & others or f"{ns} {other_org}".encode() in content
            tally["leaks"] += bool(leaked)
            assert not leaked, content
        # Exactly once: one update per (organization, external id), each acknowledged one stored.
        rows = connection.execute(
            select(
                col(ProgressUpdate.id),
                col(ProgressUpdate.organization_id),
                col(ProgressUpdate.external_id),
            ).where(col(ProgressUpdate.external_id).startswith(f"{ns}-"))
        ).all()
        per_external = Counter((str(org), external) for _, org, external in rows)
        duplicates = sum(n - 1 for n in per_external.values())
        tally["duplicates"] += duplicates
        assert duplicates == 0, per_external
        stored = {str(id_): (str(org), external) for id_, org, external in rows}
        for update_id, (org, external) in acknowledged.items():
            assert stored.get(update_id) == (orgs[org], external)
        singles = connection.scalar(
            select(func.count())
            .select_from(ProgressUpdate)
            .where(
                col(ProgressUpdate.text).startswith(f"{ns} "),
                col(ProgressUpdate.external_id).is_(None),
            )
        )
        assert singles == single_created

    started = time.perf_counter()
    check()
    print(
        f"\nidempotency property [{engine_name}]: {tally['runs']} runs, {tally['requests']} "
        f"requests, {tally['replays']} replays, {tally['duplicates']} duplicates, "
        f"{tally['leaks']} leaks, {time.perf_counter() - started:.1f} s"
    )
    assert tally["runs"] >= MIN_EXAMPLES
