"""The tariff sync, as the indication sync: validate each record on its own, then upsert.

Beside the record's own checks, the validity periods of one product (municipality,
regulation, category, code) must not overlap, so a day has at most one price. The check is
made on the price list as it would be after the batch, so a batch may end one period and start
the next in any order; a record that would overlap another is rejected and the stored row
stays as it was.
"""

import hashlib
import json
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from gezinsplan.access import policy
from gezinsplan.auth.actor import Actor
from gezinsplan.errors import Forbidden
from gezinsplan.indications.schemas import SyncSummary, record_problem
from gezinsplan.kit.clock import new_id, utcnow
from gezinsplan.kit.pagination import Cursor, PageRequest
from gezinsplan.kit.record_errors import invalid_params
from gezinsplan.tariffs import repository
from gezinsplan.tariffs.models import CATEGORY_DEFAULT, Tariff
from gezinsplan.tariffs.schemas import TariffRead, TariffRecord, TariffResult, TariffSyncResult

RECORD = TypeAdapter(TariffRecord)
# (municipality, regulation, category, code): one product, whose periods must not overlap.
Product = tuple[str, str, str, str]
Key = tuple[str, str, str, str, date]
Validity = tuple[date, date | None]


@dataclass(frozen=True)
class _Valid:
    index: int
    record: TariffRecord
    content_hash: str

    @property
    def product(self) -> Product:
        r = self.record
        code = r.product_code or CATEGORY_DEFAULT
        return r.municipality_code, r.regulation, r.product_category, code

    @property
    def key(self) -> Key:
        return (*self.product, self.record.valid_from)


def content_hash(record: TariffRecord) -> str:
    """A digest of everything the record says: equal digests, nothing to write."""
    canonical = json.dumps(record.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def product_of(row: Tariff) -> Product:
    return row.municipality_code, row.regulation, row.product_category, row.product_code


def _rejected(index: int, detail: str, invalid: list[dict[str, Any]]) -> TariffResult:
    return TariffResult(index=index, status="rejected", problem=record_problem(detail, invalid))


def _validate(actor: Actor, items: Sequence[Any]) -> tuple[list[_Valid], dict[int, TariffResult]]:
    valid: list[_Valid] = []
    rejected: dict[int, TariffResult] = {}
    first_at: dict[Key, int] = {}
    for index, item in enumerate(items):
        try:
            record = RECORD.validate_python(item)
        except ValidationError as exc:
            detail = "The record does not validate; see invalidParams."
            rejected[index] = _rejected(index, detail, invalid_params(exc))
            continue
        if not policy.may_sync_indications_of(actor, record.municipality_code):
            reason = "not one of this system's municipalities"
            detail = f"Municipality {record.municipality_code} is not one of this system's."
            rejected[index] = _rejected(
                index, detail, [{"name": "municipalityCode", "reason": reason}]
            )
            continue
        checked = _Valid(index, record, content_hash(record))
        if checked.key in first_at:
            detail = f"This key occurs earlier in the batch, at index {first_at[checked.key]}."
            reason = "duplicate key in the batch"
            rejected[index] = _rejected(index, detail, [{"name": "validFrom", "reason": reason}])
            continue
        first_at[checked.key] = index
        valid.append(checked)
    return valid, rejected


def _overlapping(valid: Sequence[_Valid], stored: dict[Product, dict[date, Validity]]) -> set[int]:
    """The records whose period would overlap another period of the same product."""
    rejected: set[int] = set()
    while True:
        after: dict[Product, dict[date, Validity]] = defaultdict(dict)
        for product, periods in stored.items():
            after[product].update(periods)
        for v in valid:
            if v.index not in rejected:
                after[v.product][v.record.valid_from] = (v.record.valid_from, v.record.valid_until)
        found = {
            v.index
            for v in valid
            if v.index not in rejected
            and any(
                overlaps((v.record.valid_from, v.record.valid_until), other)
                for start, other in after[v.product].items()
                if start != v.record.valid_from
            )
        }
        if not found:
            return rejected
        rejected |= found


def overlaps(one: Validity, other: Validity) -> bool:
    (a_start, a_end), (b_start, b_end) = one, other
    return (a_end is None or a_end >= b_start) and (b_end is None or b_end >= a_start)


def sync(session: Session, actor: Actor, items: Sequence[Any]) -> TariffSyncResult:
    """Upsert a batch by its key; answer each record in order."""
    valid, results = _validate(actor, items)
    rows_before = repository.of_municipalities(session, {v.record.municipality_code for v in valid})
    stored = {(*product_of(row), row.valid_from): row for row in rows_before}
    periods: dict[Product, dict[date, Validity]] = defaultdict(dict)
    for row in rows_before:
        periods[product_of(row)][row.valid_from] = (row.valid_from, row.valid_until)
    for index in _overlapping(valid, periods):
        detail = "Its validity overlaps another tariff of the same product: a day has one price."
        reason = "overlaps another validity period of this product"
        results[index] = _rejected(index, detail, [{"name": "validFrom", "reason": reason}])
    valid = [v for v in valid if v.index not in results]
    writes = [
        v for v in valid if v.key not in stored or stored[v.key].content_hash != v.content_hash
    ]
    now = utcnow()
    rows = [
        {
            **v.record.model_dump(),
            "product_code": v.product[3],
            "id": stored[v.key].id if v.key in stored else new_id(),
            "content_hash": v.content_hash,
            "created_at": now,
            "updated_at": now,
        }
        for v in writes
    ]
    ids = repository.upsert(session, rows)
    for v in writes:
        status = "updated" if v.key in stored else "created"
        results[v.index] = TariffResult(index=v.index, status=status, id=ids[v.key])
    for v in valid:
        if v.index not in results:
            results[v.index] = TariffResult(index=v.index, status="unchanged", id=stored[v.key].id)
    ordered = [results[index] for index in range(len(items))]
    counts = dict.fromkeys(("created", "updated", "unchanged", "rejected"), 0)
    for result in ordered:
        counts[result.status] += 1
    return TariffSyncResult(results=ordered, summary=SyncSummary(**counts))


def read(row: Tariff) -> TariffRead:
    return TariffRead.model_validate({**row.model_dump(), "product_code": row.product_code or None})


def listed(
    session: Session, actor: Actor, page: PageRequest, *, municipality: str | None
) -> tuple[list[TariffRead], str | None]:
    """The system's own tariffs, oldest change first; 403 for another municipality."""
    if municipality is not None and not policy.may_sync_indications_of(actor, municipality):
        raise Forbidden(f"Municipality {municipality} is not one of this system's.")
    wanted = [municipality] if municipality else sorted(actor.municipalities)
    rows = repository.list_page(session, wanted, page)
    items = [read(row) for row in rows[: page.limit]]
    cursor = None
    if len(rows) > page.limit:
        last = rows[page.limit - 1]
        cursor = Cursor(last.updated_at, last.id).encode()
    return items, cursor


def price_lists(session: Session, municipalities: Collection[str]) -> Sequence[Tariff]:
    """The tariffs of these municipalities, for the cost figure (aggregates only)."""
    return repository.of_municipalities(session, municipalities)
