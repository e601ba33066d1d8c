"""GET /metrics: scraped and parsed with the Prometheus text parser, on both engines.

The request series name route templates, never a path with its ids; the gauges that need a
query (audit backlog, idempotency keys, feed lag, webhook backlog and failures) are read
when scraped; the endpoint is protected by a setting and absent from the API spec.
"""

import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from gezinsplan.config import Settings
from gezinsplan.db import make_engine
from gezinsplan.kit.clock import utcnow
from gezinsplan.observability.metrics import DatabaseCollector, Metrics
from gezinsplan.webhooks.models import Delivery, DeliveryAttempt
from tests.conftest import Directory, Token

API = "/api/v1"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: TestClient, headers: dict[str, str] | None = None) -> Samples:
    response = client.get("/metrics", headers=headers or {})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def test_requests_are_counted_by_route_template_method_and_status(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any]
) -> None:
    path = f"{API}/households/{household['id']}"
    for _ in range(3):
        assert client.get(path, headers=toegang).status_code == 200
    assert client.get(f"{API}/households/{uuid.uuid4()}", headers=toegang).status_code == 404
    response = client.get("/metrics")
    assert household["id"] not in response.text, "a raw path with an id reached a label"
    samples = scrape(client)
    template = f"{API}/households/{{household_id}}"
    labels = {"route": template, "method": "GET"}
    assert value(samples, "gezinsplan_http_requests_total", **labels, status="200") == 3
    assert value(samples, "gezinsplan_http_requests_total", **labels, status="404") == 1
    assert value(samples, "gezinsplan_http_request_duration_seconds_count", **labels) == 4
    assert value(samples, "gezinsplan_http_request_duration_seconds_bucket", **labels, le="+Inf")
    created = {"route": f"{API}/households", "method": "POST", "status": "201"}
    assert value(samples, "gezinsplan_http_requests_total", **created) == 1
    assert client.get(f"{API}/nowhere/{uuid.uuid4()}").status_code == 404
    unmatched = {"route": "unmatched", "method": "GET", "status": "404"}
    assert value(scrape(client), "gezinsplan_http_requests_total", **unmatched) == 1
    # The pool gauges exist; the test app shares one connection, so none is checked out.
    assert value(samples, "gezinsplan_db_pool_connections_in_use") == 0
    assert value(samples, "gezinsplan_db_pool_requests_waiting") == 0


def test_the_database_gauges_are_read_when_scraped(
    client: TestClient,
    connection: Connection,
    token: Token,
    toegang: dict[str, str],
    directory: Directory,
) -> None:
    before = scrape(client)
    assert value(before, "gezinsplan_database_up") == 1
    assert value(before, "gezinsplan_event_feed_lag_events") == 0
    partner = token("partner_system", org=uuid.UUID(directory.youth_care), sub="partner")
    subscribed = client.post(
        f"{API}/subscriptions",
        json={"callbackUrl": "https://8.8.8.8/hook"},
        headers=partner | {"Idempotency-Key": str(uuid.uuid4())},
    )
    assert subscribed.status_code == 201, subscribed.text
    body = {
        "municipalityCode": "0193",
        "name": "Gezin Bakker",
        "referralSource": "municipal_access",
    }
    opened = client.post(f"{API}/households", json=body, headers=toegang)
    assert opened.status_code == 201, opened.text
    assert client.get(f"{API}/households/{opened.json()['id']}", headers=toegang).status_code == 200

    subscription = uuid.UUID(subscribed.json()["id"])
    now = utcnow()
    with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
        delivery = Delivery(
            subscription_id=subscription,
            event_seq=1,
            attempts=1,
            created_at=now - timedelta(minutes=5),
        )
        session.add(delivery)
        session.flush()
        assert delivery.id is not None
        session.add(
            DeliveryAttempt(
                subscription_id=subscription,
                delivery_id=delivery.id,
                event_id=uuid.uuid4(),
                status_code=500,
                attempted_at=now - timedelta(minutes=1),
            )
        )
        session.commit()

    after = scrape(client)
    assert value(after, "gezinsplan_idempotency_keys_stored") == 1
    assert value(after, "gezinsplan_audit_records_unsealed") > value(
        before, "gezinsplan_audit_records_unsealed"
    )
    assert value(after, "gezinsplan_audit_seal_lag_seconds") >= 0
    assert value(after, "gezinsplan_event_feed_lag_events") >= 1
    assert value(after, "gezinsplan_webhook_deliveries_pending") == 1
    assert value(after, "gezinsplan_webhook_deliveries_retrying") == 1
    assert value(after, "gezinsplan_webhook_delivery_lag_seconds") >= 299
    assert value(after, "gezinsplan_webhook_delivery_failures_last_hour") == 1
    assert value(after, "gezinsplan_webhook_subscriptions", state="active") == 1
    assert value(after, "gezinsplan_webhook_subscriptions", state="disabled") == 0


def test_a_scrape_without_the_database_says_so_instead_of_failing() -> None:
    def unreachable() -> Session:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    families = list(DatabaseCollector(unreachable).collect())  # type: ignore[arg-type]
    assert [(f.name, f.samples[0].value) for f in families] == [("gezinsplan_database_up", 0)]


def test_the_metrics_token_protects_the_endpoint(app: FastAPI, client: TestClient) -> None:
    settings: Settings = app.state.settings
    settings.metrics_token = SecretStr("metrics-" + "m" * 32)
    missing = client.get("/metrics")
    assert missing.status_code == 401
    assert missing.headers["content-type"] == "application/problem+json"
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    scrape(client, {"Authorization": f"Bearer {'metrics-' + 'm' * 32}"})


def test_without_a_token_only_a_service_on_loopback_serves_metrics(
    app: FastAPI, client: TestClient
) -> None:
    settings: Settings = app.state.settings
    assert settings.host == "127.0.0.1"
    scrape(client)
    settings.host = "0.0.0.0"  # noqa: S104 - the setting under test
    hidden = client.get("/metrics")
    assert hidden.status_code == 404
    assert hidden.json()["detail"] == client.get("/nowhere").json()["detail"]


def test_metrics_is_not_part_of_the_api(app: FastAPI) -> None:
    assert "/metrics" not in app.openapi()["paths"]


WORKER = """
import os, sys
from prometheus_client import multiprocess
from gezinsplan.observability.metrics import Metrics
metrics = Metrics()
metrics.observe("/api/v1/households", "GET", 200, 0.01)
metrics.pool_in_use.inc()
if sys.argv[1] == "stopped":  # what the app's lifespan does when a worker shuts down
    multiprocess.mark_process_dead(os.getpid())
"""
SCRAPER = """
from prometheus_client import CollectorRegistry, generate_latest, multiprocess
registry = CollectorRegistry()
multiprocess.MultiProcessCollector(registry)
print(generate_latest(registry).decode())
"""


def test_several_worker_processes_add_up_in_one_scrape(tmp_path: Path) -> None:
    """Multiprocess mode: what two workers counted, any worker's scrape reports summed."""
    env = os.environ | {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, state], env=env)  # noqa: S603
        for state in ("running", "stopped")
    ]
    assert [worker.wait(60) for worker in workers] == [0, 0]
    scraped = subprocess.run(  # noqa: S603
        [sys.executable, "-c", SCRAPER], env=env, capture_output=True, text=True, check=True
    )
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(scraped.stdout)
        for sample in family.samples
    }
    labels = {"route": "/api/v1/households", "method": "GET", "status": "200"}
    assert value(samples, "gezinsplan_http_requests_total", **labels) == 2
    # The pool gauge counts the workers that did not shut down only.
    assert value(samples, "gezinsplan_db_pool_connections_in_use") == 1


def test_the_pool_gauge_counts_connections_checked_out(tmp_path: Path) -> None:
    metrics = Metrics()
    engine = make_engine(f"sqlite:///{tmp_path / 'pool.db'}")
    metrics.watch_pool(engine)
    try:
        with engine.connect(), engine.connect():
            assert metrics.pool_in_use._value.get() == 2
        assert metrics.pool_in_use._value.get() == 0
        assert metrics.pool_capacity._value.get() == 15
    finally:
        engine.dispose()
