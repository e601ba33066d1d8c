"""Disclosure control on its own: pure functions, no database."""

from fractions import Fraction

import hypothesis.strategies as st
from hypothesis import given, settings

from gezinsplan.steering.disclosure import (
    Line,
    Shown,
    Suppression,
    mean_of,
    median_of,
    protect,
    round_count,
    share,
)

SECONDARY = Suppression.SECONDARY
SMALL = Suppression.SMALL_COUNT


def test_small_counts_are_hidden_and_the_rest_rounded_to_fives() -> None:
    shown = protect({"a": 0, "b": 7, "c": 8, "d": 12, "e": 13, "f": 1234}, [])
    assert shown == {
        "a": Shown(None, SMALL),
        "b": Shown(None, SMALL),
        "c": Shown(10),
        "d": Shown(10),
        "e": Shown(15),
        "f": Shown(1235),
    }
    assert [round_count(n) for n in (8, 9, 10, 12, 13, 17, 18)] == [10, 10, 10, 10, 15, 15, 20]


def test_one_hidden_part_beside_a_shown_total_takes_the_next_smallest_with_it() -> None:
    counts = {"total": 40, "a": 3, "b": 20, "c": 17}
    shown = protect(counts, [Line("total", ("a", "b", "c"))])
    assert shown["a"] == Shown(None, SMALL)
    assert shown["c"] == Shown(None, SECONDARY)  # 17 is the next smallest
    assert shown["b"] == Shown(20)
    assert shown["total"] == Shown(40)


def test_hidden_parts_that_together_hold_seven_or_fewer_take_another() -> None:
    counts = {"total": 60, "a": 3, "b": 2, "c": 25, "d": 30}
    shown = protect(counts, [Line("total", ("a", "b", "c", "d"))])
    assert [key for key, figure in shown.items() if figure.value is None] == ["a", "b", "c"]


def test_a_total_over_one_part_is_hidden_with_it() -> None:
    counts = {"total": 5, "only": 5}
    assert protect(counts, [Line("total", ("only",))]) == {
        "total": Shown(None, SMALL),
        "only": Shown(None, SMALL),
    }
    counts = {"total": 30, "only": 30, "other": 3}
    shown = protect(counts, [Line("total", ("only", "other"))])
    assert shown["only"] == Shown(None, SECONDARY)


def test_a_cell_shared_by_two_lines_is_protected_in_both() -> None:
    # Two municipalities side by side and all together, each split in two.
    counts = {
        "all": 100, "all-x": 53, "all-y": 47,
        "m1": 40, "m1-x": 3, "m1-y": 37,
        "m2": 60, "m2-x": 50, "m2-y": 10,
    }  # fmt: skip
    lines = [
        Line("all", ("all-x", "all-y")),
        Line("m1", ("m1-x", "m1-y")),
        Line("m2", ("m2-x", "m2-y")),
        Line("all", ("m1", "m2")),
        Line("all-x", ("m1-x", "m2-x")),
        Line("all-y", ("m1-y", "m2-y")),
    ]
    shown = protect(counts, lines)
    hidden = {key for key, figure in shown.items() if figure.value is None}
    assert {"m1-x", "m1-y"} <= hidden
    assert not determined(counts, lines, hidden)


def test_shares_come_from_rounded_counts_and_need_a_real_denominator() -> None:
    assert share(23, 52, Shown(25), Shown(50)) == Shown(0.5)
    assert share(3, 40, Shown(None, SMALL), Shown(40)) == Shown(None, Suppression.PART_SUPPRESSED)
    # "All but a few" says as much as "a few": the rest must be publishable too.
    assert share(36, 40, Shown(35), Shown(40)) == Shown(None, Suppression.PART_SUPPRESSED)
    assert share(8, 8, Shown(10), Shown(10)) == Shown(None, Suppression.PART_SUPPRESSED)
    assert share(8, 9, Shown(10), Shown(5)) == Shown(None, Suppression.SMALL_DENOMINATOR)


def test_means_and_medians_need_ten_observations() -> None:
    assert mean_of([1] * 9) == Shown(None, Suppression.SMALL_N)
    assert median_of([5] * 9) == Shown(None, Suppression.SMALL_N)
    assert mean_of([1, 2] * 5) == Shown(1.5)
    assert median_of(list(range(10))) == Shown(4.5)


# --- the property: over random breakdowns -----------------------------------------------------


def rank(rows: list[list[Fraction]]) -> int:
    """Row rank by plain elimination (kept apart from the module's own solver)."""
    rows = [row[:] for row in rows]
    found = 0
    width = len(rows[0]) if rows else 0
    for col in range(width):
        pivot = next((r for r in range(found, len(rows)) if rows[r][col] != 0), None)
        if pivot is None:
            continue
        rows[found], rows[pivot] = rows[pivot], rows[found]
        for r in range(found + 1, len(rows)):
            factor = rows[r][col] / rows[found][col]
            rows[r] = [a - factor * b for a, b in zip(rows[r], rows[found], strict=True)]
        found += 1
    return found


def determined(counts: dict[str, int], lines: list[Line[str]], hidden: set[str]) -> set[str]:
    """Hidden cells that the lines pin down: removing the cell's column lowers the rank."""
    variables = sorted(hidden)
    matrix = []
    for line in lines:
        row = [Fraction(0)] * len(variables)
        for key, sign in ((line.total, 1), *((part, -1) for part in line.parts)):
            if key in hidden:
                row[variables.index(key)] += sign
        matrix.append(row)
    full = rank(matrix)
    return {
        key
        for j, key in enumerate(variables)
        if rank([row[:j] + row[j + 1 :] for row in matrix]) < full
    }


def table(parts: list[list[int]]) -> tuple[dict[str, int], list[Line[str]]]:
    """Areas (rows) split into groups (columns), each with its total, and the grand totals."""
    counts: dict[str, int] = {}
    lines: list[Line[str]] = []
    groups = len(parts[0])
    for a, row in enumerate(parts):
        for g, count in enumerate(row):
            counts[f"{a}.{g}"] = count
        counts[f"{a}.total"] = sum(row)
        lines.append(Line(f"{a}.total", tuple(f"{a}.{g}" for g in range(groups))))
    if len(parts) > 1:
        for g in range(groups):
            counts[f"all.{g}"] = sum(row[g] for row in parts)
            lines.append(Line(f"all.{g}", tuple(f"{a}.{g}" for a in range(len(parts)))))
        counts["all.total"] = sum(counts[f"all.{g}"] for g in range(groups))
        lines.append(Line("all.total", tuple(f"all.{g}" for g in range(groups))))
        lines.append(Line("all.total", tuple(f"{a}.total" for a in range(len(parts)))))
    return counts, lines


counts_strategy = st.integers(min_value=0, max_value=60) | st.integers(min_value=0, max_value=9)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=1, max_value=4).flatmap(
        lambda areas: st.integers(min_value=1, max_value=5).flatmap(
            lambda groups: st.lists(
                st.lists(counts_strategy, min_size=groups, max_size=groups),
                min_size=areas,
                max_size=areas,
            )
        )
    )
)
def test_no_published_figure_reveals_a_small_count(parts: list[list[int]]) -> None:
    counts, lines = table(parts)
    shown = protect(counts, lines)
    hidden = {key for key, figure in shown.items() if figure.value is None}
    for key, figure in shown.items():
        if figure.value is None:
            continue
        assert figure.value % 5 == 0, (key, figure)
        assert figure.value >= 10, (key, figure)
        assert counts[key] > 7
    assert {key for key, count in counts.items() if count <= 7} <= hidden
    # No hidden cell follows from the shown counts, even known exactly, and the lines.
    assert not determined(counts, lines, hidden)
    # Beside a shown total, hidden parts hold more than the threshold together.
    for line in lines:
        hidden_parts = [p for p in line.parts if p in hidden]
        if line.total not in hidden and hidden_parts:
            assert sum(counts[p] for p in hidden_parts) > 7
            assert len(hidden_parts) >= 2
