"""Figures about maatwerk (specialised care under the Jeugdwet or the Wmo) beside the
team's own work: episodes closed without maatwerk, and stacking of indications.

An indication counts from its ``start_date`` to its ``end_date`` (open-ended: still running),
both Dutch calendar days and inclusive; withdrawn indications never count. Indications are
linked to the household (``household_id``), so a member's indication counts for the household.
"""

from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from gezinsplan.auth.actor import Actor
from gezinsplan.steering import repository
from gezinsplan.steering.catalogue import Breakdown
from gezinsplan.steering.figures import Cell, Compute, RawPeriod, Share, fill_cells
from gezinsplan.steering.periods import Period, dutch_day


def overlaps(span: tuple[date, date | None], first: date, last: date) -> bool:
    """An indication running on at least one day from ``first`` to ``last``."""
    start, end = span
    return start <= last and (end is None or end >= first)


def _without_maatwerk(
    session: Session,
    actor: Actor,
    codes: Sequence[str],
    period: Period,
    by: Breakdown | None,
    raw: RawPeriod,
) -> None:
    rows = repository.closed_with_indications(
        session, actor, codes, period.starts_at, period.ends_at, period.last_day
    )
    measures = ("closed", "withoutMaatwerk", "withMaatwerk")
    closed, without, with_ = ((m, None, None) for m in measures)
    cells: list[Cell] = [closed, without, with_]
    raw.lines.append((closed, (without, with_)))
    raw.shares.append(Share("withoutMaatwerkShare", without, closed))
    reasons = sorted({row.closing_reason for row in rows})
    if by is Breakdown.CLOSING_REASON:
        for measure in measures:
            parts = tuple((measure, "closingReason", reason) for reason in reasons)
            cells += parts
            raw.lines.append(((measure, None, None), parts))
        for reason in reasons:
            total, *split = ((measure, "closingReason", reason) for measure in measures)
            raw.lines.append((total, tuple(split)))
    fill_cells(raw, codes, cells)
    for row in rows:
        first, last = dutch_day(row.opened_at), dutch_day(row.closed_at)
        care = any(overlaps(span, first, last) for span in row.indications)
        counts = raw.areas[row.municipality].counts
        for measure in ("closed", "withMaatwerk" if care else "withoutMaatwerk"):
            counts[measure, None, None] += 1
            if by is Breakdown.CLOSING_REASON:
                counts[measure, "closingReason", row.closing_reason] += 1


COMPUTE: dict[str, Compute] = {"without_maatwerk": _without_maatwerk}
