"""Prometheus metrics: counted in the request path, database gauges read at scrape time.

Counters and histograms are kept per process. When ``PROMETHEUS_MULTIPROC_DIR`` is set
(``gezinsplan serve`` sets it under the var dir), prometheus-client writes them to files that
the scraped worker sums across all workers, so a scrape counts every worker's requests
whichever worker answers it. Figures that need a query are read only when scraped, by one
collector in one short read-only transaction, never on a request's path.
"""

import hmac
import ipaddress
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import QueuePool

from gezinsplan.access.guard import access_rule
from gezinsplan.config import Settings
from gezinsplan.db import SessionFactory
from gezinsplan.errors import NotFound, Unauthorized
from gezinsplan.kit.clock import utcnow
from gezinsplan.observability import MULTIPROCESS_ENV, repository

PATH = "/metrics"
log = logging.getLogger(__name__)


def multiprocess_mode() -> bool:
    return bool(os.environ.get(MULTIPROCESS_ENV))


class Metrics:
    """The series one process updates: requests, latency, its database pool."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "gezinsplan_http_requests",
            "Requests answered, by route template, method and status.",
            ("route", "method", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "gezinsplan_http_request_duration_seconds",
            "Seconds from a request's arrival to its response's end, by route template.",
            ("route", "method"),
            registry=self.registry,
        )
        # livesum: in multiprocess mode the scrape adds up the live workers' pools.
        self.pool_in_use = Gauge(
            "gezinsplan_db_pool_connections_in_use",
            "Pooled database connections checked out by requests and background work.",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.pool_waiting = Gauge(
            "gezinsplan_db_pool_requests_waiting",
            "Requests waiting for a pooled database connection.",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.pool_capacity = Gauge(
            "gezinsplan_db_pool_capacity",
            "Connections the pools may open (pool size plus overflow).",
            registry=self.registry,
            multiprocess_mode="livesum",
        )

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method).observe(seconds)

    @contextmanager
    def waiting_for_connection(self) -> Iterator[None]:
        self.pool_waiting.inc()
        try:
            yield
        finally:
            self.pool_waiting.dec()

    def watch_pool(self, engine: Engine) -> None:
        """Keep the connections checked out, by their pool record.

        A set, not a counter: the pool also "checks in" a connection that failed to connect
        or to be replaced, which was never checked out (a database that is away).
        """
        pool = engine.pool
        if isinstance(pool, QueuePool):
            # QueuePool names its overflow limit nowhere public; -1 is "no limit".
            self.pool_capacity.set(pool.size() + max(pool._max_overflow, 0))
        checked_out: set[int] = set()
        lock = threading.Lock()

        def checkout(_connection: Any, record: Any, _proxy: Any) -> None:
            with lock:
                checked_out.add(id(record))
                self.pool_in_use.set(len(checked_out))

        def checkin(_connection: Any, record: Any) -> None:
            with lock:
                checked_out.discard(id(record))
                self.pool_in_use.set(len(checked_out))

        event.listen(pool, "checkout", checkout)
        event.listen(pool, "checkin", checkin)


class DatabaseCollector(Collector):
    """The gauges that need a query, read when Prometheus scrapes."""

    def __init__(self, session_factory: SessionFactory) -> None:
        self.session_factory = session_factory

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            with self.session_factory() as session, session.begin():
                figures = repository.snapshot(session, utcnow())
        except SQLAlchemyError as exc:
            log.warning("metrics: the database could not be read: %s", type(exc).__name__)
            yield GaugeMetricFamily(
                "gezinsplan_database_up", "Whether the scrape could read the database.", 0
            )
            return
        yield GaugeMetricFamily(
            "gezinsplan_database_up", "Whether the scrape could read the database.", 1
        )
        for name, help_text, value in figures.gauges():
            yield GaugeMetricFamily(name, help_text, value)
        subscriptions = GaugeMetricFamily(
            "gezinsplan_webhook_subscriptions",
            "Webhook subscriptions by state: active, failing (no success lately), disabled.",
            labels=("state",),
        )
        for state, count in sorted(figures.subscriptions.items()):
            subscriptions.add_metric((state,), count)
        yield subscriptions


def scrape(request: Request) -> bytes:
    """Every process's series (multiprocess mode) or this one's, and the database's."""
    metrics: Metrics = request.app.state.metrics
    registry = CollectorRegistry()
    if multiprocess_mode():
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Forward(metrics.registry))
    registry.register(DatabaseCollector(request.app.state.session_factory))
    return generate_latest(registry)


class _Forward(Collector):
    """One registry's series inside another."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Any]:
        yield from self.registry.collect()


def loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@access_rule
async def metrics_scraper(request: Request) -> None:
    """Prometheus, with the metrics token; without one configured, only a service bound to a
    loopback address serves /metrics (a development machine, a sidecar), else it is absent."""
    settings: Settings = request.app.state.settings
    if settings.metrics_token is None:
        if not loopback(settings.host):
            raise NotFound("No resource at this address.")
        return
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    expected = settings.metrics_token.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(sent.strip().encode(), expected):
        raise Unauthorized("Send the metrics token as a bearer token.")


router = APIRouter()


@router.get(PATH, include_in_schema=False, dependencies=[Depends(metrics_scraper)])
def metrics_endpoint(request: Request) -> Response:
    """Not part of the API (no /api/v1, not in the spec): an operator's endpoint."""
    return Response(scrape(request), media_type=CONTENT_TYPE_LATEST)
