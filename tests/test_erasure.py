"""Erasure within retention (issue 19 point 7): a canary planted in a household is found in
no table, export, event, log line or report after its erasure; the audit chain verifies and
last year's figures stay; the retention run erases exactly the files past their end."""

import logging
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, String, Text, Uuid, bindparam, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gezinsplan.access.tables import PATHS
from gezinsplan.audit.chain import seal, verify
from gezinsplan.audit.models import AuditRecord
from gezinsplan.auth.actor import Actor, Role
from gezinsplan.cli import main
from gezinsplan.db import make_engine, make_session_factory
from gezinsplan.episodes.models import Episode
from gezinsplan.households.models import Household
from gezinsplan.models import metadata
from gezinsplan.organizations.models import Organization
from gezinsplan.rights.erasure import service
from gezinsplan.rights.erasure.registry import DELETED, NOT_PERSONAL, PERSONAL, PSEUDONYMISED
from gezinsplan.rights.schemas import Retention
from gezinsplan.steering.catalogue import INDICATORS
from gezinsplan.steering.service import periods_of, raw_figures
from tests.conftest import Clock, Directory, Token
from tests.test_audit_chain import audit_record
from tests.test_audit_cli import app_role, database_url, denied, engine, run  # noqa: F401
from tests.test_consents import add_member, consent_body
from tests.test_indications import SANNE, record, sync

API = "/api/v1"
Headers = dict[str, str]
GIVEN, FAMILY = "Kanariegeel", "Vogelaarsma"
FREE = "Kanarietekst-4711"
CORRECTED = "Kanarieoranje"
CANARIES = (GIVEN, FAMILY, SANNE, FREE, CORRECTED)


def _household(client: TestClient, toegang: Headers, name: str) -> dict[str, Any]:
    body = {"municipalityCode": "0193", "name": name, "referralSource": "self"}
    response = client.post(f"{API}/households", json=body, headers=toegang)
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


def _close(client: TestClient, household_id: str, toegang: Headers) -> None:
    closed = client.post(
        f"{API}/households/{household_id}/close",
        json={"closingReason": "goals_achieved"},
        headers=toegang,
    )
    assert closed.status_code == 200, closed.text


def _scan(connection: Connection, engine_name: str) -> list[str]:
    """Every text-like value of every table (and the name search's words) holding a canary."""
    found = []
    # The name search's beginnings of words live outside the models, on both engines.
    tables = [t.name for t in metadata.sorted_tables] + ["household_prefixes"]
    if engine_name == "sqlite":
        tables.append("household_names")
    for table in tables:
        every_row = text(f"SELECT * FROM {table}")  # noqa: S608 - names from the metadata
        for row in connection.execute(every_row).mappings():
            for column, value in row.items():
                shown = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
                found += [f"{table}.{column}: {c}" for c in CANARIES if c.lower() in shown.lower()]
    if engine_name == "postgresql":
        words = connection.execute(text("SELECT name_words::text FROM households")).scalars()
        found += [f"name_words: {c}" for w in words for c in CANARIES if c.lower() in w]
    return found


POLICY = Actor(
    sub="beleid",
    name="Beleid",
    org=None,
    roles=frozenset({Role.POLICY}),
    municipalities=frozenset({"0193"}),
)


def _figures(connection: Connection) -> dict[str, Any]:
    """Every indicator's unrounded counts of 2025, before disclosure control and without the
    published snapshots, so a change in what they count shows."""
    factory = make_session_factory(connection, join_transaction_mode="create_savepoint")
    with factory() as session:
        return {
            indicator.id: raw_figures(
                session, POLICY, indicator, ["0193"], periods_of("2025")[0], None
            ).areas
            for indicator in INDICATORS
        }


def test_a_canary_is_gone_everywhere_after_an_erasure_and_the_chain_still_verifies(
    client: TestClient,
    connection: Connection,
    engine_name: str,
    token: Token,
    toegang: Headers,
    directory: Directory,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    clock.set(datetime(2025, 3, 3, 9, tzinfo=UTC))
    household = _household(client, toegang, f"Gezin {FAMILY}")
    base = f"{API}/households/{household['id']}"
    parent = add_member(client, household["id"], toegang, givenName=GIVEN, familyName=FAMILY)
    add_member(
        client,
        household["id"],
        toegang,
        givenName=GIVEN,
        familyName=FAMILY,
        bsn=SANNE,
        birthDate="2015-05-05",
        relation="child",
    )
    goal = client.post(
        f"{base}/plan/goals",
        json={"lifeDomain": "finances", "description": FREE, "zrmStart": 2, "zrmTarget": 4},
        headers=toegang,
    ).json()
    action = {"description": FREE, "performer": "own_network", "performerName": GIVEN}
    assert client.post(f"{base}/plan/goals/{goal['id']}/actions", json=action, headers=toegang)
    progress = {"text": FREE, "reportedOn": "2025-03-03"}
    reported = client.post(
        f"{base}/plan/goals/{goal['id']}/progress", json=progress, headers=toegang
    )
    assert reported.status_code == 201, reported.text
    # A corrected fact keeps its old value, and the family's statement its text: both go too.
    child = next(
        m for m in client.get(f"{base}/members", headers=toegang).json()["items"] if m["bsn"]
    )
    corrected = client.patch(
        f"{base}/members/{child['id']}",
        json={"givenName": CORRECTED, "reason": FREE},
        headers={**toegang, "If-Match": f'"{child["version"]}"'},
    )
    assert corrected.status_code == 200, corrected.text
    resident = token("resident", member=uuid.UUID(parent["id"]), sub="ouder")
    statement = {"subjectKind": "goal", "subjectId": goal["id"], "text": FREE}
    stated = client.post(f"{base}/statements", json=statement, headers=resident)
    assert stated.status_code == 201, stated.text
    system = token("municipal_system", municipalities=("0193",), sub="zwolle-system")
    sync(client, system, record("ERASE-1", startDate="2025-03-01"))  # youth care
    for organization in (directory.debt_help, directory.youth_care):
        role = {"organizationId": organization}
        assert client.post(f"{base}/roles", json=role, headers=toegang).status_code == 201
        consent = consent_body(
            directory, parent, granteeOrganizationId=organization, purpose=FREE, lifeDomains=[]
        )
        assert client.post(f"{base}/consents", json=consent, headers=toegang).status_code == 201
    carla = token("care_provider", org=uuid.UUID(directory.debt_help), sub="carla")
    joris = token("care_provider", org=uuid.UUID(directory.youth_care), sub="joris")
    for reader in (carla, joris):
        assert client.get(f"{base}/members", headers=reader).status_code == 200
        assert client.get(f"{base}/plan", headers=reader).status_code == 200
    clock.set(datetime(2025, 6, 2, 9, tzinfo=UTC))
    _close(client, household["id"], toegang)

    officer = token("privacy_officer", municipalities=("0193",), sub="fg")
    filed = client.post(
        f"{base}/rights-requests",
        json={"kind": "erasure", "memberId": parent["id"], "explanation": FREE},
        headers=resident,
    )
    assert filed.status_code == 201, filed.text
    request_id = filed.json()["id"]
    decision = {"outcome": "granted", "reason": f"Verzoek van {FAMILY} toegewezen."}
    decided = client.post(
        f"{base}/rights-requests/{request_id}/decision", json=decision, headers=officer
    )
    assert decided.status_code == 200, decided.text
    restricted = client.post(f"{base}/restrictions", json={"reason": FREE}, headers=officer)
    assert restricted.status_code == 201, restricted.text
    assert _scan(connection, engine_name) != []  # the canaries are there to be found

    clock.set(datetime(2026, 2, 2, 9, tzinfo=UTC))
    before = _figures(connection)
    assert before["inflow"]["0193"].counts  # the household is counted
    assert (
        client.post(
            f"{base}/erasure", json={"rightsRequestId": request_id}, headers=resident
        ).status_code
        == 403
    )
    erased = client.post(f"{base}/erasure", json={"rightsRequestId": request_id}, headers=officer)
    assert erased.status_code == 200, erased.text
    assert erased.json()["auditRecordsPseudonymised"] > 0
    assert erased.json()["retention"]["retentionClass"] == "youth_care"

    assert _scan(connection, engine_name) == []
    for headers in (officer, toegang, resident, carla):
        for path in ("", "/export", "/data-report", "/plan", "/members"):
            assert client.get(base + path, headers=headers).status_code == 404
    again = client.post(f"{base}/erasure", json={"rightsRequestId": request_id}, headers=officer)
    assert again.status_code == 404
    feed = client.get(f"{API}/events", headers=system)
    assert not [c for c in CANARIES if c in feed.text]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not [c for c in CANARIES if c in logged]
    assert _figures(connection) == before
    with Session(connection) as session:
        seal(session)
        checked = verify(session)
    assert checked.ok, checked.reason
    assert checked.checked > 0


def test_a_municipal_file_within_retention_and_an_open_file_are_not_erased_on_request(
    client: TestClient, token: Token, toegang: Headers, directory: Directory
) -> None:
    household = _household(client, toegang, "Gezin Wmo")
    base = f"{API}/households/{household['id']}"
    parent = add_member(client, household["id"], toegang)
    resident = token("resident", member=uuid.UUID(parent["id"]), sub="ouder")
    officer = token("privacy_officer", municipalities=("0193",), sub="fg")
    filed = client.post(
        f"{base}/rights-requests",
        json={"kind": "erasure", "memberId": parent["id"]},
        headers=resident,
    ).json()
    order = {"rightsRequestId": filed["id"]}
    refused = client.post(f"{base}/erasure", json=order, headers=officer)
    assert refused.status_code == 409  # not granted
    decision = {"outcome": "granted", "reason": "Toegewezen."}
    client.post(f"{base}/rights-requests/{filed['id']}/decision", json=decision, headers=officer)
    open_ = client.post(f"{base}/erasure", json=order, headers=officer)
    assert open_.status_code == 409, open_.text
    assert open_.json()["type"].endswith("erasure-refused")
    _close(client, household["id"], toegang)
    kept = client.post(f"{base}/erasure", json=order, headers=officer)
    assert kept.status_code == 409
    assert "17(3)(b)" in kept.json()["detail"]
    assert client.get(base, headers=toegang).status_code == 200


def test_the_retention_run_erases_exactly_the_files_past_their_end_and_a_dry_run_nothing(
    client: TestClient,
    connection: Connection,
    token: Token,
    toegang: Headers,
    directory: Directory,
    clock: Clock,
) -> None:
    made: dict[str, str] = {}
    for name, closed_on in (
        ("past", date(2024, 6, 1)),
        ("before", date(2024, 6, 3)),
        ("open", None),
    ):
        clock.set(datetime(2024, 1, 4, 9, tzinfo=UTC))
        household = _household(client, toegang, f"Gezin {FAMILY} {name}")
        add_member(client, household["id"], toegang, givenName=GIVEN, familyName=FAMILY)
        if closed_on is not None:
            clock.set(datetime.combine(closed_on, datetime.min.time(), UTC) + timedelta(hours=9))
            _close(client, household["id"], toegang)
        made[name] = household["id"]
    # Closed 2024-06-01 and 2024-06-03, kept one year: until 2025-06-01 and 2025-06-03.
    clock.set(datetime(2025, 6, 2, 9, tzinfo=UTC))

    def state() -> list[Any]:
        return list(
            connection.execute(
                text("SELECT id, name, erased_at, retention_ends_on FROM households ORDER BY id")
            ).all()
        )

    with Session(connection) as session:
        before = state()
        dry = service.retention_run(session, today=clock.today(), municipal_years=1, dry_run=True)
        session.flush()
        assert state() == before
        assert dry.erased == {"municipal_file": [uuid.UUID(made["past"])]}
        run = service.retention_run(session, today=clock.today(), municipal_years=1, dry_run=False)
        session.flush()
        assert run.erased == {"municipal_file": [uuid.UUID(made["past"])]}
        assert any(str(made["past"]) in line for line in run.lines())
        assert not [line for line in run.lines() if FAMILY in line]
        erased = {
            str(uuid.UUID(str(row[0]))): row[1]
            for row in connection.execute(
                text("SELECT id, name FROM households WHERE erased_at IS NOT NULL")
            )
        }
    assert erased == {made["past"]: "gewist"}
    assert client.get(f"{API}/households/{made['before']}", headers=toegang).status_code == 200
    assert client.get(f"{API}/households/{made['open']}", headers=toegang).status_code == 200
    assert client.get(f"{API}/households/{made['past']}", headers=toegang).status_code == 404


def test_every_text_or_date_column_is_erased_or_declared_not_personal() -> None:
    """A new column (or table) cannot escape erasure: it must be named in the registry."""
    missing = []
    for table in metadata.sorted_tables:
        if table.name in DELETED:
            continue  # its rows that name the household go whole
        declared = (
            set(PERSONAL.get(table.name, {}))
            | NOT_PERSONAL.get(table.name, frozenset())
            | set(PSEUDONYMISED.get(table.name, ()))
        )
        for column in table.columns:
            try:
                kind = column.type.python_type
            except NotImplementedError:
                kind = str
            textual = kind in (str, bytes, dict, list, date) or isinstance(
                column.type, String | Text
            )
            if textual and column.name not in declared:
                missing.append(f"{table.name}.{column.name}")
    assert missing == []
    paths = {table.__tablename__ for table in PATHS}  # type: ignore[attr-defined]
    assert set(PERSONAL) <= paths  # every erased table is found through its household


def _closed_household(session: Session, code: str) -> Household:
    session.add(Organization(kind="municipality", name=f"Gemeente {code}", municipality_code=code))
    session.flush()
    household = Household(
        municipality_code=code,
        name=f"Gezin {FAMILY}",
        status="closed",
        closing_reason="goals_achieved",
        closed_at=datetime.now(UTC),
    )
    session.add(household)
    session.flush()
    return household


def _record(number: int, household_id: uuid.UUID) -> AuditRecord:
    record = audit_record(number, datetime.now(UTC))
    record.household_id, record.purpose = household_id, FREE
    return record


RETENTION = Retention(retention_class="youth_care", basis="test", ends_on=date(2045, 6, 2))


@pytest.mark.postgresql_only
@pytest.mark.parametrize("engine_name", ["postgresql"])
def test_the_application_role_erases_under_the_audit_grants_and_the_chain_verifies(
    engine_name: str,
    database_url: str,  # noqa: F811 - the fixture
    engine: Engine,  # noqa: F811
    app_role: str,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    with make_session_factory(engine).begin() as session:
        erased = _closed_household(session, "0194").id
        kept = _closed_household(session, "0195").id
        session.add_all([_record(n, erased if n % 2 else kept) for n in range(6)])
    assert run(capsys, "grant", app_role)[0] == 0
    url = make_url(database_url).set(username=app_role, password="app-password-1")
    as_app = make_engine(url.render_as_string(hide_password=False))
    try:
        with make_session_factory(as_app).begin() as session:
            done = service.erase(session, erased, RETENTION)
        assert done.audit_pseudonymised == 3
        with make_session_factory(as_app)() as session:
            assert verify(session).ok
        with as_app.connect() as connection:
            assert not connection.execute(
                text(
                    "SELECT number FROM audit_records WHERE purpose = :free AND household_id = :h"
                ),
                {"free": FREE, "h": erased},
            ).all()
        # The role still changes no record itself, and the function erases no living file.
        assert denied(as_app, "UPDATE audit_records SET household_id = NULL")
        with pytest.raises(IntegrityError), as_app.begin() as connection:
            connection.execute(text("SELECT audit_pseudonymise(:h)"), {"h": kept})
    finally:
        as_app.dispose()


def test_the_triggers_let_only_the_erasure_change_the_audit_rows(
    connection: Connection, engine_name: str
) -> None:
    factory = make_session_factory(connection, join_transaction_mode="create_savepoint")
    with factory() as session:
        erased = _closed_household(session, "0194").id
        kept = _closed_household(session, "0195").id
        session.add_all([_record(n, erased if n % 2 else kept) for n in range(4)])
        session.flush()
        seal(session)
        service.erase(session, erased, RETENTION)
        assert verify(session).ok
        refused = (
            "UPDATE audit_records SET household_id = NULL WHERE household_id = :kept",
            "UPDATE audit_records SET status_code = 500 WHERE household_id IS NULL",
            "DELETE FROM audit_records WHERE household_id IS NULL",
            "DELETE FROM audit_erasures",
        )
        for statement in refused:
            with pytest.raises(IntegrityError), session.begin_nested():
                session.execute(
                    text(statement).bindparams(bindparam("kept", kept, type_=Uuid()))
                    if ":kept" in statement
                    else text(statement)
                )
        assert verify(session).ok
        # Behind the triggers' back: who read an erased household's file stays proven.
        if engine_name == "postgresql":
            session.execute(text("ALTER TABLE audit_records DISABLE TRIGGER USER"))
        else:
            session.execute(text("DROP TRIGGER audit_records_no_update"))
        session.execute(
            text("UPDATE audit_records SET actor_sub = 'someone-else' WHERE household_id IS NULL")
        )
        broken = verify(session)
        assert not broken.ok
        assert broken.reason is not None
        assert "hash does not match" in broken.reason


def test_the_retention_run_command_reports_ids_and_counts_and_the_chain_verifies(
    engine_name: str,
    database_url: str,  # noqa: F811 - the fixture
    engine: Engine,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    long_ago = datetime(2001, 3, 1, 9, tzinfo=UTC)
    with make_session_factory(engine).begin() as session:
        household = _closed_household(session, "0194")
        household.closed_at = long_ago
        session.add(
            Episode(
                household_id=household.id,
                opened_at=long_ago - timedelta(days=90),
                referral_source="self",
                closed_at=long_ago,
                closing_reason="goals_achieved",
            )
        )
        session.add(_record(1, household.id))
        erased = household.id

    def retention(*args: str) -> str:
        capsys.readouterr()
        main(["retention", "run", *args])
        return capsys.readouterr().out

    dry = retention("--dry-run")
    assert f"municipal_file: 1 would erase\n  {erased}\n" in dry
    assert FAMILY not in dry
    with engine.connect() as connection:
        assert (
            connection.scalar(text("SELECT count(*) FROM households WHERE erased_at IS NULL")) == 1
        )
    done = retention()
    assert f"municipal_file: 1 erased\n  {erased}\n" in done
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT name FROM households")) == "gewist"
    assert run(capsys, "verify")[0] == 0
    assert "0 erased" in retention()  # nothing left to do


def test_each_organization_that_received_the_data_is_told_of_the_erasure_and_no_other(
    client: TestClient,
    connection: Connection,
    token: Token,
    toegang: Headers,
    directory: Directory,
    admin: Headers,
) -> None:
    """AVG art. 19: the erasure reaches, in the feed (and so in webhooks, which judge by the
    same rule), the organizations once assigned to the household or granted a consent on it,
    each once and with ids only; an organization that never received the data learns
    nothing, and no other household's events change hands."""
    erased = _household(client, toegang, f"Gezin {FAMILY}")
    kept = _household(client, toegang, "Gezin Ander")
    parent = add_member(client, erased["id"], toegang, givenName=GIVEN, familyName=FAMILY)
    base = f"{API}/households/{erased['id']}"
    provider = {"organizationId": directory.debt_help}
    for household in (erased, kept):
        added = client.post(
            f"{API}/households/{household['id']}/roles", json=provider, headers=toegang
        )
        assert added.status_code == 201, added.text
    consent = consent_body(
        directory, parent, granteeOrganizationId=directory.youth_care, purpose=FREE, lifeDomains=[]
    )
    given = client.post(f"{base}/consents", json=consent, headers=toegang)
    assert given.status_code == 201, given.text
    withdrawn = client.post(f"{base}/consents/{given.json()['id']}/withdraw", headers=toegang)
    assert withdrawn.status_code == 200, withdrawn.text
    body = {"kind": "care_provider", "name": "Thuiszorg Salland", "agbCode": "41000003"}
    stranger = client.post(f"{API}/organizations", json=body, headers=admin).json()["id"]
    partners = {
        org: token("partner_system", org=uuid.UUID(org), sub=f"system-{org}")
        for org in (directory.debt_help, directory.youth_care, stranger)
    }
    _close(client, erased["id"], toegang)

    factory = make_session_factory(connection, join_transaction_mode="create_savepoint")
    with factory() as session, session.begin():
        service.erase(session, uuid.UUID(erased["id"]), RETENTION)

    erasure = "nl.gezinsplan.household.erased.v1"
    for org, headers in partners.items():
        page = client.get(f"{API}/events", params={"limit": 100}, headers=headers)
        assert page.status_code == 200, page.text
        told = [e for e in page.json()["events"] if e["type"] == erasure]
        if org == stranger:
            assert told == []
            continue
        assert [e["subject"] for e in told] == [erased["id"]]
        assert told[0]["data"] == {
            "householdId": erased["id"],
            "resourceType": "household",
            "resourceId": erased["id"],
        }
        assert not [c for c in CANARIES if c in page.text]
    only = client.get(
        f"{API}/events", params={"types": erasure}, headers=partners[directory.debt_help]
    )
    assert len(only.json()["events"]) == 1
    # The household is gone for them all the same; the other one is still the provider's.
    assert client.get(base, headers=partners[directory.debt_help]).status_code == 404
    others = client.get(f"{API}/events", params={"limit": 100}, headers=partners[stranger])
    assert kept["id"] not in others.text
