"""Hostile and careless input: every error is problem+json, nothing is a 500, and a rejected
write stores nothing. The body limit is lowered to 1 KiB for this module."""

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from gezinsplan.config import Settings
from gezinsplan.db import make_session_factory
from gezinsplan.events.models import Event
from gezinsplan.households.models import Household
from gezinsplan.kit.body_guard import BodyRejectedError, check_json
from gezinsplan.main import create_app
from gezinsplan.members.models import Member
from tests.conftest import TEST_SECRET

API = "/api/v1"
HOUSEHOLDS = f"{API}/households"
PROBLEM = "application/problem+json"
LIMIT = 1024
VALID = {"municipalityCode": "0193", "name": "Gezin Jansen", "referralSource": "self"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path / "var", jwt_secret=TEST_SECRET, max_body_bytes=LIMIT)


def stored(connection: Connection) -> tuple[int, int, int]:
    """Rows in households, members and events: what a rejected write must not change."""
    return tuple(  # type: ignore[return-value]
        connection.execute(select(func.count()).select_from(model)).scalar_one()
        for model in (Household, Member, Event)
    )


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert isinstance(body["type"], str)
    assert isinstance(body["title"], str)
    assert isinstance(body["detail"], str)
    assert "Traceback" not in response.text
    return body


def assert_invalid(response: Any, *names: str) -> list[dict[str, str]]:
    """A 422 whose invalidParams name (at least) the given places, each with a reason."""
    body = assert_problem(response, 422)
    params: list[dict[str, str]] = body.get("invalidParams") or []
    assert params, "a 422 must say what is invalid"
    assert all(isinstance(p["name"], str) and p["reason"] for p in params)
    found = {p["name"] for p in params}
    assert set(names) <= found, found
    return params


# --- routing errors ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/nope", "/nope", "/api/v1/households/x/y/z/w"])
def test_unknown_path_is_404_problem(
    client: TestClient, toegang: dict[str, str], path: str
) -> None:
    assert_problem(client.get(path, headers=toegang), 404)


def test_a_household_id_that_is_not_a_uuid_is_422(
    client: TestClient, toegang: dict[str, str]
) -> None:
    assert_invalid(client.get(f"{HOUSEHOLDS}/not-a-uuid", headers=toegang), "path:household_id")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", HOUSEHOLDS, {"GET", "POST"}),
        ("DELETE", HOUSEHOLDS, {"GET", "POST"}),
        ("PUT", f"{HOUSEHOLDS}/00000000-0000-4000-8000-000000000000", {"GET", "PATCH"}),
        ("GET", f"{HOUSEHOLDS}/00000000-0000-4000-8000-000000000000/close", {"POST"}),
    ],
)
def test_wrong_method_is_405_with_allow(
    client: TestClient, toegang: dict[str, str], method: str, path: str, allowed: set[str]
) -> None:
    response = client.request(method, path, headers=toegang)
    assert_problem(response, 405)
    assert {m.strip() for m in response.headers["allow"].split(",")} >= allowed
    assert method not in response.headers["allow"]


# --- size and media type ----------------------------------------------------------------------


def _body_of(size: int) -> bytes:
    """A JSON household body of exactly ``size`` bytes."""
    empty = json.dumps({**VALID, "name": ""}).encode()
    body = json.dumps({**VALID, "name": "x" * (size - len(empty))}).encode()
    assert len(body) == size
    return body


def test_a_body_over_the_limit_is_413(
    client: TestClient, toegang: dict[str, str], municipalities: list[str], connection: Connection
) -> None:
    before = stored(connection)
    response = client.post(
        HOUSEHOLDS,
        content=_body_of(LIMIT + 1),
        headers={**toegang, "Content-Type": "application/json"},
    )
    assert_problem(response, 413)
    assert stored(connection) == before


def test_a_body_at_the_limit_is_read(
    client: TestClient, toegang: dict[str, str], municipalities: list[str]
) -> None:
    response = client.post(
        HOUSEHOLDS, content=_body_of(LIMIT), headers={**toegang, "Content-Type": "application/json"}
    )
    # Read and validated: the name is too long, which is a 422, not a 413.
    assert_invalid(response, "body:name")


def test_a_streamed_body_without_content_length_over_the_limit_is_413(
    client: TestClient, toegang: dict[str, str], municipalities: list[str], connection: Connection
) -> None:
    before = stored(connection)

    def chunks() -> Iterator[bytes]:
        body = _body_of(LIMIT * 4)
        for start in range(0, len(body), 256):
            yield body[start : start + 256]

    response = client.post(
        HOUSEHOLDS, content=chunks(), headers={**toegang, "Content-Type": "application/json"}
    )
    assert_problem(response, 413)
    assert stored(connection) == before


def test_a_streamed_body_is_refused_before_it_is_read_whole(app: FastAPI) -> None:
    """The guard stops reading as soon as the limit is passed: an endless body is refused."""
    received = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal received
        received += 1
        assert received < 100, "the body is being read to the end"
        return {"type": "http.request", "body": b"[" * 256, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": HOUSEHOLDS,
        "raw_path": HOUSEHOLDS.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")],
        "client": ("testclient", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    start = sent[0]
    assert start["type"] == "http.response.start"
    assert start["status"] == 413
    assert (b"content-type", PROBLEM.encode()) in start["headers"]
    assert received <= LIMIT // 256 + 1


def test_a_lying_content_length_is_413(client: TestClient, toegang: dict[str, str]) -> None:
    response = client.post(
        HOUSEHOLDS,
        content=json.dumps(VALID).encode(),
        headers={**toegang, "Content-Type": "application/json", "Content-Length": str(LIMIT * 10)},
    )
    assert_problem(response, 413)


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        ("text/plain", b"Gezin Jansen"),
        ("text/plain", json.dumps(VALID).encode()),
        ("application/x-www-form-urlencoded", b"municipalityCode=0193&name=Gezin+Jansen"),
        ("multipart/form-data; boundary=x", b'--x\r\nContent-Disposition: form-data; name="name"'),
        ("application/xml", b"<household/>"),
        (None, json.dumps(VALID).encode()),
    ],
)
def test_a_body_that_is_not_json_is_415(
    client: TestClient,
    toegang: dict[str, str],
    municipalities: list[str],
    connection: Connection,
    content_type: str | None,
    content: bytes,
) -> None:
    before = stored(connection)
    headers = {**toegang, **({"Content-Type": content_type} if content_type else {})}
    assert_problem(client.post(HOUSEHOLDS, content=content, headers=headers), 415)
    assert stored(connection) == before


def test_a_form_post_is_415(
    client: TestClient, toegang: dict[str, str], municipalities: list[str], connection: Connection
) -> None:
    before = stored(connection)
    assert_problem(client.post(HOUSEHOLDS, data=VALID, headers=toegang), 415)
    assert stored(connection) == before


# --- 422: what the body says ------------------------------------------------------------------

INVALID_BODIES: dict[str, tuple[str | bytes, tuple[str, ...]]] = {
    "unknown-id": (
        json.dumps({**VALID, "id": "00000000-0000-4000-8000-000000000000"}),
        ("body:id",),
    ),
    "unknown-version-status": (
        json.dumps({**VALID, "version": 7, "status": "closed"}),
        ("body:version", "body:status"),
    ),
    "snake-case": (
        json.dumps({"municipality_code": "0193", "name": "Gezin"}),
        ("body:municipalityCode", "body:municipality_code"),
    ),
    "nul-in-string": (json.dumps({**VALID, "name": "Gezin\u0000Jansen"}), ("body:name",)),
    "nul-in-key": (json.dumps({**VALID, "na\u0000me": "x"}), ("body",)),
    "control-character": (json.dumps({**VALID, "name": "Gezin\u0007"}), ("body:name",)),
    "invalid-utf8": (b'{"municipalityCode": "0193", "name": "Gezin \xff\xfe"}', ("body",)),
    "lone-surrogate": (b'{"municipalityCode": "0193", "name": "\\ud800"}', ("body:name",)),
    "overlong-utf8": (b'{"municipalityCode": "0193", "name": "\xc0\xaf"}', ("body",)),
    "nested-40": (
        json.dumps(
            {
                **VALID,
                "name": [
                    [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]
                ],
            }
        ),
        ("body",),
    ),
    "nan": (b'{"municipalityCode": "0193", "name": NaN}', ("body:name",)),
    "infinity": (b'{"municipalityCode": "0193", "name": Infinity}', ("body:name",)),
    "minus-infinity": (b'{"municipalityCode": "0193", "name": -Infinity}', ("body:name",)),
    "float-overflow": (b'{"municipalityCode": "0193", "name": 1e999}', ("body:name",)),
    "name-201": (json.dumps({**VALID, "name": "x" * 201}), ("body:name",)),
    "name-empty": (json.dumps({**VALID, "name": ""}), ("body:name",)),
    "name-blank": (json.dumps({**VALID, "name": "   "}), ("body:name",)),
    "name-missing": (json.dumps({"municipalityCode": "0193"}), ("body:name",)),
    "name-number": (json.dumps({**VALID, "name": 42}), ("body:name",)),
    "name-list": (json.dumps({**VALID, "name": ["Gezin"]}), ("body:name",)),
    "name-null": (json.dumps({**VALID, "name": None}), ("body:name",)),
    "municipality-number": (
        json.dumps({**VALID, "municipalityCode": 193}),
        ("body:municipalityCode",),
    ),
    "municipality-short": (
        json.dumps({**VALID, "municipalityCode": "193"}),
        ("body:municipalityCode",),
    ),
    "body-list": (b"[]", ("body",)),
    "body-string": (b'"Gezin Jansen"', ("body",)),
    "body-null": (b"null", ("body",)),
    "body-truncated": (b'{"municipalityCode": "0193", "name": "Gez', ("body",)),
    "body-trailing-garbage": (json.dumps(VALID).encode() + b"}", ("body",)),
    "body-empty": (b"", ("body",)),
}


@pytest.mark.parametrize("case", list(INVALID_BODIES))
def test_an_invalid_body_is_422_and_stores_nothing(
    client: TestClient,
    toegang: dict[str, str],
    municipalities: list[str],
    connection: Connection,
    case: str,
) -> None:
    content, names = INVALID_BODIES[case]
    raw = content if isinstance(content, bytes) else content.encode()
    before = stored(connection)
    listed = len(client.get(HOUSEHOLDS, headers=toegang).json()["items"])

    response = client.post(
        HOUSEHOLDS, content=raw, headers={**toegang, "Content-Type": "application/json"}
    )

    params = assert_invalid(response, *names)
    assert all(p["name"] == "body" or p["name"].startswith("body:") for p in params), params
    assert stored(connection) == before
    assert len(client.get(HOUSEHOLDS, headers=toegang).json()["items"]) == listed


@pytest.fixture
def roomy_client(tmp_path: Path, connection: Connection) -> Iterator[TestClient]:
    """The app with the default 1 MiB body limit, on the same rolled-back connection."""
    settings = Settings(var_dir=tmp_path / "roomy", jwt_secret=TEST_SECRET)
    factory = make_session_factory(connection, join_transaction_mode="create_savepoint")
    with TestClient(create_app(settings, session_factory=factory)) as roomy:
        yield roomy


BIG_BODIES = {
    "nested-1000": '{"municipalityCode": "0193", "name": ' + "[" * 1000 + "]" * 1000 + "}",
    "nested-100000": '{"municipalityCode": "0193", "name": ' + "[" * 10**5 + "]" * 10**5 + "}",
    "integer-5000-digits": '{"municipalityCode": ' + "9" * 5000 + ', "name": "x"}',
    "integer-5000-digits-in-list": '{"municipalityCode": "0193", "name": [' + "1" * 5000 + "]}",
}


@pytest.mark.parametrize("case", list(BIG_BODIES))
def test_deep_or_huge_json_under_the_size_limit_is_422(
    roomy_client: TestClient,
    toegang: dict[str, str],
    municipalities: list[str],
    connection: Connection,
    case: str,
) -> None:
    """Deeper than Python's recursion limit, or numbers Python will not convert: 422."""
    before = stored(connection)
    response = roomy_client.post(
        HOUSEHOLDS,
        content=BIG_BODIES[case],
        headers={**toegang, "Content-Type": "application/json"},
    )
    assert_invalid(response, "body")
    assert stored(connection) == before


def test_json_nested_far_beyond_the_recursion_limit_is_refused_by_the_checker() -> None:
    with pytest.raises(BodyRejectedError) as caught:
        check_json(("[" * 100_000 + "]" * 100_000).encode())
    assert caught.value.status == 422
    assert caught.value.where == "body"


def test_a_nul_deep_inside_the_body_names_where(
    client: TestClient, token: Any, municipalities: list[str], admin: dict[str, str]
) -> None:
    body = {
        "kind": "access_team",
        "name": "Wijkteam",
        "servedMunicipalities": ["0193", "01\u000048"],
    }
    response = client.post(f"{API}/organizations", json=body, headers=admin)
    assert_invalid(response, "body:servedMunicipalities.1")


def test_a_valid_body_still_works(
    client: TestClient, toegang: dict[str, str], municipalities: list[str], connection: Connection
) -> None:
    """The checks above are not rejecting everything: a clean body with odd text passes."""
    before = stored(connection)
    name = "Gezin Ça-Øzdemir 👪\ttab"
    response = client.post(HOUSEHOLDS, json={**VALID, "name": name}, headers=toegang)
    assert response.status_code == 201, response.text
    assert response.json()["name"] == name
    assert stored(connection)[0] == before[0] + 1
    exactly_200 = client.post(HOUSEHOLDS, json={**VALID, "name": "y" * 200}, headers=toegang)
    assert exactly_200.status_code == 201


def test_unknown_fields_are_refused_on_every_write(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any]
) -> None:
    url = f"{HOUSEHOLDS}/{household['id']}"
    patch = client.patch(
        url, json={"name": "Gezin X", "version": 9}, headers={**toegang, "If-Match": '"1"'}
    )
    assert_invalid(patch, "body:version")
    close = client.post(
        f"{url}/close", json={"closingReason": "other", "closedAt": "2020-01-01"}, headers=toegang
    )
    assert_invalid(close, "body:closedAt")
    member = client.post(
        f"{url}/members",
        json={
            "givenName": "A",
            "familyName": "B",
            "birthDate": "1990-01-01",
            "relation": "parent",
            "householdId": household["id"],
        },
        headers=toegang,
    )
    assert_invalid(member, "body:householdId")
    after = client.get(url, headers=toegang).json()
    assert after == household
    assert client.get(f"{url}/members", headers=toegang).json()["items"] == []


# --- 422: what the query says -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("q=%00", "query:q"),
        ("q=Gezin%00Jansen", "query:q"),
        ("q=%ff", "query:q"),
        ("q=%c0%af", "query:q"),
        ("status=%ff", "query:status"),
        ("limit=%00", "query:limit"),
        ("limit=1e3", "query:limit"),
        ("limit=0", "query:limit"),
        ("limit=" + "9" * 5000, "query:limit"),
        ("status=bogus", "query:status"),
        ("municipality=19", "query:municipality"),
        ("q=" + "x" * 101, "query:q"),
        ("cursor=%00", "query:cursor"),
        ("x%ff=1", "query"),
        ("a=1&b=%00", "query:b"),
    ],
)
def test_an_invalid_query_is_422(
    client: TestClient, toegang: dict[str, str], query: str, name: str
) -> None:
    response = client.get(f"{HOUSEHOLDS}?{query}", headers=toegang)
    params = assert_invalid(response, name)
    assert all(p["name"].startswith("query") for p in params), params


def test_a_nul_in_the_query_of_a_write_is_refused_before_the_write(
    client: TestClient, toegang: dict[str, str], municipalities: list[str], connection: Connection
) -> None:
    before = stored(connection)
    response = client.post(f"{HOUSEHOLDS}?x=%00", json=VALID, headers=toegang)
    assert_invalid(response, "query:x")
    assert stored(connection) == before


def test_a_query_with_only_odd_but_valid_text_is_fine(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any]
) -> None:
    response = client.get(f"{HOUSEHOLDS}?q=%C3%A7a+%25_", headers=toegang)
    assert response.status_code == 200
    assert response.json()["items"] == []
    found = client.get(f"{HOUSEHOLDS}?q=Jansen", headers=toegang)
    assert [h["id"] for h in found.json()["items"]] == [household["id"]]
