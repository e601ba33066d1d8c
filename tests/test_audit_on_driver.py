"""SQLite's read requests write their audit record on the driver's own cursor (``db``).

The records must be the ones SQLAlchemy would have stored, byte for byte: the chain's
canonical bytes, the access log and every reader of the table read them back through
SQLAlchemy's types. The service is bound to an engine here, not to a test's connection,
since only a request that has the engine's pool to itself takes this path.
"""

import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from gezinsplan.audit import repository
from gezinsplan.audit.chain import seal, verify
from gezinsplan.audit.models import AuditNamedHousehold, AuditRecord
from gezinsplan.auth.tokens import mint
from gezinsplan.config import Settings
from gezinsplan.db import make_engine
from gezinsplan.main import create_app
from tests.conftest import alembic_config

API = "/api/v1"


def _migrated(path: Path) -> Engine:
    url = f"sqlite:///{path}"
    command.upgrade(alembic_config(url), "head")
    return make_engine(url)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = _migrated(tmp_path / "app.db")
    yield engine
    engine.dispose()


def _row(number: int, named: list[uuid.UUID]) -> dict[str, Any]:
    """An audit row with every column set, times with microseconds and a zone."""
    started = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC) + timedelta(seconds=number)
    return {
        "started_at": started,
        "ended_at": started + timedelta(microseconds=4321),
        "action": "read",
        "outcome": "success",
        "status_code": 200,
        "actor_sub": "wijkteam-7",
        "actor_name": "Wijkteam Zeven",
        "actor_organization_id": uuid.UUID(int=number + 7),
        "actor_roles": "regisseur,toegang",
        "purpose": None,
        "legal_basis": "municipal_task",
        "legal_basis_id": uuid.UUID(int=number + 11),
        "household_id": uuid.UUID(int=number + 13),
        "member_ids": f"{uuid.UUID(int=number + 17)}",
        "method": "GET",
        "resource": "/households/{household_id}/plan",
        "resource_id": "plan",
        "request_id": f"request-{number}",
        "traceparent": None,
        "client_address": "192.0.2.1",
        "named_households": ",".join(str(h) for h in named),
    }


def _stored(engine: Engine) -> list[tuple[Any, ...]]:
    """The tables as SQLite holds them, the record numbers left out."""
    with engine.connect() as connection:
        records = connection.exec_driver_sql(
            "SELECT * FROM audit_records ORDER BY number"
        ).mappings()
        kept = [tuple(v for k, v in row.items() if k != "number") for row in records]
        named = connection.exec_driver_sql(
            "SELECT household_id FROM audit_named_households ORDER BY household_id"
        ).all()
    return [*kept, *named]


def test_the_driver_stores_a_record_as_sqlalchemy_does(engine: Engine, tmp_path: Path) -> None:
    named = [uuid.UUID(int=101), uuid.UUID(int=102)]
    rows = [_row(1, []), _row(2, named)]
    other = _migrated(tmp_path / "other.db")
    with Session(other) as session:
        repository.add_records(session, rows)
        session.commit()
    through_sqlalchemy = _stored(other)
    other.dispose()
    pooled = engine.raw_connection()
    try:
        cursor = pooled.cursor()
        repository.insert_on_driver(cursor, engine.dialect, rows)
        pooled.commit()
    finally:
        pooled.close()
    assert _stored(engine) == through_sqlalchemy
    with Session(engine) as session:
        record = session.scalars(select(AuditRecord).order_by(AuditRecord.number)).all()[-1]
        assert record.started_at == rows[1]["started_at"]
        assert record.household_id == rows[1]["household_id"]
        named_rows = session.scalars(select(AuditNamedHousehold)).all()
        assert {(n.household_id, n.record_number) for n in named_rows} == {
            (h, record.number) for h in named
        }


def _opened(client: TestClient, settings: Settings) -> tuple[str, dict[str, str]]:
    """A household in Zwolle and the access team that reads it."""
    admin = {"Authorization": "Bearer " + mint(settings, sub="a", name="A", roles=("admin",))}
    jwt = mint(settings, sub="t", name="T", roles=("toegang",), municipalities=("0193",))
    toegang = {"Authorization": f"Bearer {jwt}"}
    body = {"kind": "municipality", "name": "Zwolle", "municipalityCode": "0193"}
    assert client.post(f"{API}/organizations", json=body, headers=admin).is_success
    opened = client.post(
        f"{API}/households",
        json={
            "name": "Gezin Visser",
            "municipalityCode": "0193",
            "referralSource": "municipal_access",
        },
        headers=toegang,
    )
    assert opened.status_code == 201, opened.text
    return opened.json()["id"], toegang


def test_hot_reads_are_in_the_access_log_and_the_chain_holds(
    engine: Engine, settings: Settings
) -> None:
    with TestClient(create_app(settings, bind=engine)) as client:
        household_id, toegang = _opened(client, settings)
        assert client.get(f"{API}/households/{household_id}/plan", headers=toegang).is_success
        listed = client.get(f"{API}/households?q=visser", headers=toegang)
        assert [h["id"] for h in listed.json()["items"]] == [household_id]
        missing = client.get(f"{API}/households/{uuid.uuid4()}/plan", headers=toegang)
        assert missing.status_code == 404
        officer = mint(
            settings, sub="fg", name="FG", roles=("privacy_officer",), municipalities=("0193",)
        )
        log = client.get(
            f"{API}/households/{household_id}/access-log",
            headers={"Authorization": f"Bearer {officer}"},
        )
    assert log.status_code == 200, log.text
    resources = [entry["resource"] for entry in log.json()["items"]]
    # The list names the household it showed; the refused read is about another one.
    assert resources[-2:] == ["/households/{household_id}/plan", "/households"]
    with Session(engine) as session:
        refused = session.scalars(select(AuditRecord).where(AuditRecord.status_code == 404)).one()
        assert refused.outcome == "denied"
        assert refused.started_at.tzinfo is not None
        assert refused.ended_at >= refused.started_at
        written = session.scalar(select(func.count()).select_from(AuditRecord))
        seal(session)
        session.commit()
        verified = verify(session)
    # The chain hashes each record's values as SQLAlchemy reads them back.
    assert verified.ok, verified.reason
    assert (verified.checked, verified.unsealed) == (written, 0)


def test_a_record_the_driver_cannot_write_fails_the_read(
    engine: Engine, settings: Settings
) -> None:
    with TestClient(create_app(settings, bind=engine), raise_server_exceptions=False) as client:
        household_id, toegang = _opened(client, settings)
        with engine.begin() as connection:
            connection.execute(
                text(
                    "CREATE TRIGGER block_audit BEFORE INSERT ON audit_records "
                    "BEGIN SELECT RAISE(ABORT, 'audit store unavailable'); END"
                )
            )
        read = client.get(f"{API}/households/{household_id}/plan", headers=toegang)
        missing = client.get(f"{API}/households/{uuid.uuid4()}/plan", headers=toegang)
    assert read.status_code == 503, read.text
    assert read.headers["content-type"] == "application/problem+json"
    assert read.json()["type"].endswith("audit-unavailable")
    assert "Gezin Visser" not in read.text
    # The refusal is still answered; its record could not be written either.
    assert missing.status_code == 404
    pooled = engine.raw_connection()
    try:
        # Every connection went back to the pool out of its transaction.
        assert isinstance(pooled.driver_connection, sqlite3.Connection)
        assert not pooled.driver_connection.in_transaction
    finally:
        pooled.close()
