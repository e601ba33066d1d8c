"""A background thread that seals committed audit records into the chain.

Requests only insert; this thread chains what they committed, every ``interval`` seconds or
sooner when ``notify`` is called. Each round is a transaction of its own, not a request's, so
it commits itself. A failed round is logged and the next one tries again.
"""

import logging
import threading
from datetime import timedelta

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from gezinsplan.audit.chain import WINDOW, seal
from gezinsplan.db import WRITE_OPTION

log = logging.getLogger(__name__)

# Records sealed in one transaction: about 0.3 s of hashing. A backlog (after a start on old
# records) is sealed in rounds of this many, one after the other, so no round holds the
# chain's lock, or SQLite's write lock, for seconds while requests wait for it.
ROUND = 1_000


class Sealer:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        interval: float = 1.0,
        window: timedelta = WINDOW,
    ) -> None:
        self.session_factory = session_factory
        self.interval = interval
        self.window = window
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the sealer is already running")
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="audit-sealer", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        """Seal soon: records were committed."""
        self._wake.set()

    def stop(self, timeout: float | None = 10.0) -> None:
        """Stop the thread, then seal what was committed up to now."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.seal_backlog()

    def seal_now(self) -> int:
        """One round in a transaction of its own, at most ``ROUND`` records; raises what
        went wrong."""
        with self.session_factory.begin() as session:
            if isinstance(session.get_bind(), Engine):
                # SQLite: BEGIN IMMEDIATE, wait for the write lock instead of failing on it.
                session.connection(execution_options={WRITE_OPTION: True})
            return seal(session, window=self.window, limit=ROUND)

    def seal_backlog(self) -> int:
        """Rounds until one is not full: everything committed up to now is sealed."""
        total = 0
        while (sealed := self.seal_round()) > 0:
            total += sealed
            if sealed < ROUND:
                break
        return total

    def seal_round(self) -> int:
        """One round that never raises: the error is logged and the next round retries."""
        try:
            sealed = self.seal_now()
        except OperationalError as exc:
            # SQLite's "database is locked" after the busy timeout, or a database that is
            # away: an expected wait, one line, no traceback.
            log.warning(
                "sealing the audit chain waited for the database (%s); the next round tries again",
                "locked" if "database is locked" in str(exc) else type(exc.orig).__name__,
            )
            return 0
        except Exception:
            log.exception("sealing the audit chain failed; the next round tries again")
            return 0
        if sealed:
            log.info("sealed %d audit records", sealed)
        return sealed

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            while not self._stopping.is_set() and self.seal_round() == ROUND:
                pass  # a full round: more are waiting
