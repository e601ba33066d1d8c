"""Steering figures: raw counts from the episode history, then disclosure control.

``raw_figures`` computes the unrounded counts of one period (tests read them back exactly);
``report`` passes every period through ``disclosure.protect`` and is all the API shows.
A figure for a period is computed from the episodes' own opening and closing times, which are
never rewritten, so later changes to a household cannot change a past period's figures.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from gezinsplan.access.policy import may_name_regisseurs
from gezinsplan.audit.models import LegalBasis
from gezinsplan.audit.trail import audit
from gezinsplan.auth.actor import Actor
from gezinsplan.codelists import registry
from gezinsplan.errors import Forbidden, Unprocessable
from gezinsplan.kit.clock import today
from gezinsplan.steering import care, caseload, cost, disclosure, flows, repository
from gezinsplan.steering.catalogue import BY_ID, Breakdown, Indicator
from gezinsplan.steering.disclosure import Line, Shown
from gezinsplan.steering.figures import (
    ALL,
    CLOSING_REASONS,
    REFERRAL_SOURCES,
    AreaCounts,
    Cell,
    Compute,
    Key,
    RawPeriod,
    Share,
    fill_cells,
    groups_of,
)
from gezinsplan.steering.outcomes import service as outcomes
from gezinsplan.steering.periods import Period, dutch_day, parse_period, parse_series
from gezinsplan.steering.snapshots import repository as snapshots

UNKNOWN = "onbekend"
BIJ_REASONS = ("01", "02", "03", "04", "05", UNKNOWN)
DROPOUT_REASONS = ("03", "04")
BUCKETS = ((30, "0-30"), (90, "31-90"), (180, "91-180"), (365, "181-365"), (None, "366+"))
STEERING = "Stuurinformatie"


@dataclass(frozen=True)
class Figure:
    measure: str
    dimension: str | None
    group: str | None
    kind: str
    shown: Shown
    national_code: str | None = None


@dataclass(frozen=True)
class AreaReport:
    municipality: str | None
    figures: list[Figure]


@dataclass(frozen=True)
class PeriodReport:
    period: Period
    provisional: bool
    areas: list[AreaReport]


@dataclass(frozen=True)
class Report:
    indicator: Indicator
    municipalities: list[str]
    by: Breakdown | None
    periods: list[PeriodReport]


def indicator_or_none(indicator_id: str) -> Indicator | None:
    return BY_ID.get(indicator_id)


def scope_of(actor: Actor, asked: Sequence[str]) -> list[str]:
    """The municipalities asked for, all of them in the actor's token; none asked: all."""
    codes = sorted(set(asked)) if asked else sorted(actor.municipalities)
    outside = [code for code in codes if code not in actor.municipalities]
    if outside:
        raise Forbidden(f"Your token does not cover municipality {', '.join(outside)}.")
    return codes


def breakdown_of(indicator: Indicator, by: str | None) -> Breakdown | None:
    if by is None:
        return None
    if by not in {b.value for b in indicator.breakdowns}:
        allowed = ", ".join(b.value for b in indicator.breakdowns)
        raise Unprocessable(
            f"The indicator {indicator.id} is broken down by {allowed}.",
            invalid_params=[{"name": "query:by", "reason": f"one of {allowed}"}],
        )
    return Breakdown(by)


def periods_of(period: str | None) -> list[Period]:
    """The periods asked for; none asked: the current half-year (provisional)."""
    if period is None:
        now = today()
        return [parse_period(f"{now.year}-H{1 if now.month <= 6 else 2}")]
    return parse_series(period)


def report(
    session: Session,
    actor: Actor,
    indicator: Indicator,
    *,
    municipalities: Sequence[str],
    period: str | None,
    by: str | None,
) -> Report:
    codes = scope_of(actor, municipalities)
    breakdown = breakdown_of(indicator, by)
    if breakdown is Breakdown.REGISSEUR and not may_name_regisseurs(actor):
        raise Forbidden(
            "Figures per regisseur by name are for the regisseur's own access team; "
            "others see the distribution."
        )
    periods = periods_of(period)
    audit(
        session,
        actor,
        basis=LegalBasis.MUNICIPAL_TASK,
        purpose=(
            f"{STEERING}: indicator {indicator.id}, municipalities {', '.join(codes)}, "
            f"periods {periods[0].label}..{periods[-1].label}"
        )[:500],
    )
    scope = snapshots.scope_of(actor, indicator.id, codes, breakdown and breakdown.value)
    kept = snapshots.published(session, scope, [each.label for each in periods])
    found = []
    for each in periods:
        if each.label in kept:
            found.append(_PUBLISHED.validate_python(kept[each.label]))
            continue
        published = protect(raw_figures(session, actor, indicator, codes, each, breakdown))
        if not published.provisional:
            stored = _PUBLISHED.dump_python(published, mode="json")
            snapshots.publish(session, scope, each.label, stored)
        found.append(published)
    return Report(indicator, codes, breakdown, found)


# How a published period is kept (``snapshots``) and read back.
_PUBLISHED = TypeAdapter(PeriodReport)


def raw_figures(
    session: Session,
    actor: Actor,
    indicator: Indicator,
    codes: Sequence[str],
    period: Period,
    by: Breakdown | None,
) -> RawPeriod:
    """The unrounded counts of one period, for each municipality and (if several) all."""
    compute = _COMPUTE[indicator.id]
    raw = RawPeriod(period, not period.has_passed(today()), {}, [], [])
    compute(session, actor, codes, period, by, raw)
    if len(codes) > 1:
        raw.areas[ALL] = _together(raw.areas[code] for code in codes)
    return raw


def _together(areas: Iterable[AreaCounts]) -> AreaCounts:
    total = AreaCounts()
    for area in areas:
        for cell, count in area.counts.items():
            total.counts[cell] = total.counts.get(cell, 0) + count
        for cell, values in area.samples.items():
            total.samples.setdefault(cell, []).extend(values)
        for cell, value in area.sums.items():
            total.sums[cell] = total.sums.get(cell, 0) + value
    return total


# --- the indicators ----------------------------------------------------------------------------


def _inflow(
    session: Session,
    actor: Actor,
    codes: Sequence[str],
    period: Period,
    by: Breakdown | None,
    raw: RawPeriod,
) -> None:
    by_team = by is Breakdown.TEAM
    rows = repository.openings(
        session, actor, codes, period.starts_at, period.ends_at, by_team=by_team
    )
    kinds = ("new", "repeat")
    cells: list[Cell] = [("inflow", None, None), *((kind, None, None) for kind in kinds)]
    raw.lines.append((("inflow", None, None), tuple((kind, None, None) for kind in kinds)))
    dimension = "team" if by_team else "referralSource"

    def group_of(row: repository.Openings) -> str:
        return row.team if by_team else row.referral_source

    found = {group_of(row) for row in rows}
    sources = sorted(found) if by_team else groups_of(REFERRAL_SOURCES, found)
    if by in (Breakdown.REFERRAL_SOURCE, Breakdown.TEAM):
        per_source = tuple(("inflow", dimension, s) for s in sources)
        cells += per_source
        raw.lines.append((("inflow", None, None), per_source))
        for kind in kinds:
            parts = tuple((kind, dimension, s) for s in sources)
            cells += parts
            raw.lines.append(((kind, None, None), parts))
        for source in sources:
            raw.lines.append(
                (
                    ("inflow", dimension, source),
                    tuple((kind, dimension, source) for kind in kinds),
                )
            )
    fill_cells(raw, codes, cells)
    for row in rows:
        kind = "repeat" if row.repeat else "new"
        counts = raw.areas[row.municipality].counts
        for cell in (("inflow", None, None), (kind, None, None)):
            counts[cell] += row.count
        if by in (Breakdown.REFERRAL_SOURCE, Breakdown.TEAM):
            counts["inflow", dimension, group_of(row)] += row.count
            counts[kind, dimension, group_of(row)] += row.count


def national_reason(closing_reason: str) -> str:
    """The BIJ reason of ending a closing reason maps to; ``onbekend`` when it has none."""
    codelist = registry.get(CLOSING_REASONS)
    entry = next((e for e in codelist.entries if e.code == closing_reason), None)
    return entry.national_code if entry and entry.national_code else UNKNOWN


def _outflow(
    session: Session,
    actor: Actor,
    codes: Sequence[str],
    period: Period,
    by: Breakdown | None,
    raw: RawPeriod,
) -> None:
    by_team = by is Breakdown.TEAM
    rows = repository.closings(
        session, actor, codes, period.starts_at, period.ends_at, by_team=by_team
    )
    total: Cell = ("outflow", None, None)
    per_bij = tuple(("outflow", "reasonOfEnding", code) for code in BIJ_REASONS)
    dropout: Cell = ("dropout", None, None)
    cells: list[Cell] = [total, *per_bij, dropout]
    raw.lines.append((total, per_bij))
    raw.lines.append((dropout, tuple(("outflow", "reasonOfEnding", c) for c in DROPOUT_REASONS)))
    raw.shares.append(Share("dropoutShare", dropout, total))
    reasons = groups_of(CLOSING_REASONS, {row.closing_reason for row in rows})
    if by is Breakdown.CLOSING_REASON:
        per_reason = tuple(("outflow", "closingReason", reason) for reason in reasons)
        cells += per_reason
        raw.lines.append((total, per_reason))
        for code in BIJ_REASONS:
            parts = tuple(
                ("outflow", "closingReason", r) for r in reasons if national_reason(r) == code
            )
            if parts:
                raw.lines.append((("outflow", "reasonOfEnding", code), parts))
    if by_team:
        per_team = tuple(("outflow", "team", team) for team in sorted({r.team for r in rows}))
        cells += per_team
        raw.lines.append((total, per_team))
    fill_cells(raw, codes, cells)
    for row in rows:
        counts = raw.areas[row.municipality].counts
        bij = national_reason(row.closing_reason)
        counts[total] += row.count
        counts["outflow", "reasonOfEnding", bij] += row.count
        if bij in DROPOUT_REASONS:
            counts[dropout] += row.count
        if by is Breakdown.CLOSING_REASON:
            counts["outflow", "closingReason", row.closing_reason] += row.count
        if by_team:
            counts["outflow", "team", row.team] += row.count


def _stock_flow(
    session: Session,
    actor: Actor,
    codes: Sequence[str],
    period: Period,
    by: Breakdown | None,
    raw: RawPeriod,
) -> None:
    by_team = by is Breakdown.TEAM
    rows = repository.stock_flow(
        session, actor, codes, period.starts_at, period.ends_at, by_team=by_team
    )
    names = ("startStock", "inflow", "outflow", "endStock", "active")
    # A period's end stock is the next one's start stock: both are hidden only for their size.
    raw.linked |= {("startStock", None, None), ("endStock", None, None)}
    teams: list[str | None] = [None]
    if by_team:
        teams += sorted({row.team for row in rows})
        for name in names:
            raw.lines.append(((name, None, None), tuple((name, "team", t) for t in teams[1:])))
    for team in teams:
        dimension = None if team is None else "team"
        active: Cell = ("active", dimension, team)
        raw.lines.append((active, (("startStock", dimension, team), ("inflow", dimension, team))))
        raw.lines.append((active, (("endStock", dimension, team), ("outflow", dimension, team))))
        fill_cells(raw, codes, ((name, dimension, team) for name in names))
    for row in rows:
        counts = raw.areas[row.municipality].counts
        for dimension, team in ((None, None), ("team", row.team)) if by_team else ((None, None),):
            counts["startStock", dimension, team] += row.start
            counts["inflow", dimension, team] += row.inflow
            counts["outflow", dimension, team] += row.outflow
            counts["endStock", dimension, team] += row.end
            counts["active", dimension, team] += row.start + row.inflow


def bucket_of(days: int) -> str:
    return next(label for limit, label in BUCKETS if limit is None or days <= limit)


def _duration(
    session: Session,
    actor: Actor,
    codes: Sequence[str],
    period: Period,
    by: Breakdown | None,
    raw: RawPeriod,
) -> None:
    by_team = by is Breakdown.TEAM
    rows = repository.closed(
        session, actor, codes, period.starts_at, period.ends_at, by_team=by_team
    )
    total: Cell = ("closed", None, None)
    per_bucket = tuple(("closed", "durationDays", label) for _, label in BUCKETS)
    # Durations, by closing reason or not: the buckets are not split any further.
    cells: list[Cell] = [total, *per_bucket]
    raw.lines.append((total, per_bucket))
    reasons = groups_of(CLOSING_REASONS, {row.closing_reason for row in rows})
    if by is Breakdown.CLOSING_REASON:
        per_reason = tuple(("closed", "closingReason", reason) for reason in reasons)
        cells += per_reason
        raw.lines.append((total, per_reason))
    teams = sorted({row.team for row in rows})
    if by_team:
        per_team = tuple(("closed", "team", team) for team in teams)
        cells += per_team
        raw.lines.append((total, per_team))
    fill_cells(raw, codes, cells)
    for code in codes:
        raw.areas[code].samples.setdefault(total, [])
        if by is Breakdown.CLOSING_REASON:
            for reason in reasons:
                raw.areas[code].samples.setdefault(("closed", "closingReason", reason), [])
        if by_team:
            for team in teams:
                raw.areas[code].samples.setdefault(("closed", "team", team), [])
    for row in rows:
        area = raw.areas[row.municipality]
        days = (dutch_day(row.closed_at) - dutch_day(row.opened_at)).days
        area.counts[total] += 1
        area.counts["closed", "durationDays", bucket_of(days)] += 1
        area.samples[total].append(days)
        if by is Breakdown.CLOSING_REASON:
            by_reason: Cell = ("closed", "closingReason", row.closing_reason)
            area.counts[by_reason] += 1
            area.samples[by_reason].append(days)
        if by_team:
            by_team_cell: Cell = ("closed", "team", row.team)
            area.counts[by_team_cell] += 1
            area.samples[by_team_cell].append(days)


_COMPUTE: dict[str, Compute] = {
    "inflow": _inflow,
    "outflow": _outflow,
    "stock-flow": _stock_flow,
    "duration": _duration,
    **flows.COMPUTE,
    **care.COMPUTE,
    **cost.COMPUTE,
    **caseload.COMPUTE,
    **outcomes.COMPUTE,
}


# --- disclosure ---------------------------------------------------------------------------------


def protect(raw: RawPeriod) -> PeriodReport:
    """Round and hide the period's counts as one table: every area's lines, and each
    municipality's cell as a part of the same cell of all together."""
    counts: dict[Key, int] = {
        (area, *cell): count
        for area, figures in raw.areas.items()
        for cell, count in figures.counts.items()
    }
    lines: list[Line[Key]] = [
        Line((area, *total), tuple((area, *part) for part in parts))
        for area in raw.areas
        for total, parts in raw.lines
    ]
    municipalities = [area for area in raw.areas if area != ALL]
    if ALL in raw.areas:
        lines += [
            Line((ALL, *cell), tuple((code, *cell) for code in municipalities))
            for cell in raw.areas[ALL].counts
        ]
    linked = [(area, *cell) for area in raw.areas for cell in raw.linked]
    shown = disclosure.protect(counts, lines, linked)
    shown_sums = _protect_sums(raw, municipalities)
    areas = []
    for area, figures in raw.areas.items():
        found = [
            Figure(
                measure,
                dimension,
                group,
                "count",
                shown[area, measure, dimension, group],
                _national((measure, dimension, group)),
            )
            for measure, dimension, group in figures.counts
        ]
        for each in raw.shares:
            value = disclosure.share(
                figures.counts[each.numerator],
                figures.counts[each.denominator],
                shown[area, *each.numerator],
                shown[area, *each.denominator],
            )
            _, dimension, group = each.numerator
            found.append(Figure(each.measure, dimension, group, "share", value))
        for each_rate in raw.rates:
            value = disclosure.rate(
                shown[area, *each_rate.numerator], shown[area, *each_rate.exposure], each_rate.per
            )
            found.append(Figure(each_rate.measure, None, None, "rate", value))
        for (measure, dimension, group), values in figures.samples.items():
            unit = raw.units.get(measure, "Days")
            median = disclosure.median_of(values)
            found.append(Figure(f"{measure}Median{unit}", dimension, group, "median", median))
            mean = disclosure.mean_of(values)
            found.append(Figure(f"{measure}Mean{unit}", dimension, group, "mean", mean))
        for measure, dimension, group in figures.sums:
            value = shown_sums[area, measure, dimension, group]
            found.append(Figure(measure, dimension, group, "sum", value))
        areas.append(AreaReport(None if area == ALL else area, found))
    return PeriodReport(raw.period, raw.provisional, areas)


def _protect_sums(raw: RawPeriod, municipalities: Sequence[str]) -> dict[Key, Shown]:
    """Sums of money: shown only with at least 10 households behind them, as one table."""
    sums: dict[Key, int] = {
        (area, *cell): value
        for area, figures in raw.areas.items()
        for cell, value in figures.sums.items()
    }
    if not sums:
        return {}
    households: dict[Key, int] = {
        (area, *cell): raw.areas[area].counts[raw.sum_bases[cell]]
        for area, figures in raw.areas.items()
        for cell in figures.sums
    }
    lines: list[Line[Key]] = [
        Line((area, *total), tuple((area, *part) for part in parts))
        for area in raw.areas
        for total, parts in raw.sum_lines
    ]
    if ALL in raw.areas:
        lines += [
            Line((ALL, *cell), tuple((code, *cell) for code in municipalities))
            for cell in raw.areas[ALL].sums
        ]
    return disclosure.protect_sums(sums, households, lines)


def _national(cell: Cell) -> str | None:
    """The national code a cell's group carries: the BIJ verwijzer of a referral source."""
    _, dimension, group = cell
    if dimension == "reasonOfEnding":
        return group
    if dimension == "referralSource" and group is not None:
        entries = registry.get(REFERRAL_SOURCES).entries
        return next((e.national_code for e in entries if e.code == group), None)
    if dimension == "closingReason" and group is not None:
        return national_reason(group)
    return None
