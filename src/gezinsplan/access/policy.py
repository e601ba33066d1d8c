"""What an actor may do, as pure functions of the actor: no database, easy to test."""

from gezinsplan.auth.actor import Actor, Role


def may_open_household(actor: Actor, municipality_code: str) -> bool:
    return actor.has(Role.TOEGANG) and municipality_code in actor.municipalities


def may_manage_organizations(actor: Actor) -> bool:
    return actor.has(Role.ADMIN)


def may_read_directory(actor: Actor) -> bool:
    """The organization directory holds no personal data; every known role may read it."""
    return bool(actor.roles)


def may_check_audit(actor: Actor) -> bool:
    return actor.has(Role.PRIVACY_OFFICER)


def may_sync_indications(actor: Actor) -> bool:
    """A municipal system with at least one municipality in its token."""
    return actor.has(Role.MUNICIPAL_SYSTEM) and bool(actor.municipalities)


def may_sync_indications_of(actor: Actor, municipality_code: str) -> bool:
    """A municipal system writes and reads only the indications of its own municipalities."""
    return may_sync_indications(actor) and municipality_code in actor.municipalities
