"""Property: disclosure control holds over random episode histories, through the API.

Hypothesis draws a history in Zwolle (0193) and Dalfsen (0148): up to 60 households, each
with 1 to 3 episodes opened and closed on random hours from mid-2023 to the end of 2025 (the
last one sometimes still open), referral sources and closing reasons from the codelists, and
sometimes a regisseur of team T or C, with a handover. The history goes straight into the
database; then policy staff read inflow, outflow, stock-flow and duration, in total and by
referral source, closing reason and team, for both municipalities over the half-years
2024-H1..2025-H2, as JSON. For every period of every report: no published count is 1 to 7
and each is a multiple of 5 within 2 of the raw count; the JSON is exactly what the service's
disclosure control makes of the raw figures; and no hidden count of anyone is determined by
the report's lines (a total is the sum of its parts, each municipality a part of all
together) and the shown counts, even taken as exact. The raw stock and flows are counted
again here from the drawn history, so the figures really come from the database. Each
example's history lives in a savepoint that is rolled back after it.

Across the periods of a stock-flow series, a period's end stock and the next one's start
stock are shown or hidden alike. What a reader can combine across reports is not protected
yet: the xfail test at the end pins that gap down with a small fixed history. A breakdown by
referral source or closing reason lists every code, so an empty one tells nothing.
"""

import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import hypothesis.strategies as st
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from sqlalchemy import insert
from sqlalchemy.engine import Connection
from sqlmodel import Session

from gezinsplan.codelists import registry
from gezinsplan.steering import service
from gezinsplan.steering.catalogue import BY_ID, Breakdown
from gezinsplan.steering.disclosure import Line, determined_cells
from gezinsplan.steering.figures import ALL, Key, RawPeriod
from gezinsplan.steering.periods import Period, parse_series
from tests.conftest import Clock, Token
from tests.test_steering import DALFSEN, POLICY, ZWOLLE, Spell, at, get, published, seed
from tests.test_steering_team import CARE, ORGANIZATIONS, ROLES, TEAM

MAX_EXAMPLES = 15
THRESHOLD = 7  # the issue: no published count is 1 to 7 (nor 0, which is hidden too)
MAX_HOUSEHOLDS = 60
SERIES = "2024-H1..2025-H2"
PERIODS = parse_series(SERIES)
CODES = [DALFSEN, ZWOLLE]  # as the service orders the token's municipalities
FIRST = at(2023, 7, 1, 0)  # episodes open and close on whole hours from here ...
HOURS = (at(2026, 1, 1, 0) - FIRST) // timedelta(hours=1)  # ... to the end of 2025
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
SOURCES = [entry.code for entry in registry.get("referral-sources").entries]
REASONS = [entry.code for entry in registry.get("closing-reasons").entries]
REPORTS: list[tuple[str, Breakdown | None]] = [
    ("inflow", None),
    ("inflow", Breakdown.REFERRAL_SOURCE),
    ("inflow", Breakdown.TEAM),
    ("outflow", None),
    ("outflow", Breakdown.CLOSING_REASON),
    ("outflow", Breakdown.TEAM),
    ("stock-flow", None),
    ("stock-flow", Breakdown.TEAM),
    ("duration", None),
    ("duration", Breakdown.CLOSING_REASON),
    ("duration", Breakdown.TEAM),
]

# A regisseur assignment: the team's organization, from, until.
Regisseur = tuple[uuid.UUID, datetime, datetime | None]


@dataclass(frozen=True)
class DrawnHousehold:
    municipality: str
    spells: list[Spell]  # (opened, referral source, closed, closing reason), oldest first
    regisseurs: list[Regisseur]

    def __repr__(self) -> str:
        """Short, so a failing history of 60 households still prints."""

        def moment(instant: datetime | None) -> str:
            return "-" if instant is None else instant.strftime("%Y-%m-%dT%H")

        spells = ", ".join(
            f"{moment(opened)} {source} {moment(closed)} {reason or ''}".rstrip()
            for opened, source, closed, reason in self.spells
        )
        teams = ", ".join(
            f"{'T' if team == TEAM else 'C'} {moment(started)} {moment(ended)}"
            for team, started, ended in self.regisseurs
        )
        return f"<{self.municipality}: {spells}; {teams or 'no regisseur'}>"


def hour(offset: int) -> datetime:
    return FIRST + timedelta(hours=offset)


@st.composite
def households(draw: Any, sources: list[str], reasons: list[str]) -> DrawnHousehold:
    episodes = draw(st.integers(min_value=1, max_value=3))
    offsets = sorted(
        draw(
            st.lists(
                st.integers(min_value=0, max_value=HOURS - 1),
                min_size=2 * episodes,
                max_size=2 * episodes,
                unique=True,
            )
        )
    )
    still_open = draw(st.booleans())
    spells: list[Spell] = []
    for number in range(episodes):
        opened, closed = hour(offsets[2 * number]), hour(offsets[2 * number + 1])
        source = draw(st.sampled_from(sources))
        if number == episodes - 1 and still_open:
            spells.append((opened, source, None, None))
        else:
            spells.append((opened, source, closed, draw(st.sampled_from(reasons))))
    teams = draw(st.lists(st.sampled_from((TEAM, CARE)), max_size=2))
    regisseurs: list[Regisseur] = []
    if teams:
        # Assigned on the first opening or up to 60 days later; a second team takes over.
        started = offsets[0] + draw(st.integers(min_value=0, max_value=60 * 24))
        handover = started + draw(st.integers(min_value=1, max_value=365 * 24))
        if len(teams) == 1:
            regisseurs.append((teams[0], hour(started), None))
        else:
            regisseurs.append((teams[0], hour(started), hour(handover)))
            regisseurs.append((teams[1], hour(handover), None))
    municipality = draw(st.sampled_from((ZWOLLE, ZWOLLE, DALFSEN)))
    return DrawnHousehold(municipality, spells, regisseurs)


@st.composite
def histories(draw: Any) -> list[DrawnHousehold]:
    """Households drawing from a few referral sources and closing reasons, so that groups
    are large enough to be shown now and then."""
    sources = draw(st.lists(st.sampled_from(SOURCES), min_size=1, max_size=4, unique=True))
    reasons = draw(st.lists(st.sampled_from(REASONS), min_size=1, max_size=4, unique=True))
    size = draw(
        st.integers(min_value=0, max_value=MAX_HOUSEHOLDS)
        | st.integers(min_value=40, max_value=MAX_HOUSEHOLDS)
    )
    drawn: list[DrawnHousehold] = draw(
        st.lists(households(sources, reasons), min_size=size, max_size=size)
    )
    return drawn


def insert_history(connection: Connection, history: list[DrawnHousehold]) -> None:
    for drawn in history:
        found = seed(connection, drawn.municipality, drawn.spells)
        for organization, started, ended in drawn.regisseurs:
            connection.execute(
                insert(ROLES).values(
                    id=uuid.uuid4(),
                    household_id=found,
                    role_type="regisseur",
                    organization_id=organization,
                    professional_sub=f"regisseur-{organization.hex[-1]}",
                    professional_name="Regisseur",
                    started_at=started,
                    ended_at=ended,
                    started_by="hypothesis",
                    created_at=started,
                )
            )


# --- what the history says, counted here -------------------------------------------------------


def dutch_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=AMSTERDAM).astimezone(UTC)


STOCK_FLOW = ("startStock", "inflow", "outflow", "endStock", "active")


def expected_stock_flow(history: list[DrawnHousehold], period: Period) -> dict[str, dict[str, int]]:
    """Per municipality: open at the first Dutch midnight, opened, closed, open after the
    last day; active is start plus inflow."""
    starts = dutch_midnight(period.first_day)
    ends = dutch_midnight(period.last_day + timedelta(days=1))
    found = {code: dict.fromkeys(STOCK_FLOW, 0) for code in CODES}
    for drawn in history:
        counts = found[drawn.municipality]
        for opened, _, closed, _ in drawn.spells:
            started = opened < starts and (closed is None or closed >= starts)
            counts["startStock"] += started
            counts["inflow"] += starts <= opened < ends
            counts["outflow"] += closed is not None and starts <= closed < ends
            counts["endStock"] += opened < ends and (closed is None or closed >= ends)
            counts["active"] += started or starts <= opened < ends
    return found


def totals(raw: RawPeriod, area: str) -> dict[str, int]:
    """The area's counts without dimension, by measure."""
    counts = raw.areas[area].counts
    return {measure: n for (measure, d, _), n in counts.items() if d is None}


# --- the report as the API and as the service made it ---------------------------------------------


def table(raw: RawPeriod) -> tuple[dict[Key, int], list[Line[Key]]]:
    """The period's counts and lines, built from the report's own structure: each area's
    lines, and each municipality's cell as a part of the same cell of all together."""
    counts = {
        (area, *cell): n
        for area, figures in raw.areas.items()
        for cell, n in figures.counts.items()
    }
    lines = [
        Line((area, *total), tuple((area, *part) for part in parts))
        for area in raw.areas
        for total, parts in raw.lines
    ]
    lines += [
        Line((ALL, *cell), tuple((code, *cell) for code in CODES)) for cell in raw.areas[ALL].counts
    ]
    return counts, lines


def as_json(report: service.PeriodReport) -> list[dict[str, Any]]:
    """The areas of a period as the API should render them from the service's report."""
    return [
        {
            "municipality": area.municipality,
            "figures": [
                {
                    "measure": figure.measure,
                    "dimension": figure.dimension,
                    "group": figure.group,
                    "nationalCode": figure.national_code,
                    "kind": figure.kind,
                    "value": figure.shown.value,
                    "suppressed": figure.shown.suppressed,
                }
                for figure in area.figures
            ],
        }
        for area in report.areas
    ]


def published_counts(period: dict[str, Any]) -> dict[Key, Any]:
    """The period's counts as published, by (area, measure, dimension, group)."""
    return {
        (area["municipality"] or ALL, f["measure"], f["dimension"], f["group"]): f["value"]
        for area in period["areas"]
        for f in area["figures"]
        if f["kind"] == "count"
    }


def check_period(raw: RawPeriod, period: dict[str, Any], what: str) -> Counter[str]:
    """Every count safe, the JSON what ``protect`` makes, and no hidden count determined."""
    tally: Counter[str] = Counter()
    assert period["areas"] == as_json(service.protect(raw)), what
    counts, lines = table(raw)
    for line in lines:
        assert counts[line.total] == sum(counts[part] for part in line.parts), (what, line)
    shown = published_counts(period)
    assert shown.keys() == counts.keys(), what
    for key, value in shown.items():
        if value is None:
            tally["hidden"] += 1
            continue
        tally["shown"] += 1
        assert not 1 <= value <= THRESHOLD, (what, key, value)
        assert value % 5 == 0, (what, key, value)
        assert counts[key] > THRESHOLD, (what, key, counts[key], value)
        assert abs(value - counts[key]) <= 2, (what, key, counts[key], value)
    hidden = {key for key, value in shown.items() if value is None}
    assert {key for key, n in counts.items() if n <= THRESHOLD} <= hidden, what
    tally["secondary"] += len({key for key in hidden if counts[key] > THRESHOLD})
    determined = determined_cells(counts, lines, dict.fromkeys(hidden))
    # A breakdown by team lists only the teams that occurred, so its lines can tell that a
    # hidden count is 0; a count of anyone is never determined.
    assert not [key for key in determined if counts[key]], (what, determined)
    tally["zeros determined"] += len(determined)
    return tally


def check_series(periods: list[dict[str, Any]]) -> int:
    """A period's end stock is the next one's start stock: shown or hidden alike (else the
    shown one tells the hidden one); returns the boundaries compared."""
    compared = 0
    for before, after in pairwise(periods):
        ends, starts = published_counts(before), published_counts(after)
        for area, measure, dimension, _ in ends:
            if measure != "endStock" or dimension is not None:
                continue
            end, start = ends[area, measure, None, None], starts[area, "startStock", None, None]
            assert (end is None) == (start is None), (before["period"], area, end, start)
            compared += 1
    return compared


def add_teams(connection: Connection) -> None:
    connection.execute(
        insert(ORGANIZATIONS).values(id=TEAM, kind="access_team", name="Wijkteam T", version=1)
    )
    connection.execute(
        insert(ORGANIZATIONS).values(
            id=CARE, kind="care_provider", name="Zorg C", agb_code="12345678", version=1
        )
    )


def test_disclosure_holds_over_random_histories(
    client: TestClient,
    connection: Connection,
    token: Token,
    clock: Clock,
    municipalities: list[str],
    engine_name: str,
) -> None:
    clock.set(at(2026, 12, 6))
    add_teams(connection)
    policy = token("policy", municipalities=(ZWOLLE, DALFSEN), sub="beleid")
    tally: Counter[str] = Counter()

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.function_scoped_fixture,
            HealthCheck.data_too_large,
        ],
    )
    @given(history=histories())
    def check(history: list[DrawnHousehold]) -> None:
        nested = connection.begin_nested()
        try:
            insert_history(connection, history)
            with Session(connection) as session:
                raws = {
                    (indicator, by): [
                        service.raw_figures(session, POLICY, BY_ID[indicator], CODES, each, by)
                        for each in PERIODS
                    ]
                    for indicator, by in REPORTS
                }
            for (indicator, by), raw_periods in raws.items():
                params = {"period": SERIES, "municipality": [ZWOLLE, DALFSEN]}
                body = get(client, policy, indicator, **params | ({"by": by.value} if by else {}))
                assert [p["period"] for p in body["periods"]] == [p.label for p in PERIODS]
                for raw, period in zip(raw_periods, body["periods"], strict=True):
                    what = f"{indicator} by {by} in {period['period']}"
                    tally.update(check_period(raw, period, what))
                if indicator == "stock-flow":
                    tally["stocks linked"] += check_series(body["periods"])
            for raw, each in zip(raws["stock-flow", None], PERIODS, strict=True):
                expected = expected_stock_flow(history, each)
                for code in CODES:
                    assert totals(raw, code) == expected[code], (each.label, code)
                both = {
                    name: expected[ZWOLLE][name] + expected[DALFSEN][name]
                    for name in expected[ZWOLLE]
                }
                assert totals(raw, ALL) == both, each.label
                tally["episodes counted"] += both["active"]
        finally:
            nested.rollback()
        tally["examples"] += 1
        tally["households"] += len(history)

    started = time.perf_counter()
    check()
    print(
        f"\nsteering histories [{engine_name}]: {tally['examples']} examples, "
        f"{tally['households']} households, {tally['episodes counted']} episode-periods, "
        f"{tally['shown']} counts shown, {tally['hidden']} hidden "
        f"({tally['secondary']} of more than {THRESHOLD}), "
        f"{tally['zeros determined']} hidden zeros told by the groups listed, "
        f"{time.perf_counter() - started:.1f} s"
    )
    assert tally["examples"] >= MAX_EXAMPLES
    assert tally["shown"] > 0
    assert tally["secondary"] > 0
    assert tally["stocks linked"] > 0


# --- known gaps: a hidden count told by what is published beside it ----------------------------
#
# Zwolle only: 3 households open since 1 Dec 2023; 30 opened 10 Jan 2024, 10 of them closed
# 1 May 2024; 3 opened 1 Aug 2024. Stock and flows:
#   2024-H1: start 3, inflow 30, outflow 10, end 23, active 33
#   2024-H2: start 23, inflow 3, outflow 0, end 26, active 26


@pytest.fixture
def small_history(connection: Connection, municipalities: list[str], clock: Clock) -> None:
    clock.set(at(2026, 12, 6))
    for _ in range(3):
        seed(connection, ZWOLLE, [(at(2023, 12, 1), "self", None, None)])
    for number in range(30):
        closed = at(2024, 5, 1) if number < 10 else None
        reason = "goals_achieved" if number < 10 else None
        seed(connection, ZWOLLE, [(at(2024, 1, 10), "self", closed, reason)])
    for _ in range(3):
        seed(connection, ZWOLLE, [(at(2024, 8, 1), "school", None, None)])


def zwolle(client: TestClient, token: Token, indicator: str, **params: Any) -> Any:
    policy = token("policy", municipalities=(ZWOLLE, DALFSEN), sub="beleid")
    return get(client, policy, indicator, municipality=ZWOLLE, **params)


def test_a_series_does_not_tell_a_hidden_start_stock_by_the_end_stock_before_it(
    client: TestClient, token: Token, small_history: None
) -> None:
    body = zwolle(client, token, "stock-flow", period="2024-H1..2024-H2")
    first, second = published(body, ZWOLLE, 0), published(body, ZWOLLE, 1)
    end, start = first["endStock", None, None], second["startStock", None, None]
    # Protected each on its own, the end stock was shown as 25 and the start stock hidden:
    # 23 or so, which told 2024-H2's inflow (active 25, shown) was a handful.
    assert (end[0] is None) == (start[0] is None), (end, start)


@pytest.mark.xfail(
    strict=True,
    reason="each indicator is protected on its own, but inflow, outflow and stock-flow "
    "publish the same counts",
)
def test_two_indicators_do_not_tell_a_hidden_count_together(
    client: TestClient, token: Token, small_history: None
) -> None:
    inflow = published(zwolle(client, token, "inflow", period="2024-H1"), ZWOLLE)
    stock = published(zwolle(client, token, "stock-flow", period="2024-H1"), ZWOLLE)
    # Inflow 30 is shown by the inflow report and hidden by stock-flow, beside the start stock
    # (3, hidden) and active (33, shown): start = active - inflow.
    assert (inflow["inflow", None, None][0] is None) == (stock["inflow", None, None][0] is None)


def test_the_groups_of_a_breakdown_do_not_depend_on_what_happened(
    client: TestClient, token: Token, small_history: None
) -> None:
    body = zwolle(client, token, "inflow", period="2023-H1..2024-H2", by="referral_source")
    groups = [
        {group for _, dimension, group in published(body, ZWOLLE, index) if dimension}
        for index in range(len(body["periods"]))
    ]
    # 2023-H1 lists no referral source at all: its hidden inflow must be 0.
    assert all(each == groups[0] for each in groups), groups
