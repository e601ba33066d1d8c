"""Publishing passed periods before anyone asks: ``gezinsplan steering publish``, nightly.

A report is published per scope (the municipalities of policy staff, or an access team's),
so the job takes the scopes that have published reports before, and for each indicator,
breakdown and kind of period they hold, publishes every later period that has passed since.
Run after a period ends, it makes the first request of the new period a read of stored
figures, and holds a family that is erased afterwards in the figures of the periods it was in.
"""

import uuid
from collections.abc import Iterator

from sqlalchemy.orm import Session

from gezinsplan.audit.trail import open_command_trail, write_command_record
from gezinsplan.auth.actor import Actor, Role
from gezinsplan.kit.clock import today
from gezinsplan.steering import service
from gezinsplan.steering.catalogue import BY_ID
from gezinsplan.steering.periods import MAX_SERIES, Period, parse_period
from gezinsplan.steering.snapshots import repository as snapshots

PUBLISHER = "gezinsplan-publisher"
COMMAND = "steering publish"


def publish_passed(session: Session) -> int:
    """Publish the passed periods that follow the ones already published; how many were.

    Each report is audited as the publisher reading for the scope's reader, one record each.
    """
    published = 0
    for scope, labels in snapshots.published_scopes(session).items():
        indicator = BY_ID.get(scope.indicator)
        actor = actor_of(scope.scope)
        if indicator is None or actor is None:
            continue
        latest: dict[str, Period] = {}
        for period in map(parse_period, labels):
            latest[period.kind] = max(latest.get(period.kind, period), period)
        for last in latest.values():
            pending = list(_passed_after(last))
            if not pending:
                continue
            open_command_trail(session, COMMAND)
            report = service.report(
                session,
                actor,
                indicator,
                municipalities=sorted(actor.municipalities),
                period=f"{pending[0].label}..{pending[-1].label}",
                by=scope.breakdown or None,
            )
            write_command_record(session)
            published += sum(not each.provisional for each in report.periods)
    return published


def actor_of(scope: str) -> Actor | None:
    """The reader a scope stands for (``snapshots.scope_of`` reversed), as the publisher."""
    kind, _, rest = scope.partition(":")
    if kind == "municipalities":
        return _publisher(frozenset({Role.POLICY}), None, rest)
    if kind == "team":
        organization, _, codes = rest.partition(":")
        return _publisher(frozenset({Role.TOEGANG}), uuid.UUID(organization), codes)
    return None


def _publisher(roles: frozenset[Role], org: uuid.UUID | None, codes: str) -> Actor:
    municipalities = frozenset(code for code in codes.split(",") if code)
    return Actor(PUBLISHER, "Publicatie stuurinformatie", org, roles, municipalities)


def _passed_after(last: Period) -> Iterator[Period]:
    """The periods after ``last`` that have passed, at most a series' worth."""
    period = last.next()
    for _ in range(MAX_SERIES):
        if not period.has_passed(today()):
            return
        yield period
        period = period.next()
