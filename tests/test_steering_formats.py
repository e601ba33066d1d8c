"""An indicator report as CSV and as an SVG chart: the same published figures as the JSON,
nothing about a household, safe to open in a spreadsheet or embed in a page.

The history (2024, by quarter): Zwolle 13 openings in Q1 (one of them a canary household
with a named member and a BSN), none in Q2, 10 in Q3 and 10 in Q4; Dalfsen 10 in Q1. So the
series has shown figures on both sides of hidden ones.
"""

import csv
import io
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection
from sqlmodel import col

from gezinsplan.audit.models import AuditRecord
from gezinsplan.episodes.models import Episode
from gezinsplan.households.models import Household
from gezinsplan.members.models import Member
from gezinsplan.steering import formats
from gezinsplan.steering.catalogue import BY_ID, Breakdown
from gezinsplan.steering.disclosure import Suppression
from gezinsplan.steering.periods import PeriodKind
from gezinsplan.steering.schemas import AreaRead, FigureRead, IndicatorReport, PeriodRead
from tests.conftest import Token

API = "/api/v1"
ZWOLLE, DALFSEN = "0193", "0148"
SERIES = "2024-Q1..2024-Q4"
CANARY_NAME = "CANARY-FORMATS-Bakker"
CANARY_BSN = "111222333"
SVG_NS = "{http://www.w3.org/2000/svg}"

EPISODES = Episode.__table__  # type: ignore[attr-defined]
HOUSEHOLDS = Household.__table__  # type: ignore[attr-defined]
MEMBERS = Member.__table__  # type: ignore[attr-defined]


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 10, tzinfo=UTC)


def opened(connection: Connection, code: str, when: datetime, name: str = "Gezin") -> uuid.UUID:
    """An open household with one episode, opened ``when`` on a school's referral."""
    household_id = uuid.uuid4()
    connection.execute(
        insert(HOUSEHOLDS).values(
            id=household_id,
            municipality_code=code,
            name=name,
            status="open",
            opened_at=when,
            version=1,
            created_at=when,
            updated_at=when,
        )
    )
    connection.execute(
        insert(EPISODES).values(
            id=uuid.uuid4(), household_id=household_id, opened_at=when, referral_source="school"
        )
    )
    return household_id


@pytest.fixture
def history(connection: Connection, municipalities: list[str]) -> list[uuid.UUID]:
    found = [opened(connection, ZWOLLE, at(2024, 2, 10)) for _ in range(12)]
    found += [opened(connection, ZWOLLE, at(2024, 8, 1)) for _ in range(10)]
    found += [opened(connection, ZWOLLE, at(2024, 11, 1)) for _ in range(10)]
    found += [opened(connection, DALFSEN, at(2024, 1, 20)) for _ in range(10)]
    canary = opened(connection, ZWOLLE, at(2024, 3, 1), name=CANARY_NAME)
    connection.execute(
        insert(MEMBERS).values(
            id=uuid.uuid4(),
            household_id=canary,
            household_status="open",
            given_name="CANARY-FORMATS-Sem",
            family_name=CANARY_NAME,
            birth_date=date(1984, 2, 3),
            bsn=CANARY_BSN,
            relation="parent",
            is_guardian=True,
            version=1,
            created_at=at(2024, 3, 1),
            updated_at=at(2024, 3, 1),
        )
    )
    return [*found, canary]


@pytest.fixture
def policy(token: Token) -> dict[str, str]:
    return token("policy", municipalities=(ZWOLLE, DALFSEN), sub="beleid")


def read(
    client: TestClient, headers: dict[str, str], indicator: str, accept: str, **params: Any
) -> Any:
    response = client.get(
        f"{API}/indicators/{indicator}", params=params, headers=headers | {"Accept": accept}
    )
    assert response.status_code == 200, response.text
    return response


def every_report() -> list[tuple[str, dict[str, str]]]:
    """Every indicator and breakdown policy staff may ask for: regisseurs by name are not."""
    return [
        (indicator, {"period": SERIES} | ({"by": by.value} if by else {}))
        for indicator in BY_ID
        for by in (None, *BY_ID[indicator].breakdowns)
        if by is not Breakdown.REGISSEUR
    ]


# --- CSV ---------------------------------------------------------------------------------------


def csv_rows_of(body: Any) -> list[dict[str, str]]:
    """The rows the CSV must hold for a JSON report, as text."""

    def text(value: Any) -> str:
        return "" if value is None else str(value)

    return [
        {
            "period": period["period"],
            "periodKind": period["kind"],
            "firstDay": period["firstDay"],
            "lastDay": period["lastDay"],
            "provisional": "true" if period["provisional"] else "false",
            "municipality": text(area["municipality"]),
            "measure": figure["measure"],
            "dimension": text(figure["dimension"]),
            "group": text(figure["group"]),
            "nationalCode": text(figure["nationalCode"]),
            "kind": figure["kind"],
            "value": text(figure["value"]),
            "suppressed": text(figure["suppressed"]),
        }
        for period in body["periods"]
        for area in period["areas"]
        for figure in area["figures"]
    ]


def test_csv_holds_exactly_the_json_figures(
    client: TestClient, policy: dict[str, str], history: Any
) -> None:
    hidden = 0
    for indicator, params in every_report():
        body = read(client, policy, indicator, "application/json", **params).json()
        response = read(client, policy, indicator, "text/csv", **params)
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.headers["content-disposition"] == (
            f'attachment; filename="{indicator}-2024-Q1_2024-Q4.csv"'
        )
        assert "accept" in response.headers["vary"].lower()
        reader = csv.DictReader(io.StringIO(response.text))
        assert tuple(reader.fieldnames or ()) == formats.CSV_COLUMNS
        rows = list(reader)
        assert rows == csv_rows_of(body)
        for row in rows:
            assert (row["value"] == "") == (row["suppressed"] != "")
            if row["value"]:
                assert float(row["value"]) >= 0
        hidden += sum(1 for row in rows if row["suppressed"])
    assert hidden, "the history hides some figures"


def report_with(group: str) -> IndicatorReport:
    figure = FigureRead(
        measure="inflow",
        dimension="referralSource",
        group=group,
        national_code=None,
        kind="count",
        value=10,
        suppressed=None,
    )
    period = PeriodRead(
        period="2024-Q1",
        kind=PeriodKind.QUARTER,
        first_day=date(2024, 1, 1),
        last_day=date(2024, 3, 31),
        provisional=False,
        areas=[AreaRead(municipality=None, figures=[figure])],
    )
    return IndicatorReport(indicator="inflow", municipalities=[ZWOLLE], by=None, periods=[period])


@pytest.mark.parametrize(
    "group", ['=HYPERLINK("http://x.example","klik")', "+31", "-1+1", "@SUM(A1)", "\t=1"]
)
def test_a_csv_cell_never_starts_a_formula(group: str) -> None:
    rows = list(csv.reader(io.StringIO(formats.to_csv(report_with(group)))))
    cell = rows[1][formats.CSV_COLUMNS.index("group")]
    assert cell == "'" + group
    assert rows[1][formats.CSV_COLUMNS.index("value")] == "10"


# --- SVG ---------------------------------------------------------------------------------------


def safe_svg(text: str) -> ET.Element:
    """Parsed, and nothing in it runs, links or loads from elsewhere."""
    assert "<!DOCTYPE" not in text
    assert "<!ENTITY" not in text
    root = ET.fromstring(text)  # noqa: S314 - our own output, without a DTD (checked)
    assert root.tag == f"{SVG_NS}svg"
    for element in root.iter():
        name = element.tag.rsplit("}", 1)[-1].lower()
        assert name not in {"script", "foreignobject", "image", "use", "a", "iframe", "style"}
        for attribute, value in element.attrib.items():
            local = attribute.rsplit("}", 1)[-1].lower()
            assert local != "href", attribute
            assert not local.startswith("on"), attribute
            assert "url(" not in value.lower()
            assert "javascript:" not in value.lower()
    return root


def runs(values: list[Any]) -> list[int]:
    """The lengths of the stretches of shown values between hidden ones."""
    found, current = [], 0
    for value in [*values, None]:
        if value is None:
            if current:
                found.append(current)
            current = 0
        else:
            current += 1
    return found


def test_svg_charts_the_first_measure_with_gaps_for_hidden_figures(
    client: TestClient, policy: dict[str, str], history: Any
) -> None:
    body = read(client, policy, "inflow", "application/json", period=SERIES).json()
    response = read(client, policy, "inflow", "image/svg+xml", period=SERIES)
    assert response.headers["content-type"] == "image/svg+xml"
    assert "content-disposition" not in response.headers
    root = safe_svg(response.text)
    texts = [element.text or "" for element in root.iter(f"{SVG_NS}text")]
    assert all(label in texts for label in ("2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"))
    assert any("verborgen: kleine aantallen" in text for text in texts)
    assert {"gemeente 0148", "gemeente 0193", "alle gemeenten samen"} <= set(texts)
    title = root.find(f"{SVG_NS}title")
    assert title is not None
    assert title.text == f"{BY_ID['inflow'].name_nl}: inflow"

    series: dict[Any, list[Any]] = {}
    for period in body["periods"]:
        for area in period["areas"]:
            total = next(
                f for f in area["figures"] if f["measure"] == "inflow" and f["dimension"] is None
            )
            series.setdefault(area["municipality"], []).append(total["value"])
    assert any(None in values for values in series.values()), "some point is hidden"
    assert any(len(runs(values)) > 1 for values in series.values()), "a line has a gap"
    circles = list(root.iter(f"{SVG_NS}circle"))
    lines = list(root.iter(f"{SVG_NS}polyline"))
    assert len(circles) == sum(v is not None for values in series.values() for v in values)
    assert sorted(len(line.attrib["points"].split()) for line in lines) == sorted(
        length for values in series.values() for length in runs(values) if length > 1
    )


def test_svg_charts_the_measure_asked_for_and_refuses_an_unknown_one(
    client: TestClient, policy: dict[str, str], history: Any
) -> None:
    root = safe_svg(read(client, policy, "inflow", "image/svg+xml", measure="repeat").text)
    title = root.find(f"{SVG_NS}title")
    assert title is not None
    assert (title.text or "").endswith(": repeat")
    for measure in ("nope", "<script>"):
        response = client.get(
            f"{API}/indicators/inflow",
            params={"measure": measure},
            headers=policy | {"Accept": "image/svg+xml"},
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["invalidParams"] == [
            {"name": "query:measure", "reason": "one of inflow, new, repeat"}
        ]


def test_every_indicator_charts_as_safe_svg(
    client: TestClient, policy: dict[str, str], history: Any
) -> None:
    for indicator, params in every_report():
        safe_svg(read(client, policy, indicator, "image/svg+xml", **params).text)


def test_svg_escapes_every_text() -> None:
    report = report_with("03")
    report.periods[0].period = '2024-Q1<script>alert("x")</script>'
    report.periods[0].areas[0].figures[0].dimension = None
    text = formats.to_svg(report, "inflow", 'Instroom & "uitstroom" <b>')
    root = safe_svg(text)
    texts = [element.text for element in root.iter(f"{SVG_NS}text")]
    assert 'Instroom & "uitstroom" <b>' in texts
    assert '2024-Q1<script>alert("x")</script>' in texts
    assert root.attrib["aria-label"] == 'Instroom & "uitstroom" <b>'


# --- negotiation, privacy, audit ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("", "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        ("application/*", "application/json"),
        ("text/html, application/xhtml+xml, */*;q=0.8", "application/json"),
        ("text/*", "text/csv; charset=utf-8"),
        ("text/csv;header=present", "text/csv; charset=utf-8"),
        ("application/json;q=0.5, text/csv", "text/csv; charset=utf-8"),
        ("image/*", "image/svg+xml"),
        ("image/svg+xml, */*;q=0.1", "image/svg+xml"),
        ("text/csv;q=0, */*;q=0.1", "application/json"),
        ("application/xml", None),
        ("text/html, image/png", None),
        ("text/csv;q=0, application/json;q=0, image/svg+xml;q=0", None),
    ],
)
def test_accept_chooses_the_format_and_anything_else_is_406(
    client: TestClient, policy: dict[str, str], accept: str, media_type: str | None
) -> None:
    response = client.get(
        f"{API}/indicators/inflow", params={"period": SERIES}, headers=policy | {"Accept": accept}
    )
    if media_type is None:
        assert response.status_code == 406, response.text
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["type"] == "urn:gezinsplan:problem:not-acceptable"
        assert problem["status"] == 406
        assert "text/csv" in problem["detail"]
    else:
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == media_type
        assert "accept" in response.headers["vary"].lower()


def test_no_csv_or_svg_names_a_household_or_a_member(
    client: TestClient, policy: dict[str, str], history: list[uuid.UUID]
) -> None:
    for indicator, params in every_report():
        for accept in ("text/csv", "image/svg+xml"):
            text = read(client, policy, indicator, accept, **params).text
            assert "CANARY" not in text
            assert CANARY_BSN not in text
            assert not any(str(household) in text for household in history)


def test_csv_and_svg_reads_are_audited_like_json_ones(
    client: TestClient, connection: Connection, policy: dict[str, str], history: Any
) -> None:
    for accept in ("application/json", "text/csv", "image/svg+xml", "application/xml"):
        client.get(
            f"{API}/indicators/outflow",
            params={"period": SERIES},
            headers=policy | {"Accept": accept},
        )
    statement = (
        select(
            col(AuditRecord.actor_sub),
            col(AuditRecord.outcome),
            col(AuditRecord.status_code),
            col(AuditRecord.purpose),
        )
        .where(col(AuditRecord.resource) == "/indicators/{indicator_id}")
        .order_by(col(AuditRecord.number))
    )
    records = [tuple(row) for row in connection.execute(statement)]
    purpose = "Stuurinformatie: indicator outflow, municipalities 0148, 0193, periods "
    purpose += "2024-Q1..2024-Q4"
    assert records[:3] == [("beleid", "success", 200, purpose)] * 3
    assert [(r[0], r[1], r[2]) for r in records[3:]] == [("beleid", "rejected", 406)]


def test_hidden_reasons_are_the_published_ones() -> None:
    report = report_with("03")
    figure = report.periods[0].areas[0].figures[0]
    figure.value, figure.suppressed = None, Suppression.SECONDARY
    row = list(csv.reader(io.StringIO(formats.to_csv(report))))[1]
    assert row[-2:] == ["", "secondary"]


def test_a_long_legend_wraps_inside_the_chart() -> None:
    report = report_with("03")
    period = report.periods[0]
    total = period.areas[0].figures[0].model_copy(update={"dimension": None, "group": None})
    period.areas = [
        AreaRead(municipality=f"{code:04d}", figures=[total]) for code in range(100, 112)
    ]
    root = safe_svg(formats.to_svg(report, "inflow", "Instroom"))
    width, height = int(root.attrib["width"]), int(root.attrib["height"])
    assert height > formats.HEIGHT
    keys = [t for t in root.iter(f"{SVG_NS}text") if (t.text or "").startswith("gemeente")]
    assert len(keys) == 12
    for key in keys:
        assert float(key.attrib["x"]) + 7 * len(key.text or "") <= width
        assert float(key.attrib["y"]) < height
