"""Ids and times: UUIDs, timezone-aware UTC instants, and the date in the Netherlands.

Every instant and every date the application decides on comes from here. Instants are UTC.
Dates are Dutch: a consent ends, a birthday falls and a report may not lie in the future by
the calendar in ``Europe/Amsterdam``, where the families and municipalities are. The machine's
own date will not do: containers run in UTC, where between 00:00 and 01:00 (02:00 in summer)
Dutch time it is still yesterday, and a consent that ended yesterday would still open the file.

``today`` is taken from the same instant ``utcnow`` reports, so the two never disagree, and
one replacement of ``_now`` pins both (tests/conftest.py, the ``clock`` fixture). It is a plain
module attribute, not a context variable, so the pin reaches the worker threads the app
serves requests in.
"""

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

# The zone database comes from the tzdata package where the system has none (slim images).
NETHERLANDS = ZoneInfo("Europe/Amsterdam")


def _system_now() -> datetime:
    return datetime.now(UTC)


_now: Callable[[], datetime] = _system_now


def utcnow() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return _now()


def today() -> date:
    """The current date in the Netherlands: the day every date rule is judged on."""
    return utcnow().astimezone(NETHERLANDS).date()


@contextmanager
def running_since(instant: datetime) -> Iterator[None]:
    """Run a block as if it had started at ``instant``, the clock still moving on.

    For loading history that happened in the past (the demo data), in one thread before the
    service serves: the clock is process-wide, so never use it while requests are handled.
    """
    global _now
    previous = _now
    shift = previous() - instant
    _now = lambda: previous() - shift  # noqa: E731
    try:
        yield
    finally:
        _now = previous


def new_id() -> uuid.UUID:
    return uuid.uuid4()
