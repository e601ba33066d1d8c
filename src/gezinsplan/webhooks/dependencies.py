"""The access rule for one subscription: the caller's to manage, or not found.

Registered with ``access_rule`` like every rule; the subscription and its 404 are the
webhooks domain's, so the rule lives here and ``access/`` imports no domain repository.
"""

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path

from gezinsplan.access.dependencies import SubscriptionManager
from gezinsplan.access.guard import access_rule
from gezinsplan.db import DbSession
from gezinsplan.errors import NotFound
from gezinsplan.kit.clock import utcnow
from gezinsplan.webhooks import repository
from gezinsplan.webhooks.models import Subscription
from gezinsplan.webhooks.repository import State
from gezinsplan.webhooks.service import SUBSCRIPTION_NOT_FOUND

SubscriptionId = Annotated[uuid.UUID, Path(description="The subscription's id.")]


@dataclass(frozen=True)
class Observed:
    subscription: Subscription
    state: State


@access_rule
def managed_subscription(
    subscription_id: SubscriptionId, actor: SubscriptionManager, session: DbSession
) -> Observed:
    """The subscription with its state, when it is the caller's organization's (or the caller
    administers); another organization's answers exactly like a nonexistent one."""
    found = repository.get_observed(session, actor, subscription_id, utcnow())
    if found is None:
        raise NotFound(SUBSCRIPTION_NOT_FOUND)
    return Observed(*found)


ManagedSubscription = Annotated[Observed, Depends(managed_subscription)]
