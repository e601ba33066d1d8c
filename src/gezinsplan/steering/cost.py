"""The cost of maatwerk: the volume of each indication priced by the municipality's tariffs.

An indication (not withdrawn) of a household with an episode open at some moment of the period
costs, for each Dutch day it runs in the period, its volume per day times the price per unit
valid on that day. The volume per day follows the frequency: per day as is, per week / 7, per
month x 12 / 365.25, and a total within the assignment's period spread evenly over the
indication's own days (so an open-ended total cannot be priced). The price is the tariff of
the indication's product code in its unit, or else the category's default tariff (no product
code), valid on that day. An indication with a day in the period without such a tariff, or
without volume, unit or frequency, is *unpriced*: counted as such, never as zero cost.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from fractions import Fraction
from itertools import pairwise

from sqlalchemy.orm import Session

from gezinsplan.auth.actor import Actor
from gezinsplan.steering import repository
from gezinsplan.steering.care import overlaps
from gezinsplan.steering.catalogue import Breakdown
from gezinsplan.steering.figures import Cell, RawPeriod, fill_cells
from gezinsplan.steering.periods import Period, dutch_day
from gezinsplan.steering.repository import PricedIndication
from gezinsplan.tariffs.models import CATEGORY_DEFAULT, Tariff
from gezinsplan.tariffs.service import price_lists

PER_DAY, PER_WEEK, PER_MONTH, TOTAL = "1", "2", "4", "6"
LAWS = ("jeugdwet", "wmo")
UNPRICED = "unpriced"
# Households by their cost in the period, in whole euros (upper bounds inclusive).
BINS = ((0, "0"), (1000, "1-1000"), (5000, "1001-5000"), (20000, "5001-20000"), (None, "20001+"))
# (municipality, regulation, category, code, unit) -> that product's tariffs in that unit.
PriceList = dict[tuple[str, str, str, str, str], list[Tariff]]


def price_list(tariffs: Iterable[Tariff]) -> PriceList:
    found: PriceList = defaultdict(list)
    for t in tariffs:
        found[t.municipality_code, t.regulation, t.product_category, t.product_code, t.unit].append(
            t
        )
    return found


def volume_per_day(indication: PricedIndication) -> Fraction | None:
    volume, frequency = indication.volume, indication.frequency
    if volume is None or indication.unit is None or frequency is None:
        return None
    if frequency == PER_DAY:
        return Fraction(volume)
    if frequency == PER_WEEK:
        return Fraction(volume, 7)
    if frequency == PER_MONTH:
        return Fraction(volume) * 12 / Fraction("365.25")
    if frequency == TOTAL and indication.end is not None:
        return Fraction(volume, (indication.end - indication.start).days + 1)
    return None


def _price_on(day: date, candidates: Sequence[list[Tariff]]) -> int | None:
    for tariffs in candidates:
        for t in tariffs:
            if t.valid_from <= day and (t.valid_until is None or day <= t.valid_until):
                return t.price_cents
    return None


def cost_cents(
    indication: PricedIndication, first: date, last: date, prices: PriceList
) -> Fraction | None:
    """The indication's exact cost in the period in cents, or None when it cannot be priced."""
    per_day = volume_per_day(indication)
    if per_day is None or indication.unit is None:
        return None
    start = max(indication.start, first)
    end = min(indication.end or last, last)
    if end < start:
        return Fraction(0)
    product = (indication.municipality, indication.regulation, indication.product_category)
    own = prices.get((*product, indication.product_code or CATEGORY_DEFAULT, indication.unit), [])
    default = prices.get((*product, CATEGORY_DEFAULT, indication.unit), [])
    # The price is constant between the days on which some candidate tariff starts or ends.
    edges = {start, end + timedelta(days=1)}
    for t in (*own, *default):
        edges.add(t.valid_from)
        if t.valid_until is not None:
            edges.add(t.valid_until + timedelta(days=1))
    bounds = sorted(day for day in edges if start <= day <= end + timedelta(days=1))
    total = Fraction(0)
    for segment_start, next_start in pairwise(bounds):
        price = _price_on(segment_start, (own, default))
        if price is None:
            return None
        total += per_day * (next_start - segment_start).days * price
    return total


def whole_euros(cents: Fraction) -> int:
    """To the nearest euro, halves up."""
    return int((cents / 100 + Fraction(1, 2)) // 1)


def bin_of(euros: int) -> str:
    return next(label for limit, label in BINS if limit is None or euros <= limit)


def _cost(
    session: Session,
    actor: Actor,
    codes: Sequence[str],
    period: Period,
    by: Breakdown | None,  # noqa: ARG001 - law and product category are always shown
    raw: RawPeriod,
) -> None:
    first, last = period.first_day, period.last_day
    rows = repository.households_with_quantities(
        session, actor, codes, period.starts_at, period.ends_at, first, last
    )
    prices = price_list(price_lists(session, codes))
    categories = sorted(
        {f"{i.regulation}:{i.product_category}" for row in rows for i in row.indications}
    )
    households: Cell = ("households", None, None)
    by_bin = tuple(("households", "costEuros", label) for _, label in (*BINS, (None, UNPRICED)))
    with_cost: Cell = ("householdsWithCost", None, None)
    unpriced: Cell = ("unpricedIndications", None, None)
    closed: Cell = ("closed", None, None)
    closed_split = (("closed", "maatwerk", "with"), ("closed", "maatwerk", "without"))
    cells: list[Cell] = [households, *by_bin, with_cost, unpriced, closed, *closed_split]
    cells += [("householdsWithCost", "law", law) for law in LAWS]
    cells += [("householdsWithCost", "productCategory", c) for c in categories]
    cells += [("unpricedIndications", "law", law) for law in LAWS]
    raw.lines.append((households, by_bin))
    raw.lines.append((unpriced, tuple(("unpricedIndications", "law", law) for law in LAWS)))
    raw.lines.append((closed, closed_split))
    fill_cells(raw, codes, cells)

    total: Cell = ("costEuros", None, None)
    per_law: dict[str, Cell] = {law: ("costEuros", "law", law) for law in LAWS}
    per_category: dict[str, Cell] = {c: ("costEuros", "productCategory", c) for c in categories}
    closed_cost: Cell = ("closedCostEuros", "maatwerk", "with")
    raw.sum_bases[total] = with_cost
    raw.sum_bases[closed_cost] = closed_split[0]
    for law, cell in per_law.items():
        raw.sum_bases[cell] = ("householdsWithCost", "law", law)
    for category, cell in per_category.items():
        raw.sum_bases[cell] = ("householdsWithCost", "productCategory", category)
    raw.sum_lines.append((total, tuple(per_law.values())))
    for law, cell in per_law.items():
        parts = tuple(per_category[c] for c in categories if c.startswith(f"{law}:"))
        raw.sum_lines.append((cell, parts))
    raw.units["householdCost"] = "Euros"
    exact: dict[str, dict[Cell, Fraction]] = {code: defaultdict(Fraction) for code in codes}
    for code in codes:
        raw.areas[code].samples.setdefault(("householdCost", None, None), [])
        for each in (total, closed_cost, *per_law.values(), *per_category.values()):
            exact[code][each] += 0

    for row in rows:
        area = raw.areas[row.municipality]
        counts, sums = area.counts, exact[row.municipality]
        counts[households] += 1
        household_cents = Fraction(0)
        complete = True
        laws: set[str] = set()
        found: set[str] = set()
        for indication in row.indications:
            cents = cost_cents(indication, first, last, prices)
            if cents is None:
                complete = False
                counts[unpriced] += 1
                counts["unpricedIndications", "law", indication.regulation] += 1
                continue
            category = f"{indication.regulation}:{indication.product_category}"
            household_cents += cents
            laws.add(indication.regulation)
            found.add(category)
            sums[total] += cents
            sums[per_law[indication.regulation]] += cents
            sums[per_category[category]] += cents
        if laws:
            counts[with_cost] += 1
        for law in laws:
            counts["householdsWithCost", "law", law] += 1
        for category in found:
            counts["householdsWithCost", "productCategory", category] += 1
        euros = whole_euros(household_cents)
        counts["households", "costEuros", bin_of(euros) if complete else UNPRICED] += 1
        if complete and row.indications:
            area.samples["householdCost", None, None].append(euros)
        for opened_at, closed_at in row.closed_in_period:
            span = (dutch_day(opened_at), dutch_day(closed_at))
            care = any(overlaps((i.start, i.end), *span) for i in row.indications)
            counts[closed] += 1
            counts[closed_split[0 if care else 1]] += 1
            if care:
                sums[closed_cost] += household_cents
    for code in codes:
        raw.areas[code].sums.update(
            {cell: whole_euros(cents) for cell, cents in exact[code].items()}
        )


COMPUTE = {"cost": _cost}
