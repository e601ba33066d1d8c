"""Disclosure control, as CBS publishes social-domain figures: pure functions, no database.

- Primary suppression: every count of 0 to 7 is hidden (CBS Kerncijfers Wijken en Buurten:
  "de waarden 0 tot en met 7 weergegeven als geheim"; OpenSAFELY: ``SUPPRESSION_THRESHOLD = 7``).
- Rounding: every shown count is rounded to a multiple of 5; totals are rounded on their own.
- Secondary suppression: a table is a set of cells tied by *lines* (a total and the parts
  that add up to it). Within a line, a hidden cell must not be recomputable by subtraction:
  a line never has exactly one hidden cell, and when its total is shown the hidden parts
  together hold more than 7 (OpenSAFELY, ehrql#1666: "if the sum of suppressed counts is
  smaller than the threshold, then all of the next smallest counts are also suppressed").
  The next smallest part is hidden, and the total when no part is left. Lines share cells
  (a municipality's cell is a part of the "all municipalities" total), so a final exact check
  solves the lines as linear equations over the hidden cells and hides more until no hidden
  cell is determined by the shown ones.
- Shares are computed from rounded counts and shown only when the rounded denominator is at
  least 10 and neither the numerator nor the rest (denominator minus numerator) is hidden, so
  no figure says "all" or "none" of a small group. Means and medians need n >= 10.
- Sums of money are not counts: they are not rounded to fives but to whole euros, and shown
  only when at least 10 households are behind them; the lines that tie sums (a total and its
  parts) get the same secondary suppression, so no hidden sum follows by subtraction.
"""

from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from statistics import mean, median
from typing import Generic, TypeVar

THRESHOLD = 7
ROUNDING = 5
MIN_DENOMINATOR = 10
MIN_N = 10

K = TypeVar("K", bound=Hashable)


class Suppression(StrEnum):
    """Why a figure is hidden; a hidden figure's value is null."""

    SMALL_COUNT = "small_count"
    SECONDARY = "secondary"
    SMALL_DENOMINATOR = "small_denominator"
    PART_SUPPRESSED = "part_suppressed"
    SMALL_N = "small_n"


@dataclass(frozen=True)
class Shown:
    """A published figure: its value, or null and why."""

    value: int | float | None
    suppressed: Suppression | None = None

    @classmethod
    def hidden(cls, reason: Suppression) -> "Shown":
        return cls(None, reason)


@dataclass(frozen=True)
class Line(Generic[K]):
    """``total`` = the sum of ``parts``: an equation a reader can subtract with."""

    total: K
    parts: tuple[K, ...]


def round_count(count: int) -> int:
    """To the nearest multiple of 5, halves up (CBS: "afgerond op vijftallen")."""
    return (count + ROUNDING // 2) // ROUNDING * ROUNDING


def protect(
    counts: Mapping[K, int], lines: Sequence[Line[K]], linked: Collection[K] = ()
) -> dict[K, Shown]:
    """Every count rounded or hidden, so that no hidden count follows from the shown ones.

    ``linked`` counts are published by other tables too (a period's end stock is the next
    one's start stock): they are hidden for their own size only, never to protect another
    cell, unless nothing else can, so every table that publishes one hides it alike.
    """
    order = {key: index for index, key in enumerate(counts)}
    hidden: dict[K, Suppression] = {
        key: Suppression.SMALL_COUNT for key, count in counts.items() if count <= THRESHOLD
    }
    if hidden:
        _secondary(counts, lines, hidden, order, frozenset(linked))
    return {
        key: Shown.hidden(hidden[key]) if key in hidden else Shown(round_count(count))
        for key, count in counts.items()
    }


def protect_sums(
    sums: Mapping[K, int], households: Mapping[K, int], lines: Sequence[Line[K]]
) -> dict[K, Shown]:
    """Sums (whole euros) shown where ``households[key] >= 10``, hidden so none is recomputable.

    ``households`` is the raw number of households behind each sum; a shown sum is exact.
    """
    order = {key: index for index, key in enumerate(sums)}
    hidden: dict[K, Suppression] = {
        key: Suppression.SMALL_N for key in sums if households[key] < MIN_N
    }
    if hidden:
        _secondary(sums, lines, hidden, order, frozenset())
    return {
        key: Shown.hidden(hidden[key]) if key in hidden else Shown(value)
        for key, value in sums.items()
    }


def _secondary(
    counts: Mapping[K, int],
    lines: Sequence[Line[K]],
    hidden: dict[K, Suppression],
    order: Mapping[K, int],
    linked: frozenset[K],
) -> None:
    def smallest(*groups: Sequence[K]) -> K | None:
        """The smallest shown cell of the first group that has one, linked cells last."""
        for avoid in (linked, frozenset()):
            for group in groups:
                shown = [key for key in group if key not in hidden and key not in avoid]
                if shown:
                    return min(shown, key=lambda key: (counts[key], order[key]))
        return None

    while True:
        changed = False
        for line in lines:
            cells = (line.total, *line.parts)
            hidden_cells = [key for key in cells if key in hidden]
            if not hidden_cells:
                continue
            hidden_parts = sum(counts[key] for key in line.parts if key in hidden)
            leaks = len(hidden_cells) == 1 or (
                line.total not in hidden and hidden_parts <= THRESHOLD
            )
            if not leaks:
                continue
            pick = smallest(line.parts, (line.total,))
            if pick is not None:
                hidden[pick] = Suppression.SECONDARY
                changed = True
        if changed:
            continue
        determined = determined_cells(counts, lines, hidden)
        if not determined:
            return
        # Hide the smallest shown cell on a line through the first determined cell.
        target = min(determined, key=lambda key: order[key])
        through = [line for line in lines if target in (line.total, *line.parts)]
        parts = [key for line in through for key in line.parts]
        totals = [line.total for line in through]
        pick = smallest(parts, totals, list(counts))
        if pick is None:  # everything is hidden: nothing can be determined any more
            return
        hidden[pick] = Suppression.SECONDARY


def determined_cells(
    counts: Mapping[K, int], lines: Sequence[Line[K]], hidden: Mapping[K, object]
) -> list[K]:
    """The hidden cells whose value the lines and the shown (exact) counts pin down.

    Each line is an equation over the hidden cells; a hidden cell is determined exactly when
    its unit vector lies in the row space, i.e. a row of the reduced echelon form is that
    unit vector. Assumes the reader knows the shown counts exactly (rounding only helps).
    """
    variables = [key for key in counts if key in hidden]
    column = {key: index for index, key in enumerate(variables)}
    rows: list[dict[int, Fraction]] = []
    for line in lines:
        row: dict[int, Fraction] = {}
        for key, sign in ((line.total, 1), *((part, -1) for part in line.parts)):
            if key in column:
                row[column[key]] = row.get(column[key], Fraction(0)) + sign
        row = {index: value for index, value in row.items() if value}
        if row:
            rows.append(row)
    return [variables[next(iter(row))] for row in _reduced_rows(rows) if len(row) == 1]


def _reduced_rows(rows: list[dict[int, Fraction]]) -> list[dict[int, Fraction]]:
    """Gauss-Jordan elimination in exact arithmetic: the non-zero rows of the RREF.

    Rows are sparse (column: value), as each line holds a few cells of a large table: the
    work grows with the cells a line touches, not with the width of the table.
    """
    pending = [dict(row) for row in rows]
    reduced: list[dict[int, Fraction]] = []
    for col in sorted({index for row in pending for index in row}):
        pivot = next((row for row in pending if col in row), None)
        if pivot is None:
            continue
        pending.remove(pivot)
        lead = pivot[col]
        pivot = {index: value / lead for index, value in pivot.items()}
        for others in (pending, reduced):
            for position, row in enumerate(others):
                if col in row:
                    others[position] = _minus(row, row[col], pivot)
        pending = [row for row in pending if row]
        reduced.append(pivot)
    return [row for row in reduced if row]


def _minus(
    row: dict[int, Fraction], factor: Fraction, pivot: dict[int, Fraction]
) -> dict[int, Fraction]:
    """row - factor * pivot, without the zeros."""
    result = dict(row)
    for index, value in pivot.items():
        result[index] = result.get(index, Fraction(0)) - factor * value
    return {index: value for index, value in result.items() if value}


def share(
    numerator: int, denominator: int, shown_numerator: Shown, shown_denominator: Shown
) -> Shown:
    """numerator / denominator from the published (rounded) counts, or hidden and why."""
    if shown_numerator.value is None or shown_denominator.value is None:
        return Shown.hidden(Suppression.PART_SUPPRESSED)
    if shown_denominator.value < MIN_DENOMINATOR:
        return Shown.hidden(Suppression.SMALL_DENOMINATOR)
    if denominator - numerator <= THRESHOLD:
        return Shown.hidden(Suppression.PART_SUPPRESSED)
    return Shown(round(shown_numerator.value / shown_denominator.value, 3))


def rate(shown_numerator: Shown, shown_exposure: Shown, per: int) -> Shown:
    """numerator per ``per`` units of exposure, from the published (rounded) counts."""
    if shown_numerator.value is None or shown_exposure.value is None:
        return Shown.hidden(Suppression.PART_SUPPRESSED)
    return Shown(round(shown_numerator.value / shown_exposure.value * per, 1))


def mean_of(values: Sequence[int]) -> Shown:
    if len(values) < MIN_N:
        return Shown.hidden(Suppression.SMALL_N)
    return Shown(round(mean(values), 1))


def median_of(values: Sequence[int]) -> Shown:
    if len(values) < MIN_N:
        return Shown.hidden(Suppression.SMALL_N)
    return Shown(float(median(values)))
