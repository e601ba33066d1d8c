"""Starting and ending episodes, in the transaction that opens or closes the household."""

from datetime import datetime

from sqlalchemy.orm import Session

from gezinsplan.auth.actor import Actor
from gezinsplan.episodes import repeat, repository
from gezinsplan.episodes.models import Episode
from gezinsplan.errors import Conflict
from gezinsplan.households.models import Household


def start(
    session: Session, actor: Actor, household: Household, referral_source: str, at: datetime
) -> Episode:
    """A new episode; the open-episode index refuses a second one for the same household."""
    earlier = repository.closings_since(session, actor, household.id, at - repeat.LOOK_BACK)
    episode = Episode(
        household_id=household.id,
        opened_at=at,
        opened_by=actor.sub,
        referral_source=referral_source,
        is_repeat=repeat.is_repeat(at, earlier),
    )
    session.add(episode)
    return episode


def end(session: Session, actor: Actor, household: Household, reason: str, at: datetime) -> None:
    if not repository.close_open(session, household.id, at=at, by=actor.sub, reason=reason):
        raise Conflict("The household is already closed.")
