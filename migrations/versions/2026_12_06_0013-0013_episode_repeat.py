"""episodes.is_repeat

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06

Whether an episode repeats an earlier one (CBS "herhaald beroep"): an earlier episode of the
household closed in the 5 years before the opening with at least one whole Dutch day between.
Decided once, when the episode opens, so the inflow figures count it in SQL; existing
episodes are decided here. The rule is copied, not imported: a migration keeps meaning what
it meant when it was written.
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NETHERLANDS = ZoneInfo("Europe/Amsterdam")
WINDOW_YEARS = 5
EPISODES = sa.table(
    "episodes",
    sa.column("id", sa.Uuid()),
    sa.column("household_id", sa.Uuid()),
    sa.column("opened_at", sa.DateTime(timezone=True)),
    sa.column("closed_at", sa.DateTime(timezone=True)),
    sa.column("is_repeat", sa.Boolean()),
)


def upgrade() -> None:
    with op.batch_alter_table("episodes") as batch:
        batch.add_column(
            sa.Column("is_repeat", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    connection = op.get_bind()
    repeats = _repeats(connection)
    if repeats:
        connection.execute(
            EPISODES.update()
            .where(EPISODES.c.id == sa.bindparam("episode"))
            .values(is_repeat=True),
            [{"episode": episode} for episode in repeats],
        )


def downgrade() -> None:
    with op.batch_alter_table("episodes") as batch:
        batch.drop_column("is_repeat")


def _repeats(connection: sa.Connection) -> list[uuid.UUID]:
    """The episodes that repeat an earlier one; only households with several can."""
    several = (
        sa.select(EPISODES.c.household_id)
        .group_by(EPISODES.c.household_id)
        .having(sa.func.count() > 1)
    )
    statement = (
        sa.select(
            EPISODES.c.id, EPISODES.c.household_id, EPISODES.c.opened_at, EPISODES.c.closed_at
        )
        .where(EPISODES.c.household_id.in_(several))
        .order_by(EPISODES.c.household_id, EPISODES.c.opened_at)
    )
    closings: dict[uuid.UUID, list[date]] = {}
    found = []
    for episode in connection.execute(statement):
        earlier = closings.setdefault(episode.household_id, [])
        opened = _dutch_day(episode.opened_at)
        window = _years_before(opened, WINDOW_YEARS)
        if any(window <= closed and (opened - closed).days >= 2 for closed in earlier):
            found.append(episode.id)
        if episode.closed_at is not None:
            earlier.append(_dutch_day(episode.closed_at))
    return found


def _dutch_day(value: Any) -> date:
    """SQLite hands back naive UTC datetimes, PostgreSQL aware ones."""
    assert isinstance(value, datetime)
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    return aware.astimezone(NETHERLANDS).date()


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
