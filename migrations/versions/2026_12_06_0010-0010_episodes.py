"""episodes

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

Each open period of a household becomes an episode (opened, by whom, referral source;
closed, by whom, closing reason), so inflow, outflow, duration and relapse can be counted.
The episodes of existing households are rebuilt from the event log (``household.opened``,
``household.reopened``, ``household.closed``, in order) and the household row, which is
authoritative for the first opening and the current state. What the history does not hold
is marked, not invented: ``opened_by`` and ``closed_by`` stay null, the referral source is
``unknown``, and so is the reason of every closing but the last (the row keeps only that one).

Closing a household now ends its role assignments; the assignments still active on closed
households are ended here, at the household's closing time, with the reason "household
closed". A downgrade drops the episodes but does not restart those assignments.
"""

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000
UNKNOWN = "unknown"
HOUSEHOLD_CLOSED = "household closed"
ENDED_BY = "gezinsplan:migration-0010"
OPEN_EPISODE = "closed_at IS NULL"

HOUSEHOLDS = sa.table(
    "households",
    sa.column("id", sa.Uuid()),
    sa.column("status", sa.String()),
    sa.column("closing_reason", sa.String()),
    sa.column("opened_at", sa.DateTime(timezone=True)),
    sa.column("closed_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
EVENTS = sa.table(
    "events",
    sa.column("seq", sa.BigInteger()),
    sa.column("type", sa.String()),
    sa.column("household_id", sa.Uuid()),
    sa.column("occurred_at", sa.DateTime(timezone=True)),
)
EPISODES = sa.table(
    "episodes",
    sa.column("id", sa.Uuid()),
    sa.column("household_id", sa.Uuid()),
    sa.column("opened_at", sa.DateTime(timezone=True)),
    sa.column("opened_by", sa.String()),
    sa.column("referral_source", sa.String()),
    sa.column("closed_at", sa.DateTime(timezone=True)),
    sa.column("closed_by", sa.String()),
    sa.column("closing_reason", sa.String()),
)
ROLES = sa.table(
    "role_assignments",
    sa.column("household_id", sa.Uuid()),
    sa.column("started_at", sa.DateTime(timezone=True)),
    sa.column("ended_at", sa.DateTime(timezone=True)),
    sa.column("ended_by", sa.String()),
    sa.column("end_reason", sa.String()),
)
OPENINGS = ("household.opened", "household.reopened")
CLOSING = "household.closed"


def upgrade() -> None:
    op.create_table(
        "episodes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(length=200), nullable=True),
        sa.Column("referral_source", sa.String(length=40), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=200), nullable=True),
        sa.Column("closing_reason", sa.String(length=40), nullable=True),
        sa.CheckConstraint(
            "(closed_at IS NULL) = (closing_reason IS NULL)", name=op.f("ck_episodes_closing")
        ),
        sa.CheckConstraint(
            "closed_at IS NULL OR closed_at >= opened_at", name=op.f("ck_episodes_period")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_episodes_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_episodes")),
    )
    op.create_index(
        "uq_episodes_open",
        "episodes",
        ["household_id"],
        unique=True,
        sqlite_where=sa.text(OPEN_EPISODE),
        postgresql_where=sa.text(OPEN_EPISODE),
    )
    op.create_index(
        op.f("ix_episodes_household_id_opened_at"), "episodes", ["household_id", "opened_at"]
    )
    op.create_index(op.f("ix_episodes_opened_at"), "episodes", ["opened_at"])
    op.create_index(op.f("ix_episodes_closed_at"), "episodes", ["closed_at"])
    _build_episodes(op.get_bind())
    _end_assignments_of_closed_households(op.get_bind())


def downgrade() -> None:
    op.drop_index(op.f("ix_episodes_closed_at"), table_name="episodes")
    op.drop_index(op.f("ix_episodes_opened_at"), table_name="episodes")
    op.drop_index(op.f("ix_episodes_household_id_opened_at"), table_name="episodes")
    op.drop_index(
        "uq_episodes_open",
        table_name="episodes",
        sqlite_where=sa.text(OPEN_EPISODE),
        postgresql_where=sa.text(OPEN_EPISODE),
    )
    op.drop_table("episodes")


@dataclass
class _Episode:
    opened_at: datetime
    closed_at: datetime | None = None
    closing_reason: str | None = None


def _utc(value: Any) -> datetime:
    """SQLite hands back naive UTC datetimes, PostgreSQL aware ones."""
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _households(connection: sa.Connection) -> Iterator[list[Any]]:
    """The households, a batch at a time, in id order."""
    after = None
    while True:
        statement = sa.select(HOUSEHOLDS).order_by(HOUSEHOLDS.c.id).limit(BATCH)
        if after is not None:
            statement = statement.where(HOUSEHOLDS.c.id > after)
        rows = list(connection.execute(statement))
        if not rows:
            return
        yield rows
        after = rows[-1].id


def _history(connection: sa.Connection, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
    """The opening and closing events of these households, in the order they were written."""
    statement = (
        sa.select(EVENTS.c.household_id, EVENTS.c.type, EVENTS.c.occurred_at)
        .where(EVENTS.c.household_id.in_(ids), EVENTS.c.type.in_((*OPENINGS, CLOSING)))
        .order_by(EVENTS.c.seq)
    )
    found: dict[uuid.UUID, list[Any]] = {}
    for event in connection.execute(statement):
        found.setdefault(event.household_id, []).append(event)
    return found


def _episodes_of(household: Any, events: list[Any]) -> list[_Episode]:
    """The household's episodes: the events' periods, corrected by the row's current state."""
    episodes: list[_Episode] = []
    for event in events:
        at = _utc(event.occurred_at)
        current = episodes[-1] if episodes and episodes[-1].closed_at is None else None
        if event.type in OPENINGS and current is None:
            episodes.append(_Episode(opened_at=at))
        elif event.type == CLOSING and current is not None:
            current.closed_at, current.closing_reason = at, UNKNOWN
    opened_at = _utc(household.opened_at)
    if not episodes:
        episodes.append(_Episode(opened_at=opened_at))
    episodes[0].opened_at = opened_at
    last = episodes[-1]
    if household.status == "closed":
        last.closed_at = _utc(household.closed_at)
        last.closing_reason = household.closing_reason
    elif last.closed_at is not None:
        episodes.append(_Episode(opened_at=max(last.closed_at, _utc(household.updated_at))))
    for episode in episodes:
        if episode.closed_at is not None and episode.closed_at < episode.opened_at:
            episode.closed_at = episode.opened_at
    return episodes


def _build_episodes(connection: sa.Connection) -> None:
    for batch in _households(connection):
        history = _history(connection, [household.id for household in batch])
        rows = [
            {
                "id": uuid.uuid4(),
                "household_id": household.id,
                "opened_at": episode.opened_at,
                "opened_by": None,
                "referral_source": UNKNOWN,
                "closed_at": episode.closed_at,
                "closed_by": None,
                "closing_reason": episode.closing_reason,
            }
            for household in batch
            for episode in _episodes_of(household, history.get(household.id, []))
        ]
        connection.execute(sa.insert(EPISODES), rows)


def _end_assignments_of_closed_households(connection: sa.Connection) -> None:
    closed_at = (
        sa.select(HOUSEHOLDS.c.closed_at)
        .where(HOUSEHOLDS.c.id == ROLES.c.household_id, HOUSEHOLDS.c.status == "closed")
        .scalar_subquery()
    )
    connection.execute(
        sa.update(ROLES)
        .where(ROLES.c.ended_at.is_(None), closed_at.is_not(None))
        .values(
            # Never before its start (the period constraint), should the clocks have differed.
            ended_at=sa.case((closed_at < ROLES.c.started_at, ROLES.c.started_at), else_=closed_at),
            ended_by=ENDED_BY,
            end_reason=HOUSEHOLD_CLOSED,
        )
    )
