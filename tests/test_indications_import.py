"""``gezinsplan indications import``: a nightly file, streamed in batches through the sync.

The summary counts what happened, names the first rejections by line, and a second run of
the same file changes nothing.
"""

import csv
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, select

from gezinsplan.audit.models import AuditRecord
from gezinsplan.cli import main
from gezinsplan.db import make_engine
from gezinsplan.indications.models import Indication
from tests.conftest import alembic_config
from tests.test_indications import DAAN, record

indications = Indication.__table__  # type: ignore[attr-defined]
audit_records = AuditRecord.__table__  # type: ignore[attr-defined]


@pytest.fixture
def database(
    engine_name: str,
    create_database: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[Engine]:
    """A fresh migrated database the command commits into, named by the environment."""
    url = create_database(engine_name)
    command.upgrade(alembic_config(url), "head")
    monkeypatch.setenv("GEZINSPLAN_DATABASE_URL", url)
    monkeypatch.setenv("GEZINSPLAN_VAR_DIR", str(tmp_path / "var"))
    engine = make_engine(url)
    yield engine
    engine.dispose()


def records() -> list[dict[str, Any]]:
    return [
        record("TW-1"),
        record("TW-2", bsn="123456789"),  # fails the 11-test
        record("TW-3", bsn=DAAN, regulation="wmo", productCategory="02"),
        record("TW-4", municipalityCode="0363"),  # not the system's municipality
        record("TW-5", productCode=None, volume=None, unit=None, frequency=None),
    ]


def run(path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = 0
    try:
        main(["indications", "import", str(path), "--municipality", "0193", *args])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def stored(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        rows = connection.execute(select(indications.c.indication_number))
        return sorted(number for (number,) in rows)


def test_json_lines_are_imported_with_a_summary_and_line_numbers(
    database: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "toewijzingen.jsonl"
    lines = [json.dumps(r) for r in records()]
    lines.insert(2, "")  # a blank line is skipped but counted
    lines.append("{not json")
    path.write_text("\n".join(lines) + "\n")

    code, out, err = run(path, capsys, "--batch-size", "2")
    assert code == 1  # something was rejected
    assert "indications import: 6 records: 3 created, 0 updated, 0 unchanged, 3 rejected" in out
    assert "line 2: TW-2: bsn:" in out
    assert "line 5: TW-4: municipalityCode:" in out
    assert "line 7: (no indicationNumber): not valid JSON" in out
    assert "records" in err  # the progress indicator
    assert stored(database) == ["TW-1", "TW-3", "TW-5"]
    with database.connect() as connection:
        audited = connection.execute(
            select(
                audit_records.c.resource, audit_records.c.legal_basis, audit_records.c.actor_roles
            )
        ).all()
    assert set(audited) == {
        ("cli: gezinsplan indications import", "municipal_task", "municipal_system")
    }
    assert len(audited) == 3  # one record per batch of 2 readable lines

    code, out, _ = run(path, capsys)
    assert "0 created, 0 updated, 3 unchanged, 3 rejected" in out


def test_csv_is_imported_by_its_header(
    database: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "toewijzingen.csv"
    rows = records()
    fields = sorted({key for row in rows for key in row})
    with path.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)

    code, out, _ = run(path, capsys)
    assert code == 1
    assert "5 records: 3 created, 0 updated, 0 unchanged, 2 rejected" in out
    assert "line 3: TW-2: bsn:" in out
    assert "line 5: TW-4: municipalityCode:" in out
    assert stored(database) == ["TW-1", "TW-3", "TW-5"]
    with database.connect() as connection:
        rows = connection.execute(select(indications.c.indication_number, indications.c.volume))
        volumes = {row[0]: row[1] for row in rows}
    assert volumes == {"TW-1": 4, "TW-3": 4, "TW-5": None}

    changed = tmp_path / "changed.csv"
    with changed.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=fields)
        writer.writeheader()
        writer.writerow(record("TW-1", volume=5))
    code, out, _ = run(changed, capsys)
    assert code == 0
    assert "1 records: 0 created, 1 updated, 0 unchanged, 0 rejected" in out


def test_the_importer_reads_a_stream_not_the_whole_file(tmp_path: Path) -> None:
    """Lines are produced one by one: the reader never needs what comes after."""
    from gezinsplan.indications.importer import batches, read_jsonl

    def endless() -> Iterator[str]:
        n = 0
        while True:
            n += 1
            yield json.dumps(record(f"TW-{n}")) + "\n"

    first = next(batches(read_jsonl(endless()), 3))  # type: ignore[arg-type]
    assert [line.number for line in first] == [1, 2, 3]
