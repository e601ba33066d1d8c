"""plan versions and approvals

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24

Every change to a plan keeps the plan as it then is, whole, in ``plan_versions``; the
family's approval names one of those versions (docs/decisions/0013). Plans that exist already
get a snapshot of their current version here, so ``versions/{current}`` exists for them too;
their earlier versions were never kept and are not invented.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500


def upgrade() -> None:
    op.create_table(
        "plan_versions",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by_sub", sa.String(length=200), nullable=True),
        sa.Column("changed_by_name", sa.String(length=200), nullable=True),
        sa.Column("changed_by_organization_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plans.id"],
            name=op.f("fk_plan_versions_plan_id_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("plan_id", "version", name=op.f("pk_plan_versions")),
    )
    op.create_table(
        "plan_approvals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("plan_version", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=True),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("approved_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_sub", sa.String(length=200), nullable=False),
        sa.Column("recorded_by_name", sa.String(length=200), nullable=True),
        sa.Column("recorded_by_organization_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "method IN ('digital', 'paper', 'verbal')", name=op.f("ck_plan_approvals_method")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_plan_approvals_member_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id", "plan_version"],
            ["plan_versions.plan_id", "plan_versions.version"],
            name=op.f("fk_plan_approvals_plan_id_plan_version_plan_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_approvals")),
    )
    op.create_index(
        op.f("ix_plan_approvals_plan_id_created_at"),
        "plan_approvals",
        ["plan_id", "created_at"],
        unique=False,
    )
    _snapshot_existing_plans()


# --- the snapshot of each existing plan's current version -------------------------------------
# Written out here rather than imported from the service, so this migration keeps doing what
# it did when the service changes. The shape is what plans.schemas.PlanSnapshot reads.


UUIDS = {
    "id",
    "plan_id",
    "household_id",
    "goal_id",
    "evaluation_id",
    "organization_id",
    "performer_member_id",
    "performer_organization_id",
}


def _type(column: str) -> Any:
    """Typed columns, so both engines hand back ids, dates and times rather than text."""
    if column in UUIDS:
        return sa.Uuid()
    if column.endswith("_at"):
        return sa.DateTime(timezone=True)
    if column.endswith("_date") or column == "evaluated_on":
        return sa.Date()
    if column == "done":
        return sa.Boolean()
    if column in {"version", "zrm_start", "zrm_target", "score"}:
        return sa.Integer()
    return sa.String()


def _table(name: str, *columns: str) -> sa.TableClause:
    return sa.table(name, *(sa.column(column, _type(column)) for column in columns))


PLANS = _table(
    "plans", "id", "household_id", "status", "family_wishes", "version", "created_at", "updated_at"
)
GOALS = _table(
    "goals",
    "id",
    "plan_id",
    "life_domain",
    "description",
    "zrm_start",
    "zrm_target",
    "target_date",
    "organization_id",
    "status",
    "created_at",
    "updated_at",
)
ACTIONS = _table(
    "actions",
    "id",
    "goal_id",
    "description",
    "performer",
    "performer_member_id",
    "performer_organization_id",
    "performer_name",
    "due_date",
    "done",
    "done_at",
    "created_at",
    "updated_at",
)
EVALUATIONS = _table("evaluations", "id", "plan_id", "evaluated_on", "summary", "created_at")
OUTCOMES = _table("evaluation_outcomes", "evaluation_id", "goal_id", "outcome", "note")
SCORES = _table("evaluation_scores", "evaluation_id", "life_domain", "score")
VERSIONS = sa.table(
    "plan_versions",
    sa.column("plan_id", sa.Uuid()),
    sa.column("version", sa.Integer()),
    sa.column("snapshot", sa.JSON()),
    sa.column("changed_at", sa.DateTime(timezone=True)),
)


def _utc(value: Any) -> datetime:
    """SQLite hands back naive UTC datetimes, PostgreSQL aware ones."""
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _json(row: Any) -> dict[str, Any]:
    """A row as JSON values: ids as text, dates and times as ISO 8601, UTC."""
    found: dict[str, Any] = {}
    for key, value in row._mapping.items():
        if isinstance(value, datetime):
            value = _utc(value).isoformat()
        elif isinstance(value, date | uuid.UUID):
            value = str(value)
        found[key] = value
    return found


def _batches(connection: sa.Connection) -> Iterator[list[Any]]:
    """The plans, a batch at a time, in id order."""
    after = None
    while True:
        statement = sa.select(PLANS).order_by(PLANS.c.id).limit(BATCH)
        if after is not None:
            statement = statement.where(PLANS.c.id > after)
        rows = list(connection.execute(statement))
        if not rows:
            return
        yield rows
        after = rows[-1].id


def _snapshot_existing_plans() -> None:
    connection = op.get_bind()
    for plans in _batches(connection):
        ids = [plan.id for plan in plans]
        goals = connection.execute(
            sa.select(GOALS)
            .where(GOALS.c.plan_id.in_(ids))
            .order_by(GOALS.c.created_at, GOALS.c.id)
        ).all()
        actions = connection.execute(
            sa.select(ACTIONS)
            .where(ACTIONS.c.goal_id.in_([goal.id for goal in goals]))
            .order_by(ACTIONS.c.created_at, ACTIONS.c.id)
        ).all()
        evaluations = connection.execute(
            sa.select(EVALUATIONS)
            .where(EVALUATIONS.c.plan_id.in_(ids))
            .order_by(EVALUATIONS.c.created_at, EVALUATIONS.c.id)
        ).all()
        evaluation_ids = [evaluation.id for evaluation in evaluations]
        outcomes = connection.execute(
            sa.select(OUTCOMES)
            .where(OUTCOMES.c.evaluation_id.in_(evaluation_ids))
            .order_by(OUTCOMES.c.goal_id)
        ).all()
        scores = connection.execute(
            sa.select(SCORES)
            .where(SCORES.c.evaluation_id.in_(evaluation_ids))
            .order_by(SCORES.c.life_domain)
        ).all()
        by_goal, by_plan = defaultdict(list), defaultdict(list)
        for action in actions:
            by_goal[action.goal_id].append(_json(action))
        for goal in goals:
            by_plan[goal.plan_id].append(_json(goal) | {"actions": by_goal[goal.id]})
        outcomes_of, scores_of, evaluations_of = (
            defaultdict(list),
            defaultdict(list),
            defaultdict(list),
        )
        for outcome in outcomes:
            outcomes_of[outcome.evaluation_id].append(
                {k: v for k, v in _json(outcome).items() if k != "evaluation_id"}
            )
        for score in scores:
            scores_of[score.evaluation_id].append(
                {k: v for k, v in _json(score).items() if k != "evaluation_id"}
            )
        for evaluation in evaluations:
            evaluations_of[evaluation.plan_id].append(
                _json(evaluation)
                | {"outcomes": outcomes_of[evaluation.id], "scores": scores_of[evaluation.id]}
            )
        op.bulk_insert(
            VERSIONS,
            [
                {
                    "plan_id": plan.id,
                    "version": plan.version,
                    "snapshot": _json(plan)
                    | {"goals": by_plan[plan.id], "evaluations": evaluations_of[plan.id]},
                    "changed_at": _utc(plan.updated_at),
                }
                for plan in plans
            ],
        )


def downgrade() -> None:
    op.drop_index(op.f("ix_plan_approvals_plan_id_created_at"), table_name="plan_approvals")
    op.drop_table("plan_approvals")
    op.drop_table("plan_versions")
