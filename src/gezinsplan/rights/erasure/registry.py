"""The one list of personal-data columns and what each becomes when its household is erased.

Every text, date, JSON or binary column of every table is either here (``PERSONAL``) or
declared not personal (``NOT_PERSONAL``, with the reason in a comment); a test fails for a
column in neither, so a new column cannot escape erasure. A new case table with a path in
``access.tables.PATHS`` is erased by adding one line to ``PERSONAL``.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from gezinsplan.audit.chain import IDENTIFYING

PLACEHOLDER = "gewist"
# No steering figure uses an age: a birth date becomes one date for everyone.
ERASED_BIRTH_DATE = date(1900, 1, 1)
# An indication keeps its key and terms (the cost of maatwerk); its BSN column is required
# and nine characters long.
ERASED_BSN = "000000000"


@dataclass(frozen=True)
class Becomes:
    """The value an erased column is set to."""

    value: Any


NULL = Becomes(None)
GEWIST = Becomes(PLACEHOLDER)

# table -> column -> what it becomes. Rows are found through their path up to the household
# (access.tables.PATHS); ids, codes, dates of the process and scores stay for the figures.
PERSONAL: dict[str, dict[str, Becomes]] = {
    "households": {"name": GEWIST},
    "members": {
        "given_name": GEWIST,
        "family_name": GEWIST,
        "bsn": NULL,
        "birth_date": Becomes(ERASED_BIRTH_DATE),
    },
    "plans": {"family_wishes": NULL},
    "goals": {"description": GEWIST},
    "actions": {"description": GEWIST, "performer_name": NULL},
    "evaluations": {"summary": NULL},
    "evaluation_outcomes": {"note": NULL},
    "progress_updates": {"text": GEWIST, "outcome_note": NULL},
    "indications": {"bsn": Becomes(ERASED_BSN)},
    "consents": {"purpose": GEWIST, "withdrawal_reason": NULL},
    "role_assignments": {"start_reason": NULL, "end_reason": NULL},
    "rights_requests": {"explanation": NULL, "extension_reason": NULL, "decision_reason": NULL},
    "member_corrections": {"old_value": NULL, "new_value": NULL, "reason": NULL},
    "family_statements": {"text": GEWIST},
    "restrictions": {"reason": GEWIST, "lift_reason": NULL},
    # Rewritten by ``snapshot``: texts out, what the outcome figures read stays.
    "plan_versions": {"snapshot": Becomes("snapshot")},
}

# Handled apart, not column by column: the audit log is pseudonymised (its chain must keep
# verifying) and stored idempotent answers that name the household are deleted.
PSEUDONYMISED = {"audit_records": IDENTIFYING}
DELETED = {"idempotency_keys": "rows whose stored answer names the household or a member"}

NOT_PERSONAL: dict[str, frozenset[str]] = {
    # Codes, process dates, professionals' subjects and organization data.
    "households": frozenset(
        {"municipality_code", "status", "closing_reason", "retention_class", "retention_ends_on"}
    ),
    "members": frozenset({"household_status", "relation"}),
    "plans": frozenset({"status"}),
    "goals": frozenset({"life_domain", "target_date", "status"}),
    "actions": frozenset({"performer", "due_date"}),
    "evaluations": frozenset({"evaluated_on"}),
    "evaluation_outcomes": frozenset({"outcome"}),
    "evaluation_scores": frozenset({"life_domain"}),
    "progress_updates": frozenset(
        {"author_sub", "author_name", "client_sub", "external_id", "reported_on", "outcome"}
    ),
    "indications": frozenset(
        {
            "municipality_code",
            "indication_number",
            "regulation",
            "product_category",
            "product_code",
            "unit",
            "frequency",
            "provider_agb",
            "start_date",
            "end_date",
            "decision_date",
            "change_reason",
            "status",
            "content_hash",
        }
    ),
    "consents": frozenset({"valid_from", "valid_until", "recorded_by", "withdrawn_by"}),
    "consent_categories": frozenset({"category"}),
    "consent_domains": frozenset({"life_domain"}),
    "role_assignments": frozenset(
        {"role_type", "professional_sub", "professional_name", "started_by", "ended_by"}
    ),
    "rights_requests": frozenset(
        {"kind", "filed_by", "filed_on", "due_on", "extended_by", "decided_by", "outcome"}
    ),
    "plan_versions": frozenset({"changed_by_sub", "changed_by_name"}),
    "member_corrections": frozenset({"field", "corrected_by"}),
    "family_statements": frozenset({"subject_kind", "made_by_sub"}),
    "restrictions": frozenset({"placed_by", "lifted_by", "family_informed_on"}),
    "plan_approvals": frozenset({"method", "approved_on", "recorded_by_sub", "recorded_by_name"}),
    "episodes": frozenset({"opened_by", "referral_source", "closed_by", "closing_reason"}),
    # Ids and codes only (decision 0024): events, webhook deliveries and their attempts.
    "events": frozenset({"type", "resource_type", "scope", "life_domain"}),
    "deliveries": frozenset({"status"}),
    "delivery_attempts": frozenset({"error"}),
    # The professional who read, and how: kept for accountability (decision 0032).
    "audit_records": frozenset(
        {
            "action",
            "outcome",
            "actor_sub",
            "actor_name",
            "actor_roles",
            "legal_basis",
            "method",
            "resource",
            "client_address",
        }
    ),
    "audit_chain": frozenset({"prev_hash", "hash"}),
    "audit_erasures": frozenset({"digest"}),
    "idempotency_keys": frozenset({"client", "key", "fingerprint", "headers"}),
    # Not about a household: organizations, tariffs, subscriptions, the feed's state, and
    # published figures (aggregates after disclosure control, decision 0018).
    "organizations": frozenset({"kind", "name", "municipality_code", "agb_code", "kvk_number"}),
    "served_municipalities": frozenset({"municipality_code"}),
    "tariffs": frozenset(
        {
            "municipality_code",
            "regulation",
            "product_category",
            "product_code",
            "unit",
            "valid_from",
            "valid_until",
            "content_hash",
        }
    ),
    "subscriptions": frozenset(
        {
            "client_role",
            "municipalities",
            "callback_url",
            "event_types",
            "secret",
            "previous_secret",
            "disabled_reason",
            "lease_owner",
            "created_by",
        }
    ),
    "steering_snapshots": frozenset({"indicator", "scope", "breakdown", "period", "figures"}),
}

# The keys of a plan version's snapshot the figures read (steering/outcomes); every other
# string in it becomes the placeholder.
SNAPSHOT_KEPT = frozenset(
    {
        "id",
        "household_id",
        "plan_id",
        "goal_id",
        "organization_id",
        "performer_member_id",
        "performer_organization_id",
        "status",
        "life_domain",
        "performer",
        "created_at",
        "updated_at",
        "target_date",
        "due_date",
        "done_at",
        "evaluated_on",
        "outcome",
    }
)


def snapshot(value: Any, key: str | None = None) -> Any:
    """A plan version's snapshot with every string outside ``SNAPSHOT_KEPT`` erased."""
    if isinstance(value, dict):
        return {k: snapshot(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [snapshot(item, key) for item in value]
    if isinstance(value, str) and key not in SNAPSHOT_KEPT:
        return PLACEHOLDER
    return value
