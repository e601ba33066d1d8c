"""The delivery worker: rounds of ``Deliverer.run_once`` in a thread of the service, or in
the foreground of ``gezinsplan worker`` until it is told to stop.

A round that did work is followed at once by the next, so a backlog drains without waiting;
an idle worker looks again every ``interval`` seconds. A failed round is logged and the next
one tries again, as the audit sealer does.
"""

import logging
import threading

import httpx
from sqlalchemy.exc import OperationalError

from gezinsplan.config import Settings
from gezinsplan.db import SessionFactory
from gezinsplan.webhooks.delivery.service import CallbackGuard, Deliverer

log = logging.getLogger(__name__)


class DeliveryWorker:
    def __init__(
        self,
        session_factory: SessionFactory,
        settings: Settings,
        guard: CallbackGuard,
        *,
        interval: float | None = None,
        transport: httpx.BaseTransport | None = None,
        owner: str | None = None,
    ) -> None:
        self.deliverer = Deliverer(
            session_factory, settings, guard, transport=transport, owner=owner
        )
        self.interval = settings.webhooks_interval if interval is None else interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """One round; raises what went wrong. Returns the deliveries copied, sent or withheld."""
        return self.deliverer.run_once()

    def round(self) -> int:
        """One round that never raises: the error is logged and the next round retries."""
        try:
            return self.run_once()
        except OperationalError as exc:
            # The database is away or locked: expected to pass, one line, no traceback.
            log.warning(
                "a webhook delivery round waited for the database (%s); the next round tries again",
                type(exc.orig).__name__,
            )
            return 0
        except Exception:
            log.exception("a webhook delivery round failed; the next round tries again")
            return 0

    def serve(self, stopping: threading.Event) -> None:
        """Rounds until ``stopping`` is set: at once after work, else after ``interval``."""
        while not stopping.is_set():
            if self.round() == 0:
                stopping.wait(self.interval)

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the delivery worker is already running")
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self.serve, args=(self._stopping,), name="webhook-delivery", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float | None = 30.0) -> None:
        """Stop after the current round; a delivery cut off is sent again by the next worker."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.deliverer.close()
