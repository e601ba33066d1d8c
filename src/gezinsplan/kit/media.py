"""Content negotiation: which of the media types an endpoint offers the Accept header prefers.

Shared by every endpoint that answers in more than one format, so they agree on q values,
wildcards and what an absent header means.
"""

import math
from collections.abc import Iterable, Sequence


def negotiate(accept: str | None, offered: Sequence[str]) -> str | None:
    """The offered media type Accept prefers (RFC 9110 12.5.1: the most specific range that
    matches gives a type its weight, the highest weight wins, a tie goes to the one offered
    first); the first offered when Accept is absent; None if none is acceptable."""
    if accept is None or not accept.strip():
        return offered[0]
    ranges = list(_media_ranges(accept))
    best: tuple[float, str] | None = None
    for each in offered:
        weight = _weight(each, ranges)
        if weight > 0 and (best is None or weight > best[0]):
            best = (weight, each)
    return best[1] if best else None


def _media_ranges(accept: str) -> Iterable[tuple[str, str, float]]:
    for item in accept.split(","):
        kind, _, parameters = item.partition(";")
        main, slash, sub = kind.strip().lower().partition("/")
        if not slash or not main or not sub:
            continue
        weight = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                weight = _quality(value, weight)
        yield main, sub, weight


def _quality(text: str, otherwise: float) -> float:
    """A q value, clamped to 0..1; a malformed one is ignored, as if it were absent."""
    try:
        found = float(text.strip())
    except ValueError:
        return otherwise
    return otherwise if math.isnan(found) else min(max(found, 0.0), 1.0)


def _weight(offered: str, ranges: Sequence[tuple[str, str, float]]) -> float:
    main, sub = offered.split("/")
    found: tuple[int, float] | None = None
    for range_main, range_sub, weight in ranges:
        if (range_main, range_sub) == (main, sub):
            specificity = 2
        elif (range_main, range_sub) == (main, "*"):
            specificity = 1
        elif (range_main, range_sub) == ("*", "*"):
            specificity = 0
        else:
            continue
        if found is None or specificity > found[0]:
            found = (specificity, weight)
    return found[1] if found else 0.0
