"""The change feed's places and cursors (its queries: events/repository.py).

Events are read in the order their transactions committed, without gaps.

An event's place is ``(txid, seq)``. On PostgreSQL ``seq`` is taken at insert, so a
transaction that inserted early and commits late would slip in behind a reader that already
moved past it. The feed therefore shows only events of transactions older than the oldest
one still running (``pg_snapshot_xmin``): every transaction below that line has ended, so
nothing can appear behind a cursor later. On SQLite the single writer makes insert order
commit order and every ``txid`` is 0.

A cursor names the feed's epoch and a place. It answers 410 when it is of another epoch (the
database was restored: start a new epoch), lies before the purge mark (its events expired)
or after the head (the database lost what it had seen).
"""

import base64
import binascii
import json
import uuid
from dataclasses import dataclass

from gezinsplan.events.models import Event

TAG = "f1"


@dataclass(frozen=True, order=True)
class Position:
    """A place in the feed: after the event ``(txid, seq)``."""

    txid: int = 0
    seq: int = 0

    @classmethod
    def of(cls, event: Event) -> "Position":
        return cls.at(event.txid, event.seq)

    @classmethod
    def at(cls, txid: int | None, seq: int | None) -> "Position":
        """The place of a stored event (both columns are set once it is stored)."""
        return cls(txid or 0, seq or 0)


@dataclass(frozen=True)
class Cursor:
    epoch: uuid.UUID
    position: Position

    def encode(self) -> str:
        raw = json.dumps([TAG, self.epoch.hex, self.position.txid, self.position.seq])
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> "Cursor | None":
        """The cursor, or ``None`` when the text is not one this service handed out."""
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            tag, epoch, txid, seq = json.loads(raw)
            if tag != TAG or not isinstance(txid, int) or not isinstance(seq, int):
                return None
            if txid < 0 or seq < 0:
                return None
            return cls(uuid.UUID(hex=epoch), Position(txid, seq))
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            return None
