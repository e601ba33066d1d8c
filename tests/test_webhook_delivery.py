"""Webhook delivery: signed as Standard Webhooks, per household in order, retried with
back-off, disabled when the callback is gone or keeps failing, judged at delivery.

Changes are made through the API; subscriptions are inserted as rows (their API is another
package's), starting at the feed's head; the worker runs rounds on the test's connection
against a callback on 127.0.0.1 while the test moves the pinned clock.
"""

import base64
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlmodel import col
from standardwebhooks import Webhook, WebhookVerificationError

from gezinsplan.config import Settings
from gezinsplan.db import WRITE_OPTION, SessionFactory, make_engine, make_session_factory
from gezinsplan.errors import Problem
from gezinsplan.events import feed
from gezinsplan.events import repository as events_repository
from gezinsplan.events.models import Event
from gezinsplan.kit.clock import today, utcnow
from gezinsplan.main import create_app
from gezinsplan.rights.erasure import service as erasure
from gezinsplan.webhooks.delivery import repository as delivery_repository
from gezinsplan.webhooks.delivery import service as delivery_service
from gezinsplan.webhooks.delivery.service import backoff, callback_guard, retry_after
from gezinsplan.webhooks.models import Delivery, DeliveryAttempt, Subscription
from gezinsplan.webhooks.worker import DeliveryWorker
from tests.conftest import TEST_SECRET, Clock, Directory, Token, alembic_config
from tests.test_consents import add_member
from tests.test_erasure import RETENTION
from tests.webhook_receiver import Received, Receiver

API = "/api/v1"
CANARY_NAME = "CANARY-Xq7"
CANARY_BSN = "111222333"


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def allow(_url: str) -> None:
    """The callback guard of these tests: the receiver is on loopback."""


class Callback:
    """What the receiver answers, switched by the test: up, or down with a status."""

    def __init__(self) -> None:
        self.status = 200
        self.headers: dict[str, str] = {}

    def __call__(self, _received: Received) -> tuple[int, dict[str, str]]:
        return self.status, self.headers


@pytest.fixture
def callback() -> Callback:
    return Callback()


@pytest.fixture
def receiver(callback: Callback) -> Iterator[Receiver]:
    with Receiver(callback) as running:
        yield running


@pytest.fixture
def factory(connection: Connection) -> SessionFactory:
    return make_session_factory(connection, join_transaction_mode="create_savepoint")


@pytest.fixture
def worker(factory: SessionFactory, settings: Settings) -> Iterator[DeliveryWorker]:
    running = DeliveryWorker(factory, settings, allow)
    yield running
    running.stop()


@pytest.fixture
def team(token: Token, directory: Directory) -> dict[str, str]:
    """An access-team worker of the registered team, in Zwolle."""
    return token("toegang", municipalities=("0193",), org=uuid.UUID(directory.access_team))


Subscribe = Callable[..., Subscription]


@pytest.fixture
def subscribe(factory: SessionFactory, receiver: Receiver, directory: Directory) -> Subscribe:
    """Insert a subscription at the feed's head: the access team's by default."""

    def make(**changes: Any) -> Subscription:
        with factory.begin() as session:
            head = events_repository.head(session)
            values: dict[str, Any] = {
                "organization_id": uuid.UUID(directory.access_team),
                "client_role": "toegang",
                "municipalities": ["0193"],
                "callback_url": receiver.url,
                "secret": new_secret(),
                "created_by": "test",
                "feed_txid": head.txid,
                "feed_seq": head.seq,
            } | changes
            subscription = Subscription(**values)
            session.add(subscription)
        return subscription

    return make


def open_household(client: TestClient, headers: dict[str, str], name: str) -> str:
    body = {"municipalityCode": "0193", "name": name, "referralSource": "municipal_access"}
    response = client.post(f"{API}/households", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def add_goal(
    client: TestClient, household_id: str, headers: dict[str, str], domain: str = "finances"
) -> str:
    body = {"lifeDomain": domain, "description": "Schulden op orde", "zrmStart": 2, "zrmTarget": 4}
    response = client.post(
        f"{API}/households/{household_id}/plan/goals", json=body, headers=headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


Sent = tuple[str, str | None, str]  # an event's id, household id and type


def written_after(connection: Connection, subscription: Subscription) -> list[Sent]:
    """The events written since the subscription started, in feed order."""
    place = feed.Position(subscription.feed_txid, subscription.feed_seq)
    rows = connection.execute(
        select(col(Event.id), col(Event.household_id), col(Event.type))
        .where(events_repository.after(place))
        .order_by(*events_repository.IN_ORDER)
    ).all()
    return [(str(id_), None if h is None else str(h), type_) for id_, h, type_ in rows]


def drain(worker: DeliveryWorker) -> int:
    """Rounds until one finds nothing to do; the work done in all."""
    total = 0
    for _ in range(100):
        done = worker.run_once()
        if done == 0:
            return total
        total += done
    raise AssertionError("the worker never ran out of work")


def body(received: Received) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(received.body)
    return parsed


def first_arrivals(received: list[Received]) -> list[str]:
    """Event ids in the order each first arrived."""
    seen: dict[str, None] = {}
    for one in received:
        seen.setdefault(body(one)["id"], None)
    return list(seen)


def in_household(sent: list[Sent], household_id: str) -> list[str]:
    return [id_ for id_, household, _ in sent if household == household_id]


def deliveries(factory: SessionFactory, subscription: Subscription) -> list[Delivery]:
    with factory() as session:
        return list(
            session.scalars(
                select(Delivery)
                .where(col(Delivery.subscription_id) == subscription.id)
                .order_by(col(Delivery.id))
            )
        )


def reload(factory: SessionFactory, subscription: Subscription) -> Subscription:
    with factory() as session:
        found = session.get(Subscription, subscription.id)
        assert found is not None
        return found


def test_each_message_verifies_with_standard_webhooks_also_while_a_secret_rotates(
    client: TestClient,
    team: dict[str, str],
    subscribe: Subscribe,
    worker: DeliveryWorker,
    receiver: Receiver,
    connection: Connection,
    factory: SessionFactory,
) -> None:
    old = new_secret()
    subscription = subscribe(secret=old)
    household_id = open_household(client, team, "Gezin Jansen")
    add_goal(client, household_id, team)
    assert drain(worker) > 0
    sent = written_after(connection, subscription)
    assert first_arrivals(receiver.received) == [id_ for id_, _, _ in sent]
    for one in receiver.received:
        payload = Webhook(old).verify(one.body, one.headers)
        assert one.headers["webhook-id"] == payload["id"]
        assert one.headers["content-type"] == "application/cloudevents+json"
        assert payload["specversion"] == "1.0"
        assert payload["subject"] == household_id

    new = new_secret()
    with factory.begin() as session:
        rotated = session.get(Subscription, subscription.id)
        assert rotated is not None
        rotated.previous_secret, rotated.secret = rotated.secret, new
        rotated.previous_secret_until = utcnow() + timedelta(hours=24)
    before = len(receiver.received)
    add_goal(client, household_id, team, "parenting")
    drain(worker)
    during = receiver.received[before:]
    assert during
    for one in during:
        Webhook(old).verify(one.body, one.headers)
        Webhook(new).verify(one.body, one.headers)
        assert len(one.headers["webhook-signature"].split(" ")) == 2

    with factory.begin() as session:
        rotated = session.get(Subscription, subscription.id)
        assert rotated is not None
        rotated.previous_secret_until = utcnow() - timedelta(seconds=1)
    before = len(receiver.received)
    add_goal(client, household_id, team, "housing")
    drain(worker)
    after = receiver.received[before:]
    assert after
    for one in after:
        Webhook(new).verify(one.body, one.headers)
        with pytest.raises(WebhookVerificationError):
            Webhook(old).verify(one.body, one.headers)


def test_a_household_waits_for_its_failed_event_while_others_go_on(
    client: TestClient,
    team: dict[str, str],
    subscribe: Subscribe,
    worker: DeliveryWorker,
    receiver: Receiver,
    callback: Callback,
    connection: Connection,
    clock: Clock,
) -> None:
    subscription = subscribe()
    first = open_household(client, team, "Gezin Eerst")
    second = open_household(client, team, "Gezin Tweede")
    for domain in ("finances", "parenting", "housing"):
        add_goal(client, first, team, domain)
        add_goal(client, second, team, domain)
    sent = written_after(connection, subscription)
    failing = in_household(sent, first)[1]
    # The callback refuses the first household's second event until told otherwise.
    callback_answers = {"refuse": True}

    def respond(received: Received) -> tuple[int, dict[str, str]]:
        if callback_answers["refuse"] and body(received)["id"] == failing:
            return 503, {}
        return 200, {}

    receiver.respond = respond
    worker.run_once()
    arrived = first_arrivals(receiver.received)
    assert [id_ for id_ in arrived if id_ in in_household(sent, second)] == in_household(
        sent, second
    )
    # The first household: up to the failed event, nothing after it.
    assert [id_ for id_ in arrived if id_ in in_household(sent, first)] == in_household(
        sent, first
    )[:2]

    # Later rows are due, but an earlier one waits for its retry: none of them goes.
    clock.advance(timedelta(seconds=1))
    count = len(receiver.received)
    worker.run_once()
    assert len(receiver.received) == count

    callback_answers["refuse"] = False
    clock.advance(timedelta(hours=1))
    drain(worker)
    arrived = first_arrivals(receiver.received)
    for household in (first, second):
        assert [i for i in arrived if i in in_household(sent, household)] == in_household(
            sent, household
        )
    assert sorted(arrived) == sorted(id_ for id_, _, _ in sent)


def test_a_retry_waits_for_the_back_off_and_for_retry_after(
    client: TestClient,
    team: dict[str, str],
    subscribe: Subscribe,
    worker: DeliveryWorker,
    receiver: Receiver,
    callback: Callback,
    factory: SessionFactory,
    clock: Clock,
) -> None:
    subscription = subscribe()
    callback.status, callback.headers = 503, {"Retry-After": "120"}
    open_household(client, team, "Gezin Jansen")
    started = utcnow()
    worker.run_once()
    assert len(receiver.received) == 1  # the household's later events wait behind it
    pending = deliveries(factory, subscription)[0]
    assert (pending.status, pending.attempts) == ("pending", 1)
    assert pending.next_attempt_at >= started + timedelta(seconds=120)

    clock.advance(timedelta(seconds=60))
    worker.run_once()
    assert len(receiver.received) == 1  # not before Retry-After

    callback.headers = {}
    clock.advance(timedelta(seconds=61))
    worker.run_once()
    assert len(receiver.received) == 2
    pending = deliveries(factory, subscription)[0]
    waited = pending.next_attempt_at - utcnow()
    assert timedelta(seconds=4) <= waited <= timedelta(seconds=11)  # the second step: 5-10 s

    callback.status = 204
    clock.advance(timedelta(seconds=11))
    drain(worker)
    done = deliveries(factory, subscription)
    assert (done[0].status, done[0].attempts) == ("delivered", 3)
    assert {d.status for d in done} == {"delivered"}
    assert reload(factory, subscription).failing_since is None
    with factory() as session:
        attempts = session.scalars(
            select(DeliveryAttempt)
            .where(col(DeliveryAttempt.delivery_id) == done[0].id)
            .order_by(col(DeliveryAttempt.id))
        ).all()
    assert [(a.status_code, a.error) for a in attempts] == [
        (503, "HTTP 503"),
        (503, "HTTP 503"),
        (204, None),
    ]
    assert all(a.latency_ms >= 0 for a in attempts)


def test_retry_after_is_read_as_seconds_or_a_date_and_the_back_off_grows_to_an_hour() -> None:
    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    assert retry_after("30", now) == now + timedelta(seconds=30)
    later = now + timedelta(minutes=10)
    assert retry_after(format_datetime(later, usegmt=True), now) == later
    assert retry_after("soon", now) is None
    assert retry_after("9999999", now) == now + timedelta(days=1)
    assert backoff(1) == timedelta(seconds=5)
    for attempts in range(2, 30):
        ceiling = min(timedelta(hours=1), timedelta(seconds=5 * 2 ** (attempts - 1)))
        assert timedelta(seconds=5) <= backoff(attempts) <= ceiling


def test_410_gone_disables_the_subscription_and_keeps_what_is_owed(
    client: TestClient,
    team: dict[str, str],
    subscribe: Subscribe,
    worker: DeliveryWorker,
    receiver: Receiver,
    callback: Callback,
    factory: SessionFactory,
    clock: Clock,
) -> None:
    subscription = subscribe()
    callback.status = 410
    open_household(client, team, "Gezin Jansen")
    worker.run_once()
    disabled = reload(factory, subscription)
    assert (disabled.active, disabled.disabled_reason) == (False, "callback answered 410 Gone")
    assert len(receiver.received) == 1
    assert {d.status for d in deliveries(factory, subscription)} == {"pending"}
    clock.advance(timedelta(hours=2))
    assert worker.run_once() == 0
    assert len(receiver.received) == 1


def test_days_of_failure_disable_and_nothing_is_lost_when_enabled_again(
    client: TestClient,
    team: dict[str, str],
    subscribe: Subscribe,
    worker: DeliveryWorker,
    receiver: Receiver,
    callback: Callback,
    factory: SessionFactory,
    connection: Connection,
    clock: Clock,
    settings: Settings,
) -> None:
    subscription = subscribe()
    callback.status = 500
    household_id = open_household(client, team, "Gezin Jansen")
    started = utcnow()
    rounds = 0
    while reload(factory, subscription).active:
        if rounds % 24 == 0:  # a change a day while it fails
            add_goal(
                client, household_id, team, ("finances", "parenting", "housing")[rounds // 24 % 3]
            )
        worker.run_once()
        clock.advance(timedelta(hours=1))
        rounds += 1
        assert rounds < 24 * 5
    disabled = reload(factory, subscription)
    assert disabled.disabled_reason is not None
    assert disabled.disabled_reason.startswith("failing since ")
    assert disabled.disabled_at is not None
    assert disabled.disabled_at - started >= timedelta(days=settings.webhooks_disable_after_days)
    assert first_arrivals(receiver.received) == [written_after(connection, subscription)[0][0]]
    add_goal(client, household_id, team, "parenting")  # while disabled

    with factory.begin() as session:
        enabled = session.get(Subscription, subscription.id)
        assert enabled is not None
        enabled.active, enabled.failing_since = True, None
        enabled.disabled_reason = enabled.disabled_at = None
    callback.status = 200
    clock.advance(timedelta(hours=1))
    drain(worker)
    sent = [id_ for id_, _, _ in written_after(connection, subscription)]
    assert first_arrivals(receiver.received) == sent
    assert {d.status for d in deliveries(factory, subscription)} == {"delivered"}


def test_after_an_hour_down_every_event_arrives_oldest_first(
    client: TestClient,
    team: dict[str, str],
    subscribe: Subscribe,
    worker: DeliveryWorker,
    receiver: Receiver,
    callback: Callback,
    connection: Connection,
    clock: Clock,
) -> None:
    subscription = subscribe()
    households = [open_household(client, team, f"Gezin {n}") for n in range(3)]
    callback.status = 503
    domains = ("finances", "parenting", "housing", "justice")
    for minute in range(0, 60, 5):
        add_goal(client, households[minute % 3], team, domains[minute % 4])
        worker.run_once()
        clock.advance(timedelta(minutes=5))
    assert receiver.received
    assert all(body(one)["id"] for one in receiver.received)
    callback.status = 200
    clock.advance(timedelta(hours=1))
    drain(worker)
    written = written_after(connection, subscription)
    sent = [id_ for id_, _, _ in written]
    arrived = first_arrivals(receiver.received)
    assert sorted(arrived) == sorted(sent)
    for household in households:
        ours = in_household(written, household)
        assert [id_ for id_ in arrived if id_ in ours] == ours
    # After the outage everything was due at once, so it went out in feed order.
    up = [body(one)["id"] for one in receiver.received[-len(sent) :]]
    assert up == sent


def test_a_withdrawn_consent_withholds_the_next_events_and_the_undelivered_ones(
    client: TestClient,
    team: dict[str, str],
    token: Token,
    subscribe: Subscribe,
    worker: DeliveryWorker,
    receiver: Receiver,
    callback: Callback,
    directory: Directory,
    factory: SessionFactory,
    connection: Connection,
    clock: Clock,
) -> None:
    household_id = open_household(client, team, "Gezin Jansen")
    parent = add_member(client, household_id, team)
    base = f"{API}/households/{household_id}"
    role = client.post(f"{base}/roles", json={"organizationId": directory.debt_help}, headers=team)
    assert role.status_code == 201, role.text
    consent = client.post(
        f"{base}/consents",
        json={
            "granteeOrganizationId": directory.debt_help,
            "categories": ["basic", "plan"],
            "lifeDomains": ["finances"],
            "purpose": "Schuldhulpverlening",
            "validFrom": today().isoformat(),
            "givenByMemberId": parent["id"],
        },
        headers=team,
    )
    assert consent.status_code == 201, consent.text
    partner = subscribe(
        organization_id=uuid.UUID(directory.debt_help),
        client_role="partner_system",
        municipalities=[],
    )
    add_goal(client, household_id, team, "finances")
    worker.run_once()
    seen = [id_ for id_, _, _ in written_after(connection, partner)]
    assert first_arrivals(receiver.received) == seen

    callback.status = 503
    add_goal(client, household_id, team, "finances")
    worker.run_once()
    withdrawn = client.post(f"{base}/consents/{consent.json()['id']}/withdraw", headers=team)
    assert withdrawn.status_code == 200, withdrawn.text
    add_goal(client, household_id, team, "finances")

    callback.status = 200
    count = len(receiver.received)
    clock.advance(timedelta(hours=1))
    drain(worker)
    assert receiver.received[count:] == []
    owed = deliveries(factory, partner)
    assert len(owed) == len(written_after(connection, partner)) > len(seen)
    assert [d.status for d in owed] == ["delivered"] * len(seen) + ["withheld"] * (
        len(owed) - len(seen)
    )


def test_no_name_or_bsn_in_a_body_a_header_or_an_attempt(
    client: TestClient,
    team: dict[str, str],
    subscribe: Subscribe,
    worker: DeliveryWorker,
    receiver: Receiver,
    callback: Callback,
    factory: SessionFactory,
    connection: Connection,
    clock: Clock,
) -> None:
    subscription = subscribe(callback_url=receiver.url + "?key=QUERY-SECRET")
    household_id = open_household(client, team, "Gezin CANARY")
    add_member(client, household_id, team, givenName=CANARY_NAME, bsn=CANARY_BSN)
    callback.status = 500
    worker.run_once()
    callback.status = 200
    clock.advance(timedelta(hours=1))
    drain(worker)
    sent = [id_ for id_, _, _ in written_after(connection, subscription)]
    assert first_arrivals(receiver.received) == sent
    with factory() as session:
        attempts = session.scalars(
            select(DeliveryAttempt).where(col(DeliveryAttempt.subscription_id) == subscription.id)
        ).all()
    assert {a.status_code for a in attempts} == {500, 200}
    texts = [one.body.decode() + json.dumps(one.headers) for one in receiver.received]
    texts += [repr(attempt.model_dump()) for attempt in attempts]
    for text in texts:
        for planted in (CANARY_NAME, CANARY_BSN, "Gezin CANARY", "QUERY-SECRET"):
            assert planted not in text


def test_a_repeated_message_repeats_its_webhook_id_and_body(
    client: TestClient,
    team: dict[str, str],
    subscribe: Subscribe,
    worker: DeliveryWorker,
    receiver: Receiver,
    callback: Callback,
    clock: Clock,
) -> None:
    subscribe()
    household_id = open_household(client, team, "Gezin Jansen")
    add_goal(client, household_id, team)
    # The callback takes every message but answers 500 the first time: each comes twice.
    answered: set[str] = set()

    def respond(received: Received) -> tuple[int, dict[str, str]]:
        message = received.headers["webhook-id"]
        if message in answered:
            return 200, {}
        answered.add(message)
        return 500, {}

    receiver.respond = respond
    for _ in range(10):
        worker.run_once()
        clock.advance(timedelta(minutes=5))
    by_id: dict[str, set[bytes]] = {}
    for one in receiver.received:
        assert one.headers["webhook-id"] == body(one)["id"]
        by_id.setdefault(one.headers["webhook-id"], set()).add(one.body)
    assert len(receiver.received) == 2 * len(by_id)
    assert all(len(bodies) == 1 for bodies in by_id.values())


def test_a_leased_subscription_is_left_to_its_worker_until_the_lease_runs_out(
    client: TestClient,
    team: dict[str, str],
    subscribe: Subscribe,
    factory: SessionFactory,
    settings: Settings,
    receiver: Receiver,
    connection: Connection,
    clock: Clock,
) -> None:
    subscription = subscribe()
    open_household(client, team, "Gezin Jansen")
    other = DeliveryWorker(factory, settings, allow, owner="other")
    try:
        now = utcnow()
        with factory.begin() as session:
            claimed = delivery_repository.claim(
                session, "stalled", now, now + timedelta(seconds=30), ()
            )
            assert claimed is not None
        assert other.run_once() == 0
        assert receiver.received == []
        clock.advance(timedelta(seconds=31))
        assert other.run_once() > 0
        sent = [id_ for id_, _, _ in written_after(connection, subscription)]
        assert first_arrivals(receiver.received) == sent
        with factory.begin() as session:  # the stalled worker's fence: no longer its lease
            assert (
                delivery_repository.renew(
                    session, claimed.id, "stalled", utcnow(), utcnow() + timedelta(seconds=30)
                )
                is None
            )
    finally:
        other.stop()


@pytest.mark.parametrize("engine_name", ["sqlite"])
def test_the_service_delivers_in_a_thread_of_its_own_while_it_serves(
    engine_name: str,
    create_database: Callable[[str], str],
    tmp_path: Path,
    token: Token,
) -> None:
    url = create_database("sqlite")
    command.upgrade(alembic_config(url), "head")
    settings = Settings(
        var_dir=tmp_path / "var",
        jwt_secret=TEST_SECRET,
        database_url=url,
        webhooks_interval=0.05,
        webhooks_allow_loopback=True,
    )
    admin = token("admin")
    with Receiver() as receiver, TestClient(create_app(settings)) as client:
        assert "webhook-delivery" in {thread.name for thread in threading.enumerate()}
        body = {"kind": "municipality", "name": "Gemeente Zwolle", "municipalityCode": "0193"}
        assert client.post(f"{API}/organizations", json=body, headers=admin).status_code == 201
        body = {"kind": "access_team", "name": "Wijkteam", "servedMunicipalities": ["0193"]}
        team_id = client.post(f"{API}/organizations", json=body, headers=admin).json()["id"]
        engine = make_engine(url)
        with make_session_factory(engine).begin() as session:
            # A writer beside the service's threads takes its turn first, as they do: a
            # deferred transaction whose read went stale cannot start writing.
            session.connection(execution_options={WRITE_OPTION: True})
            head = events_repository.head(session)
            session.add(
                Subscription(
                    organization_id=uuid.UUID(team_id),
                    client_role="toegang",
                    municipalities=["0193"],
                    callback_url=receiver.url,
                    secret=new_secret(),
                    created_by="test",
                    feed_txid=head.txid,
                    feed_seq=head.seq,
                )
            )
        engine.dispose()
        team = token("toegang", municipalities=("0193",), org=uuid.UUID(team_id))
        household_id = open_household(client, team, "Gezin Jansen")
        for _ in range(200):
            if receiver.snapshot():
                break
            time.sleep(0.05)
        assert body_of_first(receiver)["subject"] == household_id
    assert "webhook-delivery" not in {thread.name for thread in threading.enumerate()}


def body_of_first(receiver: Receiver) -> dict[str, Any]:
    received = receiver.snapshot()
    assert received, "nothing was delivered"
    return body(received[0])


def test_a_callback_the_guard_refuses_is_not_called_and_is_retried_like_a_failure(
    client: TestClient,
    team: dict[str, str],
    subscribe: Subscribe,
    factory: SessionFactory,
    settings: Settings,
    receiver: Receiver,
    clock: Clock,
) -> None:
    refusing = {"now": True}

    def guard(url: str) -> None:
        if refusing["now"]:
            raise ValueError(f"{url} resolves to a private address")

    subscription = subscribe()
    open_household(client, team, "Gezin Jansen")
    guarded = DeliveryWorker(factory, settings, guard)
    try:
        guarded.run_once()
        assert receiver.received == []
        first = deliveries(factory, subscription)[0]
        assert (first.status, first.attempts) == ("pending", 1)
        with factory() as session:
            (attempt,) = session.scalars(select(DeliveryAttempt)).all()
        assert (attempt.status_code, attempt.error) == (None, "refused by the callback guard")
        refusing["now"] = False
        clock.advance(timedelta(minutes=1))
        drain(guarded)
        assert {d.status for d in deliveries(factory, subscription)} == {"delivered"}
    finally:
        guarded.stop()


@pytest.mark.parametrize(
    ("url", "loopback", "allowed"),
    [
        ("https://8.8.8.8/hook", False, True),
        ("http://8.8.8.8/hook", True, False),
        ("https://10.0.0.7/hook", False, False),
        ("https://169.254.169.254/latest/meta-data", False, False),
        ("http://127.0.0.1:8080/hook", False, False),
        ("http://127.0.0.1:8080/hook", True, True),
        ("ftp://8.8.8.8/hook", True, False),
    ],
)
def test_the_service_checks_the_callback_again_before_it_posts(
    url: str, loopback: bool, allowed: bool
) -> None:
    guard = callback_guard(Settings(jwt_secret=TEST_SECRET, webhooks_allow_loopback=loopback))
    if allowed:
        guard(url)
    else:
        with pytest.raises(Problem):
            guard(url)


def test_the_purge_spares_events_still_owed_until_they_are_delivered(
    client: TestClient,
    team: dict[str, str],
    subscribe: Subscribe,
    worker: DeliveryWorker,
    receiver: Receiver,
    callback: Callback,
    connection: Connection,
    clock: Clock,
    settings: Settings,
) -> None:
    def households_with_events() -> set[str]:
        rows = connection.execute(select(col(Event.household_id)).distinct()).scalars()
        return {str(household) for household in rows if household is not None}

    before = open_household(client, team, "Gezin Eerder")
    subscription = subscribe()
    owed = open_household(client, team, "Gezin Verschuldigd")
    sent = [id_ for id_, _, _ in written_after(connection, subscription)]
    callback.status = 503
    worker.run_once()
    assert households_with_events() == {before, owed}

    clock.advance(timedelta(days=settings.event_retention_days, minutes=1))
    callback.status = 200
    worker.run_once()  # purges first, then delivers what it kept
    assert households_with_events() == {owed}
    drain(worker)
    assert first_arrivals(receiver.received) == sent

    clock.advance(timedelta(minutes=2))
    worker.run_once()
    assert households_with_events() == set()


def test_settled_deliveries_and_their_attempts_go_once_the_events_are_not_kept(
    client: TestClient,
    team: dict[str, str],
    subscribe: Subscribe,
    worker: DeliveryWorker,
    callback: Callback,
    connection: Connection,
    clock: Clock,
    settings: Settings,
) -> None:
    def deliveries_by_status() -> dict[str, int]:
        rows = connection.execute(
            select(col(Delivery.status), func.count()).group_by(col(Delivery.status))
        ).all()
        return dict(rows)

    def attempts_without_delivery() -> int:
        kept = select(col(Delivery.id))
        orphaned = select(func.count()).where(col(DeliveryAttempt.delivery_id).not_in(kept))
        return int(connection.scalar(orphaned.select_from(DeliveryAttempt)) or 0)

    subscribe()
    open_household(client, team, "Gezin Eerder")
    assert drain(worker) > 0
    clock.advance(timedelta(days=1))
    callback.status = 503
    open_household(client, team, "Gezin Later")
    worker.run_once()
    before = deliveries_by_status()
    assert before["delivered"] > 0
    assert before["pending"] > 0

    # Just short of the retention nothing goes; past it only what is settled.
    clock.advance(timedelta(days=settings.event_retention_days - 1, minutes=-1))
    worker.run_once()
    assert deliveries_by_status() == before
    attempts = select(func.count()).select_from(DeliveryAttempt)
    owed = attempts.join(Delivery).where(col(Delivery.status) == "pending")
    owed_before = connection.scalar(owed)
    assert owed_before
    assert connection.scalar(attempts) > owed_before
    clock.advance(timedelta(minutes=2))
    worker.run_once()
    assert deliveries_by_status() == {"pending": before["pending"]}
    # The settled deliveries' attempts went with them; the pending ones' log is whole.
    assert attempts_without_delivery() == 0
    assert connection.scalar(attempts) == connection.scalar(owed) >= owed_before


def _purges_in_one_round(worker: DeliveryWorker, connection: Connection) -> list[str]:
    """The DELETEs of events the worker sent in one round, in upper case."""
    sent: list[str] = []

    def note(_connection: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        sent.append(statement.lstrip().upper())

    sqlalchemy.event.listen(connection, "before_cursor_execute", note)
    try:
        worker.run_once()
    finally:
        sqlalchemy.event.remove(connection, "before_cursor_execute", note)
    return [statement for statement in sent if statement.startswith("DELETE FROM EVENTS")]


def test_the_purge_deletes_in_the_database_without_fetching_what_it_deletes(
    client: TestClient,
    team: dict[str, str],
    worker: DeliveryWorker,
    connection: Connection,
    clock: Clock,
    settings: Settings,
) -> None:
    """At a million households the purge removes millions of events. Fetched back (the ORM's
    RETURNING, to keep its session in step), their keys held the worker's GIL until uvicorn
    took the worker for hung and killed it."""
    open_household(client, team, "Gezin Oud")
    clock.advance(timedelta(days=settings.event_retention_days, minutes=1))
    purges = _purges_in_one_round(worker, connection)
    assert len(purges) == 1
    assert "RETURNING" not in purges[0]
    assert connection.scalar(select(func.count()).select_from(Event)) == 0


def test_a_long_history_is_purged_in_transactions_of_bounded_length(
    client: TestClient,
    team: dict[str, str],
    worker: DeliveryWorker,
    connection: Connection,
    clock: Clock,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As one DELETE, the first purge after a start on old data held SQLite's write lock for
    seconds; each batch is a transaction of its own, and the mark ends past them all."""
    monkeypatch.setattr(delivery_service, "PURGE_BATCH", 2)
    for name in ("Gezin Een", "Gezin Twee", "Gezin Drie"):
        open_household(client, team, name)
    written = connection.execute(
        select(col(Event.txid), col(Event.seq)).order_by(*events_repository.IN_ORDER)
    ).all()
    assert len(written) >= 3
    clock.advance(timedelta(days=settings.event_retention_days, minutes=1))
    purges = _purges_in_one_round(worker, connection)
    assert len(purges) == -(-len(written) // 2)  # two events a transaction
    assert connection.scalar(select(func.count()).select_from(Event)) == 0
    with make_session_factory(connection)() as session:
        mark = events_repository.state(session)
        assert (mark.purged_txid, mark.purged_seq) == tuple(written[-1])


def redirect(_request: httpx.Request) -> httpx.Response:
    return httpx.Response(302, headers={"location": "https://elsewhere.example.nl"})


def throttle(_request: httpx.Request) -> httpx.Response:
    return httpx.Response(429, headers={"retry-after": "600"})


def time_out(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("slow", request=request)


def refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("refused", request=request)


@pytest.mark.parametrize(
    ("answer", "status_code", "error"),
    [
        (redirect, 302, "HTTP 302"),
        (throttle, 429, "HTTP 429"),
        (time_out, None, "timed out"),
        (refuse, None, "ConnectError"),
    ],
    ids=["redirect", "throttled", "timeout", "refused"],
)
def test_a_redirect_a_throttle_a_timeout_or_a_refused_connection_is_retried(
    client: TestClient,
    team: dict[str, str],
    subscribe: Subscribe,
    factory: SessionFactory,
    settings: Settings,
    answer: Callable[[httpx.Request], httpx.Response],
    status_code: int | None,
    error: str,
) -> None:
    requests: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return answer(request)

    subscription = subscribe(callback_url="https://partner.example.nl/hook?key=QUERY-SECRET")
    open_household(client, team, "Gezin Jansen")
    mocked = DeliveryWorker(factory, settings, allow, transport=httpx.MockTransport(handle))
    try:
        started = utcnow()
        mocked.run_once()
    finally:
        mocked.stop()
    assert len(requests) == 1  # a redirect is not followed
    first = deliveries(factory, subscription)[0]
    assert (first.status, first.attempts) == ("pending", 1)
    assert first.next_attempt_at >= started + timedelta(seconds=600 if status_code == 429 else 5)
    with factory() as session:
        (attempt,) = session.scalars(select(DeliveryAttempt)).all()
    assert (attempt.status_code, attempt.error) == (status_code, error)
    assert reload(factory, subscription).failing_since is not None


def test_an_erasure_reaches_the_recipients_webhook_and_no_one_elses(
    client: TestClient,
    team: dict[str, str],
    subscribe: Subscribe,
    worker: DeliveryWorker,
    receiver: Receiver,
    directory: Directory,
    factory: SessionFactory,
) -> None:
    """The household.erased event is addressed to the organizations that received the data
    (decision 0043): their subscription gets it although the household is gone; another's
    does not."""
    household_id = open_household(client, team, "Gezin Jansen")
    base = f"{API}/households/{household_id}"
    role = client.post(f"{base}/roles", json={"organizationId": directory.debt_help}, headers=team)
    assert role.status_code == 201, role.text
    closed = client.post(f"{base}/close", json={"closingReason": "goals_achieved"}, headers=team)
    assert closed.status_code == 200, closed.text
    recipient = subscribe(
        organization_id=uuid.UUID(directory.debt_help),
        client_role="partner_system",
        municipalities=[],
        callback_url=receiver.url + "/debt-help",
    )
    other = subscribe(
        organization_id=uuid.UUID(directory.youth_care),
        client_role="partner_system",
        municipalities=[],
        callback_url=receiver.url + "/youth-care",
    )
    with factory.begin() as session:
        erasure.erase(session, uuid.UUID(household_id), RETENTION)
    drain(worker)
    told = [
        (one.path.rsplit("/", 1)[-1], body(one)["type"], body(one)["subject"])
        for one in receiver.received
        if body(one)["type"] == "nl.gezinsplan.household.erased.v1"
    ]
    assert told == [("debt-help", "nl.gezinsplan.household.erased.v1", household_id)]
    assert [d.status for d in deliveries(factory, other)] == ["withheld"]
    assert "delivered" in [d.status for d in deliveries(factory, recipient)]
