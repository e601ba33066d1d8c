"""``gezinsplan audit``: seal and verify on both engines, and on PostgreSQL a grant that
leaves the application's role only SELECT and INSERT on the audit tables.

The commands read the database from the environment, like an operator runs them, against a
database of their own with real commits.
"""

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from gezinsplan.audit.chain import seal, verify
from gezinsplan.cli import main
from gezinsplan.config import Settings
from gezinsplan.db import make_engine, make_session_factory
from gezinsplan.models import metadata
from tests.conftest import ROOT, TEST_SECRET, alembic_config
from tests.test_audit_chain import audit_record

records = metadata.tables["audit_records"]


@pytest.fixture
def database_url(
    engine_name: str, create_database: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> str:
    """A migrated database of its own, named in the environment as an operator would."""
    url = create_database(engine_name)
    command.upgrade(alembic_config(url), "head")
    for name in Settings.model_fields:
        monkeypatch.delenv(f"GEZINSPLAN_{name.upper()}", raising=False)
    monkeypatch.setenv("GEZINSPLAN_DATABASE_URL", url)
    monkeypatch.setenv("GEZINSPLAN_JWT_SECRET", TEST_SECRET)
    monkeypatch.chdir(ROOT)
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def commit_records(engine: Engine, count: int) -> None:
    with make_session_factory(engine).begin() as session:
        now = datetime.now(UTC)
        session.add_all(audit_record(n, now) for n in range(count))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """The exit code and what was printed."""
    capsys.readouterr()
    try:
        main(["audit", *args])
    except SystemExit as exit_:
        captured = capsys.readouterr()
        if isinstance(exit_.code, str):  # sys.exit(message): Python prints it, exits 1
            return 1, captured.out + exit_.code
        return int(exit_.code or 0), captured.out + captured.err
    return 0, capsys.readouterr().out


def test_verify_exits_0_while_the_chain_holds_and_1_when_it_does_not(
    engine_name: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    commit_records(engine, 5)
    code, out = run(capsys, "verify")
    assert (code, out) == (0, "audit chain ok: 0 entries checked, no head, 5 records unsealed\n")

    assert run(capsys, "seal") == (0, "audit seal: 5 records sealed\n")
    code, out = run(capsys, "verify")
    assert code == 0
    assert out.startswith("audit chain ok: 5 entries checked, head 5 ")
    head_hash = out.split()[8].rstrip(",")
    assert len(head_hash) == 64
    assert run(capsys, "verify", "--anchor", f"5:{head_hash}")[0] == 0
    code, out = run(capsys, "verify", "--anchor", f"6:{head_hash}")
    assert code == 1
    assert "broken at seq 6: the chain ends before the anchor at seq 6" in out

    with engine.begin() as connection:  # behind the application's back
        if engine_name == "postgresql":
            connection.execute(text("ALTER TABLE audit_records DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER audit_records_no_update"))
        number = connection.scalar(text("SELECT record_number FROM audit_chain WHERE seq = 3"))
        connection.execute(
            update(records).where(records.c.number == number).values(status_code=204)
        )
    code, out = run(capsys, "verify")
    assert code == 1
    assert out.startswith(f"audit chain broken at seq 3 (record {number}): hash does not match")
    assert "2 entries checked before it" in out


def test_a_malformed_anchor_is_refused(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, "verify", "--anchor", "5:not-a-hash")
    assert code == 2
    assert "SEQ:HASH" in out


@pytest.mark.parametrize("engine_name", ["sqlite"])
def test_grant_is_refused_on_sqlite(
    engine_name: str, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, "grant", "gezinsplan_app")
    assert code == 1
    assert "sqlite has no roles" in out


@pytest.fixture
def app_role(database_url: str, engine: Engine) -> Iterator[str]:
    """A login role of its own; dropped with whatever was granted to it afterwards."""
    role = f"gz_app_{uuid.uuid4().hex[:10]}"
    with engine.begin() as connection:
        connection.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD 'app-password-1'"))
    yield role
    with engine.begin() as connection:
        connection.execute(text(f"DROP OWNED BY {role}"))
        connection.execute(text(f"DROP ROLE {role}"))


def denied(engine: Engine, statement: str) -> bool:
    try:
        with engine.begin() as connection:
            connection.execute(text(statement))
    except ProgrammingError as error:
        return "permission denied" in str(error)
    return False


@pytest.mark.postgresql_only
@pytest.mark.parametrize("engine_name", ["postgresql"])
def test_grant_leaves_the_application_role_insert_and_select_on_the_audit_tables(
    engine_name: str,
    database_url: str,
    engine: Engine,
    app_role: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = run(capsys, "grant", app_role)
    assert code == 0, out
    assert (
        "only SELECT and INSERT on audit_chain and audit_chain_format and audit_erasures and "
        "audit_named_households and audit_records" in out
    )

    url = make_url(database_url).set(username=app_role, password="app-password-1")
    as_app = make_engine(url.render_as_string(hide_password=False))
    try:
        with as_app.connect() as connection:
            assert connection.scalar(text("SELECT current_user")) == app_role
        # What the application does: insert records, seal them, read the chain.
        commit_records(as_app, 3)
        with make_session_factory(as_app).begin() as session:
            assert seal(session) == 3
        with make_session_factory(as_app)() as session:
            assert verify(session).ok
        # What it may not: change or remove them.
        assert denied(as_app, "UPDATE audit_records SET status_code = 500")
        assert denied(as_app, "UPDATE audit_chain SET hash = prev_hash")
        assert denied(as_app, "DELETE FROM audit_records")
        assert denied(as_app, "DELETE FROM audit_chain")
        assert denied(as_app, "TRUNCATE audit_records CASCADE")
        assert denied(as_app, "TRUNCATE audit_chain")
        assert denied(as_app, "DELETE FROM audit_named_households")
        assert denied(as_app, "UPDATE alembic_version SET version_num = version_num")
        # Case data stays writable.
        with as_app.begin() as connection:
            connection.execute(text("UPDATE households SET name = name"))
            connection.execute(text("DELETE FROM households WHERE false"))
    finally:
        as_app.dispose()

    # Granting to the owner or a superuser would protect nothing.
    code, out = run(capsys, "grant", "postgres")
    assert code == 1
    assert "superuser or owns the tables" in out


@pytest.mark.postgresql_only
@pytest.mark.parametrize("engine_name", ["postgresql"])
def test_grant_refuses_a_role_that_could_still_change_the_log_through_another(
    engine_name: str, engine: Engine, app_role: str, capsys: pytest.CaptureFixture[str]
) -> None:
    group = f"{app_role}_group"
    with engine.begin() as connection:
        connection.execute(text(f"CREATE ROLE {group}"))
        connection.execute(text(f"GRANT UPDATE ON audit_records TO {group}"))
        connection.execute(text(f"GRANT {group} TO {app_role}"))
    try:
        code, out = run(capsys, "grant", app_role)
        assert code == 1
        assert "may still change audit_records through PUBLIC or another role" in out
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DROP OWNED BY {group}"))
            connection.execute(text(f"DROP ROLE {group}"))
