"""The steering figures' access rule: who reads which indicator's figures.

Registered with ``access_rule`` like every rule, but it knows the catalogue of indicators,
which is the steering domain's, so it lives here and ``access/`` imports no catalogue.
"""

from typing import Annotated

from fastapi import Depends, Path

from gezinsplan.access import grounds, policy
from gezinsplan.access.guard import access_rule
from gezinsplan.audit.models import LegalBasis
from gezinsplan.audit.trail import audit
from gezinsplan.auth.actor import Actor
from gezinsplan.auth.dependencies import CurrentActor
from gezinsplan.db import DbSession
from gezinsplan.errors import Forbidden, NotFound
from gezinsplan.steering.catalogue import BY_ID, TEAM_FIGURES, Indicator

IndicatorId = Annotated[
    str, Path(max_length=60, description="The indicator's id.", examples=["inflow"])
]


@access_rule
def figures_reader(
    indicator_id: IndicatorId, actor: CurrentActor, session: DbSession
) -> tuple[Actor, Indicator]:
    """Steering figures: aggregates for policy staff, and an access team's own team figures,
    recorded like any access to case data.

    The catalogue is public to every role, so an unknown indicator is simply not found.
    """
    audit(session, actor, basis=LegalBasis.MUNICIPAL_TASK, purpose=grounds.STEERING)
    indicator = BY_ID.get(indicator_id)
    if indicator is None:
        raise NotFound("No such indicator.")
    if not policy.may_read_figures(actor):
        raise Forbidden(
            "Only policy staff, of their own municipalities, and an access team, of its own "
            "team, read steering figures."
        )
    if policy.reads_team_figures_only(actor) and indicator.id not in TEAM_FIGURES:
        raise Forbidden(f"The indicator {indicator.id} has no figures per team.")
    return actor, indicator


FiguresReader = Annotated[tuple[Actor, Indicator], Depends(figures_reader)]
