"""Webhook subscriptions: who subscribes for whom, the secret shown once, where a callback may
point (SSRF), optimistic changes, rotation, the delivery log, redelivery and the state shown."""

import base64
import socket
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlmodel import Session, col

from gezinsplan.config import Settings
from gezinsplan.errors import Unprocessable
from gezinsplan.events import feed
from gezinsplan.events import repository as event_store
from gezinsplan.events.models import Event
from gezinsplan.kit.clock import utcnow
from gezinsplan.webhooks.callbacks import check_callback
from gezinsplan.webhooks.models import Delivery, DeliveryAttempt, Subscription
from tests.conftest import TEST_SECRET, Clock, Directory, Token

API = "/api/v1"
SUBSCRIPTIONS = f"{API}/subscriptions"
PUBLIC = "https://8.8.8.8/hook"
PROBLEM = "application/problem+json"
GOAL_UPDATED = "nl.gezinsplan.goal.updated.v1"
Headers = dict[str, str]
Json = dict[str, Any]


def keyed(headers: Headers) -> Headers:
    """Systems send an Idempotency-Key with every POST; a fresh one per request here."""
    return headers | {"Idempotency-Key": str(uuid.uuid4())}


def create(client: TestClient, headers: Headers, **body: Any) -> Any:
    return client.post(SUBSCRIPTIONS, json={"callbackUrl": PUBLIC} | body, headers=keyed(headers))


def created(client: TestClient, headers: Headers, **body: Any) -> Json:
    response = create(client, headers, **body)
    assert response.status_code == 201, response.text
    result: Json = response.json()
    return result


@pytest.fixture
def partner(token: Token, directory: Directory) -> Headers:
    return token("partner_system", org=uuid.UUID(directory.youth_care), sub="partner")


@pytest.fixture
def other_partner(token: Token, directory: Directory) -> Headers:
    return token("partner_system", org=uuid.UUID(directory.debt_help), sub="other")


@pytest.fixture
def municipal(token: Token, directory: Directory) -> Headers:
    return token(
        "municipal_system",
        municipalities=("0193", "0148"),
        org=uuid.UUID(directory.access_team),
        sub="municipal",
    )


@pytest.fixture
def loopback(app: FastAPI) -> Settings:
    """Development settings: callbacks on http://localhost allowed."""
    settings: Settings = app.state.settings
    settings.webhooks_allow_loopback = True
    return settings


# --- who subscribes for whom ------------------------------------------------------------------


def test_a_partner_system_subscribes_for_its_own_organization(
    client: TestClient, partner: Headers, directory: Directory, connection: Connection
) -> None:
    response = create(client, partner, eventTypes=[GOAL_UPDATED])
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"{SUBSCRIPTIONS}/{body['id']}"
    assert response.headers["etag"] == '"1"'
    assert body["organizationId"] == directory.youth_care
    assert body["clientRole"] == "partner_system"
    assert body["municipalities"] == []
    assert body["eventTypes"] == [GOAL_UPDATED]
    assert body["active"] is True
    assert body["backlog"] == 0
    assert body["oldestPendingAt"] is None
    assert body["failedAttempts24h"] == 0
    # Stored as the events table names the type, starting at the feed's head.
    with Session(connection) as session:
        stored = session.get(Subscription, uuid.UUID(body["id"]))
        assert stored is not None
        assert stored.event_types == ["goal.updated"]
        assert feed.Position(stored.feed_txid, stored.feed_seq) == event_store.head(session)
        assert stored.feed_seq > 0  # the directory's organizations made events before


def test_a_municipal_system_subscribes_with_its_municipalities(
    client: TestClient, municipal: Headers, directory: Directory
) -> None:
    body = created(client, municipal)
    assert body["organizationId"] == directory.access_team
    assert body["clientRole"] == "municipal_system"
    assert body["municipalities"] == ["0148", "0193"]
    assert body["eventTypes"] == []


@pytest.mark.parametrize(
    "extra",
    [
        {"organizationId": str(uuid.uuid4())},
        {"clientRole": "municipal_system"},
        {"municipalities": ["0363"]},
    ],
)
def test_a_system_cannot_name_another_organization_role_or_municipalities(
    client: TestClient, partner: Headers, extra: Json
) -> None:
    response = create(client, partner, **extra)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    name = next(iter(extra))
    assert response.json()["invalidParams"] == [
        {"name": f"body:{name}", "reason": "only for an administrator"}
    ]


def test_an_administrator_subscribes_for_any_organization(
    client: TestClient, admin: Headers, directory: Directory
) -> None:
    body = created(
        client,
        admin,
        organizationId=directory.debt_help,
        clientRole="municipal_system",
        municipalities=["0193"],
    )
    assert (body["organizationId"], body["clientRole"]) == (directory.debt_help, "municipal_system")
    assert body["municipalities"] == ["0193"]


@pytest.mark.parametrize(
    ("body", "invalid"),
    [
        ({"clientRole": "partner_system"}, "body:organizationId"),
        ({"organizationId": "unknown", "clientRole": "partner_system"}, "body:organizationId"),
        ({"organizationId": "debt", "clientRole": "municipal_system"}, "body:municipalities"),
        (
            {"organizationId": "debt", "clientRole": "partner_system", "municipalities": ["0193"]},
            "body:municipalities",
        ),
        ({"organizationId": "debt", "clientRole": "toegang"}, "body.clientRole"),
    ],
)
def test_an_administrator_names_a_registered_organization_and_a_machine_role(
    client: TestClient, admin: Headers, directory: Directory, body: Json, invalid: str
) -> None:
    ids = {"unknown": str(uuid.uuid4()), "debt": directory.debt_help}
    if "organizationId" in body:
        body = body | {"organizationId": ids[body["organizationId"]]}
    response = create(client, admin, **body)
    assert response.status_code == 422, response.text
    names = [p["name"] for p in response.json()["invalidParams"]]
    assert any(name.startswith(invalid.replace(".", ":")) for name in names), names


@pytest.mark.parametrize(
    ("roles", "kwargs"),
    [
        (("toegang",), {"municipalities": ("0193",), "org": "org"}),
        (("care_provider",), {"org": "org"}),
        (("policy",), {"municipalities": ("0193",)}),
        (("privacy_officer",), {}),
        (("resident",), {}),
        (("partner_system",), {}),  # no organization in the token
        (("municipal_system",), {"org": "org"}),  # no municipalities
        (("partner_system", "municipal_system"), {"municipalities": ("0193",), "org": "org"}),
    ],
)
def test_other_callers_are_forbidden(
    client: TestClient, token: Token, directory: Directory, roles: tuple[str, ...], kwargs: Json
) -> None:
    if "org" in kwargs:
        kwargs = kwargs | {"org": uuid.UUID(directory.youth_care)}
    headers = token(*roles, **kwargs)
    for method, url in [
        ("POST", SUBSCRIPTIONS),
        ("GET", SUBSCRIPTIONS),
        ("GET", f"{SUBSCRIPTIONS}/{uuid.uuid4()}"),
    ]:
        body = {"callbackUrl": PUBLIC} if method == "POST" else None
        response = client.request(method, url, json=body, headers=keyed(headers))
        assert response.status_code == 403, (roles, method, url, response.text)
        assert response.headers["content-type"] == PROBLEM
    assert client.get(SUBSCRIPTIONS).status_code == 401


def test_a_system_of_an_unregistered_organization_is_refused(
    client: TestClient, token: Token, directory: Directory
) -> None:
    headers = token("partner_system", org=uuid.uuid4())
    response = create(client, headers)
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM


def test_an_unknown_event_type_is_422(client: TestClient, partner: Headers) -> None:
    for types in (["goal.updated"], ["nl.gezinsplan.goal.updated.v2"], [GOAL_UPDATED, "x"]):
        response = create(client, partner, eventTypes=types)
        assert response.status_code == 422, response.text
        assert response.json()["invalidParams"][0]["name"].startswith("body:eventTypes")


def test_a_household_filter_is_not_checked_against_what_the_caller_sees(
    client: TestClient, partner: Headers
) -> None:
    """Any id is taken alike, so the answer tells nothing about a household."""
    nowhere = str(uuid.uuid4())
    assert created(client, partner, householdId=nowhere)["householdId"] == nowhere


# --- the secret ----------------------------------------------------------------------------------


def test_the_secret_is_shown_once_in_the_standard_webhooks_format(
    client: TestClient, partner: Headers, connection: Connection
) -> None:
    body = created(client, partner)
    secret = body["secret"]
    assert secret.startswith("whsec_")
    assert 24 <= len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) <= 64
    url = f"{SUBSCRIPTIONS}/{body['id']}"
    detail = client.get(url, headers=partner)
    listing = client.get(SUBSCRIPTIONS, headers=partner)
    etag = detail.headers["etag"]
    changed = client.patch(url, json={"eventTypes": []}, headers=partner | {"If-Match": etag})
    assert changed.status_code == 200, changed.text
    assert changed.json()["secret"] is None
    for response in (detail, listing, changed):
        assert secret not in response.text
        assert secret.removeprefix("whsec_") not in response.text
        assert "secret" not in response.json() or response.json()["secret"] is None
    assert "previousSecret" not in detail.json()


def test_a_resend_with_the_same_key_gets_the_first_answer_and_no_second_subscription(
    client: TestClient, partner: Headers, other_partner: Headers
) -> None:
    """A system that lost the answer gets it again, secret included, from its own key only."""
    headers = partner | {"Idempotency-Key": "subscribe-1"}
    first = client.post(SUBSCRIPTIONS, json={"callbackUrl": PUBLIC}, headers=headers)
    again = client.post(SUBSCRIPTIONS, json={"callbackUrl": PUBLIC}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert len(client.get(SUBSCRIPTIONS, headers=partner).json()["items"]) == 1
    theirs = other_partner | {"Idempotency-Key": "subscribe-1"}
    other = client.post(SUBSCRIPTIONS, json={"callbackUrl": PUBLIC}, headers=theirs)
    assert other.json()["secret"] != first.json()["secret"]
    missing = client.post(SUBSCRIPTIONS, json={"callbackUrl": PUBLIC}, headers=partner)
    assert missing.status_code == 400


def test_two_subscriptions_get_different_secrets(client: TestClient, partner: Headers) -> None:
    assert created(client, partner)["secret"] != created(client, partner)["secret"]


# --- other organizations -------------------------------------------------------------------------


def test_another_organizations_subscription_is_not_found(
    client: TestClient, partner: Headers, other_partner: Headers, admin: Headers
) -> None:
    mine = created(client, partner)
    theirs = created(client, other_partner)
    listed = client.get(SUBSCRIPTIONS, headers=partner).json()["items"]
    assert [item["id"] for item in listed] == [mine["id"]]
    everything = client.get(SUBSCRIPTIONS, headers=admin).json()["items"]
    assert {item["id"] for item in everything} == {mine["id"], theirs["id"]}
    for headers, expected in ((admin, [theirs["id"]]), (partner, [])):
        only = {"organization": theirs["organizationId"]}
        found = client.get(SUBSCRIPTIONS, params=only, headers=headers).json()["items"]
        assert [item["id"] for item in found] == expected
    nowhere = f"{SUBSCRIPTIONS}/{uuid.uuid4()}"
    url = f"{SUBSCRIPTIONS}/{theirs['id']}"
    requests: list[tuple[str, str, Any]] = [
        ("GET", "", None),
        ("PATCH", "", {"active": False}),
        ("DELETE", "", None),
        ("GET", "/deliveries", None),
        ("POST", "/redeliveries", {"since": "2026-01-01T00:00:00Z"}),
    ]
    for method, suffix, body in requests:
        headers = keyed(partner | {"If-Match": '"1"'})
        foreign = client.request(method, url + suffix, json=body, headers=headers)
        missing = client.request(method, nowhere + suffix, json=body, headers=keyed(headers))
        assert foreign.status_code == 404, (method, suffix, foreign.text)
        assert foreign.content == missing.content
        assert foreign.headers["content-type"] == PROBLEM
    assert client.get(url, headers=admin).status_code == 200


def test_lists_are_paged(client: TestClient, partner: Headers) -> None:
    ids = [created(client, partner)["id"] for _ in range(3)]
    first = client.get(SUBSCRIPTIONS, params={"limit": 2}, headers=partner).json()
    second = client.get(
        SUBSCRIPTIONS, params={"limit": 2, "cursor": first["nextCursor"]}, headers=partner
    ).json()
    assert [i["id"] for i in first["items"] + second["items"]] == ids
    assert second["nextCursor"] is None


# --- where a callback may point ------------------------------------------------------------------


REFUSED = [
    "http://8.8.8.8/hook",  # http to a public address
    "ftp://8.8.8.8/hook",
    "/relative/hook",
    "https:///hook",
    "https://user:pass@8.8.8.8/hook",
    "https://8.8.8.8@127.0.0.1/hook",
    "https://8.8.8.8/hook#part",
    "https://8.8.8.8#@127.0.0.1/",
    "https://8.8.8.8\\@127.0.0.1/",
    "https://8.8.8.8/ hook",
    "https://8.8.8.8:99999/hook",
    "https://8.8.8.8:x/hook",
    "https://[::1/hook",
    "https://8.8.8.8/" + "a" * 2000,
    "https://127.0.0.1/hook",
    "https://localhost/hook",
    "https://2130706433/hook",
    "https://0x7f.1/hook",
    "https://127.1/hook",
    "https://[::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://[::ffff:10.0.0.1]/hook",
    "https://0.0.0.0/hook",
    "https://[::]/hook",
    "https://10.0.0.1/hook",
    "https://172.16.5.4/hook",
    "https://192.168.1.1/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://[fe80::1]/hook",
    "https://[fd00:ec2::254]/hook",
    "https://[fec0::1]/hook",
    "https://100.64.0.1/hook",
    "https://224.0.0.1/hook",
    "https://[ff02::1]/hook",
    "https://240.0.0.1/hook",
    "https://255.255.255.255/hook",
    "https://203.0.113.10/hook",  # TEST-NET-3: not global
    "https://[2002:7f00:1::]/hook",  # 6to4 around 127.0.0.1
    "https://[64:ff9b::7f00:1]/hook",  # NAT64 around 127.0.0.1 (reserved)
]


@pytest.mark.parametrize("url", REFUSED)
def test_a_callback_into_our_own_network_or_not_https_is_refused(url: str) -> None:
    with pytest.raises(Unprocessable) as refused:
        check_callback(url, Settings(jwt_secret=TEST_SECRET))
    assert refused.value.invalid_params is not None
    assert refused.value.invalid_params[0]["name"] == "body:callbackUrl"


@pytest.mark.parametrize(
    "url", ["https://8.8.8.8/hook", "https://8.8.8.8:8443/a?b=c", "https://[2001:4860:4860::8888]/"]
)
def test_a_public_https_callback_is_accepted(url: str) -> None:
    check_callback(url, Settings(jwt_secret=TEST_SECRET))


@pytest.mark.parametrize(
    "url", ["http://localhost:8080/hook", "http://127.0.0.1/hook", "https://[::1]/hook"]
)
def test_loopback_only_where_allowed_and_never_in_production(url: str) -> None:
    check_callback(url, Settings(jwt_secret=TEST_SECRET, webhooks_allow_loopback=True))
    with pytest.raises(Unprocessable):
        check_callback(url, Settings(jwt_secret=TEST_SECRET))
    production = Settings(
        jwt_secret=TEST_SECRET, webhooks_allow_loopback=True, environment="production"
    )
    with pytest.raises(Unprocessable):
        check_callback(url, production)


def test_loopback_allowed_still_refuses_private_and_http_elsewhere() -> None:
    settings = Settings(jwt_secret=TEST_SECRET, webhooks_allow_loopback=True)
    for url in ("http://10.0.0.1/hook", "https://169.254.169.254/", "http://8.8.8.8/"):
        with pytest.raises(Unprocessable):
            check_callback(url, settings)


def _unknown(*_args: Any, **_kwargs: Any) -> Any:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


@pytest.mark.parametrize("resolver", [_unknown, lambda *_a, **_k: []], ids=["error", "nothing"])
def test_a_host_that_does_not_resolve_is_refused(
    monkeypatch: pytest.MonkeyPatch, resolver: Any
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    for url in ("https://hooks.example.nl/", "http://localhost/"):
        with pytest.raises(Unprocessable) as refused:
            check_callback(url, Settings(jwt_secret=TEST_SECRET, webhooks_allow_loopback=True))
        assert refused.value.invalid_params == [
            {"name": "body:callbackUrl", "reason": "does not resolve"}
        ]


def test_a_name_resolving_to_a_public_and_a_private_address_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def both(host: str, port: int, **_kwargs: Any) -> Any:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
            for address in ("8.8.8.8", "10.1.2.3")
        ]

    monkeypatch.setattr(socket, "getaddrinfo", both)
    with pytest.raises(Unprocessable):
        check_callback("https://rebinding.example.nl/", Settings(jwt_secret=TEST_SECRET))


def test_the_api_checks_the_callback_at_creation_and_change(
    client: TestClient, partner: Headers
) -> None:
    for url in REFUSED:
        response = create(client, partner, callbackUrl=url)
        assert response.status_code == 422, url
        assert response.headers["content-type"] == PROBLEM
        names = [p["name"] for p in response.json()["invalidParams"]]
        assert names[0].startswith("body:callbackUrl"), (url, names)
    body = created(client, partner)
    patch = {"callbackUrl": "https://10.0.0.1/"}
    url = f"{SUBSCRIPTIONS}/{body['id']}"
    refused = client.patch(url, json=patch, headers=partner | {"If-Match": '"1"'})
    assert refused.status_code == 422
    assert client.get(url, headers=partner).json()["callbackUrl"] == PUBLIC


def test_a_loopback_callback_in_development(
    client: TestClient, partner: Headers, loopback: Settings
) -> None:
    assert loopback.webhooks_allow_loopback
    body = created(client, partner, callbackUrl="http://localhost:9999/hook")
    assert body["callbackUrl"] == "http://localhost:9999/hook"


# --- changing, rotating, re-enabling, deleting ---------------------------------------------------


def test_a_change_needs_the_current_etag(client: TestClient, partner: Headers) -> None:
    url = f"{SUBSCRIPTIONS}/{created(client, partner)['id']}"
    patch = {"eventTypes": [GOAL_UPDATED]}
    assert client.patch(url, json=patch, headers=partner).status_code == 428
    stale = client.patch(url, json=patch, headers=partner | {"If-Match": '"7"'})
    assert stale.status_code == 412
    assert stale.headers["content-type"] == PROBLEM
    changed = client.patch(url, json=patch, headers=partner | {"If-Match": '"1"'})
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == '"2"'
    assert changed.json()["eventTypes"] == [GOAL_UPDATED]
    assert changed.json()["version"] == 2
    again = client.patch(url, json={"eventTypes": []}, headers=partner | {"If-Match": '"1"'})
    assert again.status_code == 412
    read = client.get(url, headers=partner)
    assert read.headers["etag"] == '"2"'
    assert read.json()["eventTypes"] == [GOAL_UPDATED]


def test_a_change_sets_and_clears_the_household_filter(
    client: TestClient, partner: Headers
) -> None:
    url = f"{SUBSCRIPTIONS}/{created(client, partner)['id']}"
    household = str(uuid.uuid4())
    first = client.patch(
        url, json={"householdId": household}, headers=partner | {"If-Match": '"1"'}
    )
    assert first.json()["householdId"] == household
    cleared = client.patch(url, json={"householdId": None}, headers=partner | {"If-Match": '"2"'})
    assert cleared.json()["householdId"] is None
    for patch in ({"callbackUrl": None}, {"eventTypes": None}, {"active": None}, {"secret": "x"}):
        response = client.patch(url, json=patch, headers=partner | {"If-Match": '"3"'})
        assert response.status_code == 422, (patch, response.text)


def test_only_an_administrator_changes_a_municipal_systems_municipalities(
    client: TestClient, municipal: Headers, admin: Headers, partner: Headers
) -> None:
    """When the system's municipalities change, its standing subscription follows only
    through the administrator; the system itself cannot widen what it reads."""
    url = f"{SUBSCRIPTIONS}/{created(client, municipal)['id']}"
    wider = {"municipalities": ["0193", "0148", "0363"]}
    refused = client.patch(url, json=wider, headers=municipal | {"If-Match": '"1"'})
    assert refused.status_code == 422
    assert refused.json()["invalidParams"][0]["reason"] == "only for an administrator"
    narrower = {"municipalities": ["0193"]}
    changed = client.patch(url, json=narrower, headers=admin | {"If-Match": '"1"'})
    assert changed.status_code == 200, changed.text
    assert changed.json()["municipalities"] == ["0193"]
    for empty in ([], None):
        response = client.patch(
            url, json={"municipalities": empty}, headers=admin | {"If-Match": '"2"'}
        )
        assert response.status_code == 422, empty
    partners = f"{SUBSCRIPTIONS}/{created(client, partner)['id']}"
    response = client.patch(partners, json=narrower, headers=admin | {"If-Match": '"1"'})
    assert response.status_code == 422


def test_rotation_keeps_the_previous_secret_for_the_grace_time(
    client: TestClient, partner: Headers, connection: Connection, clock: Clock
) -> None:
    body = created(client, partner)
    url = f"{SUBSCRIPTIONS}/{body['id']}"
    rotated = client.patch(url, json={"rotateSecret": True}, headers=partner | {"If-Match": '"1"'})
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new.startswith("whsec_")
    assert new != body["secret"]
    until = datetime.fromisoformat(rotated.json()["secretRotatedUntil"])
    assert timedelta(hours=23, minutes=59) < until - utcnow() <= timedelta(hours=24)
    with Session(connection) as session:
        stored = session.get(Subscription, uuid.UUID(body["id"]))
        assert stored is not None
        assert (stored.secret, stored.previous_secret) == (new, body["secret"])
        assert stored.previous_secret_until == until
    read = client.get(url, headers=partner)
    assert new not in read.text
    assert body["secret"] not in read.text
    assert read.json()["secretRotatedUntil"] == rotated.json()["secretRotatedUntil"]


def test_pausing_and_re_enabling(
    client: TestClient, partner: Headers, connection: Connection, household: Json
) -> None:
    body = created(client, partner)
    url = f"{SUBSCRIPTIONS}/{body['id']}"
    waiting = plant_deliveries(
        connection, uuid.UUID(body["id"]), [("pending", [500, 500]), ("delivered", [200])]
    )
    paused = client.patch(url, json={"active": False}, headers=partner | {"If-Match": '"1"'})
    assert paused.json()["active"] is False
    assert paused.json()["disabledReason"] == "paused by the subscriber"
    # The worker disabled it after a 410 while it was failing.
    with Session(connection, join_transaction_mode="create_savepoint") as session:
        stored = session.get(Subscription, uuid.UUID(body["id"]))
        assert stored is not None
        stored.disabled_reason = "the callback answered 410 Gone"
        stored.failing_since = utcnow() - timedelta(days=1)
        session.commit()
    disabled = client.get(url, headers=partner).json()
    assert disabled["disabledReason"] == "the callback answered 410 Gone"
    assert disabled["failingSince"] is not None
    enabled = client.patch(url, json={"active": True}, headers=partner | {"If-Match": '"2"'})
    assert enabled.status_code == 200, enabled.text
    result = enabled.json()
    assert result["active"] is True
    assert (result["disabledReason"], result["disabledAt"], result["failingSince"]) == (
        None,
        None,
        None,
    )
    # Its waiting delivery is due now, the retry schedule started over; the rest stays.
    assert due(connection, waiting[0]) <= utcnow()
    assert status_of(connection, waiting) == ["pending", "delivered"]
    attempts = connection.execute(
        select(col(Delivery.attempts))
        .where(col(Delivery.id).in_(waiting))
        .order_by(col(Delivery.id))
    ).scalars()
    assert list(attempts) == [0, 1]


def test_saying_active_again_does_not_reset_a_failing_subscriptions_clock(
    client: TestClient, partner: Headers, connection: Connection
) -> None:
    body = created(client, partner)
    failing = utcnow() - timedelta(days=2)
    with Session(connection, join_transaction_mode="create_savepoint") as session:
        stored = session.get(Subscription, uuid.UUID(body["id"]))
        assert stored is not None
        stored.failing_since = failing
        session.commit()
    url = f"{SUBSCRIPTIONS}/{body['id']}"
    again = client.patch(url, json={"active": True}, headers=partner | {"If-Match": '"1"'})
    assert again.status_code == 200, again.text
    assert datetime.fromisoformat(again.json()["failingSince"]) == failing


def test_deleting_takes_the_deliveries_along(
    client: TestClient,
    partner: Headers,
    connection: Connection,
    household: Json,
) -> None:
    body = created(client, partner)
    subscription_id = uuid.UUID(body["id"])
    deliveries = plant_deliveries(connection, subscription_id, [("pending", [None])])
    url = f"{SUBSCRIPTIONS}/{body['id']}"
    stale = client.delete(url, headers=partner | {"If-Match": '"9"'})
    assert stale.status_code == 412
    assert client.delete(url, headers=partner).status_code == 204
    assert client.get(url, headers=partner).status_code == 404
    with Session(connection) as session:
        assert session.get(Delivery, deliveries[0]) is None
        assert session.scalars(select(DeliveryAttempt)).all() == []


# --- the delivery log, redelivery and the state --------------------------------------------------


def events(connection: Connection) -> list[tuple[int, uuid.UUID, datetime]]:
    """The stored events (seq, public id, time), oldest first."""
    rows = connection.execute(
        select(col(Event.seq), col(Event.id), col(Event.occurred_at)).order_by(col(Event.seq))
    )
    return [(int(seq), id_, at) for seq, id_, at in rows]


def plant_deliveries(
    connection: Connection,
    subscription_id: uuid.UUID,
    plan: list[tuple[str, list[int | None]]],
    *,
    ago: timedelta = timedelta(0),
) -> list[int]:
    """A delivery per (status, attempts' status codes) on the stored events, oldest first;
    each attempt an hour after the one before, counted back from ``ago``; the next one due
    an hour later per attempt made."""
    stored = events(connection)
    assert len(stored) >= len(plan)
    now = utcnow()
    ids = []
    with Session(connection, join_transaction_mode="create_savepoint") as session:
        for (status, codes), (seq, event_id, _at) in zip(plan, stored, strict=False):
            delivery = Delivery(
                subscription_id=subscription_id,
                event_seq=seq,
                status=status,
                attempts=len(codes),
                next_attempt_at=now + timedelta(hours=len(codes)),  # backing off
                created_at=now - ago - timedelta(hours=len(codes)),
            )
            session.add(delivery)
            session.flush()
            assert delivery.id is not None
            ids.append(delivery.id)
            for n, code in enumerate(codes):
                session.add(
                    DeliveryAttempt(
                        subscription_id=subscription_id,
                        delivery_id=delivery.id,
                        event_id=event_id,
                        attempted_at=now - ago - timedelta(hours=len(codes) - n),
                        status_code=code,
                        latency_ms=10 + n,
                        error=None if code else "connection refused",
                    )
                )
        session.commit()
    return ids


def test_the_state_counts_backlog_oldest_and_failures_of_the_last_day(
    client: TestClient, partner: Headers, connection: Connection, household: Json
) -> None:
    mine = created(client, partner)
    quiet = created(client, partner)
    plant_deliveries(
        connection,
        uuid.UUID(mine["id"]),
        [
            ("pending", [500, None]),  # two failures within the day
            ("pending", []),
            ("delivered", [503, 200]),  # one failure
            ("withheld", []),
        ],
    )
    plant_deliveries(
        connection, uuid.UUID(quiet["id"]), [("delivered", [500, 200])], ago=timedelta(days=2)
    )
    expected_oldest = connection.execute(
        select(col(Delivery.created_at))
        .where(
            col(Delivery.subscription_id) == uuid.UUID(mine["id"]),
            col(Delivery.status) == "pending",
        )
        .order_by(col(Delivery.created_at))
    ).first()
    assert expected_oldest is not None
    listed = {i["id"]: i for i in client.get(SUBSCRIPTIONS, headers=partner).json()["items"]}
    detail = client.get(f"{SUBSCRIPTIONS}/{mine['id']}", headers=partner).json()
    for shown in (listed[mine["id"]], detail):
        assert shown["backlog"] == 2
        assert datetime.fromisoformat(shown["oldestPendingAt"]) == expected_oldest[0]
        assert shown["failedAttempts24h"] == 3
    other = listed[quiet["id"]]
    assert (other["backlog"], other["oldestPendingAt"], other["failedAttempts24h"]) == (0, None, 0)


def test_the_delivery_log_newest_first_without_payload(
    client: TestClient, partner: Headers, connection: Connection, household: Json
) -> None:
    body = created(client, partner)
    plant_deliveries(
        connection, uuid.UUID(body["id"]), [("delivered", [500, 200]), ("pending", [None])]
    )
    url = f"{SUBSCRIPTIONS}/{body['id']}/deliveries"
    first = client.get(url, params={"limit": 2}, headers=partner).json()
    rest = client.get(
        url, params={"limit": 2, "cursor": first["nextCursor"]}, headers=partner
    ).json()
    items = first["items"] + rest["items"]
    assert rest["nextCursor"] is None
    assert [i["statusCode"] for i in items] == [None, 200, 500]
    assert [i["deliveryStatus"] for i in items] == ["pending", "delivered", "delivered"]
    assert items[0]["error"] == "connection refused"
    times = [i["attemptedAt"] for i in items]
    assert times == sorted(times, reverse=True)
    stored = events(connection)
    assert {i["eventId"] for i in items} == {str(stored[0][1]), str(stored[1][1])}
    assert set(items[0]) == {
        "attemptedAt",
        "eventId",
        "statusCode",
        "latencyMs",
        "error",
        "deliveryStatus",
    }


def test_redelivery_of_one_event_and_since_a_moment(
    client: TestClient,
    partner: Headers,
    other_partner: Headers,
    connection: Connection,
    household: Json,
    clock: Clock,
) -> None:
    body = created(client, partner)
    subscription_id = uuid.UUID(body["id"])
    deliveries = plant_deliveries(
        connection,
        subscription_id,
        [("delivered", [200]), ("withheld", []), ("delivered", [500, 200])],
    )
    # Another organization's delivery of the first event stays as it is.
    theirs = created(client, other_partner)
    plant_deliveries(connection, uuid.UUID(theirs["id"]), [("delivered", [200])])
    stored = events(connection)
    url = f"{SUBSCRIPTIONS}/{body['id']}/redeliveries"
    clock.advance(timedelta(minutes=5))

    one = client.post(url, json={"eventId": str(stored[0][1])}, headers=keyed(partner))
    assert one.status_code == 202, one.text
    assert one.json() == {"queued": 1}
    assert status_of(connection, deliveries) == ["pending", "withheld", "delivered"]
    assert due(connection, deliveries[0]) <= utcnow()

    unknown = client.post(url, json={"eventId": str(uuid.uuid4())}, headers=keyed(partner))
    assert unknown.status_code == 404
    # An event that exists but was never owed to this subscription: the same 404.
    never = stored[len(deliveries)][1]
    owed = client.post(url, json={"eventId": str(never)}, headers=keyed(partner))
    assert owed.status_code == 404
    assert owed.content == unknown.content

    since = stored[1][2].isoformat()
    many = client.post(url, json={"since": since}, headers=keyed(partner))
    assert many.json() == {"queued": 2}
    assert status_of(connection, deliveries) == ["pending", "pending", "pending"]
    attempts = connection.execute(
        select(col(Delivery.attempts)).where(col(Delivery.id).in_(deliveries))
    ).scalars()
    assert set(attempts) == {0}  # the retry schedule starts over
    theirs_status = connection.execute(
        select(col(Delivery.status)).where(col(Delivery.subscription_id) == uuid.UUID(theirs["id"]))
    ).scalars()
    assert list(theirs_status) == ["delivered"]


@pytest.mark.parametrize(
    "body", [{}, {"eventId": str(uuid.uuid4()), "since": "2026-01-01T00:00:00Z"}, {"since": 5}]
)
def test_redelivery_takes_exactly_one_of_event_and_since(
    client: TestClient, partner: Headers, body: Json
) -> None:
    url = f"{SUBSCRIPTIONS}/{created(client, partner)['id']}/redeliveries"
    response = client.post(url, json=body, headers=keyed(partner))
    assert response.status_code == 422, response.text


def status_of(connection: Connection, ids: list[int]) -> list[str]:
    rows = dict(
        connection.execute(
            select(col(Delivery.id), col(Delivery.status)).where(col(Delivery.id).in_(ids))
        ).all()
    )
    return [rows[i] for i in ids]


def due(connection: Connection, delivery_id: int) -> datetime:
    found = connection.execute(
        select(col(Delivery.next_attempt_at)).where(col(Delivery.id) == delivery_id)
    ).scalar_one()
    assert isinstance(found, datetime)
    return found


# --- no case data ---------------------------------------------------------------------------------


def test_no_household_data_reaches_a_subscription_answer(
    client: TestClient,
    partner: Headers,
    admin: Headers,
    toegang: Headers,
    household: Json,
    connection: Connection,
) -> None:
    canary = "CANARY-subscriptions-7f3a"
    base = f"{API}/households/{household['id']}"
    member = {
        "givenName": canary,
        "familyName": canary,
        "birthDate": "1985-05-05",
        "relation": "parent",
        "bsn": "100000010",
    }
    assert client.post(f"{base}/members", json=member, headers=toegang).status_code == 201
    body = created(client, partner, householdId=household["id"])
    plant_deliveries(connection, uuid.UUID(body["id"]), [("pending", [500]), ("pending", [])])
    url = f"{SUBSCRIPTIONS}/{body['id']}"
    answers = [
        client.get(SUBSCRIPTIONS, headers=partner),
        client.get(SUBSCRIPTIONS, headers=admin),
        client.get(url, headers=partner),
        client.get(f"{url}/deliveries", headers=partner),
        client.patch(url, json={"rotateSecret": True}, headers=partner | {"If-Match": '"1"'}),
        client.post(
            f"{url}/redeliveries", json={"since": "2020-01-01T00:00:00Z"}, headers=keyed(partner)
        ),
    ]
    for answer in answers:
        assert answer.status_code < 300, answer.text
        assert canary not in answer.text
        assert "100000010" not in answer.text
