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


def approves_in_own_name(actor: Actor) -> bool:
    """A resident approves the plan themselves, digitally; a professional with the whole file
    records the approval a family member gave on paper, verbally or digitally."""
    return actor.has(Role.RESIDENT) and not actor.roles & {Role.TOEGANG, Role.CARE_PROVIDER}


def may_push_progress(actor: Actor) -> bool:
    """A care provider's partner system, for its own organization: the token must name it."""
    return actor.has(Role.PARTNER_SYSTEM) and actor.org is not None


MACHINE_ROLES = frozenset({Role.PARTNER_SYSTEM, Role.MUNICIPAL_SYSTEM})


def is_machine_client(actor: Actor) -> bool:
    """Systems retry on their own; their POSTs must carry an Idempotency-Key."""
    return bool(actor.roles & MACHINE_ROLES)


def subscribing_role(actor: Actor) -> Role | None:
    """The machine role a client subscribes to webhooks with, for its own organization: one
    machine role, an organization in the token, and for a municipal system municipalities."""
    machine = actor.roles & MACHINE_ROLES
    if len(machine) != 1 or actor.org is None:
        return None
    role = next(iter(machine))
    if role is Role.MUNICIPAL_SYSTEM and not actor.municipalities:
        return None
    return role


def may_manage_subscriptions(actor: Actor) -> bool:
    """An administrator (any organization's), or a machine client (its own organization's)."""
    return actor.has(Role.ADMIN) or subscribing_role(actor) is not None


def may_sync_indications(actor: Actor) -> bool:
    """A municipal system with at least one municipality in its token."""
    return actor.has(Role.MUNICIPAL_SYSTEM) and bool(actor.municipalities)


def may_sync_indications_of(actor: Actor, municipality_code: str) -> bool:
    """A municipal system writes and reads only the indications of its own municipalities."""
    return may_sync_indications(actor) and municipality_code in actor.municipalities


def may_see_team_worklist(actor: Actor) -> bool:
    """The access team's overview: a toegang worker of an organization, for its municipalities."""
    return actor.has(Role.TOEGANG) and bool(actor.municipalities) and actor.org is not None


def may_read_team_figures(actor: Actor) -> bool:
    """An access-team worker reads the figures of their own team: the episodes of their
    municipalities whose regisseur is of their organization (``reportable_episodes``)."""
    return actor.has(Role.TOEGANG) and bool(actor.municipalities) and actor.org is not None


def may_read_figures(actor: Actor) -> bool:
    """Steering figures: policy staff, for the municipalities in their token, and an access
    team, for its own team; nobody else sees any."""
    return (actor.has(Role.POLICY) and bool(actor.municipalities)) or may_read_team_figures(actor)


def reads_team_figures_only(actor: Actor) -> bool:
    """An access-team worker without the policy role: only indicators with team figures."""
    return may_read_team_figures(actor) and not (
        actor.has(Role.POLICY) and bool(actor.municipalities)
    )


def may_name_regisseurs(actor: Actor) -> bool:
    """Figures per regisseur by name describe an employee's work: for the team lead (the access
    team of the regisseur's organization), never for policy staff."""
    return reads_team_figures_only(actor)


def files_rights_requests(actor: Actor) -> bool:
    """A resident files requests about their own family's data (AVG art. 15-21), in their
    own name; which household is theirs the query decides (``own_household``)."""
    return actor.has(Role.RESIDENT) and actor.member is not None


def makes_statements(actor: Actor) -> bool:
    """A resident adds the family's own statement to an assessment in its file (AVG art. 16:
    an opinion is not rectified, the family's view is attached); in their own name."""
    return files_rights_requests(actor)


def may_handle_rights_requests(actor: Actor) -> bool:
    """The privacy officer keeps the worklist of requests, for the municipalities in the token."""
    return actor.has(Role.PRIVACY_OFFICER)


def may_decide_rights_requests(actor: Actor, municipality_code: str) -> bool:
    """Extending and deciding a household's request: its municipality's privacy officer."""
    return may_handle_rights_requests(actor) and municipality_code in actor.municipalities


def may_restrict_processing(actor: Actor, municipality_code: str) -> bool:
    """Placing and lifting a restriction of processing (AVG art. 18): the privacy officer of the
    household's municipality, who handles the family's requests."""
    return may_decide_rights_requests(actor, municipality_code)
