"""The queries behind the steering figures: episodes counted per municipality, in SQL.

Every query reads episodes through their household and ``reportable_episodes``, and is
limited to the municipalities asked for. Counts whose bounds are fixed instants (a period's
first and last Dutch midnight) are grouped in SQL. Durations need each episode's Dutch
calendar days, which SQLite cannot compute; those queries return only times, codes and the
municipality, never a household's id, name or members. The repeat rule needs them too, so it
is decided once, when an episode opens, and stored on it (episodes/repeat.py).
"""

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from gezinsplan.access.predicates import TEAM_ASSIGNMENT, episode_team, reportable_episodes
from gezinsplan.auth.actor import Actor
from gezinsplan.episodes.models import Episode
from gezinsplan.households.models import Household
from gezinsplan.indications.models import Indication, IndicationStatus
from gezinsplan.kit.aliases import shared_alias
from gezinsplan.roles.models import RoleAssignment, RoleType

NO_TEAM = "none"


@dataclass(frozen=True)
class StockFlow:
    municipality: str
    start: int
    inflow: int
    outflow: int
    end: int
    team: str = NO_TEAM


@dataclass(frozen=True)
class Closings:
    municipality: str
    closing_reason: str
    count: int
    team: str = NO_TEAM


@dataclass(frozen=True)
class Openings:
    municipality: str
    referral_source: str
    repeat: bool
    count: int
    team: str = NO_TEAM


@dataclass(frozen=True)
class Closed:
    municipality: str
    closing_reason: str
    opened_at: datetime
    closed_at: datetime
    team: str = NO_TEAM


def _asked(municipalities: Collection[str]) -> ColumnElement[bool]:
    return col(Household.municipality_code).in_(sorted(municipalities))


def _team(by_team: bool, ends_at: datetime) -> Any:
    """The episode's team (``episode_team``) when broken down by team; else a constant."""
    if not by_team:
        return literal(None)
    return (
        select(col(TEAM_ASSIGNMENT.organization_id))
        .where(episode_team(ends_at))
        .order_by(col(TEAM_ASSIGNMENT.started_at).desc())
        .limit(1)
        .scalar_subquery()
    )


def open_during(starts_at: datetime, ends_at: datetime) -> ColumnElement[bool]:
    """The episode was open at some moment of [starts_at, ends_at)."""
    return and_(
        col(Episode.opened_at) < ends_at,
        or_(col(Episode.closed_at).is_(None), col(Episode.closed_at) >= starts_at),
    )


def running_between(first_day: date, last_day: date) -> ColumnElement[bool]:
    """The household's indication (not withdrawn) runs on some day of [first_day, last_day]."""
    return and_(
        col(Indication.household_id) == col(Household.id),
        col(Indication.status) != IndicationStatus.WITHDRAWN.value,
        col(Indication.start_date) <= last_day,
        or_(col(Indication.end_date).is_(None), col(Indication.end_date) >= first_day),
    )


def team_name(team: Any) -> str:
    """A team group: the organization's id, or ``none`` while waiting for a regisseur."""
    return NO_TEAM if team is None else str(team)


def stock_flow(
    session: Session,
    actor: Actor,
    municipalities: Collection[str],
    starts_at: datetime,
    ends_at: datetime,
    *,
    by_team: bool = False,
) -> list[StockFlow]:
    """Per municipality: open at ``starts_at``, opened and closed in between, open at
    ``ends_at``. An episode closed before ``ends_at`` (on the last day) is outflow, not stock.
    """
    closed_in = and_(col(Episode.closed_at).is_not(None), col(Episode.closed_at) < ends_at)
    team = _team(by_team, ends_at).label("team")
    statement = (
        select(
            col(Household.municipality_code),
            team,
            func.sum(case((col(Episode.opened_at) < starts_at, 1), else_=0)),
            func.sum(case((col(Episode.opened_at) >= starts_at, 1), else_=0)),
            func.sum(case((closed_in, 1), else_=0)),
            func.sum(case((closed_in, 0), else_=1)),
        )
        .select_from(Episode)
        .join(Household, col(Household.id) == col(Episode.household_id))
        .where(
            open_during(starts_at, ends_at),
            reportable_episodes(actor, ends_at),
            _asked(municipalities),
        )
        .group_by(col(Household.municipality_code), team)
    )
    return [
        StockFlow(code, int(start), int(inflow), int(outflow), int(end), team_name(found))
        for code, found, start, inflow, outflow, end in session.execute(statement)
    ]


def closings(
    session: Session,
    actor: Actor,
    municipalities: Collection[str],
    starts_at: datetime,
    ends_at: datetime,
    *,
    by_team: bool = False,
) -> list[Closings]:
    """Episodes closed in the period, counted per municipality and closing reason."""
    team = _team(by_team, ends_at).label("team")
    statement = (
        select(col(Household.municipality_code), col(Episode.closing_reason), team, func.count())
        .select_from(Episode)
        .join(Household, col(Household.id) == col(Episode.household_id))
        .where(
            col(Episode.closed_at) >= starts_at,
            col(Episode.closed_at) < ends_at,
            reportable_episodes(actor, ends_at),
            _asked(municipalities),
        )
        .group_by(col(Household.municipality_code), col(Episode.closing_reason), team)
    )
    return [
        Closings(code, reason or "", int(count), team_name(found))
        for code, reason, found, count in session.execute(statement)
    ]


def openings(
    session: Session,
    actor: Actor,
    municipalities: Collection[str],
    starts_at: datetime,
    ends_at: datetime,
    *,
    by_team: bool = False,
) -> list[Openings]:
    """Episodes opened in the period, counted per municipality, referral source, team and
    whether they repeat an earlier one (decided when each opened: episodes/repeat.py)."""
    team = _team(by_team, ends_at).label("team")
    statement = (
        select(
            col(Household.municipality_code),
            col(Episode.referral_source),
            team,
            col(Episode.is_repeat),
            func.count(),
        )
        .select_from(Episode)
        .join(Household, col(Household.id) == col(Episode.household_id))
        .where(
            col(Episode.opened_at) >= starts_at,
            col(Episode.opened_at) < ends_at,
            reportable_episodes(actor, ends_at),
            _asked(municipalities),
        )
        .group_by(
            col(Household.municipality_code),
            col(Episode.referral_source),
            team,
            col(Episode.is_repeat),
        )
    )
    return [
        Openings(code, source, bool(repeat), int(count), team_name(found))
        for code, source, found, repeat, count in session.execute(statement)
    ]


def closed(
    session: Session,
    actor: Actor,
    municipalities: Collection[str],
    starts_at: datetime,
    ends_at: datetime,
    *,
    by_team: bool = False,
) -> Sequence[Closed]:
    """Episodes closed in the period: their opening and closing times, for durations."""
    statement = (
        select(
            col(Household.municipality_code),
            col(Episode.closing_reason),
            col(Episode.opened_at),
            col(Episode.closed_at),
            _team(by_team, ends_at),
        )
        .select_from(Episode)
        .join(Household, col(Household.id) == col(Episode.household_id))
        .where(
            col(Episode.closed_at) >= starts_at,
            col(Episode.closed_at) < ends_at,
            reportable_episodes(actor, ends_at),
            _asked(municipalities),
        )
    )
    # The statement's bounds on closed_at make every row a closed episode with its reason.
    return [
        Closed(code, reason or "", opened_at, closed_at or opened_at, team_name(team))
        for code, reason, opened_at, closed_at, team in session.execute(statement)
    ]


# A relapse is a new episode within 12 months of a closing; a few days more cover the gap rule.
FOLLOW_UP = timedelta(days=366 + 2)
_LATER = shared_alias(Episode, "later_episode")


@dataclass(frozen=True)
class Followed:
    """An episode closed in the period, with the openings of its household after it."""

    municipality: str
    closing_reason: str
    closed_at: datetime
    later_openings: tuple[datetime, ...]
    team: str = NO_TEAM


def closed_and_followed(
    session: Session,
    actor: Actor,
    municipalities: Collection[str],
    starts_at: datetime,
    ends_at: datetime,
    *,
    by_team: bool = False,
) -> list[Followed]:
    """Episodes closed in the period, each with its household's openings in the 12 months
    after (the Dutch-day window and the gap rule are decided by the service)."""
    statement = (
        select(
            col(Episode.id),
            col(Household.municipality_code),
            col(Episode.closing_reason),
            col(Episode.closed_at),
            col(_LATER.opened_at),
            _team(by_team, ends_at),
        )
        .select_from(Episode)
        .join(Household, col(Household.id) == col(Episode.household_id))
        .outerjoin(
            _LATER,
            and_(
                col(_LATER.household_id) == col(Episode.household_id),
                col(_LATER.id) != col(Episode.id),
                col(_LATER.opened_at) >= col(Episode.closed_at),
                col(_LATER.opened_at) < ends_at + FOLLOW_UP,
            ),
        )
        .where(
            col(Episode.closed_at) >= starts_at,
            col(Episode.closed_at) < ends_at,
            reportable_episodes(actor, ends_at),
            _asked(municipalities),
        )
    )
    # The episode's id only folds its rows together; it does not leave this function.
    closed_rows: dict[uuid.UUID, tuple[str, str, datetime]] = {}
    later: dict[uuid.UUID, list[datetime]] = {}
    teams: dict[uuid.UUID, str] = {}
    for episode_id, code, reason, closed_at, opened_at, team in session.execute(statement):
        # The statement's bounds on closed_at make every row a closed episode.
        closed_rows[episode_id] = (code, reason or "", closed_at or starts_at)
        teams[episode_id] = team_name(team)
        later.setdefault(episode_id, [])
        if opened_at is not None:
            later[episode_id].append(opened_at)
    return [Followed(*closed_rows[key], tuple(later[key]), teams[key]) for key in closed_rows]


@dataclass(frozen=True)
class ClosedWithCare:
    """An episode closed in the period, with the days of its household's indications."""

    municipality: str
    closing_reason: str
    opened_at: datetime
    closed_at: datetime
    indications: tuple[tuple[date, date | None], ...]
    team: str = NO_TEAM


def closed_with_indications(
    session: Session,
    actor: Actor,
    municipalities: Collection[str],
    starts_at: datetime,
    ends_at: datetime,
    last_day: date,
    *,
    by_team: bool = False,
) -> list[ClosedWithCare]:
    """Episodes closed in the period, each with the start and end dates of its household's
    indications (withdrawn ones left out) that began on or before the period's last day."""
    statement = (
        select(
            col(Episode.id),
            col(Household.municipality_code),
            col(Episode.closing_reason),
            col(Episode.opened_at),
            col(Episode.closed_at),
            col(Indication.start_date),
            col(Indication.end_date),
            _team(by_team, ends_at),
        )
        .select_from(Episode)
        .join(Household, col(Household.id) == col(Episode.household_id))
        .outerjoin(
            Indication,
            and_(
                col(Indication.household_id) == col(Episode.household_id),
                col(Indication.status) != IndicationStatus.WITHDRAWN.value,
                col(Indication.start_date) <= last_day,
            ),
        )
        .where(
            col(Episode.closed_at) >= starts_at,
            col(Episode.closed_at) < ends_at,
            reportable_episodes(actor, ends_at),
            _asked(municipalities),
        )
    )
    # The episode's id only folds its rows together; it does not leave this function.
    closed_rows: dict[uuid.UUID, tuple[str, str, datetime, datetime]] = {}
    spans: dict[uuid.UUID, list[tuple[date, date | None]]] = {}
    teams: dict[uuid.UUID, str] = {}
    for row in session.execute(statement):
        episode_id, code, reason, opened_at, closed_at, start, end, team = row
        # The statement's bounds on closed_at make every row a closed episode.
        closed_rows[episode_id] = (code, reason or "", opened_at, closed_at or opened_at)
        teams[episode_id] = team_name(team)
        spans.setdefault(episode_id, [])
        if start is not None:
            spans[episode_id].append((start, end))
    return [ClosedWithCare(*closed_rows[key], tuple(spans[key]), teams[key]) for key in closed_rows]


@dataclass(frozen=True)
class WithIndications:
    """A household with an episode active in the period: whether one is still open at the
    period's end, and its indications (regulation, first and last day) running in it."""

    municipality: str
    open_at_end: bool
    indications: tuple[tuple[str, date, date | None], ...]


def households_with_indications(
    session: Session,
    actor: Actor,
    municipalities: Collection[str],
    starts_at: datetime,
    ends_at: datetime,
    first_day: date,
    last_day: date,
) -> list[WithIndications]:
    """Households with an episode open at some moment of the period, each with its
    indications (withdrawn ones left out) that run on at least one day of it."""
    statement = (
        select(
            col(Household.id),
            col(Household.municipality_code),
            col(Episode.closed_at),
            col(Indication.id),
            col(Indication.regulation),
            col(Indication.start_date),
            col(Indication.end_date),
        )
        .select_from(Episode)
        .join(Household, col(Household.id) == col(Episode.household_id))
        .outerjoin(
            Indication,
            running_between(first_day, last_day),
        )
        .where(
            open_during(starts_at, ends_at),
            reportable_episodes(actor, ends_at),
            _asked(municipalities),
        )
    )
    # Household and indication ids only fold the rows together; they do not leave here.
    codes: dict[uuid.UUID, str] = {}
    open_at_end: dict[uuid.UUID, bool] = {}
    spans: dict[uuid.UUID, dict[uuid.UUID, tuple[str, date, date | None]]] = {}
    for household_id, code, closed_at, indication_id, regulation, start, end in session.execute(
        statement
    ):
        codes[household_id] = code
        still_open = closed_at is None or closed_at >= ends_at
        open_at_end[household_id] = open_at_end.get(household_id, False) or still_open
        found = spans.setdefault(household_id, {})
        if indication_id is not None:
            found[indication_id] = (regulation, start, end)
    return [
        WithIndications(codes[key], open_at_end[key], tuple(spans[key].values())) for key in codes
    ]


def _open_at(moment: datetime) -> ColumnElement[bool]:
    """An episode open at ``moment``: one closed at that very instant is not (the end stock)."""
    return and_(
        col(Episode.opened_at) < moment,
        or_(col(Episode.closed_at).is_(None), col(Episode.closed_at) >= moment),
    )


def _regisseur_at(moment: datetime) -> ColumnElement[bool]:
    return and_(
        col(RoleAssignment.role_type) == RoleType.REGISSEUR.value,
        col(RoleAssignment.started_at) < moment,
        or_(col(RoleAssignment.ended_at).is_(None), col(RoleAssignment.ended_at) >= moment),
    )


def open_with_regisseur(
    session: Session,
    actor: Actor,
    municipalities: Collection[str],
    moment: datetime,
    *,
    by_team: bool = False,
) -> list[tuple[str, bool, str]]:
    """One row per household open at ``moment``: its municipality, whether it had an active
    regisseur then, and (by team) that regisseur's organization, ``none`` without one."""
    has_regisseur = (
        select(col(RoleAssignment.id))
        .where(
            col(RoleAssignment.household_id) == col(Household.id),
            _regisseur_at(moment),
        )
        .exists()
    )
    statement = (
        select(col(Household.municipality_code), has_regisseur, _team(by_team, moment))
        .select_from(Episode)
        .join(Household, col(Household.id) == col(Episode.household_id))
        .where(_open_at(moment), reportable_episodes(actor, moment), _asked(municipalities))
    )
    return [
        (code, bool(found), team_name(team)) for code, found, team in session.execute(statement)
    ]


@dataclass(frozen=True)
class Caseload:
    """A regisseur's open households per municipality, without the regisseur; by team, their
    team: the organization holding most of them (ties: the lowest id)."""

    per_municipality: dict[str, int]
    team: str = NO_TEAM


def regisseur_caseloads(
    session: Session,
    actor: Actor,
    municipalities: Collection[str],
    moment: datetime,
    *,
    by_team: bool = False,
) -> list[Caseload]:
    """Per regisseur with an open household at ``moment``: their open households per
    municipality. The regisseur is left out: only the anonymous caseloads are returned."""
    organization = col(RoleAssignment.organization_id) if by_team else literal(None)
    grouped = [col(RoleAssignment.professional_sub), col(Household.municipality_code)]
    statement = (
        select(
            col(RoleAssignment.professional_sub),
            col(Household.municipality_code),
            organization,
            func.count(func.distinct(col(Household.id))),
        )
        .select_from(RoleAssignment)
        .join(Household, col(Household.id) == col(RoleAssignment.household_id))
        .join(Episode, col(Episode.household_id) == col(Household.id))
        .where(
            _regisseur_at(moment),
            _open_at(moment),
            reportable_episodes(actor, moment),
            _asked(municipalities),
        )
        .group_by(*grouped, *([organization] if by_team else []))
    )
    caseloads: dict[str | None, dict[str, int]] = {}
    per_team: dict[str | None, dict[str, int]] = {}
    for sub, code, team, count in session.execute(statement):
        found = caseloads.setdefault(sub, {})
        found[code] = found.get(code, 0) + int(count)
        teams = per_team.setdefault(sub, {})
        teams[team_name(team)] = teams.get(team_name(team), 0) + int(count)
    return [
        Caseload(found, min(per_team[sub], key=lambda team: (-per_team[sub][team], team)))
        for sub, found in caseloads.items()
    ]


def named_caseloads(
    session: Session, actor: Actor, municipalities: Collection[str], moment: datetime
) -> dict[str, tuple[str, dict[str, int]]]:
    """Per regisseur (their ``sub``) with an open household at ``moment``: their name and open
    households per municipality. Only for a caller who may see regisseurs by name."""
    statement = (
        select(
            col(RoleAssignment.professional_sub),
            func.max(col(RoleAssignment.professional_name)),
            col(Household.municipality_code),
            func.count(func.distinct(col(Household.id))),
        )
        .select_from(RoleAssignment)
        .join(Household, col(Household.id) == col(RoleAssignment.household_id))
        .join(Episode, col(Episode.household_id) == col(Household.id))
        .where(
            _regisseur_at(moment),
            _open_at(moment),
            reportable_episodes(actor, moment),
            _asked(municipalities),
        )
        .group_by(col(RoleAssignment.professional_sub), col(Household.municipality_code))
    )
    named: dict[str, tuple[str, dict[str, int]]] = {}
    for sub, name, code, count in session.execute(statement):
        named.setdefault(sub or "", (name or sub or "", {}))[1][code] = int(count)
    return named


@dataclass(frozen=True)
class EpisodeRegisseurs:
    """An episode open at some moment of the period, with the starts of the regisseur
    assignments of its household from its opening on (to its closing)."""

    municipality: str
    opened_at: datetime
    closed_at: datetime | None
    starts: tuple[datetime, ...]


def episode_regisseurs(
    session: Session,
    actor: Actor,
    municipalities: Collection[str],
    starts_at: datetime,
    ends_at: datetime,
) -> list[EpisodeRegisseurs]:
    statement = (
        select(
            col(Episode.id),
            col(Household.municipality_code),
            col(Episode.opened_at),
            col(Episode.closed_at),
            col(RoleAssignment.started_at),
        )
        .select_from(Episode)
        .join(Household, col(Household.id) == col(Episode.household_id))
        .outerjoin(
            RoleAssignment,
            and_(
                col(RoleAssignment.household_id) == col(Episode.household_id),
                col(RoleAssignment.role_type) == RoleType.REGISSEUR.value,
                col(RoleAssignment.started_at) >= col(Episode.opened_at),
                col(RoleAssignment.started_at) < ends_at,
                or_(
                    col(Episode.closed_at).is_(None),
                    col(RoleAssignment.started_at) <= col(Episode.closed_at),
                ),
            ),
        )
        .where(
            open_during(starts_at, ends_at),
            reportable_episodes(actor, ends_at),
            _asked(municipalities),
        )
    )
    # The episode's id only folds its rows together; it does not leave this function.
    episodes: dict[uuid.UUID, tuple[str, datetime, datetime | None]] = {}
    starts: dict[uuid.UUID, list[datetime]] = {}
    for episode_id, code, opened_at, closed_at, started_at in session.execute(statement):
        episodes[episode_id] = (code, opened_at, closed_at)
        starts.setdefault(episode_id, [])
        if started_at is not None:
            starts[episode_id].append(started_at)
    return [EpisodeRegisseurs(*episodes[key], tuple(sorted(starts[key]))) for key in episodes]


@dataclass(frozen=True)
class PricedIndication:
    """What the cost of an indication needs: its product, quantity and dates."""

    municipality: str
    regulation: str
    product_category: str
    product_code: str | None
    volume: int | None
    unit: str | None
    frequency: str | None
    start: date
    end: date | None


@dataclass(frozen=True)
class WithCost:
    """A household with an episode open at some moment of the period: its episodes that
    closed in the period (opening and closing times), and its indications in the period."""

    municipality: str
    closed_in_period: tuple[tuple[datetime, datetime], ...]
    indications: tuple[PricedIndication, ...]


def households_with_quantities(
    session: Session,
    actor: Actor,
    municipalities: Collection[str],
    starts_at: datetime,
    ends_at: datetime,
    first_day: date,
    last_day: date,
) -> list[WithCost]:
    """Households with an episode open at some moment of the period, each with its
    indications (withdrawn ones left out) that run on at least one day of it."""
    statement = (
        select(
            col(Household.id),
            col(Household.municipality_code),
            col(Episode.id),
            col(Episode.opened_at),
            col(Episode.closed_at),
            col(Indication.id),
            col(Indication.municipality_code),
            col(Indication.regulation),
            col(Indication.product_category),
            col(Indication.product_code),
            col(Indication.volume),
            col(Indication.unit),
            col(Indication.frequency),
            col(Indication.start_date),
            col(Indication.end_date),
        )
        .select_from(Episode)
        .join(Household, col(Household.id) == col(Episode.household_id))
        .outerjoin(
            Indication,
            running_between(first_day, last_day),
        )
        .where(
            open_during(starts_at, ends_at),
            reportable_episodes(actor, ends_at),
            _asked(municipalities),
        )
    )
    # Household, episode and indication ids only fold the rows together; they stay here.
    codes: dict[uuid.UUID, str] = {}
    closings: dict[uuid.UUID, dict[uuid.UUID, tuple[datetime, datetime]]] = {}
    found: dict[uuid.UUID, dict[uuid.UUID, PricedIndication]] = {}
    for row in session.execute(statement):
        household_id, code, episode_id, opened_at, closed_at, indication_id, *rest = row
        codes[household_id] = code
        closings.setdefault(household_id, {})
        if closed_at is not None and starts_at <= closed_at < ends_at:
            closings[household_id][episode_id] = (opened_at, closed_at)
        spans = found.setdefault(household_id, {})
        if indication_id is not None:
            spans[indication_id] = PricedIndication(*rest)
    return [
        WithCost(codes[key], tuple(closings[key].values()), tuple(found[key].values()))
        for key in codes
    ]
