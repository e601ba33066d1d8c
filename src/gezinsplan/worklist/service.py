"""The worklist's rules: which signals a household shows, and in what order the list comes.

A regisseur's caseload is tens to a few hundred households, so the caseload is read whole
(in a fixed number of statements, see the repository), its signals computed, and the list
sorted and paged here in Python. The team's waiting list can be long and is paged in SQL.
"""

import base64
import binascii
import calendar
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from gezinsplan.audit.trail import show
from gezinsplan.auth.actor import Actor
from gezinsplan.config import Settings
from gezinsplan.errors import Unprocessable
from gezinsplan.kit.clock import NETHERLANDS, today
from gezinsplan.kit.pagination import PageRequest, next_cursor
from gezinsplan.worklist import repository
from gezinsplan.worklist.repository import CaseloadRow, SignalRow
from gezinsplan.worklist.schemas import (
    RegisseurLoad,
    Signal,
    SignalCount,
    TeamWorklist,
    WaitingHousehold,
    Worklist,
    WorklistItem,
)

PLAN_NOT_APPROVED = "plan_not_approved"
GOAL_OVERDUE = "goal_overdue"
EVALUATION_DUE = "evaluation_due"
CONSENT_EXPIRING = "consent_expiring"
INDICATION_ENDING = "indication_ending"
PROGRESS_SINCE_EVALUATION = "progress_since_evaluation"
SIGNAL_TYPES = (
    PLAN_NOT_APPROVED,
    GOAL_OVERDUE,
    EVALUATION_DUE,
    CONSENT_EXPIRING,
    INDICATION_ENDING,
    PROGRESS_SINCE_EVALUATION,
)

URGENCY = (
    "Most urgent first: households with more kinds of signal first, then the one whose oldest "
    "signal date (`since`, or else `until`) is earliest, then by id; households without "
    "signals last."
)


@dataclass(frozen=True)
class Thresholds:
    approval_days: int
    evaluation_months: int
    consent_days: int
    indication_days: int

    @classmethod
    def of(cls, settings: Settings) -> "Thresholds":
        return cls(
            approval_days=settings.worklist_approval_days,
            evaluation_months=settings.worklist_evaluation_months,
            consent_days=settings.worklist_consent_days,
            indication_days=settings.worklist_indication_days,
        )


def dutch_date(moment: datetime) -> date:
    return moment.astimezone(NETHERLANDS).date()


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later; the month's last day when it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _row_signals(row: CaseloadRow, on: date, limits: Thresholds) -> list[Signal]:
    """The signals that follow from the caseload row itself: approval and evaluation."""
    signals = []
    if row.plan_version is not None and not row.plan_approved and row.version_made_at:
        made_on = dutch_date(row.version_made_at)
        if (on - made_on).days >= limits.approval_days:
            signals.append(Signal(type=PLAN_NOT_APPROVED, count=1, since=made_on, until=None))
    if row.plan_version is not None:
        last = row.last_evaluated_on or dutch_date(row.episode_opened_at)
        if add_months(last, limits.evaluation_months) <= on:
            signals.append(Signal(type=EVALUATION_DUE, count=1, since=last, until=None))
    return signals


@dataclass(frozen=True)
class _Computed:
    rows: list[CaseloadRow]
    signals: dict[uuid.UUID, list[Signal]]


def _compute(session: Session, actor: Actor, limits: Thresholds, *, team: bool) -> _Computed:
    """The caseload and its signals: six statements, whatever the caseload's size."""
    on = today()
    rows = repository.caseload(session, actor, team=team)
    signals: dict[uuid.UUID, list[Signal]] = {row.id: _row_signals(row, on, limits) for row in rows}

    def add(kind: str, found: Iterable[SignalRow], *, ahead: bool = False) -> None:
        for item in found:
            if item.household_id in signals:
                since, until = (None, item.first) if ahead else (item.first, None)
                signal = Signal(type=kind, count=item.count, since=since, until=until)
                signals[item.household_id].append(signal)

    households = list(signals)
    add(GOAL_OVERDUE, repository.overdue_goals(session, actor, on, households))
    consent_end = on + timedelta(days=limits.consent_days)
    add(
        CONSENT_EXPIRING,
        repository.expiring_consents(session, actor, on, consent_end, households),
        ahead=True,
    )
    indication_end = on + timedelta(days=limits.indication_days)
    add(
        INDICATION_ENDING,
        repository.ending_indications(session, actor, on, indication_end, households),
        ahead=True,
    )
    add(PROGRESS_SINCE_EVALUATION, repository.progress_since_evaluation(session, actor, households))
    for found in signals.values():
        found.sort(key=lambda signal: SIGNAL_TYPES.index(signal.type))
    return _Computed(rows, signals)


# The urgency key: (minus the number of signal kinds, the oldest signal date, id).
UrgencyKey = tuple[int, date, str]


def urgency(item: WorklistItem) -> UrgencyKey:
    dates = [signal.since or signal.until for signal in item.signals]
    oldest = min((day for day in dates if day is not None), default=date.max)
    return (-len(item.signals), oldest, str(item.id))


def encode_cursor(key: UrgencyKey) -> str:
    raw = json.dumps([key[0], key[1].isoformat(), key[2]]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


BAD_CURSOR = "The cursor is not one this service handed out."


def decode_cursor(token: str) -> UrgencyKey:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        kinds, oldest, id_ = json.loads(raw)
        if not isinstance(kinds, int):
            raise TypeError(kinds)
        return (kinds, date.fromisoformat(oldest), str(uuid.UUID(id_)))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise Unprocessable(
            BAD_CURSOR, invalid_params=[{"name": "query:cursor", "reason": "invalid cursor"}]
        ) from exc


def _days_since(moment: datetime, on: date) -> int:
    return (on - dutch_date(moment)).days


def worklist(
    session: Session,
    actor: Actor,
    limits: Thresholds,
    *,
    signal: str | None,
    limit: int,
    cursor: str | None,
) -> Worklist:
    """The actor's own caseload, most urgent first (see ``URGENCY``)."""
    after = decode_cursor(cursor) if cursor else None
    computed = _compute(session, actor, limits, team=False)
    on = today()
    items = [
        WorklistItem(
            id=row.id,
            name=row.name,
            municipality_code=row.municipality_code,
            episode_opened_at=row.episode_opened_at,
            days_in_episode=_days_since(row.episode_opened_at, on),
            plan_status=row.plan_status,
            plan_version=row.plan_version,
            plan_approved=row.plan_approved,
            signals=computed.signals[row.id],
        )
        for row in computed.rows
    ]
    if signal is not None:
        items = [item for item in items if any(s.type == signal for s in item.signals)]
    items.sort(key=urgency)
    if after is not None:
        items = [item for item in items if urgency(item) > after]
    page = items[:limit]
    show(session, (item.id for item in page))
    more = len(items) > limit
    return Worklist(items=page, next_cursor=encode_cursor(urgency(page[-1])) if more else None)


def team_worklist(
    session: Session, actor: Actor, limits: Thresholds, page: PageRequest
) -> TeamWorklist:
    """Households waiting for a regisseur (paged), and the load of each of the team's."""
    on = today()
    waiting = repository.waiting_for_regisseur(session, actor, page)
    computed = _compute(session, actor, limits, team=True)
    households: dict[str, list[CaseloadRow]] = defaultdict(list)
    for row in computed.rows:
        households[row.regisseur_sub].append(row)
    loads = []
    for sub in sorted(households):
        rows = households[sub]
        kinds: dict[str, int] = defaultdict(int)
        for row in rows:
            for signal in computed.signals[row.id]:
                kinds[signal.type] += 1
        loads.append(
            RegisseurLoad(
                professional_sub=sub,
                professional_name=rows[0].regisseur_name,
                open_households=len(rows),
                households_with_signals=sum(1 for row in rows if computed.signals[row.id]),
                signals=[
                    SignalCount(type=kind, households=kinds[kind])
                    for kind in SIGNAL_TYPES
                    if kinds[kind]
                ],
            )
        )
    show(session, (row.id for row in waiting[: page.limit]))
    return TeamWorklist(
        items=[
            WaitingHousehold(
                id=row.id,
                name=row.name,
                municipality_code=row.municipality_code,
                episode_opened_at=row.created_at,
                days_waiting=_days_since(row.created_at, on),
            )
            for row in waiting[: page.limit]
        ],
        next_cursor=next_cursor(waiting, page),
        regisseurs=loads,
    )
