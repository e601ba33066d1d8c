"""Progress updates on goals: who may report, append-only corrections, and who reads them.

The care provider a goal is assigned to reports on it (its professionals and its partner
system), and so do the regisseur and the access team; anyone else gets the 404 a
nonexistent goal gets. Reading needs the `progress` consent and sees only its life domains.
"""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from gezinsplan.audit.models import AuditRecord
from gezinsplan.events.models import Event
from gezinsplan.progress.models import ProgressUpdate
from tests.conftest import Clock, Directory, Token
from tests.progress_case import API, Case, build_case, give_consent, report

PROBLEM = "application/problem+json"


@pytest.fixture
def case(
    client: TestClient,
    token: Token,
    toegang: dict[str, str],
    household: dict[str, Any],
    directory: Directory,
) -> Case:
    return build_case(client, token, toegang, household, directory)


def progress_url(case: Case, domain: str) -> str:
    return f"{case.base}/plan/goals/{case.goals[domain]}/progress"


def test_the_assigned_provider_reports_on_its_goal(
    client: TestClient, case: Case, connection: Connection
) -> None:
    body = report(zrmScore=3, outcome="on_track", outcomeNote="Twee schuldeisers akkoord.")
    response = client.post(progress_url(case, "finances"), json=body, headers=case.provider)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["organizationId"] == case.directory.debt_help
    assert (created["text"], created["zrmScore"], created["outcome"]) == (
        "Betaalplan loopt.",
        3,
        "on_track",
    )
    assert (created["corrects"], created["correctedBy"], created["authorName"]) == (
        None,
        None,
        "Test schuldhulp-carla",
    )
    location = response.headers["location"]
    assert location == f"{case.base}/progress/{created['id']}"
    assert client.get(location, headers=case.toegang).json() == created

    events = connection.execute(
        select(col(Event.type)).where(col(Event.resource_id) == uuid.UUID(created["id"]))
    ).all()
    assert events == [("progress.reported",)]
    record = connection.execute(
        select(col(AuditRecord.legal_basis), col(AuditRecord.legal_basis_id)).where(
            col(AuditRecord.resource_id) == created["id"], col(AuditRecord.method) == "POST"
        )
    ).one()
    assert tuple(record) == (
        "care_assignment",
        uuid.UUID(case.roles[case.directory.debt_help]),
    )


def test_the_access_team_reports_on_any_goal_without_an_organization(
    client: TestClient, case: Case
) -> None:
    for domain in ("finances", "housing"):
        response = client.post(progress_url(case, domain), json=report(), headers=case.toegang)
        assert response.status_code == 201, response.text
        assert response.json()["organizationId"] is None


def test_the_regisseur_reports(client: TestClient, case: Case, token: Token) -> None:
    regisseur = token("care_provider", org=uuid.UUID(case.directory.youth_care), sub="bart")
    body = {
        "professionalSub": "bart",
        "professionalName": "Bart Visser",
        "organizationId": case.directory.youth_care,
        "reason": "Regie bij jeugdhulp.",
    }
    assigned = client.put(f"{case.base}/regisseur", json=body, headers=case.toegang)
    assert assigned.status_code == 200, assigned.text
    response = client.post(progress_url(case, "housing"), json=report(), headers=regisseur)
    assert response.status_code == 201, response.text


def test_a_partner_system_reports_with_an_idempotency_key(client: TestClient, case: Case) -> None:
    url = progress_url(case, "finances")
    missing = client.post(url, json=report(), headers=case.partner)
    assert missing.status_code == 400
    assert missing.json()["type"] == "urn:gezinsplan:problem:idempotency-key-missing"
    keyed = case.partner | {"Idempotency-Key": str(uuid.uuid4())}
    response = client.post(url, json=report(), headers=keyed)
    assert response.status_code == 201, response.text
    assert response.json()["organizationId"] == case.directory.debt_help


def test_whoever_may_not_report_gets_the_answer_of_a_nonexistent_goal(
    client: TestClient, case: Case, token: Token, toegang: dict[str, str]
) -> None:
    nowhere = client.post(
        f"{case.base}/plan/goals/{uuid.uuid4()}/progress", json=report(), headers=case.provider
    )
    assert nowhere.status_code == 404
    assert nowhere.headers["content-type"] == PROBLEM
    other = client.post(
        f"{API}/households",
        json={"municipalityCode": "0193", "name": "Gezin B", "referralSource": "municipal_access"},
        headers=toegang,
    ).json()["id"]
    debt = uuid.UUID(case.directory.debt_help)
    attempts = [
        (progress_url(case, "parenting"), case.provider),  # another provider's goal
        (progress_url(case, "housing"), case.provider),  # nobody's goal
        (progress_url(case, "parenting"), case.partner | {"Idempotency-Key": "k1"}),
        # the goal, but in a household it does not belong to
        (f"{API}/households/{other}/plan/goals/{case.goals['finances']}/progress", case.provider),
        (progress_url(case, "finances"), token("care_provider", org=uuid.uuid4())),
        (progress_url(case, "finances"), token("care_provider")),  # no organization
        (progress_url(case, "finances"), token("resident", member=uuid.uuid4())),
        (progress_url(case, "finances"), token("policy", municipalities=("0193",))),
        (progress_url(case, "finances"), token("toegang", municipalities=("0148",), org=debt)),
        (
            progress_url(case, "finances"),
            token("municipal_system", org=debt) | {"Idempotency-Key": "k2"},
        ),
    ]
    for url, headers in attempts:
        response = client.post(url, json=report(), headers=headers)
        assert (response.status_code, response.content) == (404, nowhere.content), url

    # A provider whose role on the household ended reports no more.
    ended = client.delete(
        f"{case.base}/roles/{case.roles[case.directory.debt_help]}", headers=toegang
    )
    assert ended.status_code in {200, 204}, ended.text
    response = client.post(progress_url(case, "finances"), json=report(), headers=case.provider)
    assert (response.status_code, response.content) == (404, nowhere.content)


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"reportedOn": timedelta(days=1)}, "body:reportedOn"),  # days from today
        ({"zrmScore": 6}, "body:zrmScore"),
        ({"outcome": "fine"}, "body:outcome"),
        ({"outcomeNote": "Zonder uitkomst."}, "body:outcomeNote"),
        ({"text": ""}, "body:text"),
        ({"text": "x" * 4001}, "body:text"),
        ({"correctsId": str(uuid.uuid4())}, "body:correctsId"),
        ({"externalId": "not-here"}, "body:externalId"),
    ],
)
def test_an_invalid_update_is_a_422_naming_the_field(
    client: TestClient, case: Case, clock: Clock, change: dict[str, Any], param: str
) -> None:
    change = {
        name: (clock.today() + value).isoformat() if isinstance(value, timedelta) else value
        for name, value in change.items()
    }
    response = client.post(
        progress_url(case, "finances"), json=report() | change, headers=case.provider
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert param in [p["name"] for p in response.json()["invalidParams"]]


def test_a_correction_points_at_the_update_it_corrects_which_stays(
    client: TestClient, case: Case, connection: Connection
) -> None:
    url = progress_url(case, "finances")
    first = client.post(url, json=report("Eerste."), headers=case.provider).json()
    correction = client.post(
        url, json=report("Gecorrigeerd.", correctsId=first["id"]), headers=case.provider
    )
    assert correction.status_code == 201, correction.text
    fixed = correction.json()
    assert fixed["corrects"] == first["id"]

    again = client.post(url, json=report("Nog eens.", correctsId=first["id"]), headers=case.toegang)
    assert again.status_code == 409
    assert "correct the correction" in again.json()["detail"]
    chained = client.post(url, json=report("Derde.", correctsId=fixed["id"]), headers=case.toegang)
    assert chained.status_code == 201, chained.text

    items = client.get(f"{case.base}/progress", headers=case.toegang).json()["items"]
    by_id = {i["id"]: i for i in items}
    assert by_id[first["id"]]["text"] == "Eerste."  # the original stays visible
    assert by_id[first["id"]]["correctedBy"] == fixed["id"]
    assert by_id[fixed["id"]]["correctedBy"] == chained.json()["id"]
    assert by_id[chained.json()["id"]]["correctedBy"] is None

    # A correction names an update of the same goal.
    housing = client.post(progress_url(case, "housing"), json=report(), headers=case.toegang).json()
    across = client.post(url, json=report(correctsId=housing["id"]), headers=case.toegang)
    assert across.status_code == 422
    types = (
        connection.execute(
            select(col(Event.type))
            .where(col(Event.type).like("progress.%"))
            .order_by(col(Event.seq))
        )
        .scalars()
        .all()
    )
    assert types == [
        "progress.reported",
        "progress.corrected",
        "progress.corrected",
        "progress.reported",
    ]


def test_updates_are_append_only_in_the_database(
    client: TestClient, case: Case, connection: Connection
) -> None:
    created = client.post(progress_url(case, "finances"), json=report(), headers=case.provider)
    update_id = uuid.UUID(created.json()["id"])
    table = ProgressUpdate.__table__  # type: ignore[attr-defined]
    for statement in (
        update(table).where(table.c.id == update_id).values(text="Anders."),
        table.delete().where(table.c.id == update_id),
    ):
        savepoint = connection.begin_nested()
        with pytest.raises(IntegrityError):
            connection.execute(statement)
        savepoint.rollback()


def test_a_goal_with_progress_is_not_removed(client: TestClient, case: Case) -> None:
    client.post(progress_url(case, "housing"), json=report(), headers=case.toegang)
    etag = client.get(f"{case.base}/plan", headers=case.toegang).headers["etag"]
    removed = client.delete(
        f"{case.base}/plan/goals/{case.goals['housing']}", headers=case.toegang | {"If-Match": etag}
    )
    assert removed.status_code == 409
    assert "progress update" in removed.json()["detail"]


def test_the_list_filters_by_goal_organization_and_moment_and_pages(
    client: TestClient, case: Case
) -> None:
    created = []
    for n, (domain, headers) in enumerate(
        [("finances", case.provider), ("housing", case.toegang), ("finances", case.toegang)] * 2
    ):
        response = client.post(
            progress_url(case, domain), json=report(f"Update {n}"), headers=headers
        )
        created.append(response.json())
    url = f"{case.base}/progress"

    def texts(**params: Any) -> list[str]:
        response = client.get(url, params=params, headers=case.toegang)
        assert response.status_code == 200, response.text
        return [item["text"] for item in response.json()["items"]]

    assert texts() == [f"Update {n}" for n in range(6)]
    assert texts(goal=case.goals["housing"]) == ["Update 1", "Update 4"]
    assert texts(organization=case.directory.debt_help) == ["Update 0", "Update 3"]
    assert texts(since=created[4]["createdAt"]) == ["Update 4", "Update 5"]
    assert texts(goal=str(uuid.uuid4())) == []

    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 4} | ({"cursor": cursor} if cursor else {})
        page = client.get(url, params=params, headers=case.toegang).json()
        seen += [item["text"] for item in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == [f"Update {n}" for n in range(6)]
    bad = client.get(url, params={"cursor": "nonsense"}, headers=case.toegang)
    assert bad.status_code == 422
    naive = client.get(url, params={"since": "2026-01-01T00:00:00"}, headers=case.toegang)
    assert naive.status_code == 422
    for number in ("0.5", "1732435200"):  # pydantic alone reads these as Unix time
        seconds = client.get(url, params={"since": number}, headers=case.toegang)
        assert seconds.status_code == 422, seconds.text


def test_reading_needs_the_progress_consent_and_shows_its_domains_only(
    client: TestClient, case: Case, token: Token
) -> None:
    for domain in ("finances", "parenting", "housing"):
        client.post(progress_url(case, domain), json=report(f"Over {domain}"), headers=case.toegang)
    url = f"{case.base}/progress"
    nowhere = client.get(f"{API}/households/{uuid.uuid4()}/progress", headers=case.provider)
    assert nowhere.status_code == 404

    # Reporting on a goal does not open the household's progress to the provider.
    assert client.get(url, headers=case.provider).content == nowhere.content
    # A plan consent is not a progress consent; the household is no secret now: a 403.
    give_consent(client, case, case.directory.debt_help, ["basic", "plan"])
    refused = client.get(url, headers=case.provider)
    assert refused.status_code == 403
    assert refused.json()["type"] == "urn:gezinsplan:problem:consent-missing"
    assert "'progress'" in refused.json()["detail"]

    consent = give_consent(client, case, case.directory.debt_help, ["progress"], ("finances",))
    page = client.get(url, headers=case.provider).json()
    assert [item["text"] for item in page["items"]] == ["Over finances"]
    assert page["visibility"] == {
        "restricted": True,
        "categories": ["basic", "plan", "progress"],
        "lifeDomains": ["finances"],
    }
    parenting = page["items"][0]["id"]
    hidden = [
        i
        for i in client.get(url, headers=case.toegang).json()["items"]
        if i["text"] == "Over parenting"
    ]
    single = client.get(f"{url}/{hidden[0]['id']}", headers=case.provider)
    assert single.status_code == 404
    assert client.get(f"{url}/{parenting}", headers=case.provider).status_code == 200

    # A partner system pushes; it does not read.
    assert client.get(url, headers=case.partner).content == nowhere.content
    # Withdrawn: gone on the next request.
    withdrawn = client.post(f"{case.base}/consents/{consent}/withdraw", headers=case.toegang)
    assert withdrawn.status_code == 200, withdrawn.text
    assert client.get(url, headers=case.provider).content == refused.content

    everything = client.get(url, headers=case.toegang).json()
    assert len(everything["items"]) == 3
    assert everything["visibility"]["restricted"] is False
