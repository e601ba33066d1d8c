"""Subscribing to webhooks: whose a subscription is, where it sends, what it shows.

A machine client subscribes for its own organization, with its own role and municipalities,
so it never receives more than it could read itself; an administrator may subscribe for any
organization. Which events a subscriber may see is judged at every delivery, never here:
a household filter is not checked against what the caller sees (that would let it probe
ids). Event types are stored as the events table names them (``goal.updated``), so the
fan-out filters on them directly; the API shows them as CloudEvents types.

The signing secret appears in two answers only: the creation's (replayed to a resend with
the same Idempotency-Key) and a rotation's.
"""

import uuid
from datetime import timedelta

from pydantic.alias_generators import to_camel
from sqlalchemy.orm import Session

from gezinsplan.access import policy
from gezinsplan.auth.actor import Actor, Role
from gezinsplan.config import Settings
from gezinsplan.errors import Forbidden, NotFound, Unprocessable
from gezinsplan.events import repository as event_store
from gezinsplan.events.cloud import type_of
from gezinsplan.kit.clock import utcnow
from gezinsplan.kit.etags import claim
from gezinsplan.organizations import repository as organizations
from gezinsplan.organizations.service import registered
from gezinsplan.webhooks import repository
from gezinsplan.webhooks.callbacks import check_callback
from gezinsplan.webhooks.models import Subscription
from gezinsplan.webhooks.repository import State
from gezinsplan.webhooks.schemas import (
    EVENT_TYPES,
    RedeliveryRequest,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionRead,
    SubscriptionUpdate,
    SubscriptionUpdated,
)
from gezinsplan.webhooks.secrets import new_secret

SUBSCRIPTION_NOT_FOUND = "Subscription not found."
EVENT_NOT_FOUND = "This event was never owed to this subscription."
PAUSED = "paused by the subscriber"
ADMIN_FIELDS = ("organization_id", "client_role", "municipalities")


def to_read(subscription: Subscription, state: State) -> SubscriptionRead:
    return SubscriptionRead.model_validate(_fields(subscription, state))


def _fields(subscription: Subscription, state: State) -> dict[str, object]:
    fields = subscription.model_dump(exclude={"secret", "previous_secret"})
    return fields | {
        "event_types": [type_of(name) for name in subscription.event_types],
        "secret_rotated_until": subscription.previous_secret_until,
        "backlog": state.backlog,
        "oldest_pending_at": state.oldest_pending_at,
        "failed_attempts_24h": state.failed_attempts_24h,
    }


def _stored_types(types: list[str]) -> list[str]:
    return sorted({str(EVENT_TYPES[name]) for name in types})


def _grounds(
    session: Session, actor: Actor, data: SubscriptionCreate
) -> tuple[uuid.UUID, str, list[str]]:
    """The organization, role and municipalities the subscription reads with."""
    if actor.has(Role.ADMIN):
        return _named_grounds(session, data)
    role = policy.subscribing_role(actor)
    if role is None or actor.org is None:
        raise Forbidden("Only a partner or municipal system of an organization subscribes.")
    given = sorted(data.model_fields_set & set(ADMIN_FIELDS))
    if given:
        raise Unprocessable(
            "A system subscribes for its own organization, with its own role and "
            "municipalities; only an administrator names them.",
            invalid_params=[
                {"name": f"body:{to_camel(name)}", "reason": "only for an administrator"}
                for name in given
            ],
        )
    if organizations.get(session, actor.org) is None:
        raise Forbidden("The organization your token names is not registered.")
    return actor.org, role, sorted(actor.municipalities)


def _named_grounds(session: Session, data: SubscriptionCreate) -> tuple[uuid.UUID, str, list[str]]:
    """An administrator's: a registered organization, a machine role, and municipalities
    for, and only for, a municipal system."""
    missing = [name for name in ("organization_id", "client_role") if getattr(data, name) is None]
    if missing or data.organization_id is None or data.client_role is None:
        raise Unprocessable(
            "An administrator names the organization and the role it subscribes with.",
            invalid_params=[
                {"name": f"body:{to_camel(name)}", "reason": "required"} for name in missing
            ],
        )
    organization = registered(session, data.organization_id, "organizationId")
    return organization.id, data.client_role, _municipalities(data.client_role, data.municipalities)


def _municipalities(client_role: str, given: list[str] | None) -> list[str]:
    municipalities = sorted(set(given or ()))
    if (Role(client_role) is Role.MUNICIPAL_SYSTEM) != bool(municipalities):
        raise Unprocessable.field(
            "municipalities",
            "required for, and only for, a municipal system",
            "A municipal system's subscription names its municipalities; a partner system's none.",
        )
    return municipalities


def create(
    session: Session, actor: Actor, data: SubscriptionCreate, settings: Settings
) -> SubscriptionCreated:
    """A subscription that receives the changes from now on: it starts at the feed's head."""
    organization_id, role, municipalities = _grounds(session, actor, data)
    check_callback(data.callback_url, settings)
    start = event_store.head(session)
    subscription = Subscription(
        organization_id=organization_id,
        client_role=role,
        municipalities=municipalities,
        callback_url=data.callback_url,
        event_types=_stored_types(data.event_types),
        household_id=data.household_id,
        secret=new_secret(),
        feed_txid=start.txid,
        feed_seq=start.seq,
        created_by=actor.sub,
    )
    session.add(subscription)
    session.flush()
    return SubscriptionCreated.model_validate(
        _fields(subscription, State()) | {"secret": subscription.secret}
    )


def change(
    session: Session,
    actor: Actor,
    subscription: Subscription,
    state: State,
    data: SubscriptionUpdate,
    expected: int | None,
    settings: Settings,
) -> SubscriptionUpdated:
    """Change what the client may change; 412 when it read an older version."""
    changes = data.model_dump(exclude_unset=True)
    for name in ("callback_url", "event_types", "active", "rotate_secret"):
        if name in changes and changes[name] is None:
            raise Unprocessable.field(
                to_camel(name), "must not be null", f"{to_camel(name)} cannot be null."
            )
    now = utcnow()
    values: dict[str, object] = {"updated_at": now}
    if "callback_url" in changes:
        check_callback(changes["callback_url"], settings)
        values["callback_url"] = changes["callback_url"]
    if "event_types" in changes:
        values["event_types"] = _stored_types(changes["event_types"])
    if "municipalities" in changes:
        if not actor.has(Role.ADMIN):
            raise Unprocessable.field(
                "municipalities",
                "only for an administrator",
                "A system's subscription keeps the municipalities it was made with; an "
                "administrator changes them.",
            )
        values["municipalities"] = _municipalities(
            subscription.client_role, changes["municipalities"]
        )
    if "household_id" in changes:
        values["household_id"] = changes["household_id"]
    # Only a re-enabling clears the failure clock: a failing subscriber that kept saying
    # "active" would otherwise never be disabled.
    resuming = changes.get("active") is True and not subscription.active
    if resuming:
        values |= {
            "active": True,
            "disabled_reason": None,
            "disabled_at": None,
            "failing_since": None,
        }
    elif changes.get("active") is False and subscription.active:
        values |= {"active": False, "disabled_reason": PAUSED, "disabled_at": now}
    secret = None
    if changes.get("rotate_secret"):
        secret = new_secret()
        values |= {
            "secret": secret,
            "previous_secret": subscription.secret,
            "previous_secret_until": now + timedelta(hours=settings.webhooks_secret_grace_hours),
        }
    claim(session, subscription, expected, **values)
    if resuming:
        repository.resume(session, subscription.id, now)
    return SubscriptionUpdated.model_validate(_fields(subscription, state) | {"secret": secret})


def remove(session: Session, subscription: Subscription, expected: int | None) -> None:
    """Its deliveries and attempts go with it (the foreign keys cascade)."""
    claim(session, subscription, expected)
    session.delete(subscription)
    session.flush()


def redeliver(session: Session, subscription: Subscription, data: RedeliveryRequest) -> int:
    """Queue one event, or every event from a moment on, to be sent again now: withheld ones
    too, since whether the subscriber may see them is judged again at delivery. A paused or
    disabled subscription's queue waits until it is active again."""
    if data.event_id is not None and not repository.delivery_of_event(
        session, subscription.id, data.event_id
    ):
        raise NotFound(EVENT_NOT_FOUND)
    return repository.requeue(
        session, subscription.id, utcnow(), event_id=data.event_id, since=data.since
    )
