"""Nightly files of indications: CSV or JSON lines, read as a stream and sent in batches
through the same service function as the API.

The file is never held whole: records are read line by line and handed on in batches, each
one transaction with its own audit record. The actor is the municipal system of the
municipalities the command names, so the policy that guards the API guards the file too.
"""

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from sqlalchemy.orm import Session

from gezinsplan.access.grounds import INDICATION_SYNC
from gezinsplan.audit.models import LegalBasis
from gezinsplan.audit.trail import audit, open_command_trail, write_command_record
from gezinsplan.auth.actor import Actor, Role
from gezinsplan.indications import service
from gezinsplan.indications.schemas import SyncResult

COMMAND = "gezinsplan indications import"
FORMATS = ("csv", "jsonl")
SHOWN_REJECTIONS = 20


@dataclass(frozen=True)
class Line:
    """A record and the line of the file it starts on (1-based, the CSV header is line 1)."""

    number: int
    item: Any
    unreadable: str | None = None


def importer_actor(municipalities: Iterable[str]) -> Actor:
    return Actor(
        sub="cli:indications-import",
        name=COMMAND,
        org=None,
        roles=frozenset({Role.MUNICIPAL_SYSTEM}),
        municipalities=frozenset(municipalities),
    )


def format_of(path: str, given: str | None) -> str:
    if given is not None:
        return given
    return "csv" if path.lower().endswith(".csv") else "jsonl"


def read_csv(stream: TextIO) -> Iterator[Line]:
    """Rows by their camelCase header; an empty cell is an absent field."""
    reader = csv.DictReader(stream)
    start = 2
    for row in reader:
        item = {key: value for key, value in row.items() if key and value not in (None, "")}
        yield Line(start, item)
        start = reader.line_num + 1


def read_jsonl(stream: TextIO) -> Iterator[Line]:
    for number, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        try:
            yield Line(number, json.loads(text))
        except ValueError as exc:
            yield Line(number, None, f"not valid JSON: {exc}")


def read_lines(stream: TextIO, fmt: str) -> Iterator[Line]:
    return read_csv(stream) if fmt == "csv" else read_jsonl(stream)


def batches(lines: Iterable[Line], size: int) -> Iterator[list[Line]]:
    batch: list[Line] = []
    for line in lines:
        batch.append(line)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class Summary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejections: list[tuple[int, str | None, str]] = field(default_factory=list)

    @property
    def records(self) -> int:
        return self.created + self.updated + self.unchanged + self.rejected

    def reject(self, line: int, number: str | None, reason: str) -> None:
        self.rejected += 1
        if len(self.rejections) < SHOWN_REJECTIONS:
            self.rejections.append((line, number, reason))

    def add(self, lines: list[Line], result: SyncResult) -> None:
        self.created += result.summary.created
        self.updated += result.summary.updated
        self.unchanged += result.summary.unchanged
        for record in result.results:
            if record.status == "rejected" and record.problem is not None:
                params = record.problem.invalid_params or []
                reasons = "; ".join(f"{p.name}: {p.reason}" for p in params)
                line = lines[record.index].number
                self.reject(line, record.indication_number, reasons or record.problem.detail)

    def lines(self) -> list[str]:
        shown = [
            f"  line {line}: {number or '(no indicationNumber)'}: {reason}"
            for line, number, reason in self.rejections
        ]
        more = self.rejected - len(self.rejections)
        return [
            f"indications import: {self.records} records: {self.created} created, "
            f"{self.updated} updated, {self.unchanged} unchanged, {self.rejected} rejected",
            *shown,
            *([f"  … and {more} more rejected"] if more > 0 else []),
        ]


def import_batch(session: Session, actor: Actor, batch: list[Line], summary: Summary) -> None:
    """One batch in the caller's transaction, audited like one sync request."""
    readable = [line for line in batch if line.unreadable is None]
    for line in batch:
        if line.unreadable is not None:
            summary.reject(line.number, None, line.unreadable)
    if not readable:
        return
    open_command_trail(session, COMMAND)
    audit(session, actor, basis=LegalBasis.MUNICIPAL_TASK, purpose=INDICATION_SYNC)
    result = service.sync(session, actor, [line.item for line in readable])
    write_command_record(session)
    summary.add(readable, result)
