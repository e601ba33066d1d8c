"""The ``gezinsplan`` command as a new user runs it: migrate, demo-data, token, openapi, and a
service that accepts the minted token on the demo data.

``migrate`` reads ``alembic.ini`` from the working directory, so the commands run from the
repository root; everything they write goes to a temporary SQLite database via the
environment.
"""

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, insert, inspect, select
from sqlalchemy.orm import Session
from sqlmodel import col

from gezinsplan import demo_history
from gezinsplan.auth.actor import Role
from gezinsplan.auth.tokens import TokenValidator
from gezinsplan.cli import main
from gezinsplan.config import Settings
from gezinsplan.db import make_engine
from gezinsplan.demo import ACCESS_TEAM_ID, REGISSEURS, demo_id
from gezinsplan.errors import Unauthorized
from gezinsplan.events.models import Event, FeedState
from gezinsplan.households.models import Household
from gezinsplan.kit.clock import utcnow
from gezinsplan.main import create_app
from gezinsplan.members.models import Member
from gezinsplan.openapi import render
from gezinsplan.organizations.models import Organization, ServedMunicipality
from gezinsplan.steering.snapshots.models import DEFINITIONS, PublishedFigures
from tests.conftest import ROOT, TEST_SECRET, alembic_config

DEMO_HOUSEHOLDS = {
    "Gezin Jansen",
    "Gezin El Amrani",
    "Gezin de Vries",
    "Gezin Bakker",
    "Gezin Visser",
}


@pytest.fixture
def var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh local installation: settings only from the environment, state under tmp."""
    # A dozen generated households instead of hundreds: the same code, in a second, not a minute.
    monkeypatch.setattr(demo_history, "COUNT", 12)
    for name in Settings.model_fields:
        monkeypatch.delenv(f"GEZINSPLAN_{name.upper()}", raising=False)
    var_dir = tmp_path / "var"  # not created yet: migrate must make it
    monkeypatch.setenv("GEZINSPLAN_VAR_DIR", str(var_dir))
    monkeypatch.setenv("GEZINSPLAN_JWT_SECRET", TEST_SECRET)
    monkeypatch.chdir(ROOT)
    return var_dir


@pytest.fixture
def engine(var_dir: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{var_dir / 'gezinsplan.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def demo_database(var_dir: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    main(["migrate"])
    main(["demo-data", "--if-empty"])
    capsys.readouterr()
    return var_dir / "gezinsplan.db"


def mint(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    main(["token", *args])
    output = capsys.readouterr().out.strip()
    assert output.count(".") == 2, output  # one line: header.payload.signature
    return output


def counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Organization, ServedMunicipality, Household, Member, Event)
        }


def test_migrate_creates_the_schema_at_head(var_dir: Path, engine: Engine) -> None:
    assert not var_dir.exists()
    main(["migrate"])
    assert (var_dir / "gezinsplan.db").is_file()
    tables = set(inspect(engine).get_table_names())
    assert {"households", "members", "organizations", "events", "alembic_version"} <= tables
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head
    main(["migrate"])  # running it again is harmless


def test_demo_data_loads_once(
    var_dir: Path, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["migrate"])
    capsys.readouterr()
    main(["demo-data", "--if-empty"])
    assert capsys.readouterr().out.strip() == "demo data: loaded"

    with Session(engine) as session:
        organizations = session.scalars(select(Organization)).all()
        by_kind: dict[str, list[Organization]] = {}
        for organization in organizations:
            by_kind.setdefault(organization.kind, []).append(organization)
        assert sorted(o.municipality_code or "" for o in by_kind["municipality"]) == [
            "0148",
            "0193",
        ]
        [team] = by_kind["access_team"]
        assert team.id == ACCESS_TEAM_ID
        served = session.scalars(
            select(col(ServedMunicipality.municipality_code)).where(
                col(ServedMunicipality.organization_id) == team.id
            )
        ).all()
        assert sorted(served) == ["0148", "0193"]
        providers = by_kind["care_provider"]
        assert len(providers) == 2
        for provider in providers:
            assert provider.agb_code is not None
            assert len(provider.agb_code) == 8
            assert provider.agb_code.isdigit()

        households = session.scalars(select(Household)).all()
        # The hand-written households, and the generated history beside them.
        assert {h.name for h in households} >= DEMO_HOUSEHOLDS
        assert len(households) == len(DEMO_HOUSEHOLDS) + demo_history.COUNT
        assert {h.municipality_code for h in households} == {"0193", "0148"}
        closed = [h for h in households if h.status == "closed"]
        assert closed
        assert all(h.closing_reason and h.closed_at for h in closed)
        assert any(h.status == "open" for h in households)
        for household in households:
            members = session.scalars(
                select(Member).where(col(Member.household_id) == household.id)
            ).all()
            assert members, household.name
            assert {m.household_status for m in members} == {household.status}
        # Written through the services: the same events real work leaves.
        event_types = set(session.scalars(select(col(Event.type))).all())
        assert {"organization.created", "household.opened", "member.added"} <= event_types
        assert "household.closed" in event_types

    before = counts(engine)
    main(["demo-data", "--if-empty"])
    assert "left as it is" in capsys.readouterr().out
    assert counts(engine) == before

    with pytest.raises(SystemExit, match="not empty"):
        main(["demo-data"])
    assert counts(engine) == before


def test_token_is_accepted_with_the_right_claims(
    var_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    org = uuid.uuid4()
    jwt = mint(capsys, "--role", "toegang", "--org", str(org), "--municipality", "0193")

    actor = TokenValidator(Settings()).validate(jwt)
    assert actor.roles == frozenset({Role.TOEGANG})
    assert actor.org == org
    assert actor.municipalities == frozenset({"0193"})
    assert actor.sub == "dev-user"
    assert actor.member is None

    # Signed with the configured secret, not some other key.
    other = Settings(jwt_secret="another-secret-" + "y" * 40)
    with pytest.raises(Unauthorized):
        TokenValidator(other).validate(jwt)


def test_token_repeats_roles_and_municipalities(
    var_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    member = uuid.uuid4()
    jwt = mint(
        capsys,
        *("--role", "toegang", "--role", "policy"),
        *("--municipality", "0193", "--municipality", "0148"),
        *("--member", str(member), "--sub", "u-42", "--name", "Ada"),
    )
    actor = TokenValidator(Settings()).validate(jwt)
    assert actor.roles == frozenset({Role.TOEGANG, Role.POLICY})
    assert actor.municipalities == frozenset({"0193", "0148"})
    assert actor.member == member
    assert (actor.sub, actor.name, actor.org) == ("u-42", "Ada", None)


def test_minted_token_lists_the_demo_households(
    demo_database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    jwt = mint(
        capsys,
        *("--role", "toegang", "--org", str(ACCESS_TEAM_ID)),
        *("--municipality", "0193", "--municipality", "0148"),
    )
    zwolle_only = mint(capsys, "--role", "toegang", "--municipality", "0193")
    app = create_app()
    try:
        with TestClient(app) as client:
            response = client.get(
                "/api/v1/households",
                params={"limit": 100},
                headers={"Authorization": f"Bearer {jwt}"},
            )
            assert response.status_code == 200, response.text
            items = response.json()["items"]
            assert len(items) == len(DEMO_HOUSEHOLDS) + demo_history.COUNT
            assert {item["name"] for item in items} >= DEMO_HOUSEHOLDS
            assert {item["municipalityCode"] for item in items} == {"0193", "0148"}

            response = client.get(
                "/api/v1/households", headers={"Authorization": f"Bearer {zwolle_only}"}
            )
            assert response.status_code == 200, response.text
            assert {item["municipalityCode"] for item in response.json()["items"]} == {"0193"}

            anonymous = client.get("/api/v1/households")
            assert anonymous.status_code == 401
            assert anonymous.headers["content-type"] == "application/problem+json"
            assert anonymous.headers["www-authenticate"].startswith("Bearer")
            assert anonymous.json()["status"] == 401
    finally:
        app.state.session_factory.kw["bind"].dispose()


def test_openapi_writes_the_document(
    var_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "out" / "openapi.json"
    main(["openapi", "--output", str(output)])
    assert f"wrote {output}" in capsys.readouterr().out
    text = output.read_text()
    document = json.loads(text)
    assert document["openapi"].startswith("3.1")
    assert "/api/v1/households" in document["paths"]
    assert text == render(create_app().openapi())


def test_unknown_command_is_refused(var_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["make-coffee"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


@pytest.fixture
def environ() -> Iterator[None]:
    """The environment as it was: ``serve`` exports the metrics directory for its workers,
    which would make every later app in this process count into that directory."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.mark.usefixtures("environ")
def test_serve_workers_come_from_the_settings_unless_given(
    var_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[dict[str, object]] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **options: calls.append({"app": app, **options}))

    main(["serve"])
    monkeypatch.setenv("GEZINSPLAN_WORKERS", "3")
    main(["serve"])
    main(["serve", "--workers", "2"])
    assert [call["workers"] for call in calls] == [1, 3, 2]
    assert all(call["app"] == "gezinsplan.main:create_app" for call in calls)

    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--workers", "0"])
    assert exit_info.value.code == 2
    assert "must be 1 or more" in capsys.readouterr().err
    assert len(calls) == 3


def test_a_demo_care_provider_regisseur_sees_their_caseload_with_its_plan(
    demo_database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo gives each household a regisseur, some from a care provider, and a plan."""
    sub, _name, organization = REGISSEURS["Gezin El Amrani"]
    jwt = mint(capsys, "--role", "care_provider", "--org", str(demo_id(organization)), "--sub", sub)
    headers = {"Authorization": f"Bearer {jwt}"}
    app = create_app()
    try:
        with TestClient(app) as client:
            caseload = client.get("/api/v1/households?regisseur=me", headers=headers).json()
            assert [h["name"] for h in caseload["items"]] == ["Gezin El Amrani"]
            household_id = caseload["items"][0]["id"]
            plan = client.get(f"/api/v1/households/{household_id}/plan", headers=headers).json()
            assert plan["status"] == "active"
            assert {goal["lifeDomain"] for goal in plan["goals"]} == {"child_development", "school"}
            assert any(goal["actions"] for goal in plan["goals"])
            evaluations = client.get(
                f"/api/v1/households/{household_id}/plan/evaluations", headers=headers
            ).json()["items"]
            assert len(evaluations) == 1
            # Everything else stays out of sight for this care provider.
            listed = client.get("/api/v1/households", headers=headers).json()["items"]
            assert [h["name"] for h in listed] == ["Gezin El Amrani"]
    finally:
        app.state.session_factory.kw["bind"].dispose()


def test_steering_publish_publishes_the_periods_passed_since(
    var_dir: Path, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["migrate"])
    stored = PublishedFigures.__table__  # type: ignore[attr-defined]
    with engine.begin() as connection:
        connection.execute(
            insert(stored).values(
                indicator="stock-flow",
                scope="municipalities:0193",
                breakdown="",
                period="2024-H1",
                definitions=DEFINITIONS,
                figures={},
                published_at=utcnow(),
            )
        )
    capsys.readouterr()
    main(["steering", "publish"])
    with engine.connect() as connection:
        periods = connection.execute(select(stored.c.period).order_by(stored.c.period)).scalars()
        found = list(periods)
    passed = [p for p in found if p != "2024-H1"]
    assert passed[:1] == ["2024-H2"]
    assert capsys.readouterr().out == f"steering publish: {len(passed)} periods published\n"
    main(["steering", "publish"])
    assert capsys.readouterr().out == "steering publish: 0 periods published\n"


def test_events_new_epoch_starts_a_new_epoch_of_the_feed(
    var_dir: Path, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["migrate"])
    with Session(engine) as session:
        before = session.scalars(select(FeedState.epoch)).one()
    capsys.readouterr()
    main(["events", "new-epoch"])
    with Session(engine) as session:
        after = session.scalars(select(FeedState.epoch)).one()
    assert after != before
    assert capsys.readouterr().out == f"events new-epoch: the feed's epoch is now {after}\n"
