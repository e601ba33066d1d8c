"""The raw figures of one period, shared by every indicator's compute function.

A compute function fills ``RawPeriod``: counts per area and cell, the lines that tie them
(a total and its parts, for secondary suppression), shares, and samples for medians and means.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from gezinsplan.auth.actor import Actor
from gezinsplan.codelists import registry
from gezinsplan.steering.catalogue import Breakdown
from gezinsplan.steering.periods import Period

ALL = "all"
# The codelists whose codes are the groups of a breakdown by referral source or closing reason.
REFERRAL_SOURCES = "referral-sources"
CLOSING_REASONS = "closing-reasons"

# A cell of one area: (measure, dimension, group); dimension and group are None for a total.
Cell = tuple[str, str | None, str | None]
# A cell of the whole report: the area ("all" or a gemeentecode) and the area's cell.
Key = tuple[str, str, str | None, str | None]


@dataclass
class AreaCounts:
    """One area's raw figures: counts, lines that tie them, and samples for statistics."""

    counts: dict[Cell, int] = field(default_factory=dict)
    samples: dict[Cell, list[int]] = field(default_factory=dict)
    # Sums of money in whole euros, each with the count cell of the households behind it.
    sums: dict[Cell, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Share:
    measure: str
    numerator: Cell
    denominator: Cell


@dataclass(frozen=True)
class Rate:
    """``numerator`` per ``per`` units of ``exposure``: handovers per 100 household-months."""

    measure: str
    numerator: Cell
    exposure: Cell
    per: int


@dataclass
class RawPeriod:
    """The unrounded figures of one period, per area; ``ALL`` when several municipalities.

    ``units`` names what a measure's samples count (``Days`` unless said otherwise): the
    published median and mean are ``{measure}Median{unit}`` and ``{measure}Mean{unit}``.
    """

    period: Period
    provisional: bool
    areas: dict[str, AreaCounts]
    lines: list[tuple[Cell, tuple[Cell, ...]]]
    shares: list[Share]
    units: dict[str, str] = field(default_factory=dict)
    rates: list[Rate] = field(default_factory=list)
    sum_bases: dict[Cell, Cell] = field(default_factory=dict)
    sum_lines: list[tuple[Cell, tuple[Cell, ...]]] = field(default_factory=list)
    # Cells another period publishes too (``disclosure.protect``'s ``linked``).
    linked: set[Cell] = field(default_factory=set)


Compute = Callable[[Session, Actor, Sequence[str], Period, Breakdown | None, RawPeriod], None]


def fill_cells(raw: RawPeriod, codes: Sequence[str], cells: Iterable[Cell]) -> None:
    """Every area gets every cell, zero where nothing happened, so the lines add up."""
    cells = list(dict.fromkeys(cells))
    for code in codes:
        area = raw.areas.setdefault(code, AreaCounts())
        for cell in cells:
            area.counts.setdefault(cell, 0)


def groups_of(codelist: str, found: Iterable[str]) -> list[str]:
    """A breakdown's groups: every code of the codelist, and any other found (historic codes).

    The same groups whatever happened, so a group that is listed says nothing: a hidden one
    is 0 to 7, and no empty breakdown tells that its hidden total is 0.
    """
    return sorted({entry.code for entry in registry.get(codelist).entries} | set(found))


def split_by(
    raw: RawPeriod, measures: Sequence[str], dimension: str, groups: Sequence[str]
) -> list[Cell]:
    """The cells of a total and its parts (``measures[0]`` = the rest) split into groups, with
    their lines: each measure's total is the sum of its groups, and within a group the first
    measure is the sum of the others."""
    cells: list[Cell] = []
    for measure in measures:
        parts = tuple((measure, dimension, group) for group in groups)
        cells += parts
        raw.lines.append(((measure, None, None), parts))
    for group in groups:
        total, *rest = ((measure, dimension, group) for measure in measures)
        raw.lines.append((total, tuple(rest)))
    return cells


def months_after(day: date, months: int) -> date:
    """The same day ``months`` later; the month's last day when it has no such day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover
