"""Structured logs: one JSON line per request and per warning or error, never a name, a BSN,
a token or a body, on both engines.

A canary name and BSN are planted in bodies, query strings, headers, a path, a validation
error that echoes its input and an unexpected error whose message holds them; every line the
app writes is captured as its handler formats it, and none holds them.
"""

import io
import json
import logging
import logging.config
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from gezinsplan.access.dependencies import Public
from gezinsplan.audit.sealer import Sealer
from gezinsplan.config import Settings
from gezinsplan.db import make_session_factory
from gezinsplan.main import create_app
from gezinsplan.observability.logs import JsonFormatter, logging_config

API = "/api/v1"
CANARY_NAME = "Zwaantje Kanariepiet"
CANARY_GIVEN, CANARY_FAMILY = CANARY_NAME.split()
CANARY_BSN = "123456782"  # passes the 11-test
CANARIES = (CANARY_GIVEN, CANARY_FAMILY, CANARY_BSN)
TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
TRACEPARENT = f"00-{TRACE_ID}-b7ad6b7169203331-01"
TEST_CLIENT_LOGGER = "httpx2"


class Lines:
    """Every record the app logs, formatted as the service's handler formats it."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    def all(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]

    def requests(self) -> list[dict[str, Any]]:
        return [line for line in self.all() if line["logger"] == "gezinsplan.requests"]

    def text(self) -> str:
        return self.stream.getvalue()


@pytest.fixture
def lines() -> Iterator[Lines]:
    captured = Lines()
    handler = logging.StreamHandler(captured.stream)
    handler.setFormatter(JsonFormatter())
    # The test client's own transport logs the URLs it sends; it is not the app.
    handler.addFilter(lambda record: not record.name.startswith(TEST_CLIENT_LOGGER))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield captured
    root.removeHandler(handler)
    root.setLevel(level)


def leaks(text: str) -> list[str]:
    return [line for line in text.splitlines() if any(canary in line for canary in CANARIES)]


def test_every_request_writes_one_line_with_its_ids_and_nothing_personal(
    client: TestClient, toegang: dict[str, str], municipalities: list[str], lines: Lines
) -> None:
    """``lines`` last: it captures from the test's first request on."""
    body = {"municipalityCode": "0193", "name": CANARY_NAME, "referralSource": "municipal_access"}
    planted = toegang | {"traceparent": TRACEPARENT, "X-Canary": f"{CANARY_NAME} {CANARY_BSN}"}
    created = client.post(f"{API}/households", json=body, headers=planted)
    assert created.status_code == 201, created.text
    base = f"{API}/households/{created.json()['id']}"
    member = {
        "givenName": CANARY_GIVEN,
        "familyName": CANARY_FAMILY,
        "birthDate": "1986-04-12",
        "bsn": CANARY_BSN,
        "relation": "parent",
    }
    assert client.post(f"{base}/members", json=member, headers=toegang).status_code == 201
    # Refused input: a BSN that fails the 11-test, a name where a date belongs.
    wrong = member | {"bsn": "123456783", "birthDate": CANARY_NAME}
    assert client.post(f"{base}/members", json=wrong, headers=toegang).status_code == 422
    for query in (CANARY_NAME, CANARY_BSN):
        found = client.get(f"{API}/households", params={"q": query}, headers=toegang)
        assert found.status_code == 200
    assert client.get(f"{API}/households/{CANARY_BSN}", headers=toegang).status_code == 422
    token_with_canary = {"Authorization": f"Bearer {CANARY_NAME}.{CANARY_BSN}"}
    assert client.get(f"{API}/households", headers=token_with_canary).status_code == 401

    requests = lines.requests()
    assert len(requests) == 7, requests
    first = requests[0]
    assert first["level"] == "INFO"
    assert first["request_id"] == created.headers["X-Request-ID"]
    assert first["trace_id"] == TRACE_ID
    assert created.headers["traceparent"].startswith(f"00-{TRACE_ID}-")
    assert first["route"] == f"{API}/households"
    assert (first["method"], first["status"]) == ("POST", 201)
    assert first["duration_ms"] > 0
    assert first["organization_id"] is not None
    assert {line["route"] for line in requests} >= {
        f"{API}/households/{{household_id}}/members",
        f"{API}/households/{{household_id}}",
    }
    assert leaks(lines.text()) == []
    bearer = toegang["Authorization"].removeprefix("Bearer ")
    assert bearer not in lines.text()
    assert "Bearer" not in lines.text()


def test_a_caller_without_a_traceparent_gets_a_new_trace(lines: Lines, client: TestClient) -> None:
    response = client.get(f"{API}/health/live", headers={"traceparent": "00-zz-bad"})
    trace_id = response.headers["traceparent"].split("-")[1]
    assert len(trace_id) == 32
    assert trace_id != TRACE_ID
    assert lines.requests()[-1]["trace_id"] == trace_id


def test_a_request_id_that_carries_a_bsn_is_masked(lines: Lines, client: TestClient) -> None:
    response = client.get(f"{API}/health/live", headers={"X-Request-ID": f"dossier-{CANARY_BSN}"})
    assert response.headers["X-Request-ID"] == f"dossier-{CANARY_BSN}"
    assert lines.requests()[-1]["request_id"] == "dossier-[masked]"
    assert leaks(lines.text()) == []


def test_a_uuid_whose_last_group_holds_nine_digits_is_not_masked(
    lines: Lines, client: TestClient
) -> None:
    request_id = "ccd51685-c078-4719-bead-c847038579a0"
    client.get(f"{API}/health/live", headers={"X-Request-ID": request_id})
    assert lines.requests()[-1]["request_id"] == request_id


def invalid_birth_date() -> ValidationError:
    """A validation error whose message echoes its input, as pydantic's do."""
    try:
        TypeAdapter(date).validate_python(f"{CANARY_NAME} {CANARY_BSN}")
    except ValidationError as exc:
        return exc
    raise AssertionError("the canary validated as a date")


def test_an_unexpected_error_is_one_line_with_where_not_what(
    lines: Lines, settings: Settings, connection: Connection
) -> None:
    router = APIRouter(dependencies=[Public])
    error = invalid_birth_date()
    assert CANARY_NAME in str(error), "the planted error would leak if its message were logged"

    @router.get("/canary-error")
    def fail() -> None:
        raise error

    factory = make_session_factory(connection, join_transaction_mode="create_savepoint")
    app = create_app(settings, session_factory=factory, extra_routers=(router,))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get(f"{API}/canary-error", headers={"X-Request-ID": "err-1"})
    assert response.status_code == 500
    errors = [line for line in lines.all() if line["level"] == "ERROR"]
    by_logger = {line["logger"]: line for line in errors}
    assert len(errors) == 2
    assert set(by_logger) == {"gezinsplan.errors", "gezinsplan.requests"}
    assert by_logger["gezinsplan.errors"]["error"] == "ValidationError"
    assert any("in fail" in frame for frame in by_logger["gezinsplan.errors"]["stack"])
    assert {line["request_id"] for line in errors} == {"err-1"}
    assert by_logger["gezinsplan.requests"]["status"] == 500
    assert leaks(lines.text()) == []


def test_the_sealer_waiting_for_a_locked_database_is_one_warning(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked(_self: Sealer) -> int:
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(Sealer, "seal_now", locked)
    with caplog.at_level(logging.INFO, logger="gezinsplan.audit.sealer"):
        assert Sealer(None, interval=1).seal_round() == 0  # type: ignore[arg-type]
    assert [(r.levelname, r.exc_info) for r in caplog.records] == [("WARNING", None)]
    assert "locked" in caplog.records[0].getMessage()


def test_one_configuration_replaces_the_access_log_with_json_lines(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        logging.config.dictConfig(logging_config(Settings(var_dir=tmp_path)))
        logging.getLogger("uvicorn.access").info('127.0.0.1 - "GET /?q=%s"', CANARY_BSN)
        logging.getLogger("gezinsplan.test").warning("a warning %s", uuid.UUID(int=1))
        logging.getLogger("uvicorn.error").info("Started server process")
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    written = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(line["logger"], line["level"]) for line in written] == [
        ("gezinsplan.test", "WARNING"),
        ("uvicorn.error", "INFO"),
    ]
