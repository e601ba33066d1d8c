"""Relapse: episodes closed in a period that a new episode of the household follows within
12 months (NJi/VNG outcome indicator 3.2, "terugval").

The window is counted in Dutch calendar days: a new episode opened on a day at most 12
months after the closing day, with at least one whole day between (adjoining episodes are
one spell of help, as in the repeat rule of the inflow). A period's figure stays
``provisional`` until 12 months after its last day have passed, because a closing on that
day can still be followed.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from gezinsplan.auth.actor import Actor
from gezinsplan.kit.clock import today
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
    months_after,
    split_by,
)
from gezinsplan.steering.periods import Period, dutch_day

RELAPSE_MONTHS = 12


def is_followed(closed_at: datetime, later_openings: Sequence[datetime]) -> bool:
    """A new episode opened within 12 months of the closing day, a whole day or more after."""
    closed = dutch_day(closed_at)
    last = months_after(closed, RELAPSE_MONTHS)
    first = closed + timedelta(days=2)
    return any(first <= day <= last for day in map(dutch_day, later_openings))


def relapse_window_passed(period: Period) -> bool:
    return months_after(period.last_day, RELAPSE_MONTHS) < today()


def _relapse(
    session: Session,
    actor: Actor,
    codes: Sequence[str],
    period: Period,
    by: Breakdown | None,
    raw: RawPeriod,
) -> None:
    raw.provisional = not relapse_window_passed(period)
    by_team = by is Breakdown.TEAM
    rows = repository.closed_and_followed(
        session, actor, codes, period.starts_at, period.ends_at, by_team=by_team
    )
    measures = ("closed", "followed", "notFollowed")
    closed, followed, rest = ((m, None, None) for m in measures)
    cells: list[Cell] = [closed, followed, rest]
    raw.lines.append((closed, (followed, rest)))
    raw.shares.append(Share("relapseShare", followed, closed))
    dimension = "team" if by_team else "closingReason"

    def group_of(row: repository.Followed) -> str:
        return row.team if by_team else row.closing_reason

    split = by in (Breakdown.CLOSING_REASON, Breakdown.TEAM)
    found = {group_of(row) for row in rows}
    groups = sorted(found) if by_team else groups_of(CLOSING_REASONS, found)
    if split:
        cells += split_by(raw, measures, dimension, groups)
    fill_cells(raw, codes, cells)
    for row in rows:
        counts = raw.areas[row.municipality].counts
        outcome = "followed" if is_followed(row.closed_at, row.later_openings) else "notFollowed"
        for measure in ("closed", outcome):
            counts[measure, None, None] += 1
            if split:
                counts[measure, dimension, group_of(row)] += 1


COMPUTE: dict[str, Compute] = {"relapse": _relapse}
