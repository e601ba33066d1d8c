"""The grounds a subscription reads the feed with: its organization's, as a machine client."""

from gezinsplan.auth.actor import Actor, Role
from gezinsplan.webhooks.models import Subscription


def actor_of(subscription: Subscription) -> Actor:
    """The machine client the subscription stands for, judged afresh at every delivery."""
    return Actor(
        sub=f"subscription:{subscription.id}",
        name="webhook subscription",
        org=subscription.organization_id,
        roles=frozenset({Role(subscription.client_role)}),
        municipalities=frozenset(subscription.municipalities),
    )
