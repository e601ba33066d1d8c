"""Alembic owns the schema: upgrade, check, downgrade and upgrade again run clean on both
engines, and the constraints the migrations create hold in the database itself."""

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine, Uuid, column, func, insert, inspect, select, table, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from gezinsplan.db import make_engine
from gezinsplan.episodes.models import Episode
from gezinsplan.households.models import Household
from gezinsplan.households.search.repository import household_prefixes, name_matches
from gezinsplan.kit.types import UTCDateTime
from gezinsplan.members.models import Member
from gezinsplan.models import compared, metadata
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
from gezinsplan.plans.schemas import PlanSnapshot
from gezinsplan.rights.models import Restriction
from gezinsplan.roles.models import RoleAssignment
from tests.conftest import alembic_config

# The events table as migration 0009 left it: the models describe it as it is at head.
EVENTS_0009 = table(
    "events",
    column("type"),
    column("occurred_at", UTCDateTime()),
    column("household_id", Uuid()),
    column("resource_type"),
    column("resource_id", Uuid()),
)
APP_TABLES = {
    "actions",
    "audit_chain",
    "audit_chain_format",
    "audit_erasures",
    "audit_named_households",
    "audit_records",
    "consent_categories",
    "consent_domains",
    "consents",
    "deliveries",
    "delivery_attempts",
    "episodes",
    "evaluation_outcomes",
    "evaluation_scores",
    "evaluations",
    "events",
    "family_statements",
    "feed_state",
    "goals",
    "households",
    "idempotency_keys",
    "indications",
    "member_corrections",
    "members",
    "organizations",
    "plan_approvals",
    "plan_versions",
    "plans",
    "progress_updates",
    "restrictions",
    "rights_requests",
    "role_assignments",
    "served_municipalities",
    "steering_snapshots",
    "subscriptions",
    "tariffs",
}

# SQLite only: the name search's FTS5 table and the tables it keeps its index in (0015).
SEARCH_TABLES = {
    "household_names",
    *(f"household_names_{part}" for part in ("config", "content", "data", "docsize", "idx")),
}

households = Household.__table__  # type: ignore[attr-defined]
members = Member.__table__  # type: ignore[attr-defined]
organizations = Organization.__table__  # type: ignore[attr-defined]
restrictions = Restriction.__table__  # type: ignore[attr-defined]


@pytest.fixture
def empty_url(engine_name: str, create_database: Callable[[str], str]) -> str:
    return create_database(engine_name)


@pytest.fixture
def engine(empty_url: str) -> Iterator[Engine]:
    engine = make_engine(empty_url)
    yield engine
    engine.dispose()


def schema_differences(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "target_metadata": metadata, "include_object": compared},
        )
        return list(compare_metadata(context, metadata))


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_upgrade_check_downgrade_upgrade(empty_url: str, engine: Engine, engine_name: str) -> None:
    config = alembic_config(empty_url)
    migrated = (
        APP_TABLES
        | {"alembic_version", "household_prefixes"}
        | (SEARCH_TABLES if engine_name == "sqlite" else set())
    )
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    assert set(inspect(engine).get_table_names()) == set()

    command.upgrade(config, "head")
    assert set(inspect(engine).get_table_names()) == migrated
    assert current_revision(engine) == head
    # The migrations produce exactly what the models describe, types included.
    assert schema_differences(engine) == []
    command.check(config)

    command.downgrade(config, "base")
    # Alembic keeps its own (now empty) version table; every application table is gone.
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    assert current_revision(engine) is None
    # The comparison is not vacuous: against the empty schema it reports every table.
    added = {diff[1].name for diff in schema_differences(engine) if diff[0] == "add_table"}
    assert added == APP_TABLES
    with pytest.raises(CommandError, match="not up to date"):
        command.check(config)

    command.upgrade(config, "head")
    assert set(inspect(engine).get_table_names()) == migrated
    assert current_revision(engine) == head
    assert schema_differences(engine) == []


def test_households_opened_before_plans_existed_get_their_draft_plan(
    empty_url: str, engine: Engine
) -> None:
    config = alembic_config(empty_url)
    command.upgrade(config, "0001")
    now = datetime.now(UTC)
    household_ids = [uuid.uuid4(), uuid.uuid4()]
    with engine.begin() as connection:
        connection.execute(
            insert(organizations).values(
                id=uuid.uuid4(),
                kind="municipality",
                name="Gemeente Zwolle",
                municipality_code="0193",
                version=1,
                created_at=now,
                updated_at=now,
            )
        )
        connection.execute(
            insert(households),
            [
                {
                    "id": household_id,
                    "municipality_code": "0193",
                    "name": "Gezin",
                    "status": "open",
                    "opened_at": now,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for household_id in household_ids
            ],
        )
    command.upgrade(config, "0002")
    plans = Plan.__table__  # type: ignore[attr-defined]
    with engine.connect() as connection:
        rows = connection.execute(
            select(plans.c.household_id, plans.c.status, plans.c.version)
        ).all()
    assert sorted(rows) == sorted((household_id, "draft", 1) for household_id in household_ids)


def test_plans_that_existed_before_versions_get_a_snapshot_of_their_current_version(
    empty_url: str, engine: Engine
) -> None:
    config = alembic_config(empty_url)
    command.upgrade(config, "0004")
    now = datetime.now(UTC).replace(microsecond=123456)
    household_id, plan_id, goal_id, action_id, evaluation_id = (uuid.uuid4() for _ in range(5))
    stamps = {"created_at": now, "updated_at": now}
    with engine.begin() as connection:
        connection.execute(
            insert(organizations).values(
                id=uuid.uuid4(),
                kind="municipality",
                name="Zwolle",
                municipality_code="0193",
                version=1,
                **stamps,
            )
        )
        connection.execute(
            insert(households).values(
                id=household_id,
                municipality_code="0193",
                name="Gezin",
                status="open",
                opened_at=now,
                version=1,
                **stamps,
            )
        )
        tables = (Plan, Goal, Action, Evaluation, EvaluationOutcome, EvaluationScore)
        plan, goal, action, evaluation, outcome, score = (
            t.__table__
            for t in tables  # type: ignore[attr-defined]
        )
        connection.execute(
            insert(plan).values(
                id=plan_id,
                household_id=household_id,
                status="active",
                family_wishes="Rust.",
                version=6,
                **stamps,
            )
        )
        connection.execute(
            insert(goal).values(
                id=goal_id,
                plan_id=plan_id,
                life_domain="finances",
                description="Betaalplan.",
                zrm_start=2,
                zrm_target=4,
                target_date=date(2027, 6, 30),
                status="open",
                **stamps,
            )
        )
        connection.execute(
            insert(action).values(
                id=action_id,
                goal_id=goal_id,
                description="Bellen.",
                performer="own_network",
                performer_name="Oma",
                done=True,
                done_at=now,
                **stamps,
            )
        )
        connection.execute(
            insert(evaluation).values(
                id=evaluation_id, plan_id=plan_id, evaluated_on=date(2026, 11, 1), created_at=now
            )
        )
        connection.execute(
            insert(outcome).values(evaluation_id=evaluation_id, goal_id=goal_id, outcome="continue")
        )
        connection.execute(
            insert(score).values(evaluation_id=evaluation_id, life_domain="finances", score=3)
        )
    command.upgrade(config, "head")
    versions = PlanVersion.__table__  # type: ignore[attr-defined]
    with engine.connect() as connection:
        rows = connection.execute(select(versions)).all()
    assert [(row.plan_id, row.version, row.changed_by_sub) for row in rows] == [(plan_id, 6, None)]
    kept = PlanSnapshot.model_validate(rows[0].snapshot)
    assert (kept.id, kept.household_id, kept.status, kept.family_wishes, kept.version) == (
        plan_id,
        household_id,
        "active",
        "Rust.",
        6,
    )
    assert kept.updated_at == now
    [kept_goal] = kept.goals
    assert (kept_goal.id, kept_goal.target_date, kept_goal.zrm_target) == (
        goal_id,
        date(2027, 6, 30),
        4,
    )
    [kept_action] = kept_goal.actions
    assert (kept_action.id, kept_action.done, kept_action.done_at) == (action_id, True, now)
    [kept_evaluation] = kept.evaluations
    assert kept_evaluation.id == evaluation_id
    assert [(o.goal_id, o.outcome) for o in kept_evaluation.outcomes] == [(goal_id, "continue")]
    assert [(s.life_domain, s.score) for s in kept_evaluation.scores] == [("finances", 3)]


def test_existing_households_get_their_episodes_and_closed_ones_lose_their_assignments(
    empty_url: str, engine: Engine
) -> None:
    """From the previous head with data: the events and the row give each household's
    episodes; what the history did not record is ``unknown`` or null, never invented."""
    config = alembic_config(empty_url)
    command.upgrade(config, "0009")
    start = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)

    def at(days: int) -> datetime:
        return start + timedelta(days=days)

    organization_id = uuid.uuid4()
    never_reopened, reopened_and_closed, reopened_open, without_events = (
        uuid.uuid4() for _ in range(4)
    )
    rows = {
        # (status, closing_reason, opened_at, closed_at, updated_at)
        never_reopened: ("open", None, at(0), None, at(0)),
        reopened_and_closed: ("closed", "moved_away", at(0), at(40), at(40)),
        reopened_open: ("open", None, at(0), None, at(30)),
        without_events: ("closed", "goals_achieved", at(0), at(50), at(50)),
    }
    history = {
        never_reopened: [("household.opened", 0)],
        reopened_and_closed: [
            ("household.opened", 0),
            ("household.closed", 10),
            ("household.reopened", 20),
            ("household.closed", 40),
        ],
        reopened_open: [
            ("household.opened", 0),
            ("household.closed", 10),
            ("household.reopened", 30),
        ],
    }
    roles = RoleAssignment.__table__  # type: ignore[attr-defined]
    with engine.begin() as connection:
        connection.execute(
            insert(organizations).values(
                id=organization_id,
                kind="municipality",
                name="Gemeente Zwolle",
                municipality_code="0193",
                version=1,
                created_at=start,
                updated_at=start,
            )
        )
        for household_id, (status, reason, opened, closed, updated) in rows.items():
            connection.execute(
                insert(households).values(
                    id=household_id,
                    municipality_code="0193",
                    name="Gezin",
                    status=status,
                    closing_reason=reason,
                    opened_at=opened,
                    closed_at=closed,
                    version=1,
                    created_at=opened,
                    updated_at=updated,
                )
            )
        for household_id, events in history.items():
            for type_, day in events:
                connection.execute(
                    insert(EVENTS_0009).values(
                        type=type_,
                        occurred_at=at(day) + timedelta(seconds=1),
                        household_id=household_id,
                        resource_type="household",
                        resource_id=household_id,
                    )
                )
        for household_id, role_type, sub in [
            (reopened_and_closed, "regisseur", "anna"),
            (reopened_and_closed, "care_provider", None),
            (never_reopened, "regisseur", "bart"),
        ]:
            connection.execute(
                insert(roles).values(
                    id=uuid.uuid4(),
                    household_id=household_id,
                    role_type=role_type,
                    organization_id=organization_id,
                    professional_sub=sub,
                    started_at=at(21),
                    started_by="tester",
                    created_at=at(21),
                )
            )

    command.upgrade(config, "0010")

    episodes = Episode.__table__  # type: ignore[attr-defined]
    with engine.connect() as connection:
        found: dict[uuid.UUID, list[tuple[Any, ...]]] = {}
        for row in connection.execute(
            select(
                episodes.c.household_id,
                episodes.c.opened_at,
                episodes.c.closed_at,
                episodes.c.closing_reason,
                episodes.c.referral_source,
                episodes.c.opened_by,
                episodes.c.closed_by,
            ).order_by(episodes.c.opened_at)
        ):
            opened = row.opened_at.replace(tzinfo=UTC)
            closed = row.closed_at and row.closed_at.replace(tzinfo=UTC)
            assert (row.referral_source, row.opened_by, row.closed_by) == ("unknown", None, None)
            found.setdefault(row.household_id, []).append((opened, closed, row.closing_reason))
        ended = {
            row.household_id: (row.ended_at and row.ended_at.replace(tzinfo=UTC), row.end_reason)
            for row in connection.execute(select(roles))
        }
        still_active = connection.scalar(
            select(func.count()).select_from(roles).where(roles.c.ended_at.is_(None))
        )
    second = timedelta(seconds=1)
    assert found == {
        never_reopened: [(at(0), None, None)],
        reopened_and_closed: [
            (at(0), at(10) + second, "unknown"),
            (at(20) + second, at(40), "moved_away"),
        ],
        reopened_open: [(at(0), at(10) + second, "unknown"), (at(30) + second, None, None)],
        without_events: [(at(0), at(50), "goals_achieved")],
    }
    assert ended[reopened_and_closed] == (at(40), "household closed")
    assert ended[never_reopened] == (None, None)
    assert still_active == 1


def test_existing_episodes_learn_whether_they_repeat_an_earlier_one(
    empty_url: str, engine: Engine
) -> None:
    """From 0012 with data: an episode repeats one closed in the 5 years before it with a
    whole Dutch day between; adjoining episodes and older closings do not count."""
    config = alembic_config(empty_url)
    command.upgrade(config, "0012")
    # 22:30 UTC is the next day in Amsterdam: the gap is counted in Dutch days.
    late = datetime(2020, 3, 1, 22, 30, tzinfo=UTC)
    spells = {
        # household: [(opened_at, closed_at)], oldest first; the last one's repeat is asked
        "adjoining": [(late, late + timedelta(days=10)), (late + timedelta(days=11), None)],
        "a_day_between": [(late, late + timedelta(days=10)), (late + timedelta(days=12), None)],
        "six_years_later": [(late, late + timedelta(days=10)), (late + timedelta(days=2200), None)],
        "first": [(late, None)],
    }
    ids = {name: uuid.uuid4() for name in spells}
    episodes = Episode.__table__  # type: ignore[attr-defined]
    # The table as 0012 left it: the model's columns would name the one being added.
    kept = ("id", "household_id", "opened_at", "referral_source", "closed_at", "closing_reason")
    before = table("episodes", *(column(name, episodes.c[name].type) for name in kept))
    with engine.begin() as connection:
        connection.execute(
            insert(organizations).values(
                id=uuid.uuid4(),
                kind="municipality",
                name="Gemeente Zwolle",
                municipality_code="0193",
                version=1,
                created_at=late,
                updated_at=late,
            )
        )
        for name, periods in spells.items():
            connection.execute(
                insert(households).values(
                    id=ids[name],
                    municipality_code="0193",
                    name="Gezin",
                    status="open",
                    opened_at=late,
                    version=1,
                    created_at=late,
                    updated_at=late,
                )
            )
            for opened, closed in periods:
                connection.execute(
                    insert(before).values(
                        id=uuid.uuid4(),
                        household_id=ids[name],
                        opened_at=opened,
                        referral_source="self",
                        closed_at=closed,
                        closing_reason="goals_achieved" if closed else None,
                    )
                )
    command.upgrade(config, "0013")
    with engine.connect() as connection:
        rows = connection.execute(
            select(episodes.c.household_id, episodes.c.is_repeat).order_by(episodes.c.opened_at)
        ).all()
    last = {row.household_id: row.is_repeat for row in rows}
    assert {name: last[ids[name]] for name in spells} == {
        "adjoining": False,
        "a_day_between": True,
        "six_years_later": False,
        "first": False,
    }
    assert sum(repeat for _, repeat in rows) == 1


def test_households_from_before_the_stored_name_words_are_found_by_their_members_names(
    empty_url: str, engine: Engine
) -> None:
    """From 0014 with data: 0015 fills the words of every household, with members or not,
    and 0022 keeps their beginnings, which the list walks (``name_matches`` is its condition)."""
    config = alembic_config(empty_url)
    command.upgrade(config, "0014")
    with engine.begin() as connection:
        add_zwolle(connection)
        with_members = add_household(connection, "Gezin Jansen")
        add_member(connection, with_members, None, given_name="Çiğdem", family_name="Özdemir")
        add_member(connection, with_members, None)
        without_members = add_household(connection, "Gezin de Vries")
    command.upgrade(config, "0022")

    def found(search: str) -> set[uuid.UUID]:
        with engine.connect() as connection:
            matches = name_matches(connection.dialect.name, search)
            return set(connection.scalars(select(households.c.id).where(matches)))

    assert found("ozdemir") == {with_members}
    assert found("cig sanne jans") == {with_members}
    assert found("vries") == {without_members}
    assert found("gezin") == {with_members, without_members}
    assert found("de") == {without_members}
    assert found("bakker") == set()


def test_a_member_restricted_before_0023_is_no_longer_found_by_name(
    empty_url: str, engine: Engine
) -> None:
    """0023 leaves the names of members under an active restriction out of the stored words
    and their beginnings; a lifted restriction keeps its member's names, and the downgrade
    puts them all back."""
    config = alembic_config(empty_url)
    command.upgrade(config, "0014")
    with engine.begin() as connection:
        add_zwolle(connection)
        household = add_household(connection, "Gezin Jansen")
        add_member(connection, household, None)
        daan = add_member(connection, household, None, given_name="Daan", family_name="Özkan")
        mila = add_member(connection, household, None, given_name="Mila", family_name="Jansen")
        other = add_household(connection, "Gezin Daan")
    command.upgrade(config, "0022")  # the words of all names, and their beginnings
    with engine.begin() as connection:
        for member, lifted in ((daan, None), (mila, datetime.now(UTC))):
            connection.execute(
                insert(restrictions).values(
                    id=uuid.uuid4(),
                    household_id=household,
                    member_id=member,
                    reason="De juistheid wordt betwist.",
                    placed_at=datetime.now(UTC),
                    placed_by="fg-zwolle",
                    lifted_at=lifted,
                    lifted_by=lifted and "fg-zwolle",
                    lift_reason=lifted and "Gecorrigeerd.",
                    family_informed_on=lifted and date(2026, 11, 1),
                )
            )

    def found(search: str) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
        """The households whose words match, and those with the search's beginning."""
        with engine.connect() as connection:
            matches = name_matches(connection.dialect.name, search)
            by_words = set(connection.scalars(select(households.c.id).where(matches)))
            begun = select(household_prefixes.c.household_id).where(
                household_prefixes.c.prefix == search[:12]
            )
            return by_words, set(connection.scalars(begun))

    assert found("daan") == ({household, other}, {household, other})
    assert found("ozkan") == ({household}, {household})
    command.upgrade(config, "0023")
    assert found("daan") == ({other}, {other})
    assert found("ozkan") == (set(), set())
    assert found("mila") == ({household}, {household})
    assert found("sanne") == ({household}, {household})
    command.downgrade(config, "0022")
    assert found("daan") == ({household, other}, {household, other})
    assert found("ozkan") == ({household}, {household})


def test_migration_files_are_date_prefixed_and_form_one_line() -> None:
    config = alembic_config("sqlite://")
    scripts = ScriptDirectory.from_config(config)
    assert len(scripts.get_heads()) == 1
    assert len(scripts.get_bases()) == 1
    for revision in scripts.walk_revisions():
        assert revision.path is not None
        name = Path(revision.path).name
        assert name[:10].replace("_", "").isdigit(), name


def test_sqlite_connections_enforce_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fk.db'}")
    try:
        for _ in range(2):  # a fresh connection and one from the pool
            with engine.connect() as connection:
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
            connection.exec_driver_sql(
                "CREATE TABLE child (id INTEGER PRIMARY KEY, "
                "parent_id INTEGER NOT NULL REFERENCES parent (id))"
            )
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO child (id, parent_id) VALUES (1, 42)")
    finally:
        engine.dispose()


# --- constraints on a migrated database -------------------------------------------------

BSN = "123456782"


def add_household(connection: Connection, name: str) -> uuid.UUID:
    household_id = uuid.uuid4()
    now = datetime.now(UTC)
    connection.execute(
        insert(households).values(
            id=household_id,
            municipality_code="0193",
            name=name,
            status="open",
            opened_at=now,
            version=1,
            created_at=now,
            updated_at=now,
        )
    )
    return household_id


def add_member(
    connection: Connection,
    household_id: uuid.UUID,
    bsn: str | None,
    status: str = "open",
    given_name: str = "Sanne",
    family_name: str = "Jansen",
) -> uuid.UUID:
    member_id = uuid.uuid4()
    now = datetime.now(UTC)
    connection.execute(
        insert(members).values(
            id=member_id,
            household_id=household_id,
            household_status=status,
            given_name=given_name,
            family_name=family_name,
            birth_date=date(1986, 4, 12),
            bsn=bsn,
            relation="parent",
            is_guardian=True,
            version=1,
            created_at=now,
            updated_at=now,
        )
    )
    return member_id


def close(connection: Connection, household_id: uuid.UUID) -> None:
    connection.execute(
        update(households)
        .where(households.c.id == household_id)
        .values(status="closed", closing_reason="moved_away", closed_at=datetime.now(UTC))
    )


def reopen(connection: Connection, household_id: uuid.UUID) -> None:
    connection.execute(
        update(households)
        .where(households.c.id == household_id)
        .values(status="open", closing_reason=None, closed_at=None)
    )


def member_statuses(connection: Connection, household_id: uuid.UUID) -> list[str]:
    statement = select(members.c.household_status).where(members.c.household_id == household_id)
    return list(connection.scalars(statement))


def fails_integrity(connection: Connection, action: Callable[[], None]) -> bool:
    """Run ``action`` in a savepoint; True when the database refused it."""
    savepoint = connection.begin_nested()
    try:
        action()
    except IntegrityError:
        savepoint.rollback()
        return True
    savepoint.commit()
    return False


def add_zwolle(connection: Connection) -> None:
    now = datetime.now(UTC)
    connection.execute(
        insert(organizations).values(
            id=uuid.uuid4(),
            kind="municipality",
            name="Gemeente Zwolle",
            municipality_code="0193",
            version=1,
            created_at=now,
            updated_at=now,
        )
    )


@pytest.fixture
def zwolle(connection: Connection) -> None:
    add_zwolle(connection)


def test_database_keeps_a_bsn_in_one_open_household(connection: Connection, zwolle: None) -> None:
    first = add_household(connection, "Gezin Jansen")
    second = add_household(connection, "Gezin Willems")
    add_member(connection, first, BSN)
    # Members without a BSN never collide.
    add_member(connection, first, None)
    add_member(connection, second, None)

    assert fails_integrity(connection, lambda: add_member(connection, second, BSN))

    close(connection, first)
    # ON UPDATE CASCADE carried the household's status to its members.
    assert member_statuses(connection, first) == ["closed", "closed"]
    assert not fails_integrity(connection, lambda: add_member(connection, second, BSN))

    # Reopening the first would put the person in two open households.
    assert fails_integrity(connection, lambda: reopen(connection, first))
    assert (
        connection.scalar(select(households.c.status).where(households.c.id == first)) == "closed"
    )

    # Once the second is closed as well, the first can be reopened.
    close(connection, second)
    assert not fails_integrity(connection, lambda: reopen(connection, first))
    assert member_statuses(connection, first) == ["open", "open"]
    count = select(func.count()).select_from(members).where(members.c.bsn == BSN)
    assert connection.scalar(count) == 2


def test_member_status_must_match_its_household(connection: Connection, zwolle: None) -> None:
    household_id = add_household(connection, "Gezin Jansen")
    assert fails_integrity(connection, lambda: add_member(connection, household_id, BSN, "closed"))
    assert fails_integrity(connection, lambda: add_member(connection, uuid.uuid4(), BSN))
    assert not fails_integrity(connection, lambda: add_member(connection, household_id, BSN))


def test_closed_household_needs_reason_and_time(connection: Connection, zwolle: None) -> None:
    household_id = add_household(connection, "Gezin Jansen")

    def close_without_reason() -> None:
        connection.execute(
            update(households).where(households.c.id == household_id).values(status="closed")
        )

    assert fails_integrity(connection, close_without_reason)
    assert not fails_integrity(connection, lambda: close(connection, household_id))
