"""Every request on case data leaves one audit record, denied attempts included, and the
family and the privacy officer read them back as the household's access log."""

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, text
from sqlalchemy.engine import Connection
from sqlmodel import col

from gezinsplan import demo, demo_history
from gezinsplan.audit.models import AuditRecord
from gezinsplan.db import make_session_factory
from gezinsplan.households.models import Household
from gezinsplan.members.models import Member
from tests.conftest import Directory, Token
from tests.test_consents import add_member, consent_body

API = "/api/v1"


def records(connection: Connection, **where: Any) -> list[AuditRecord]:
    statement = select(AuditRecord).order_by(col(AuditRecord.number))
    for name, value in where.items():
        statement = statement.where(getattr(AuditRecord, name) == value)
    return [AuditRecord.model_validate(row) for row in connection.execute(statement).mappings()]


def last(connection: Connection) -> AuditRecord:
    return records(connection)[-1]


def test_reads_and_writes_leave_one_record_each_with_who_what_and_why(
    client: TestClient, toegang: dict[str, str], connection: Connection, municipalities: Any
) -> None:
    before = len(records(connection))
    created = client.post(
        f"{API}/households",
        json={
            "municipalityCode": "0193",
            "name": "Gezin Jansen",
            "referralSource": "municipal_access",
        },
        headers=toegang
        | {"X-Request-ID": "req-42", "traceparent": "00-" + "a" * 32 + "-" + "b" * 16 + "-01"},
    )
    assert created.status_code == 201
    assert created.headers["x-request-id"] == "req-42"
    household_id = uuid.UUID(created.json()["id"])
    write = last(connection)
    assert (write.action, write.outcome, write.status_code) == ("create", "success", 201)
    assert (write.household_id, write.resource_id) == (household_id, str(household_id))
    assert (write.actor_sub, write.actor_name, write.actor_roles) == (
        "tester",
        "Test tester",
        "toegang",
    )
    assert (write.legal_basis, write.request_id) == ("municipal_task", "req-42")
    assert write.traceparent == "00-" + "a" * 32 + "-" + "b" * 16 + "-01"
    assert write.client_address == "testclient"
    assert write.started_at <= write.ended_at

    read = client.get(f"{API}/households/{household_id}/plan", headers=toegang)
    assert read.status_code == 200
    record = last(connection)
    assert (record.action, record.resource, record.household_id) == (
        "read",
        "/households/{household_id}/plan",
        household_id,
    )
    assert record.request_id == read.headers["x-request-id"]
    assert len(records(connection)) == before + 2


def test_requests_without_case_data_leave_no_record(
    client: TestClient, toegang: dict[str, str], connection: Connection, municipalities: Any
) -> None:
    before = len(records(connection))
    for path in ("/codelists", "/organizations", "/me", "/health/live"):
        assert client.get(API + path, headers=toegang).status_code == 200, path
    assert len(records(connection)) == before


def test_a_denied_attempt_is_recorded_with_no_legal_basis(
    client: TestClient, token: Token, household: dict[str, Any], connection: Connection
) -> None:
    outsider = token("toegang", municipalities=("0363",), org=uuid.uuid4(), sub="outsider")
    response = client.get(f"{API}/households/{household['id']}/plan", headers=outsider)
    assert response.status_code == 404
    record = last(connection)
    assert (record.actor_sub, record.outcome, record.status_code, record.legal_basis) == (
        "outsider",
        "denied",
        404,
        "none",
    )
    assert record.household_id == uuid.UUID(household["id"])


def test_a_rejected_write_is_recorded_and_changes_nothing(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any], connection: Connection
) -> None:
    response = client.post(
        f"{API}/households/{household['id']}/plan/goals",
        json={"lifeDomain": "astrology"},
        headers=toegang,
    )
    assert response.status_code == 422
    record = last(connection)
    assert (record.action, record.outcome, record.status_code) == ("create", "rejected", 422)


def test_a_goal_change_refused_for_its_body_is_recorded(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any], connection: Connection
) -> None:
    base = f"{API}/households/{household['id']}/plan"
    body = {"lifeDomain": "finances", "description": "Schulden", "zrmStart": 2, "zrmTarget": 4}
    goal = client.post(f"{base}/goals", json=body, headers=toegang).json()
    etag = client.get(base, headers=toegang).headers["ETag"]
    response = client.patch(
        f"{base}/goals/{goal['id']}",
        json={"zrmTarget": 9},
        headers=toegang | {"If-Match": etag},
    )
    assert response.status_code == 422
    record = last(connection)
    assert (record.outcome, record.status_code) == ("rejected", 422)
    assert record.household_id == uuid.UUID(household["id"])


def test_the_legal_basis_names_the_assignment_or_the_consent(
    client: TestClient,
    token: Token,
    toegang: dict[str, str],
    household: dict[str, Any],
    directory: Directory,
    connection: Connection,
) -> None:
    base = f"{API}/households/{household['id']}"
    parent = add_member(client, household["id"], toegang)
    role = client.put(
        f"{base}/regisseur",
        json={
            "professionalSub": "anna",
            "professionalName": "Anna",
            "organizationId": directory.access_team,
            "reason": "Start",
        },
        headers=toegang,
    ).json()
    anna = token("toegang", org=uuid.UUID(directory.access_team), sub="anna")
    assert client.get(f"{base}/plan", headers=anna).status_code == 200
    assert (last(connection).legal_basis, last(connection).legal_basis_id) == (
        "regisseur",
        uuid.UUID(role["id"]),
    )
    client.post(f"{base}/roles", json={"organizationId": directory.debt_help}, headers=toegang)
    consent = client.post(
        f"{base}/consents", json=consent_body(directory, parent), headers=toegang
    ).json()
    carla = token("care_provider", org=uuid.UUID(directory.debt_help), sub="carla")
    assert client.get(f"{base}/plan", headers=carla).status_code == 200
    record = last(connection)
    assert (record.legal_basis, record.legal_basis_id, record.purpose) == (
        "consent",
        uuid.UUID(consent["id"]),
        "Schuldhulpverlening",
    )
    resident = token("resident", member=uuid.UUID(parent["id"]), sub="sanne")
    assert client.get(f"{base}/consents", headers=resident).status_code == 200
    assert (last(connection).legal_basis, last(connection).legal_basis_id) == (
        "own_data",
        uuid.UUID(parent["id"]),
    )


def test_no_record_holds_a_token(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any], connection: Connection
) -> None:
    jwt = toegang["Authorization"].removeprefix("Bearer ")
    client.get(f"{API}/households/{household['id']}", headers=toegang)
    client.get(f"{API}/households/{household['id']}", headers={"Authorization": "Bearer nope"})
    for record in records(connection):
        stored = " ".join(str(value) for value in record.model_dump().values())
        assert jwt not in stored
        assert jwt.split(".")[1] not in stored
        assert "Bearer" not in stored


def _block_audit_inserts(connection: Connection, engine_name: str) -> None:
    if engine_name == "sqlite":
        connection.execute(
            text(
                "CREATE TRIGGER block_audit BEFORE INSERT ON audit_records "
                "BEGIN SELECT RAISE(ABORT, 'audit store unavailable'); END"
            )
        )
        return
    connection.execute(
        text(
            "CREATE FUNCTION block_audit() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'audit store unavailable'; END $$"
        )
    )
    connection.execute(
        text(
            "CREATE TRIGGER block_audit BEFORE INSERT ON audit_records "
            "FOR EACH ROW EXECUTE FUNCTION block_audit()"
        )
    )


def test_a_request_whose_record_cannot_be_written_fails_without_data_or_change(
    client: TestClient,
    toegang: dict[str, str],
    household: dict[str, Any],
    connection: Connection,
    engine_name: str,
) -> None:
    base = f"{API}/households/{household['id']}"
    _block_audit_inserts(connection, engine_name)
    read = client.get(base, headers=toegang)
    assert read.status_code >= 500
    assert read.headers["content-type"] == "application/problem+json"
    assert "Gezin Jansen" not in read.text
    renamed = client.patch(
        base, json={"name": "Gezin Anders"}, headers=toegang | {"If-Match": '"1"'}
    )
    assert renamed.status_code >= 500
    stored = connection.scalars(
        select(Household.name).where(col(Household.id) == uuid.UUID(household["id"]))
    ).one()
    assert stored == "Gezin Jansen"


def test_a_hot_read_whose_record_cannot_be_written_shows_nothing(
    client: TestClient,
    toegang: dict[str, str],
    household: dict[str, Any],
    connection: Connection,
    engine_name: str,
) -> None:
    # The plan read and the list write their record apart from their reads on SQLite (on
    # the driver's cursor, the list's with the households it names): a record that fails
    # there fails the request as it does anywhere else.
    _block_audit_inserts(connection, engine_name)
    for path in (f"/households/{household['id']}/plan", "/households?q=jansen"):
        read = client.get(f"{API}{path}", headers=toegang)
        assert read.status_code == 503, read.text
        assert read.headers["content-type"] == "application/problem+json"
        assert read.json()["type"].endswith("audit-unavailable")
        assert "Gezin Jansen" not in read.text


def test_records_outlive_the_household(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any], connection: Connection
) -> None:
    household_id = uuid.UUID(household["id"])
    client.get(f"{API}/households/{household_id}", headers=toegang)
    kept = len(records(connection, household_id=household_id))
    assert kept >= 2
    connection.execute(delete(Household).where(col(Household.id) == household_id))
    assert len(records(connection, household_id=household_id)) == kept


@pytest.fixture
def few_generated_households(monkeypatch: pytest.MonkeyPatch) -> None:
    """A dozen generated households instead of hundreds: the same code, in a second.

    The test reads a hand-written household's log; the generated history is only around it.
    """
    monkeypatch.setattr(demo_history, "COUNT", 12)


@pytest.fixture
def demo_household(connection: Connection, few_generated_households: None) -> tuple[str, str]:
    """Gezin Jansen from the demo data, and the id of its first adult member."""
    factory = make_session_factory(connection, join_transaction_mode="create_savepoint")
    with factory() as session:
        demo.load(session)
        session.commit()
    household_id = connection.scalars(
        select(Household.id).where(col(Household.name) == "Gezin Jansen")
    ).one()
    member_id = connection.scalars(
        select(Member.id)
        .where(col(Member.household_id) == household_id, col(Member.relation) == "parent")
        .order_by(col(Member.created_at))
    ).first()
    return str(household_id), str(member_id)


def test_the_access_log_of_a_demo_household_lists_the_reads_just_made_in_order(
    client: TestClient, token: Token, demo_household: tuple[str, str]
) -> None:
    household_id, member_id = demo_household
    base = f"{API}/households/{household_id}"
    worker = token("toegang", municipalities=(demo.ZWOLLE,), org=demo.ACCESS_TEAM_ID, sub="worker")
    made = ["", "/plan", "/members", "/roles"]
    for path in made:
        assert client.get(base + path, headers=worker).status_code == 200, path
    resident = token("resident", member=uuid.UUID(member_id), sub="resident")
    log = client.get(f"{base}/access-log", headers=resident)
    assert log.status_code == 200, log.text
    entries = log.json()["items"]
    ours = [e for e in entries if e["actor"]["organizationId"] == str(demo.ACCESS_TEAM_ID)]
    assert [e["resource"] for e in ours[-4:]] == [
        "/households/{household_id}" + path for path in made
    ]
    assert {e["action"] for e in ours} == {"read"}
    assert ours[-1]["actor"] == {
        "organizationId": str(demo.ACCESS_TEAM_ID),
        "organizationName": "Sociaal Wijkteam Zwolle-Dalfsen",
        "roles": ["toegang"],
        "name": None,
    }
    assert ours[-1]["legalBasis"] == "municipal_task"
    numbers = [e["number"] for e in entries]
    assert numbers == sorted(numbers)
    again = client.get(f"{base}/access-log", headers=resident).json()["items"]
    assert again[-1]["resource"] == "/households/{household_id}/access-log"
    assert again[-1]["legalBasis"] == "own_data"


def test_the_access_log_filters_by_period_and_pages(
    client: TestClient, token: Token, toegang: dict[str, str], household: dict[str, Any]
) -> None:
    base = f"{API}/households/{household['id']}"
    for _ in range(5):
        client.get(base, headers=toegang)
    officer = token("privacy_officer", municipalities=("0193",), sub="fg")
    first = client.get(f"{base}/access-log?limit=3", headers=officer).json()
    assert len(first["items"]) == 3
    assert first["items"][0]["actor"]["name"] == "Test tester"
    rest = client.get(
        f"{base}/access-log?limit=100&cursor={first['nextCursor']}", headers=officer
    ).json()
    numbers = [e["number"] for e in first["items"] + rest["items"]]
    assert numbers == sorted(set(numbers))
    cut = first["items"][2]["startedAt"]
    later = client.get(
        f"{base}/access-log", params={"from": cut, "limit": 100}, headers=officer
    ).json()["items"]
    assert all(e["startedAt"] >= cut for e in later)
    assert len(later) < len(numbers) + 1
    earlier = client.get(f"{base}/access-log", params={"until": cut}, headers=officer).json()[
        "items"
    ]
    assert all(e["startedAt"] < cut for e in earlier)
    bad = client.get(f"{base}/access-log?cursor=zzz", headers=officer)
    assert bad.status_code == 422
    naive = client.get(
        f"{base}/access-log", params={"from": "2026-01-01T00:00:00"}, headers=officer
    )
    assert naive.status_code == 422


def test_counting_records_is_one_per_request(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any], connection: Connection
) -> None:
    count = select(func.count()).select_from(AuditRecord)
    before = connection.scalar(count) or 0
    for _ in range(3):
        client.get(f"{API}/households/{household['id']}/plan", headers=toegang)
    assert (connection.scalar(count) or 0) - before == 3


def test_a_record_names_the_members_concerned(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any], connection: Connection
) -> None:
    base = f"{API}/households/{household['id']}/members"
    parent = add_member(client, household["id"], toegang)
    child = add_member(client, household["id"], toegang, givenName="Noor", relation="child")
    assert client.get(base, headers=toegang).status_code == 200
    assert set(last(connection).member_ids.split(",")) == {parent["id"], child["id"]}
    assert client.get(f"{base}/{child['id']}", headers=toegang).status_code == 200
    assert last(connection).member_ids == child["id"]


@pytest.mark.parametrize("engine_kind", ["sqlite", "postgresql"])
def test_concurrent_audited_reads_all_succeed_with_one_record_each(
    engine_kind: str, create_database: Any, settings: Any
) -> None:
    """Every read writes its record: on SQLite a read must not fail upgrading to a writer."""
    import asyncio

    import httpx
    from alembic import command

    from gezinsplan.auth.tokens import mint
    from gezinsplan.db import make_engine
    from gezinsplan.main import create_app
    from tests.conftest import alembic_config

    url = create_database(engine_kind)
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url, pool_size=25, max_overflow=25)
    app = create_app(settings, bind=engine)
    admin = {"Authorization": "Bearer " + mint(settings, sub="a", name="A", roles=("admin",))}
    worker = mint(settings, sub="w", name="W", roles=("toegang",), municipalities=("0193",))
    headers = {"Authorization": f"Bearer {worker}"}
    readers = 40

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            body = {"kind": "municipality", "name": "Zwolle", "municipalityCode": "0193"}
            assert (await client.post(f"{API}/organizations", json=body, headers=admin)).is_success
            opened = await client.post(
                f"{API}/households",
                json={
                    "municipalityCode": "0193",
                    "name": "X",
                    "referralSource": "municipal_access",
                },
                headers=headers,
            )
            plan = f"{API}/households/{opened.json()['id']}/plan"
            return await asyncio.gather(
                *(client.get(plan, headers=headers) for _ in range(readers))
            )

    try:
        responses = asyncio.run(run())
        assert [r.status_code for r in responses] == [200] * readers
        with engine.connect() as connection:
            reads = connection.scalar(
                select(func.count())
                .select_from(AuditRecord)
                .where(col(AuditRecord.action) == "read")
            )
        assert reads == readers
    finally:
        engine.dispose()
