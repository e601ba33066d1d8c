"""The change feed's page."""

from pydantic import Field

from gezinsplan.events.cloud import CloudEvent
from gezinsplan.kit.schemas import ApiModel


class EventPage(ApiModel):
    """Events after the cursor, in commit order, that the caller may see now."""

    events: list[CloudEvent]
    next_cursor: str = Field(
        description="Send as `after` for the next page; also when `events` is empty, so a "
        "poller keeps its place."
    )
    more: bool = Field(description="More events follow at once; false: wait and poll again.")
