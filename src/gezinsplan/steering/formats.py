"""An indicator report in other media types: CSV for a spreadsheet, SVG for a chart.

Pure functions from the report the JSON answer is (``IndicatorReport``) to text, so every
format shows the same published, disclosure-controlled figures and nothing else. A hidden
figure stays hidden: an empty CSV value with its reason, a gap in the chart.
"""

import csv
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from gezinsplan.errors import Unprocessable
from gezinsplan.kit import media
from gezinsplan.steering.schemas import IndicatorReport

JSON = "application/json"
CSV = "text/csv"
SVG = "image/svg+xml"
# What the report is offered as, in the order that wins a tie (JSON for */* or no Accept).
OFFERED = (JSON, CSV, SVG)

CSV_COLUMNS = (
    "period",
    "periodKind",
    "firstDay",
    "lastDay",
    "provisional",
    "municipality",
    "measure",
    "dimension",
    "group",
    "nationalCode",
    "kind",
    "value",
    "suppressed",
)
# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HIDDEN_NOTE = "verborgen: kleine aantallen"
ALL_TOGETHER = "alle gemeenten samen"


# --- content negotiation ------------------------------------------------------------------------


def negotiate(accept: str | None) -> str | None:
    """The offered media type Accept prefers; None if none is acceptable."""
    return media.negotiate(accept, OFFERED)


# --- CSV ----------------------------------------------------------------------------------------


def to_csv(report: IndicatorReport) -> str:
    """One row per published figure, under a header; a hidden figure has an empty value and
    its reason. An empty municipality is all the report's municipalities together."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for period in report.periods:
        for area in period.areas:
            for figure in area.figures:
                texts = (
                    period.period,
                    period.kind,
                    period.first_day.isoformat(),
                    period.last_day.isoformat(),
                    "true" if period.provisional else "false",
                    area.municipality,
                    figure.measure,
                    figure.dimension,
                    figure.group,
                    figure.national_code,
                    figure.kind,
                )
                writer.writerow(
                    [
                        *(_cell(text) for text in texts),
                        _number(figure.value),
                        _cell(figure.suppressed),
                    ]
                )
    return out.getvalue()


def _cell(text: str | None) -> str:
    """Text as a spreadsheet shows it and never runs: a leading apostrophe before a formula."""
    if text is None:
        return ""
    return "'" + text if text.startswith(FORMULA_START) else text


def _number(value: float | None) -> str:
    """As the JSON writes it; our own formatting of a number, so it cannot be a formula."""
    if value is None:
        return ""
    return str(value) if isinstance(value, int) else repr(float(value))


def csv_filename(report: IndicatorReport) -> str:
    """``<indicator>-<first period>[_<last period>].csv``, in characters safe in a header."""
    labels = [report.periods[0].period, report.periods[-1].period] if report.periods else []
    periods = "_".join(dict.fromkeys(labels))
    return re.sub(r"[^A-Za-z0-9._-]", "_", f"{report.indicator}-{periods}") + ".csv"


# --- SVG ----------------------------------------------------------------------------------------

WIDTH, HEIGHT = 640, 380
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 44, 96
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#f0e442")
TOTAL_COLOUR = "#222222"
SECTION = 5
LEGEND_ROW = 18


@dataclass(frozen=True)
class Series:
    label: str
    colour: str
    values: list[float | None]


def chartable(report: IndicatorReport) -> list[str]:
    """The measures with a total (not broken down) figure, in the report's order."""
    found: dict[str, None] = {}
    for period in report.periods:
        for area in period.areas:
            for figure in area.figures:
                if figure.dimension is None:
                    found.setdefault(figure.measure)
    return list(found)


def headline(report: IndicatorReport, measure: str | None) -> str:
    """The measure to chart: the one asked for, else the indicator's first; 422 if unknown."""
    measures = chartable(report)
    if measure is None and measures:
        return measures[0]
    if measure not in measures:
        allowed = ", ".join(measures)
        raise Unprocessable(
            f"The indicator {report.indicator} charts the measures {allowed}.",
            invalid_params=[{"name": "query:measure", "reason": f"one of {allowed}"}],
        )
    return measure


def series_of(report: IndicatorReport, measure: str) -> tuple[list[Series], bool]:
    """One line per area (each municipality, and all together when there are several), with
    None where the figure is hidden; and whether any point is hidden."""
    areas: dict[str | None, None] = {}
    values: dict[tuple[str | None, int], float | None] = {}
    hidden = False
    for index, period in enumerate(report.periods):
        for area in period.areas:
            areas.setdefault(area.municipality)
            for figure in area.figures:
                if figure.measure == measure and figure.dimension is None:
                    values[area.municipality, index] = figure.value
                    hidden = hidden or figure.value is None
    series = []
    ordered = sorted(areas, key=lambda code: (code is not None, code or ""))
    for number, code in enumerate(ordered):
        series.append(
            Series(
                label=ALL_TOGETHER if code is None else f"gemeente {code}",
                colour=TOTAL_COLOUR if code is None else PALETTE[number % len(PALETTE)],
                values=[values.get((code, index)) for index in range(len(report.periods))],
            )
        )
    return series, hidden


def to_svg(report: IndicatorReport, measure: str, title: str) -> str:
    """A line chart of ``measure`` per period: no script, no link, no external resource, every
    text escaped. A hidden figure is a gap in its line, noted in the legend."""
    series, hidden = series_of(report, measure)
    labels = [period.period for period in report.periods]
    shown = [value for each in series for value in each.values if value is not None]
    top = _nice_top(max(shown, default=0.0))
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    keys = _legend(series)
    height = HEIGHT + LEGEND_ROW * (max((row for row, _, _ in keys), default=0))
    step = plot_width / max(len(labels), 1)

    def x(index: int) -> float:
        return LEFT + (index + 0.5) * step

    def y(value: float) -> float:
        return TOP + plot_height - value / top * plot_height

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label={_attr(title)} '
        'font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text x="{LEFT}" y="24" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for tick in range(SECTION + 1):
        value = top * tick / SECTION
        parts.append(
            f'<line x1="{LEFT}" y1="{y(value):.1f}" x2="{WIDTH - RIGHT}" y2="{y(value):.1f}" '
            f'stroke="{"#000000" if tick == 0 else "#dddddd"}"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end">'
            f"{escape(_tick(value))}</text>"
        )
    parts.append(
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_height}" stroke="#000000"/>'
    )
    slanted = len(labels) > 8
    for index, label in enumerate(labels):
        base = TOP + plot_height + 16
        turn = f' transform="rotate(-45 {x(index):.1f} {base})"' if slanted else ""
        anchor = "end" if slanted else "middle"
        parts.append(
            f'<text x="{x(index):.1f}" y="{base}" text-anchor="{anchor}"{turn}>'
            f"{escape(label)}</text>"
        )
    for each in series:
        for run in _runs(each.values):
            if len(run) > 1:
                points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in run)
                parts.append(
                    f'<polyline points="{points}" fill="none" stroke="{each.colour}" '
                    'stroke-width="2"/>'
                )
            for i, v in run:
                parts.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{each.colour}"/>'
                )
    for row, position, each in keys:
        base = HEIGHT - 28 + row * LEGEND_ROW
        parts.append(
            f'<rect x="{position}" y="{base - 5}" width="12" height="3" fill="{each.colour}"/>'
        )
        parts.append(f'<text x="{position + 16}" y="{base}">{escape(each.label)}</text>')
    if hidden:
        parts.append(
            f'<text x="{LEFT}" y="{height - 10}" fill="#555555">'
            f"{escape(HIDDEN_NOTE)} (onderbroken lijn)</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _legend(series: Sequence[Series]) -> list[tuple[int, int, Series]]:
    """Each series' key: its row and x, wrapping to a new row at the right edge."""
    keys, row, position = [], 0, LEFT
    for each in series:
        width = 24 + 7 * len(each.label)
        if position > LEFT and position + width > WIDTH - RIGHT:
            row, position = row + 1, LEFT
        keys.append((row, position, each))
        position += width
    return keys


def _runs(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """The stretches of shown values between hidden ones."""
    runs: list[list[tuple[int, float]]] = [[]]
    for index, value in enumerate(values):
        if value is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((index, value))
    return [run for run in runs if run]


def _nice_top(largest: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten that makes SECTION even steps."""
    if largest <= 0:
        return 1.0
    raw = largest / SECTION
    power = 10.0 ** math.floor(math.log10(raw))
    return float(next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw) * SECTION)


def _tick(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.3g}"


def _attr(text: str) -> str:
    return '"' + escape(text, {'"': "&quot;"}) + '"'
