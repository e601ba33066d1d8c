"""Indication records as a municipal system sends them, and the indication sync scenario.

The records are valid and deterministic for a seed: BSNs pass the 11-test, codes come from
the national lists, a fifth are Jeugdwet, the rest Wmo. The crash test sends the same
records, so a clean run and a crashed one can be compared.
"""

import random
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import psutil

from bench import generate
from bench.bulk import BulkResult, in_parallel
from gezinsplan.db import make_engine
from gezinsplan.indications.schemas import IndicationRecord
from gezinsplan.indications.service import content_hash
from gezinsplan.models import metadata

SYNC_SIZE = 5000
IJW = ["40", "41", "42", "43", "44", "45", "46", "47", "48", "49", "50", "51", "52", "53"]
WMO = ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14"]
UNITS = ["01", "04", "14", "16", "82", "83", "84"]
FREQUENCIES = ["1", "2", "4", "6"]
WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2)


def bsn(n: int) -> str:
    """A nine-digit number passing the BSN 11-test, different for every n below 9,000,000.

    Within each block of 100 a step of 10 changes the check sum by 2 (mod 11), so one of the
    first six candidates of the block passes.
    """
    candidate = 100_000_000 + n * 100
    while True:
        digits = [int(d) for d in f"{candidate:09d}"[:8]]
        check = sum(d * w for d, w in zip(digits, WEIGHTS, strict=True)) % 11
        if check < 10:
            return "".join(map(str, digits)) + str(check)
        candidate += 10


def records(
    n: int, municipality: str, *, seed: int = 1, prefix: str = "IND"
) -> Iterator[dict[str, Any]]:
    """``n`` records of one municipality, as the sync's JSON takes them."""
    rng = random.Random(seed)  # noqa: S311 (reproducible data, not a secret)
    for i in range(n):
        youth = rng.random() < 0.2
        start = date(2026, 1, 1) + timedelta(days=rng.randrange(300))
        yield {
            "municipalityCode": municipality,
            "indicationNumber": f"{prefix}-{i:07d}",
            "regulation": "jeugdwet" if youth else "wmo",
            "bsn": bsn(i),
            "productCategory": rng.choice(IJW if youth else WMO),
            "volume": rng.randint(1, 40),
            "unit": rng.choice(UNITS),
            "frequency": rng.choice(FREQUENCIES),
            "providerAgb": f"{41000000 + rng.randrange(generate.CARE_PROVIDERS):08d}",
            "startDate": start.isoformat(),
            "endDate": (start + timedelta(days=365)).isoformat(),
            "decisionDate": (start - timedelta(days=14)).isoformat(),
            "status": "active",
        }


def _service_rss_mib(pid: int) -> float:
    """Resident memory of the service: its process and its workers, in MiB."""
    main = psutil.Process(pid)
    processes = [main, *main.children(recursive=True)]
    return float(sum(p.memory_info().rss for p in processes)) / 2**20


def sync_indications(
    base: str, token: str, url: str, pid: int, total: int, clients: int, run_id: str
) -> BulkResult:
    """``total`` records in PUTs of 5,000 from ``clients`` connections at once, then the same
    rows written by the driver alone from as many.

    The service's memory is read after every request: it must not grow with the number of
    records synced.
    """
    chunks = list(_chunks(records(total, "0193", prefix=f"API-{run_id}"), SYNC_SIZE))
    memory: list[float] = []

    def client(mine: list[list[dict[str, Any]]]) -> Callable[[], int]:
        def send() -> int:
            created = 0
            with httpx.Client(base_url=base, timeout=600) as http:
                for chunk in mine:
                    response = http.put(
                        "/api/v1/indications",
                        json={"indications": chunk},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    response.raise_for_status()
                    created += response.json()["summary"]["created"]
                    memory.append(_service_rss_mib(pid))
            return created

        return send

    written, api_seconds = in_parallel([client(chunks[k::clients]) for k in range(clients)])
    bare_rows, bare_seconds = _bare(url, total, clients, run_id)
    return BulkResult(
        "indication sync (PUT of 5,000 records)",
        0.25,
        written,
        api_seconds,
        bare_rows,
        bare_seconds,
        total - written,
        note=(
            f"service memory {memory[0]:,.0f} MiB after the first request, at most "
            f"{max(memory):,.0f} MiB after {len(memory)}"
        ),
    )


def _chunks(items: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _bare(url: str, total: int, clients: int, run_id: str) -> tuple[int, float]:
    """The same rows by the driver alone: executemany, one transaction per 5,000 rows."""
    table = metadata.tables["indications"]
    engine = make_engine(url)
    now = datetime.now(UTC)

    def row(record: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": uuid.uuid4(),
            "municipality_code": record["municipalityCode"],
            "indication_number": record["indicationNumber"],
            "regulation": record["regulation"],
            "bsn": record["bsn"],
            "product_category": record["productCategory"],
            "volume": record["volume"],
            "unit": record["unit"],
            "frequency": record["frequency"],
            "provider_agb": record["providerAgb"],
            "start_date": date.fromisoformat(record["startDate"]),
            "end_date": date.fromisoformat(record["endDate"]),
            "decision_date": date.fromisoformat(record["decisionDate"]),
            "status": record["status"],
            "content_hash": content_hash(IndicationRecord.model_validate(record)),
            "created_at": now,
            "updated_at": now,
        }

    # Rows are built before the clock starts: the driver's write alone is measured.
    batches = [
        [row(r) for r in chunk]
        for chunk in _chunks(records(total, "0193", prefix=f"BARE-{run_id}"), SYNC_SIZE)
    ]

    def client(mine: list[list[dict[str, Any]]]) -> Callable[[], int]:
        def write() -> int:
            for batch in mine:
                with engine.begin() as connection:
                    connection.execute(table.insert(), batch)
            return sum(len(batch) for batch in mine)

        return write

    try:
        return in_parallel([client(batches[k::clients]) for k in range(clients)])
    finally:
        engine.dispose()
