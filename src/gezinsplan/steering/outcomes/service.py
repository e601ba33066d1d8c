"""Outcome figures: goal attainment, ZRM change, own strength and parties per household.

Each function fills a period's raw counts (``steering.figures``) like the other indicator
modules; disclosure control is the same. A plan's state as of a period comes from the
versions kept before the period's end (a goal's status, its scores and targets, its
actions), and evaluations count by the day they were held, so a change after a period leaves
that period's figures alone.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from gezinsplan.auth.actor import Actor
from gezinsplan.steering.catalogue import Breakdown
from gezinsplan.steering.figures import AreaCounts, Cell, Compute, RawPeriod, Share
from gezinsplan.steering.outcomes import repository
from gezinsplan.steering.outcomes.repository import GoalState, PlanHistory
from gezinsplan.steering.periods import Period, dutch_day

DOMAIN = "lifeDomain"
FINAL = {"achieved": "achieved", "partly_achieved": "partlyAchieved", "not_achieved": "notAchieved"}
CANCELLED = "cancelled"
MIN_DAYS_APART = 30
PROBLEM = 2  # ZRM 1 acute, 2 not self-sufficient: "problematisch"
PERFORMERS = {
    "member": "member",
    "own_network": "ownNetwork",
    "professional": "professional",
    "organization": "organization",
}
OWN_STRENGTH = ("member", "ownNetwork")
PARTY_BINS = ("0", "1", "2", "3+")


@dataclass(frozen=True)
class Table:
    """A total, the parts that add up to it and other counts, all per life domain if asked."""

    total: str
    parts: tuple[str, ...]
    others: tuple[str, ...] = ()

    def measures(self) -> tuple[str, ...]:
        return (self.total, *self.parts, *self.others)


def _lay_out(
    raw: RawPeriod, codes: Sequence[str], table: Table, domains: Iterable[str], by: Breakdown | None
) -> list[str]:
    """Every area gets every cell (zero where nothing happened) and the lines that tie them:
    total = its parts, and with the life-domain breakdown each measure = its domains."""
    groups = sorted(set(domains)) if by is Breakdown.LIFE_DOMAIN else []
    cells: list[Cell] = [(m, None, None) for m in table.measures()]
    raw.lines.append(((table.total, None, None), tuple((p, None, None) for p in table.parts)))
    for group in groups:
        cells += [(m, DOMAIN, group) for m in table.measures()]
        raw.lines.append(
            ((table.total, DOMAIN, group), tuple((p, DOMAIN, group) for p in table.parts))
        )
    if groups:
        for measure in table.measures():
            raw.lines.append(((measure, None, None), tuple((measure, DOMAIN, g) for g in groups)))
    for code in codes:
        area = raw.areas.setdefault(code, AreaCounts())
        for cell in cells:
            area.counts.setdefault(cell, 0)
    return groups


def _shares(raw: RawPeriod, groups: Sequence[str], pairs: Iterable[tuple[str, str, str]]) -> None:
    """``(share, numerator, denominator)`` for the whole and for each life domain."""
    for name, numerator, denominator in pairs:
        for group in (None, *groups):
            dimension = DOMAIN if group is not None else None
            raw.shares.append(
                Share(name, (numerator, dimension, group), (denominator, dimension, group))
            )


def _count(area: AreaCounts, measures: Iterable[str], domain: str, by: Breakdown | None) -> None:
    for measure in measures:
        area.counts[measure, None, None] += 1
        if by is Breakdown.LIFE_DOMAIN:
            area.counts[measure, DOMAIN, domain] += 1


def _latest(history: PlanHistory) -> dict[int, GoalState]:
    return history.versions[-1][1] if history.versions else {}


# --- goal attainment ------------------------------------------------------------------------


def attained(history: PlanHistory, period: Period) -> list[tuple[str, str]]:
    """``(life domain, outcome)`` of each goal whose first final judgement falls in the period.

    A final judgement is a status achieved / partly / not achieved, dated by the plan version
    in which the goal took it, or an evaluation outcome of that kind, dated by the evaluation.
    The goal counts in the period of its first one; its outcome is the latest one up to the
    period's last day, an evaluation before a status of the same day. A goal cancelled at the
    period's end is left out.
    """
    judgements: dict[int, list[tuple[date, int, str]]] = {}
    domains: dict[int, str] = {}
    before: dict[int, str] = {}
    for changed_at, goals in history.versions:
        for goal, state in goals.items():
            domains[goal] = state.life_domain
            if state.status != before.get(goal) and state.status in FINAL:
                judgements.setdefault(goal, []).append((dutch_day(changed_at), 0, state.status))
            before[goal] = state.status
    for outcome in history.outcomes:
        domains.setdefault(outcome.goal, outcome.life_domain)
        if outcome.outcome in FINAL:
            judgements.setdefault(outcome.goal, []).append(
                (outcome.evaluated_on, 1, outcome.outcome)
            )
    latest = _latest(history)
    found = []
    for goal, dated in judgements.items():
        first_day = min(day for day, _, _ in dated)
        if not period.first_day <= first_day <= period.last_day:
            continue
        if goal in latest and latest[goal].status == CANCELLED:
            continue
        found.append((domains[goal], FINAL[max(dated)[2]]))
    return found


GOALS = Table("goals", tuple(FINAL.values()))


def goal_attainment(
    session: Session,
    actor: Actor,
    codes: Sequence[str],
    period: Period,
    by: Breakdown | None,
    raw: RawPeriod,
) -> None:
    histories = repository.plan_histories(session, actor, codes, period.ends_at, period.last_day)
    per_plan = [(h.municipality, attained(h, period)) for h in histories]
    domains = (domain for _, goals in per_plan for domain, _ in goals)
    groups = _lay_out(raw, codes, GOALS, domains, by)
    _shares(raw, groups, ((f"{part}Share", part, GOALS.total) for part in GOALS.parts))
    for code, goals in per_plan:
        for domain, outcome in goals:
            _count(raw.areas[code], (GOALS.total, outcome), domain, by)


# --- ZRM change -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    life_domain: str
    first: int
    last: int
    target: int | None


def changes(history: PlanHistory, period: Period) -> list[Change]:
    """Per life domain of the household: its first and last ZRM score up to the period's
    last day, when the last falls in the period and is at least 30 days after the first.

    Scores: each goal's start score on the day it was created, as the latest plan version
    before the period's end keeps it, and each evaluation's score on its day. On one day an
    evaluation's score comes after a goal's start score. The target is that of the domain's
    most recently created goal, if it has one.
    """
    goals = _latest(history).values()
    points: dict[str, list[tuple[date, int, int]]] = {}
    for goal in goals:
        points.setdefault(goal.life_domain, []).append(
            (dutch_day(goal.created_at), 0, goal.zrm_start)
        )
    for score in history.scores:
        points.setdefault(score.life_domain, []).append((score.evaluated_on, 1, score.score))
    found = []
    for domain, dated in points.items():
        first, last = min(dated), max(dated)
        last_day, first_day = last[0], first[0]
        if not period.first_day <= last_day <= period.last_day:
            continue
        if (last_day - first_day).days < MIN_DAYS_APART:
            continue
        in_domain = [g for g in goals if g.life_domain == domain]
        target = max(in_domain, key=lambda g: g.created_at).zrm_target if in_domain else None
        found.append(Change(domain, first[2], last[2], target))
    return found


ZRM = Table(
    "measured",
    ("improved", "same", "worse"),
    ("withTarget", "reachedTarget", "problemAtStart", "problemAtEnd"),
)


def zrm_change(
    session: Session,
    actor: Actor,
    codes: Sequence[str],
    period: Period,
    by: Breakdown | None,
    raw: RawPeriod,
) -> None:
    histories = repository.plan_histories(session, actor, codes, period.ends_at, period.last_day)
    per_plan = [(h.municipality, changes(h, period)) for h in histories]
    groups = _lay_out(raw, codes, ZRM, (c.life_domain for _, cs in per_plan for c in cs), by)
    raw.units["change"] = ""
    shares = [(f"{part}Share", part, ZRM.total) for part in ZRM.parts]
    shares += [("reachedTargetShare", "reachedTarget", "withTarget")]
    shares += [(f"{m}Share", m, ZRM.total) for m in ("problemAtStart", "problemAtEnd")]
    _shares(raw, groups, shares)
    sample_cells: list[Cell] = [("change", None, None), *(("change", DOMAIN, g) for g in groups)]
    for code in codes:
        for cell in sample_cells:
            raw.areas[code].samples.setdefault(cell, [])
    for code, found in per_plan:
        area = raw.areas[code]
        for change in found:
            difference = change.last - change.first
            direction = "improved" if difference > 0 else "worse" if difference < 0 else "same"
            measures = [ZRM.total, direction]
            if change.target is not None:
                measures.append("withTarget")
                if change.last >= change.target:
                    measures.append("reachedTarget")
            if change.first <= PROBLEM:
                measures.append("problemAtStart")
            if change.last <= PROBLEM:
                measures.append("problemAtEnd")
            _count(area, measures, change.life_domain, by)
            area.samples["change", None, None].append(difference)
            if by is Breakdown.LIFE_DOMAIN:
                area.samples["change", DOMAIN, change.life_domain].append(difference)


# --- own strength ---------------------------------------------------------------------------


OWN = Table("actions", tuple(PERFORMERS.values()), ("ownStrength",))


def own_strength(
    session: Session,
    actor: Actor,
    codes: Sequence[str],
    period: Period,
    by: Breakdown | None,
    raw: RawPeriod,
) -> None:
    histories = repository.plan_histories(
        session, actor, codes, period.ends_at, period.last_day, active_from=period.starts_at
    )
    actions = [
        (h.municipality, goal.life_domain, PERFORMERS[performer])
        for h in histories
        for goal in _latest(h).values()
        for performer in goal.performers
        if performer in PERFORMERS
    ]
    groups = _lay_out(raw, codes, OWN, (domain for _, domain, _ in actions), by)
    for group in (None, *groups):
        dimension = DOMAIN if group is not None else None
        raw.lines.append(
            (("ownStrength", dimension, group), tuple((m, dimension, group) for m in OWN_STRENGTH))
        )
    _shares(
        raw,
        groups,
        (
            (f"{measure}Share", measure, OWN.total)
            for measure in ("ownStrength", "professional", "organization")
        ),
    )
    for code, domain, performer in actions:
        measures = [OWN.total, performer]
        if performer in OWN_STRENGTH:
            measures.append("ownStrength")
        _count(raw.areas[code], measures, domain, by)


# --- parties per household ------------------------------------------------------------------


def parties(
    session: Session,
    actor: Actor,
    codes: Sequence[str],
    period: Period,
    by: Breakdown | None,  # noqa: ARG001 - only by municipality, always shown
    raw: RawPeriod,
) -> None:
    rows = repository.parties_of_open_households(
        session, actor, codes, period.ends_at, period.last_day
    )
    total: Cell = ("households", None, None)
    bins = tuple(("households", "parties", label) for label in PARTY_BINS)
    three: Cell = ("threeOrMore", None, None)
    raw.units["parties"] = ""
    raw.lines.append((total, bins))
    raw.lines.append((three, (bins[-1],)))
    raw.shares.append(Share("threeOrMoreShare", three, total))
    for code in codes:
        area = raw.areas.setdefault(code, AreaCounts())
        for cell in (total, *bins, three):
            area.counts.setdefault(cell, 0)
        area.samples.setdefault(("parties", None, None), [])
    for code, count in rows:
        area = raw.areas[code]
        area.counts[total] += 1
        area.counts["households", "parties", PARTY_BINS[min(count, 3)]] += 1
        if count >= len(PARTY_BINS) - 1:
            area.counts[three] += 1
        area.samples["parties", None, None].append(count)


COMPUTE: dict[str, Compute] = {
    "goal-attainment": goal_attainment,
    "zrm-change": zrm_change,
    "own-strength": own_strength,
    "parties": parties,
}
