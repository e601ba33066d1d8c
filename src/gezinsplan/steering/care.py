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
from gezinsplan.steering.figures import (
    CLOSING_REASONS,
    Cell,
    Compute,
    RawPeriod,
    Share,
    fill_cells,
    groups_of,
    split_by,
)
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
    by_team = by is Breakdown.TEAM
    rows = repository.closed_with_indications(
        session,
        actor,
        codes,
        period.starts_at,
        period.ends_at,
        period.last_day,
        by_team=by_team,
    )
    measures = ("closed", "withoutMaatwerk", "withMaatwerk")
    closed, without, with_ = ((m, None, None) for m in measures)
    cells: list[Cell] = [closed, without, with_]
    raw.lines.append((closed, (without, with_)))
    raw.shares.append(Share("withoutMaatwerkShare", without, closed))
    dimension = "team" if by_team else "closingReason"

    def group_of(row: repository.ClosedWithCare) -> str:
        return row.team if by_team else row.closing_reason

    split = by in (Breakdown.CLOSING_REASON, Breakdown.TEAM)
    found = {group_of(row) for row in rows}
    groups = sorted(found) if by_team else groups_of(CLOSING_REASONS, found)
    if split:
        cells += split_by(raw, measures, dimension, groups)
    fill_cells(raw, codes, cells)
    for row in rows:
        first, last = dutch_day(row.opened_at), dutch_day(row.closed_at)
        care = any(overlaps(span, first, last) for span in row.indications)
        counts = raw.areas[row.municipality].counts
        for measure in ("closed", "withMaatwerk" if care else "withoutMaatwerk"):
            counts[measure, None, None] += 1
            if split:
                counts[measure, dimension, group_of(row)] += 1


Span = tuple[str, date, date | None]
LAWS = ("none", "jeugdwet", "wmo", "both")
CONCURRENT = ("0", "1", "2", "3+")
# The households open at the end of the last day (as the end stock), and active in the period.
MOMENTS = ("householdsOnLastDay", "householdsInPeriod")


def laws_of(spans: Sequence[Span]) -> str:
    laws = {regulation for regulation, _, _ in spans}
    return "both" if len(laws) > 1 else next(iter(laws), "none")


def most_concurrent(spans: Sequence[Span], first: date, last: date) -> int:
    """The most indications running on one day from ``first`` to ``last``: that day is the
    first day of one of them (or ``first``)."""
    days = {max(start, first) for _, start, _ in spans if start <= last}
    return max(
        (sum(1 for span in spans if overlaps(span[1:], day, day)) for day in days), default=0
    )


def concurrent_group(count: int) -> str:
    return "3+" if count >= 3 else str(count)


def _stacking(
    session: Session,
    actor: Actor,
    codes: Sequence[str],
    period: Period,
    by: Breakdown | None,  # noqa: ARG001 - law combination and concurrency are always shown
    raw: RawPeriod,
) -> None:
    first, last = period.first_day, period.last_day
    rows = repository.households_with_indications(
        session, actor, codes, period.starts_at, period.ends_at, first, last
    )
    cells: list[Cell] = []
    for moment in MOMENTS:
        by_law = tuple((moment, "laws", law) for law in LAWS)
        by_count = tuple((moment, "concurrentIndications", c) for c in CONCURRENT)
        cells += [(moment, None, None), *by_law, *by_count]
        raw.lines.append(((moment, None, None), by_law))
        raw.lines.append(((moment, None, None), by_count))
    fill_cells(raw, codes, cells)
    for row in rows:
        counts = raw.areas[row.municipality].counts
        on_last = [span for span in row.indications if overlaps(span[1:], last, last)]
        moments = [("householdsInPeriod", list(row.indications), first)]
        if row.open_at_end:
            moments.append(("householdsOnLastDay", on_last, last))
        for moment, spans, since in moments:
            counts[moment, None, None] += 1
            counts[moment, "laws", laws_of(spans)] += 1
            group = concurrent_group(most_concurrent(spans, since, last))
            counts[moment, "concurrentIndications", group] += 1


COMPUTE: dict[str, Compute] = {
    "without_maatwerk": _without_maatwerk,
    "stacking": _stacking,
}
