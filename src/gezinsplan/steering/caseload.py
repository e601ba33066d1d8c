"""Caseload and continuity of the regisseur: how many open households each regisseur holds on
the period's last day, the households without one, how long until the first one, and how
often the regisseur changes.

"On the last day" means at the end of it, as the end stock: a household whose episode closes
on the last day is not open, and neither is an assignment ended then. Caseloads are figures of
people, so they leave only as a distribution over bins and a median and mean (n >= 10): a
regisseur counts in the municipality where most of their open households live (on a tie the
lowest gemeentecode), with all their open households in the municipalities asked for.
"""

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.orm import Session

from gezinsplan.auth.actor import Actor
from gezinsplan.steering import repository
from gezinsplan.steering.catalogue import Breakdown
from gezinsplan.steering.figures import Cell, Compute, Rate, RawPeriod, Share, fill_cells
from gezinsplan.steering.periods import Period, dutch_day

BINS = ((9, "0-9"), (19, "10-19"), (29, "20-29"), (None, "30+"))
DAYS_PER_MONTH = 365.25 / 12
PER = 100


def bin_of(caseload: int) -> str:
    return next(label for limit, label in BINS if limit is None or caseload <= limit)


def days_in(period: Period, opened: date, closed: date | None) -> int:
    """The Dutch days of the period on which the episode was open (both ends counted)."""
    first = max(opened, period.first_day)
    last = min(closed or period.last_day, period.last_day)
    return max((last - first).days + 1, 0)


def _caseload(
    session: Session,
    actor: Actor,
    codes: Sequence[str],
    period: Period,
    by: Breakdown | None,
    raw: RawPeriod,
) -> None:
    moment = period.ends_at
    open_, with_, without = (
        ("openHouseholds", None, None),
        ("withRegisseur", None, None),
        ("withoutRegisseur", None, None),
    )
    regisseurs: Cell = ("regisseurs", None, None)
    per_bin = tuple(("regisseurs", "caseload", label) for _, label in BINS)
    caseload: Cell = ("caseload", None, None)
    first: Cell = ("firstRegisseur", None, None)
    handovers: Cell = ("handovers", None, None)
    months: Cell = ("householdMonths", None, None)
    raw.lines.append((open_, (with_, without)))
    raw.lines.append((regisseurs, per_bin))
    raw.shares.append(Share("withoutRegisseurShare", without, open_))
    raw.rates.append(Rate("handoversPer100HouseholdMonths", handovers, months, PER))
    raw.units |= {"caseload": "", "firstRegisseur": "Days"}
    fill_cells(raw, codes, (open_, with_, without, regisseurs, *per_bin, first, handovers, months))
    for code in codes:
        raw.areas[code].samples |= {caseload: [], first: []}

    by_team = by is Breakdown.TEAM
    households = repository.open_with_regisseur(session, actor, codes, moment, by_team=by_team)
    caseloads = repository.regisseur_caseloads(session, actor, codes, moment, by_team=by_team)
    if by_team:
        _team_cells(raw, codes, {team for *_, team in households}, {c.team for c in caseloads})
    for code, has_regisseur, team in households:
        counts = raw.areas[code].counts
        counts[open_] += 1
        counts[with_ if has_regisseur else without] += 1
        if by_team:
            counts["openHouseholds", "team", team] += 1
    for each in caseloads:
        per_municipality = each.per_municipality
        home = min(per_municipality, key=lambda code: (-per_municipality[code], code))
        total = sum(per_municipality.values())
        area = raw.areas[home]
        area.counts[regisseurs] += 1
        area.counts["regisseurs", "caseload", bin_of(total)] += 1
        area.samples[caseload].append(total)
        if by_team:
            area.counts["regisseurs", "team", each.team] += 1
            area.samples["caseload", "team", each.team].append(total)

    household_days: dict[str, int] = dict.fromkeys(codes, 0)
    for episode in repository.episode_regisseurs(
        session, actor, codes, period.starts_at, period.ends_at
    ):
        area = raw.areas[episode.municipality]
        opened = dutch_day(episode.opened_at)
        closed = dutch_day(episode.closed_at) if episode.closed_at else None
        household_days[episode.municipality] += days_in(period, opened, closed)
        in_period = [s for s in episode.starts if s >= period.starts_at]
        if episode.starts and episode.starts[0] >= period.starts_at:
            area.counts[first] += 1
            area.samples[first].append((dutch_day(episode.starts[0]) - opened).days)
            in_period = in_period[1:]
        area.counts[handovers] += len(in_period)
    for code, days in household_days.items():
        raw.areas[code].counts[months] = round(days / DAYS_PER_MONTH)
    if by is Breakdown.REGISSEUR:
        _per_regisseur(session, actor, codes, moment, raw)


def _team_cells(
    raw: RawPeriod, codes: Sequence[str], household_teams: set[str], regisseur_teams: set[str]
) -> None:
    """Open households by the team of their regisseur (``none``: without one, so the same
    count as ``withoutRegisseur``, tied to it by a line) and regisseurs and their caseloads
    by their own team. Days to the first regisseur and handovers are not split: both are
    about a household moving between regisseurs, often of different teams."""
    per_household = tuple(("openHouseholds", "team", t) for t in sorted(household_teams))
    per_regisseur = tuple(("regisseurs", "team", t) for t in sorted(regisseur_teams))
    raw.lines.append((("openHouseholds", None, None), per_household))
    if repository.NO_TEAM in household_teams:
        none: Cell = ("openHouseholds", "team", repository.NO_TEAM)
        raw.lines.append((("withoutRegisseur", None, None), (none,)))
    raw.lines.append((("regisseurs", None, None), per_regisseur))
    fill_cells(raw, codes, (*per_household, *per_regisseur))
    for code in codes:
        for team in sorted(regisseur_teams):
            raw.areas[code].samples.setdefault(("caseload", "team", team), [])


def _per_regisseur(
    session: Session, actor: Actor, codes: Sequence[str], moment: datetime, raw: RawPeriod
) -> None:
    """Each regisseur's open households by name, in their home municipality as above. Only
    reached by the access team of the regisseurs' own organization (service.report checks):
    the query keeps to that team's episodes. The counts still pass disclosure control."""
    for sub, (name, per_municipality) in sorted(
        repository.named_caseloads(session, actor, codes, moment).items()
    ):
        home = min(per_municipality, key=lambda code: (-per_municipality[code], code))
        cell: Cell = ("openHouseholds", "regisseur", f"{name} ({sub})")
        raw.areas[home].counts[cell] = sum(per_municipality.values())
        for code in codes:
            if code != home:
                raw.areas[code].counts.setdefault(cell, 0)


COMPUTE: dict[str, Compute] = {"caseload": _caseload}
