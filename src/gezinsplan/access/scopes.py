"""What part of a household's file a request reads or changes.

The family's consent speaks of four data categories; the API has a few more parts (who works
on the household, the consents themselves, the access log, the family's approval of the plan)
that map onto them or belong to one role only. Every household query names its scope, so one
rule decides each part.
"""

from enum import StrEnum


class Scope(StrEnum):
    BASIC = "basic"
    PLAN = "plan"
    PROGRESS = "progress"
    INDICATIONS = "indications"
    ROLES = "roles"
    CONSENTS = "consents"
    ACCESS_LOG = "access_log"
    APPROVALS = "approvals"


CONSENT_CATEGORIES = ("basic", "plan", "progress", "indications")

# The consent category that opens a scope to a care provider; the access log opens to none.
CONSENT_CATEGORY: dict[Scope, str] = {
    Scope.BASIC: "basic",
    Scope.PLAN: "plan",
    Scope.PROGRESS: "progress",
    Scope.INDICATIONS: "indications",
    Scope.ROLES: "basic",
    Scope.CONSENTS: "basic",
    Scope.APPROVALS: "plan",
}

# A resident reads these parts of their own household, and changes only its consents and
# the family's approval of the plan.
RESIDENT_READS = frozenset(
    {Scope.PLAN, Scope.PROGRESS, Scope.ROLES, Scope.CONSENTS, Scope.ACCESS_LOG, Scope.APPROVALS}
)
RESIDENT_WRITES = frozenset({Scope.CONSENTS, Scope.APPROVALS})

# Professionals with full grounds (the municipality's access team, the regisseur) see all
# but the access log, which is the family's and the privacy officer's.
PROFESSIONAL_SCOPES = frozenset(Scope) - {Scope.ACCESS_LOG}
