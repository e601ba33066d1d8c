"""HTTP endpoints for webhook subscriptions: manage them, read their delivery log, resend.

The POSTs answer through ``Idempotency`` like every POST a system reaches: a resend with the
same key gets the first answer again, the creation's secret included, and only to the
client that sent the key.
"""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from gezinsplan.access.dependencies import SubscriptionManager
from gezinsplan.config import Settings
from gezinsplan.db import DbSession
from gezinsplan.idempotency.dependencies import Idempotency
from gezinsplan.kit.clock import utcnow
from gezinsplan.kit.etags import IfMatchOptional, IfMatchRequired, etag, set_etag
from gezinsplan.kit.pagination import (
    DEFAULT_PAGE_SIZE,
    NumberCursor,
    Page,
    PageRequest,
    PageSize,
    decode_number,
    encode_number,
    next_cursor,
    page_request,
)
from gezinsplan.kit.responses import ETAG_HEADER, LOCATION_HEADER, WRITE, problems
from gezinsplan.webhooks import repository, service
from gezinsplan.webhooks.dependencies import ManagedSubscription
from gezinsplan.webhooks.schemas import (
    DeliveryAttemptRead,
    RedeliveriesQueued,
    RedeliveryRequest,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionRead,
    SubscriptionUpdate,
    SubscriptionUpdated,
)

router = APIRouter(prefix="/subscriptions", tags=["webhooks"])

CURSOR_TAG = "a"
IDEMPOTENT = (400, 409)
REPLAYED_HEADER = {
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request.",
        "schema": {"type": "string"},
    }
}


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(_settings)]


def _location(subscription_id: uuid.UUID) -> str:
    return f"/api/v1/subscriptions/{subscription_id}"


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SubscriptionCreated,
    summary="Subscribe to webhooks",
    responses={
        201: {"headers": ETAG_HEADER | LOCATION_HEADER | REPLAYED_HEADER},
        **problems(*WRITE, *IDEMPOTENT, 403),
    },
)
def create_subscription(
    data: SubscriptionCreate,
    actor: SubscriptionManager,
    session: DbSession,
    settings: AppSettings,
    idempotent: Idempotency,
) -> Response:
    """A partner or municipal system subscribes for its own organization, reading with its
    own role and municipalities; an administrator names the organization, the role and (for a
    municipal system) the municipalities. Deliveries start with the changes made from now on
    and carry only what the subscriber may read when each is sent. The answer holds the
    signing secret, once."""
    if (replayed := idempotent.replay()) is not None:
        return replayed
    created = service.create(session, actor, data, settings)
    return idempotent.respond(
        created,
        status_code=status.HTTP_201_CREATED,
        headers={"Location": _location(created.id), "ETag": etag(created.version)},
    )


@router.get("", summary="List subscriptions", responses=problems(401, 403))
def list_subscriptions(
    actor: SubscriptionManager,
    session: DbSession,
    page: Annotated[PageRequest, Depends(page_request)],
    organization: Annotated[
        uuid.UUID | None, Query(description="Only this organization's subscriptions.")
    ] = None,
) -> Page[SubscriptionRead]:
    """A system's: its organization's; an administrator's: all. Oldest first."""
    rows = repository.list_observed(session, actor, page, utcnow(), organization_id=organization)
    items = rows[: page.limit]
    return Page[SubscriptionRead](
        items=[service.to_read(subscription, state) for subscription, state in items],
        next_cursor=next_cursor([subscription for subscription, _ in rows], page),
    )


@router.get(
    "/{subscription_id}",
    summary="Read a subscription",
    responses={200: {"headers": ETAG_HEADER}, **problems(401, 403, 404)},
)
def read_subscription(found: ManagedSubscription, response: Response) -> SubscriptionRead:
    set_etag(response, found.subscription.version)
    return service.to_read(found.subscription, found.state)


@router.patch(
    "/{subscription_id}",
    summary="Change a subscription",
    responses={200: {"headers": ETAG_HEADER}, **problems(*WRITE, 403, 404, 412, 428)},
)
def update_subscription(
    data: SubscriptionUpdate,
    found: ManagedSubscription,
    actor: SubscriptionManager,
    session: DbSession,
    settings: AppSettings,
    response: Response,
    if_match: IfMatchRequired,
) -> SubscriptionUpdated:
    """`active: true` resumes a paused or disabled subscription; `rotateSecret: true` answers
    a new secret, once, while the previous one keeps signing for a grace period."""
    expected = if_match.version()
    updated = service.change(
        session, actor, found.subscription, found.state, data, expected, settings
    )
    set_etag(response, updated.version)
    return updated


@router.delete(
    "/{subscription_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a subscription",
    responses=problems(*WRITE, 403, 404, 412),
)
def delete_subscription(
    found: ManagedSubscription, session: DbSession, if_match: IfMatchOptional
) -> None:
    """With its deliveries and their log; If-Match is honoured when sent."""
    service.remove(session, found.subscription, if_match.version())


@router.get(
    "/{subscription_id}/deliveries",
    summary="List delivery attempts",
    responses=problems(401, 403, 404),
)
def list_deliveries(
    found: ManagedSubscription,
    session: DbSession,
    limit: PageSize = DEFAULT_PAGE_SIZE,
    cursor: NumberCursor = None,
) -> Page[DeliveryAttemptRead]:
    """Every POST to the callback, newest first: when, which event, the answer and how long
    it took, and where the delivery stands now. Never the payload. A delivered or withheld
    event's attempts are kept as long as the feed keeps events
    (`GEZINSPLAN_EVENT_RETENTION_DAYS`, 30 days by default)."""
    before = decode_number(CURSOR_TAG, cursor) if cursor else None
    rows = repository.attempts(session, found.subscription.id, limit, before)
    items = rows[:limit]
    last = encode_number(CURSOR_TAG, items[-1][0].id or 0) if len(rows) > limit else None
    return Page[DeliveryAttemptRead](
        items=[
            DeliveryAttemptRead.model_validate(
                attempt.model_dump() | {"delivery_status": delivery_status}
            )
            for attempt, delivery_status in items
        ],
        next_cursor=last,
    )


@router.post(
    "/{subscription_id}/redeliveries",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RedeliveriesQueued,
    summary="Send events again",
    responses={202: {"headers": REPLAYED_HEADER}, **problems(*WRITE, *IDEMPOTENT, 403, 404)},
)
def redeliver(
    data: RedeliveryRequest,
    found: ManagedSubscription,
    session: DbSession,
    idempotent: Idempotency,
) -> Response:
    """`eventId`: that event again (404 when it was never owed to this subscription);
    `since`: every event of the subscription from that moment on. Each is sent again soon, in
    feed order, also one withheld before: who may see it is judged again when it is sent."""
    if (replayed := idempotent.replay()) is not None:
        return replayed
    queued = service.redeliver(session, found.subscription, data)
    return idempotent.respond(
        RedeliveriesQueued(queued=queued), status_code=status.HTTP_202_ACCEPTED
    )
