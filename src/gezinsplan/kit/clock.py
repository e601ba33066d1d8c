"""Ids and times: UUIDs and timezone-aware UTC, everywhere."""

import uuid
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def today() -> date:
    """The date in the Netherlands: every date decision of the service uses it."""
    return utcnow().astimezone(AMSTERDAM).date()
