"""CBS's repeat rule ("herhaald beroep"), decided once, when an episode opens.

At the opening every earlier episode of the household has closed, so the answer can never
change afterwards: it is stored on the episode, and the inflow figures count it in SQL.
"""

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from gezinsplan.kit.clock import NETHERLANDS

WINDOW_YEARS = 5
# The closings that can count: 5 years back, with a few days more for leap days and the gap.
LOOK_BACK = timedelta(days=WINDOW_YEARS * 366 + 2)


def is_repeat(opened_at: datetime, earlier_closings: Iterable[datetime]) -> bool:
    """An earlier episode closed in the 5 years before this opening, with at least one whole
    Dutch day between (adjoining episodes are one spell, as CBS counts them)."""
    opened = _dutch_day(opened_at)
    window = _years_before(opened, WINDOW_YEARS)
    closings = (_dutch_day(closed_at) for closed_at in earlier_closings)
    return any(window <= closed and (opened - closed).days >= 2 for closed in closings)


def _dutch_day(moment: datetime) -> date:
    return moment.astimezone(NETHERLANDS).date()


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
