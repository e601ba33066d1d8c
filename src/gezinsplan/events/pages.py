"""Reading the feed a page at a time, as a caller may see it.

One statement scans the settled events after the cursor with, per event, whether the caller
may see it now; the page holds the visible ones and the next cursor moves past everything
scanned, so a reader that may see few events does not scan the same ones again, and nothing
committed later can fall behind it (``feed.settled``).
"""

from collections.abc import Sequence

from sqlalchemy.orm import Session

from gezinsplan.audit.trail import show
from gezinsplan.auth.actor import Actor
from gezinsplan.config import Settings
from gezinsplan.errors import Gone, Unprocessable
from gezinsplan.events import repository
from gezinsplan.events.cloud import to_cloud_event
from gezinsplan.events.feed import Cursor, Position
from gezinsplan.events.models import Event
from gezinsplan.events.schemas import EventPage

# Events scanned per visible event asked for: a reader that sees one event in a thousand
# still moves on quickly, and no request reads more than this many rows.
SCAN_FACTOR = 10
MAX_SCAN = 2000


def read_page(
    session: Session,
    actor: Actor,
    settings: Settings,
    *,
    after: str | None,
    types: Sequence[str],
    limit: int,
) -> EventPage:
    state = repository.state(session)
    oldest = Cursor(state.epoch, Position(state.purged_txid, state.purged_seq))
    position = oldest.position if after is None else _valid(after, oldest)
    scan = min(limit * SCAN_FACTOR, MAX_SCAN)
    rows = repository.scan(session, actor, position, types, scan)
    if not rows and position > oldest.position and not repository.reached(session, position):
        raise Gone(
            "The cursor is past the end of the feed: the database was restored. "
            "Start again from oldestCursor.",
            extensions={"oldestCursor": oldest.encode()},
        )
    shown: list[Event] = []
    scanned = 0
    for event, visible in rows:
        if len(shown) == limit:
            break
        scanned += 1
        position = Position.of(event)
        if visible:
            shown.append(event)
    show(session, (event.household_id for event in shown))
    return EventPage(
        events=[
            to_cloud_event(event, source=settings.event_source, base_url=settings.public_base_url)
            for event in shown
        ],
        next_cursor=Cursor(state.epoch, position).encode(),
        more=len(rows) == scan or scanned < len(rows),
    )


def _valid(text: str, oldest: Cursor) -> Position:
    cursor = Cursor.decode(text)
    if cursor is None:
        raise Unprocessable(
            "The cursor is not one this service handed out.",
            invalid_params=[{"name": "query:after", "reason": "invalid cursor"}],
        )
    if cursor.epoch != oldest.epoch:
        raise Gone(
            "The cursor is of an earlier epoch of the feed (the database was restored). "
            "Start again from oldestCursor.",
            extensions={"oldestCursor": oldest.encode()},
        )
    if cursor.position < oldest.position:
        raise Gone(
            "The events after this cursor have expired. Start again from oldestCursor.",
            extensions={"oldestCursor": oldest.encode()},
        )
    return cursor.position
