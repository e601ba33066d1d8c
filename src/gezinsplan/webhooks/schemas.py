"""Request and response bodies for webhook subscriptions, their deliveries and redeliveries."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, model_validator

from gezinsplan.codelists.fields import (
    DeliveryStatusRead,
    EventTypeCode,
    EventTypeRead,
    SubscriberRole,
    SubscriberRoleRead,
)
from gezinsplan.events.cloud import type_of
from gezinsplan.events.service import EventType
from gezinsplan.kit.schemas import ApiModel, IsoDateTime, MunicipalityCode, RequestModel

# The CloudEvents types a subscriber names, and the event type each stands for.
EVENT_TYPES = {type_of(event_type): event_type for event_type in EventType}


CallbackUrl = Annotated[
    str,
    Field(
        max_length=2000,
        description="Where deliveries are POSTed: an https:// URL on a public address, "
        "without user name, password or fragment.",
        examples=["https://partner.example.nl/gezinsplan/webhooks"],
    ),
]
EventTypes = Annotated[
    list[EventTypeCode],
    Field(
        max_length=len(EVENT_TYPES),
        description="The CloudEvents types to deliver; empty: all of them.",
        examples=[["nl.gezinsplan.goal.updated.v1"]],
    ),
]
HouseholdFilter = Annotated[
    uuid.UUID | None,
    Field(
        description="Only events about this household. Whether the subscriber may see them "
        "is judged at each delivery, like every event's."
    ),
]


class SubscriptionCreate(RequestModel):
    callback_url: CallbackUrl
    event_types: EventTypes = Field(default_factory=list)
    household_id: HouseholdFilter = None
    organization_id: uuid.UUID | None = Field(
        None, description="An administrator's only: the organization the subscription is for."
    )
    client_role: SubscriberRole | None = Field(
        None, description="An administrator's only: the machine role it reads the events with."
    )
    municipalities: list[MunicipalityCode] | None = Field(
        None,
        max_length=50,
        description="An administrator's only, for a municipal system: its municipalities.",
    )


class SubscriptionUpdate(RequestModel):
    callback_url: CallbackUrl | None = None
    event_types: EventTypes | None = None
    household_id: HouseholdFilter = None
    municipalities: list[MunicipalityCode] | None = Field(
        None,
        max_length=50,
        description="An administrator's only, for a municipal system's subscription: the "
        "municipalities it reads for now (when the system's own change).",
    )
    active: bool | None = Field(
        None,
        description="`false` pauses deliveries; `true` resumes a paused or disabled "
        "subscription where it stopped: its waiting deliveries are sent now, in order.",
    )
    rotate_secret: bool | None = Field(
        None,
        description="`true`: a new signing secret, shown once in this answer; the previous "
        "one keeps signing too until `secretRotatedUntil`.",
    )


class SubscriptionRead(ApiModel):
    id: uuid.UUID
    organization_id: uuid.UUID
    client_role: SubscriberRoleRead
    municipalities: list[str]
    callback_url: str
    event_types: list[EventTypeRead] = Field(description="CloudEvents types; empty: all.")
    household_id: uuid.UUID | None
    active: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    failing_since: datetime | None = Field(
        description="Since when every delivery failed; null after a success."
    )
    secret_rotated_until: datetime | None = Field(
        description="When the previous secret, after a rotation, stops signing."
    )
    backlog: int = Field(description="Deliveries waiting to be sent.")
    oldest_pending_at: datetime | None = Field(
        description="When the oldest waiting delivery was queued."
    )
    failed_attempts_24h: int = Field(
        alias="failedAttempts24h",
        description="Attempts in the last 24 hours answered with other than 2xx, or not at all.",
    )
    version: int
    created_at: datetime
    updated_at: datetime


class SubscriptionCreated(SubscriptionRead):
    secret: str = Field(
        description="The signing secret (Standard Webhooks, `whsec_` and base64). Shown only "
        "now: keep it; it is never shown again.",
    )


class SubscriptionUpdated(SubscriptionRead):
    secret: str | None = Field(
        description="After `rotateSecret`: the new signing secret, shown only now; else null."
    )


class DeliveryAttemptRead(ApiModel):
    """One POST to the callback; never the payload."""

    attempted_at: datetime
    event_id: uuid.UUID = Field(description="The CloudEvent's `id` (and `webhook-id`).")
    status_code: int | None = Field(description="The callback's answer; null if none came.")
    latency_ms: int
    error: str | None
    delivery_status: DeliveryStatusRead = Field(
        description="Where the delivery stands now: `withheld` when the subscriber may no "
        "longer see the event."
    )


class RedeliveryRequest(RequestModel):
    """Exactly one of ``eventId`` and ``since``."""

    event_id: uuid.UUID | None = Field(
        None,
        description="Send this event again (the CloudEvent's `id`).",
        examples=["0b7e7d3c-5f0a-4f55-9a55-2f2b6c1d9e21"],
    )
    since: IsoDateTime | None = Field(
        None,
        description="Send again every event of this subscription from this moment on.",
        examples=["2026-11-24T09:00:00Z"],
    )

    @model_validator(mode="after")
    def _one_of(self) -> "RedeliveryRequest":
        if (self.event_id is None) == (self.since is None):
            raise ValueError("send exactly one of eventId and since")
        return self


class RedeliveriesQueued(ApiModel):
    queued: int = Field(description="Deliveries queued to be sent again, oldest first.")
