"""plans and role assignments

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

One plan per household (unique), with goals, actions and evaluations; role assignments with
partial unique indexes for "at most one active regisseur" and "one active assignment per
care provider". Households that exist already get their draft plan here, as new ones get
theirs when they are opened.
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE_REGISSEUR = sa.text("role_type = 'regisseur' AND ended_at IS NULL")
ACTIVE_CARE_PROVIDER = sa.text("role_type = 'care_provider' AND ended_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "plans",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("family_wishes", sa.String(length=4000), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'active', 'evaluating', 'closed')", name=op.f("ck_plans_status")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_plans_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
        sa.UniqueConstraint("household_id", name=op.f("uq_plans_household_id")),
    )
    _create_missing_plans()
    op.create_table(
        "role_assignments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("role_type", sa.String(length=20), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("professional_sub", sa.String(length=200), nullable=True),
        sa.Column("professional_name", sa.String(length=200), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("start_reason", sa.String(length=1000), nullable=True),
        sa.Column("end_reason", sa.String(length=1000), nullable=True),
        sa.Column("started_by", sa.String(length=200), nullable=False),
        sa.Column("ended_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(role_type = 'regisseur') = (professional_sub IS NOT NULL)",
            name=op.f("ck_role_assignments_professional"),
        ),
        sa.CheckConstraint(
            "role_type IN ('regisseur', 'care_provider')",
            name=op.f("ck_role_assignments_role_type"),
        ),
        sa.CheckConstraint(
            "ended_at IS NULL OR ended_at >= started_at", name=op.f("ck_role_assignments_period")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_role_assignments_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_role_assignments_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_assignments")),
    )
    op.create_index(
        "ix_role_assignments_caseload",
        "role_assignments",
        ["professional_sub", "organization_id", "household_id"],
        unique=False,
        sqlite_where=ACTIVE_REGISSEUR,
        postgresql_where=ACTIVE_REGISSEUR,
    )
    op.create_index(
        op.f("ix_role_assignments_household_id_created_at"),
        "role_assignments",
        ["household_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "uq_role_assignments_active_care_provider",
        "role_assignments",
        ["household_id", "organization_id"],
        unique=True,
        sqlite_where=ACTIVE_CARE_PROVIDER,
        postgresql_where=ACTIVE_CARE_PROVIDER,
    )
    op.create_index(
        "uq_role_assignments_active_regisseur",
        "role_assignments",
        ["household_id"],
        unique=True,
        sqlite_where=ACTIVE_REGISSEUR,
        postgresql_where=ACTIVE_REGISSEUR,
    )

    op.create_table(
        "evaluations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("evaluated_on", sa.Date(), nullable=False),
        sa.Column("summary", sa.String(length=4000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_evaluations_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluations")),
    )
    op.create_index(
        op.f("ix_evaluations_plan_id_created_at"),
        "evaluations",
        ["plan_id", "created_at"],
        unique=False,
    )

    op.create_table(
        "goals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("life_domain", sa.String(length=40), nullable=False),
        sa.Column("description", sa.String(length=4000), nullable=False),
        sa.Column("zrm_start", sa.Integer(), nullable=False),
        sa.Column("zrm_target", sa.Integer(), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("zrm_start BETWEEN 1 AND 5", name=op.f("ck_goals_zrm_start")),
        sa.CheckConstraint("zrm_target BETWEEN 1 AND 5", name=op.f("ck_goals_zrm_target")),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_goals_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_goals_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goals")),
    )
    op.create_index(
        op.f("ix_goals_plan_id_created_at"), "goals", ["plan_id", "created_at"], unique=False
    )

    op.create_table(
        "actions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("goal_id", sa.Uuid(), nullable=False),
        sa.Column("description", sa.String(length=4000), nullable=False),
        sa.Column("performer", sa.String(length=40), nullable=False),
        sa.Column("performer_member_id", sa.Uuid(), nullable=True),
        sa.Column("performer_organization_id", sa.Uuid(), nullable=True),
        sa.Column("performer_name", sa.String(length=200), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goals.id"], name=op.f("fk_actions_goal_id_goals"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["performer_member_id"],
            ["members.id"],
            name=op.f("fk_actions_performer_member_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["performer_organization_id"],
            ["organizations.id"],
            name=op.f("fk_actions_performer_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actions")),
    )
    op.create_index(
        op.f("ix_actions_goal_id_created_at"), "actions", ["goal_id", "created_at"], unique=False
    )

    op.create_table(
        "evaluation_outcomes",
        sa.Column("evaluation_id", sa.Uuid(), nullable=False),
        sa.Column("goal_id", sa.Uuid(), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("note", sa.String(length=4000), nullable=True),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluations.id"],
            name=op.f("fk_evaluation_outcomes_evaluation_id_evaluations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["goal_id"],
            ["goals.id"],
            name=op.f("fk_evaluation_outcomes_goal_id_goals"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("evaluation_id", "goal_id", name=op.f("pk_evaluation_outcomes")),
    )
    op.create_index(
        op.f("ix_evaluation_outcomes_goal_id"), "evaluation_outcomes", ["goal_id"], unique=False
    )

    op.create_table(
        "evaluation_scores",
        sa.Column("evaluation_id", sa.Uuid(), nullable=False),
        sa.Column("life_domain", sa.String(length=40), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name=op.f("ck_evaluation_scores_score")),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluations.id"],
            name=op.f("fk_evaluation_scores_evaluation_id_evaluations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("evaluation_id", "life_domain", name=op.f("pk_evaluation_scores")),
    )


def _create_missing_plans() -> None:
    """A draft plan for every household opened before plans existed."""
    connection = op.get_bind()
    households = sa.table("households", sa.column("id", sa.Uuid()))
    plans = sa.table(
        "plans",
        sa.column("id", sa.Uuid()),
        sa.column("household_id", sa.Uuid()),
        sa.column("status", sa.String()),
        sa.column("version", sa.Integer()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    rows = [
        {
            "id": uuid.uuid4(),
            "household_id": household_id,
            "status": "draft",
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for household_id in connection.execute(sa.select(households.c.id)).scalars()
    ]
    if rows:
        op.bulk_insert(plans, rows)


def downgrade() -> None:
    op.drop_table("evaluation_scores")
    op.drop_index(op.f("ix_evaluation_outcomes_goal_id"), table_name="evaluation_outcomes")

    op.drop_table("evaluation_outcomes")
    op.drop_index(op.f("ix_actions_goal_id_created_at"), table_name="actions")

    op.drop_table("actions")
    op.drop_index(op.f("ix_goals_plan_id_created_at"), table_name="goals")

    op.drop_table("goals")
    op.drop_index(op.f("ix_evaluations_plan_id_created_at"), table_name="evaluations")

    op.drop_table("evaluations")
    op.drop_index("uq_role_assignments_active_regisseur", table_name="role_assignments")
    op.drop_index("uq_role_assignments_active_care_provider", table_name="role_assignments")
    op.drop_index(
        op.f("ix_role_assignments_household_id_created_at"), table_name="role_assignments"
    )
    op.drop_index("ix_role_assignments_caseload", table_name="role_assignments")

    op.drop_table("role_assignments")
    op.drop_table("plans")
