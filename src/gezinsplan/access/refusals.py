"""What a refused household request says, once the household is no secret to the caller.

A household the caller may read some part of (``predicates.known_households``) answers a
refused part or action with a 403 that names what is missing; any other stays the 404 of no
household (decision 0037). The detail is derived from the actor and the part alone: the
refusal path asks the database nothing more than whether the household is known.
"""

from gezinsplan.access.scopes import CONSENT_CATEGORY, Scope
from gezinsplan.auth.actor import Actor, Role
from gezinsplan.errors import ConsentMissing, Forbidden, ReadOnly

# How a detail names each part of the file.
PART_NAMES: dict[Scope, str] = {
    Scope.BASIC: "basic data",
    Scope.PLAN: "plan",
    Scope.PROGRESS: "progress",
    Scope.INDICATIONS: "indications",
    Scope.ROLES: "roles",
    Scope.CONSENTS: "consents",
    Scope.ACCESS_LOG: "access log",
    Scope.APPROVALS: "approvals of the plan",
}
WHOLE_FILE = "the regisseur or the access team of the household's municipality"


def refusal(actor: Actor, scope: Scope, *, write: bool) -> Forbidden:
    """The 403 for an actor who knows the household but may not read (or change) ``scope``."""
    part = PART_NAMES[scope]
    if write:
        return _write_refusal(actor, part)
    if scope is Scope.ACCESS_LOG:
        return Forbidden(
            "Only the family and the privacy officer of the household's municipality read "
            "its access log."
        )
    if actor.has(Role.CARE_PROVIDER) and scope in CONSENT_CATEGORY:
        return ConsentMissing(
            "Your organization holds no valid consent of the family for the category "
            f"'{CONSENT_CATEGORY[scope]}'."
        )
    if actor.has(Role.RESIDENT) and scope is Scope.INDICATIONS:
        return Forbidden(
            "Residents do not read the indications here; the municipality sends the family "
            "its decision itself."
        )
    if actor.has(Role.RESIDENT):
        return Forbidden(
            "Residents read their household's plan, progress, roles, consents and access log, "
            f"not its {part}."
        )
    if actor.has(Role.PRIVACY_OFFICER):
        return Forbidden(
            "A privacy officer reads the household's access log and rights requests, "
            f"not its {part}."
        )
    return Forbidden(f"Only {WHOLE_FILE} reads the household's {part}.")


def _write_refusal(actor: Actor, part: str) -> Forbidden:
    if actor.has(Role.RESIDENT):
        return ReadOnly(f"Residents cannot change the {part}; add the family's statement instead.")
    if actor.has(Role.CARE_PROVIDER):
        return ReadOnly(
            f"Care providers read this part of the file but do not change it: {WHOLE_FILE} does."
        )
    return Forbidden(f"Only {WHOLE_FILE} changes the household's {part}.")
