"""Events as CloudEvents 1.0, after the NL GOV profile: ids only, never personal data.

``subject`` is the household's opaque id, ``dataref`` the API URL that reads the changed
resource again through the access rules, ``sequence`` the feed place as text that sorts.
"""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gezinsplan.events.models import Event
from gezinsplan.openapi import API_PREFIX

TYPE_PREFIX = "nl.gezinsplan."
TYPE_VERSION = "v1"
DIGITS = 20


class EventData(BaseModel):
    """What changed, by id: the household, the kind of resource and which one."""

    model_config = ConfigDict(frozen=True)

    householdId: uuid.UUID | None = Field(description="The household, when the change is in one.")  # noqa: N815
    resourceType: str = Field(examples=["goal"])  # noqa: N815
    resourceId: uuid.UUID  # noqa: N815


class CloudEvent(BaseModel):
    """One change, as a CloudEvent (structured mode, JSON). Attribute names are CloudEvents'."""

    model_config = ConfigDict(frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: uuid.UUID = Field(description="Unique per event; a redelivery repeats it.")
    source: str = Field(examples=["urn:nld:gezinsplan:systeem:gezinsplan"])
    type: str = Field(examples=["nl.gezinsplan.goal.updated.v1"])
    subject: str | None = Field(
        description="The household's opaque id; absent for changes outside a household."
    )
    time: datetime = Field(description="When the change was made (its transaction's time).")
    datacontenttype: Literal["application/json"] = "application/json"
    dataref: str = Field(
        description="Where the changed resource is read again, through the access rules.",
        examples=["/api/v1/households/6d1f.../plan/goals/0b7e..."],
    )
    sequence: str = Field(
        description="The event's place in the feed, as text that sorts in feed order.",
        examples=["00000000000000000742.00000000000000001234"],
    )
    data: EventData


def type_of(event_type: str) -> str:
    """``goal.updated`` as the reverse-DNS, versioned CloudEvents type."""
    return f"{TYPE_PREFIX}{event_type}.{TYPE_VERSION}"


def sequence_of(txid: int | None, seq: int | None) -> str:
    return f"{txid or 0:0{DIGITS}d}.{seq or 0:0{DIGITS}d}"


def dataref(event: Event) -> str:
    """The API path that reads the changed resource (or, where it has none, its parent)."""
    household = f"{API_PREFIX}/households/{event.household_id}"
    resource = event.resource_id
    paths = {
        "household": household,
        "member": f"{household}/members/{resource}",
        "plan": f"{household}/plan",
        "goal": f"{household}/plan/goals/{resource}",
        "action": f"{household}/plan",
        "evaluation": f"{household}/plan/evaluations/{resource}",
        "approval": f"{household}/plan/approvals",
        "role_assignment": f"{household}/roles/{resource}",
        "consent": f"{household}/consents/{resource}",
        "progress_update": f"{household}/progress/{resource}",
        "indication": f"{household}/indications",
        "organization": f"{API_PREFIX}/organizations/{resource}",
    }
    if event.household_id is None and event.resource_type == "indication":
        return f"{API_PREFIX}/indications"
    return paths.get(event.resource_type, household)


def to_cloud_event(event: Event, *, source: str, base_url: str = "") -> CloudEvent:
    """The event as its readers get it, from the feed or a webhook."""
    return CloudEvent(
        id=event.id,
        source=source,
        type=type_of(event.type),
        subject=None if event.household_id is None else str(event.household_id),
        time=event.occurred_at,
        dataref=base_url.rstrip("/") + dataref(event),
        sequence=sequence_of(event.txid, event.seq),
        data=EventData(
            householdId=event.household_id,
            resourceType=event.resource_type,
            resourceId=event.resource_id,
        ),
    )
