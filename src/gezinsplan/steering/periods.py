"""Reporting periods: month, quarter, half-year (the BIJ and GMSD period), year, and series.

A period is a run of Dutch calendar days; its bounds in time are midnight in Amsterdam, so an
episode closed at 23:30 on 30 June (Dutch time) belongs to the first half-year even though
it is already 1 July in no timezone but 21:30 UTC.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from gezinsplan.errors import Unprocessable
from gezinsplan.kit.clock import NETHERLANDS

MAX_SERIES = 24
PARAM = "query:period"

_PATTERNS = {
    "month": re.compile(r"^(\d{4})-(\d{2})$"),
    "quarter": re.compile(r"^(\d{4})-Q([1-4])$"),
    "half_year": re.compile(r"^(\d{4})-H([12])$"),
    "year": re.compile(r"^(\d{4})$"),
}
MONTHS_IN = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    HALF_YEAR = "half_year"
    YEAR = "year"


@dataclass(frozen=True, order=True)
class Period:
    """``months`` months from the first day of ``year``-``month``."""

    year: int
    month: int
    kind: PeriodKind

    @property
    def months(self) -> int:
        return MONTHS_IN[self.kind]

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    @property
    def starts_at(self) -> datetime:
        """The first day's midnight in Amsterdam, in UTC."""
        return dutch_midnight(self.first_day)

    @property
    def ends_at(self) -> datetime:
        """The instant the period is over: midnight after its last day, in UTC (exclusive)."""
        return dutch_midnight(self.last_day + timedelta(days=1))

    @property
    def label(self) -> str:
        if self.kind is PeriodKind.MONTH:
            return f"{self.year}-{self.month:02d}"
        if self.kind is PeriodKind.QUARTER:
            return f"{self.year}-Q{(self.month - 1) // 3 + 1}"
        if self.kind is PeriodKind.HALF_YEAR:
            return f"{self.year}-H{(self.month - 1) // 6 + 1}"
        return str(self.year)

    def next(self) -> "Period":
        index = self.year * 12 + self.month - 1 + self.months
        return Period(index // 12, index % 12 + 1, self.kind)

    def has_passed(self, today: date) -> bool:
        return self.last_day < today


def dutch_midnight(day: date) -> datetime:
    """The start of a Dutch calendar day, as a UTC instant."""
    return datetime.combine(day, time(), tzinfo=NETHERLANDS).astimezone(UTC)


def dutch_day(moment: datetime) -> date:
    """The Dutch calendar day a UTC instant falls on."""
    return moment.astimezone(NETHERLANDS).date()


def _invalid(reason: str) -> Unprocessable:
    return Unprocessable(
        f"The period is not valid: {reason}.", invalid_params=[{"name": PARAM, "reason": reason}]
    )


def parse_period(text: str) -> Period:
    """``2025-07``, ``2025-Q3``, ``2025-H1`` or ``2025``."""
    for kind, pattern in _PATTERNS.items():
        found = pattern.match(text)
        if found is None:
            continue
        year = int(found.group(1))
        if not 1900 <= year <= 9998:
            raise _invalid("the year must lie between 1900 and 9998")
        number = int(found.group(2)) if kind != "year" else 1
        if kind == "month" and not 1 <= number <= 12:
            raise _invalid("a month is 01 to 12")
        first_month = (number - 1) * MONTHS_IN[kind] + 1 if kind != "month" else number
        return Period(year, first_month, PeriodKind(kind))
    raise _invalid("use a month (2025-07), quarter (2025-Q3), half-year (2025-H1) or year (2025)")


def parse_series(text: str) -> list[Period]:
    """One period, or ``first..last`` of the same kind, at most ``MAX_SERIES`` periods."""
    if ".." not in text:
        return [parse_period(text)]
    first_text, _, last_text = text.partition("..")
    first, last = parse_period(first_text), parse_period(last_text)
    if first.kind is not last.kind:
        raise _invalid("both ends of a series must be periods of the same kind")
    if last < first:
        raise _invalid("a series runs from its first period to a later or the same one")
    series = list(_iterate(first, last))
    if len(series) > MAX_SERIES:
        raise _invalid(f"a series holds at most {MAX_SERIES} periods")
    return series


def _iterate(first: Period, last: Period) -> Iterator[Period]:
    """Stops one past the maximum, so a series of centuries costs no more than a long one."""
    current = first
    for _ in range(MAX_SERIES + 1):
        if last < current:
            return
        yield current
        current = current.next()
