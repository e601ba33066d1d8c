"""The household's file as one copy (issue 19, point 3): JSON as the read endpoints give it,
or a FHIR R4B Bundle, filtered like every read and audited as an export.

Every Bundle the tests produce is validated with the ``fhir.resources`` R4B models, its codes
against the values the models list for them, and its references against its own fullUrls.
"""

import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from pydantic import BaseModel
from sqlalchemy import Connection, text

from tests.conftest import Clock, Directory, Token
from tests.test_consents import add_member
from tests.test_indications import record, sync, system  # noqa: F401 (a fixture)
from tests.test_sharing import Case, carla, case, give  # noqa: F401 (fixtures)

API = "/api/v1"
FHIR = "application/fhir+json"
BSN_SYSTEM = "http://fhir.nl/fhir/NamingSystem/bsn"
PIET, DAAN = "999990019", "111222333"
CANARY = "CANARY-parenting-goal"
ALL_PARTS = ["basic", "plan", "roles", "consents", "progress", "indications"]


def export(
    client: TestClient, target: Case, headers: dict[str, str], accept: str | None = None
) -> Any:
    extra = {"Accept": accept} if accept else {}
    response = client.get(f"{target.base}/export", headers=headers | extra)
    assert response.status_code == 200, response.text
    return response


def items(client: TestClient, url: str, headers: dict[str, str]) -> list[Any]:
    response = client.get(url, params={"limit": 100}, headers=headers)
    assert response.status_code == 200, response.text
    found: list[Any] = response.json()["items"]
    return found


def report(
    client: TestClient,
    target: Case,
    goal: dict[str, Any],
    headers: dict[str, str],
    says: str,
    **extra: Any,
) -> dict[str, Any]:
    body = {"text": says, "reportedOn": "2026-11-01"} | extra
    response = client.post(
        f"{target.base}/plan/goals/{goal['id']}/progress", json=body, headers=headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


@pytest.fixture
def shared(request: pytest.FixtureRequest) -> Case:
    """``test_sharing``'s case: a parent, a finances and a parenting goal with an action each,
    an evaluation, the debt-help organization as care provider."""
    found: Case = request.getfixturevalue("case")
    return found


@pytest.fixture
def provider(request: pytest.FixtureRequest) -> dict[str, str]:
    """Carla of the debt-help organization (``test_sharing``)."""
    found: dict[str, str] = request.getfixturevalue("carla")
    return found


@pytest.fixture
def full(
    client: TestClient,
    toegang: dict[str, str],
    shared: Case,
    directory: Directory,
    request: pytest.FixtureRequest,
) -> Case:
    """The case with a guardian parent and a child (both with a BSN), a regisseur, a consent,
    progress (one corrected) and an indication; a canary in its parenting goal."""
    municipal = request.getfixturevalue("system")
    household_id = shared.base.rsplit("/", 1)[1]
    add_member(client, household_id, toegang, givenName="Piet", bsn=PIET, isGuardian=True)
    add_member(
        client,
        household_id,
        toegang,
        givenName="Daan",
        bsn=DAAN,
        relation="child",
        birthDate="2015-03-01",
    )
    regisseur = {
        "professionalSub": "rita",
        "professionalName": "Rita Regisseur",
        "organizationId": directory.access_team,
        "reason": "Regie past hier het best.",
    }
    assigned = client.put(f"{shared.base}/regisseur", json=regisseur, headers=toegang)
    assert assigned.status_code in {200, 201}, assigned.text
    give(client, shared, directory, toegang, categories=["basic", "plan"], lifeDomains=["finances"])
    first = report(client, shared, shared.finances, toegang, "Betaalplan loopt.", zrmScore=3)
    report(
        client,
        shared,
        shared.finances,
        toegang,
        "Betaalplan loopt goed.",
        correctsId=first["id"],
        outcome="on_track",
    )
    report(client, shared, shared.parenting, toegang, f"Opvoeding {CANARY}")
    changed = client.patch(
        f"{shared.base}/plan/goals/{shared.parenting['id']}",
        json={"description": f"Rust in huis {CANARY}"},
        headers=toegang
        | {"If-Match": client.get(f"{shared.base}/plan", headers=toegang).headers["ETag"]},
    )
    assert changed.status_code == 200, changed.text
    sync(client, municipal, record("EX-1", bsn=PIET))
    return shared


# --- the checks every Bundle passes ------------------------------------------------------------


def references(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if isinstance(value.get("reference"), str):
            yield value["reference"]
        for item in value.values():
            yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def codes_outside_their_values(model: BaseModel, path: str = "") -> Iterator[str]:
    """Codes the models list their allowed values for (the required bindings) but that
    ``fhir.resources`` leaves unchecked."""
    for name, field in type(model).model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        allowed = extra.get("enum_values")
        value = getattr(model, name)
        for each in value if isinstance(value, list) else [value]:
            if isinstance(allowed, list) and isinstance(each, str) and each not in allowed:
                yield f"{path}{name}={each}"
            if isinstance(each, BaseModel):
                yield from codes_outside_their_values(each, f"{path}{name}.")


def checked(body: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The Bundle's resources by type, after every check passed."""
    Bundle.model_validate(body)
    assert body["type"] == "collection"
    urls = [entry["fullUrl"] for entry in body["entry"]]
    assert len(urls) == len(set(urls)), "a fullUrl twice"
    by_type: dict[str, list[dict[str, Any]]] = {}
    for entry in body["entry"]:
        resource = entry["resource"]
        assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
        model = get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        assert list(codes_outside_their_values(model)) == [], resource["resourceType"]
        by_type.setdefault(resource["resourceType"], []).append(resource)
    unresolved = set(references(body)) - set(urls)
    assert not unresolved, f"references outside the Bundle: {unresolved}"
    for group in by_type["Group"]:
        assert {m["entity"]["reference"] for m in group["member"]} <= {
            f"urn:uuid:{p['id']}" for p in by_type["Patient"]
        }, "a Group member that is no Patient"
    return by_type


def test_the_reference_check_sees_a_reference_outside_the_bundle() -> None:
    body = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "fullUrl": "urn:uuid:3c6b2e0e-0c4f-4f7e-9a0e-1d2f3a4b5c6d",
                "resource": {
                    "resourceType": "Group",
                    "id": "3c6b2e0e-0c4f-4f7e-9a0e-1d2f3a4b5c6d",
                    "type": "person",
                    "actual": True,
                    "member": [{"entity": {"reference": f"urn:uuid:{uuid.uuid4()}"}}],
                },
            }
        ],
    }
    with pytest.raises(AssertionError, match="references outside the Bundle"):
        checked(body)


# --- JSON --------------------------------------------------------------------------------------


def test_the_access_team_exports_every_part_as_the_single_endpoints_give_it(
    client: TestClient, toegang: dict[str, str], full: Case
) -> None:
    response = export(client, full, toegang)
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    base = full.base
    assert body["included"] == ALL_PARTS
    assert body["household"] == client.get(base, headers=toegang).json()
    assert body["members"] == items(client, f"{base}/members", toegang)
    assert body["plan"] == client.get(f"{base}/plan", headers=toegang).json()
    assert body["evaluations"] == items(client, f"{base}/plan/evaluations", toegang)
    assert body["roles"] == items(client, f"{base}/roles", toegang)
    assert body["consents"] == items(client, f"{base}/consents", toegang)
    assert body["progress"] == items(client, f"{base}/progress", toegang)
    assert body["indications"] == items(client, f"{base}/indications", toegang)
    counts = {
        part: len(body[part])
        for part in ("members", "roles", "consents", "progress", "indications")
    }
    assert counts == {"members": 3, "roles": 2, "consents": 1, "progress": 3, "indications": 1}
    assert [len(goal["actions"]) for goal in body["plan"]["goals"]] == [1, 1]


def test_a_care_provider_exports_only_its_consented_part(
    client: TestClient,
    full: Case,
    provider: dict[str, str],
) -> None:
    body = export(client, full, provider).json()
    assert body["included"] == ["basic", "plan", "roles", "consents"]
    assert [goal["id"] for goal in body["plan"]["goals"]] == [full.finances["id"]]
    assert body["plan"] == client.get(f"{full.base}/plan", headers=provider).json()
    assert body["plan"]["visibility"]["lifeDomains"] == ["finances"]
    assert [s["lifeDomain"] for e in body["evaluations"] for s in e["scores"]] == ["finances"]
    assert (body["progress"], body["indications"]) == (None, None)
    assert CANARY not in export(client, full, provider).text
    fhir = export(client, full, provider, FHIR).text
    assert CANARY not in fhir
    assert "parenting" not in fhir
    resources = checked(export(client, full, provider, FHIR).json())
    assert [goal["id"] for goal in resources["Goal"]] == [full.finances["id"]]
    assert "Observation" not in resources


# --- FHIR --------------------------------------------------------------------------------------


def test_the_fhir_bundle_validates_resolves_and_counts_as_the_api(
    client: TestClient, toegang: dict[str, str], full: Case
) -> None:
    response = export(client, full, toegang, FHIR)
    assert response.headers["content-type"] == FHIR
    assert response.headers["vary"] == "Accept"
    resources = checked(response.json())
    api = export(client, full, toegang).json()
    goals = api["plan"]["goals"]
    [care_plan] = resources["CarePlan"]
    [care_team] = resources["CareTeam"]
    [group] = resources["Group"]
    assert len(resources["Patient"]) == len(group["member"]) == len(api["members"])
    assert len(resources["Goal"]) == len(goals)
    assert len(care_plan["activity"]) == sum(len(goal["actions"]) for goal in goals)
    assert len(care_team["participant"]) == len(api["roles"])
    assert len(resources["Consent"]) == len(api["consents"]) * len(api["members"])
    assert len(resources["Observation"]) == len(api["progress"])
    assert Counter(p["role"][0]["coding"][0]["code"] for p in care_team["participant"]) == {
        "regisseur": 1,
        "care_provider": 1,
    }
    assert care_plan["subject"] == {"reference": f"urn:uuid:{group['id']}"}
    assert (care_plan["status"], care_plan["intent"]) == ("draft", "plan")
    # The guardian parent is related to the one child; the other parent is no guardian.
    [related] = resources["RelatedPerson"]
    assert related["relationship"][0]["coding"][0]["code"] == "GUARD"
    finances = next(goal for goal in resources["Goal"] if goal["id"] == full.finances["id"])
    assert finances["target"][0]["detailInteger"] == 4
    assert finances["achievementStatus"]["coding"][0]["code"] == "in-progress"
    assert len(finances["outcomeReference"]) == 2
    assert "Indication" not in str(resources.keys())


def test_a_bsn_appears_only_as_an_identifier_with_the_dutch_system(
    client: TestClient, toegang: dict[str, str], full: Case
) -> None:
    body = export(client, full, toegang, FHIR).json()
    resources = checked(body)
    found = {
        identifier["value"]: identifier["system"]
        for patient in resources["Patient"]
        for identifier in patient.get("identifier", [])
    }
    assert found == {PIET: BSN_SYSTEM, DAAN: BSN_SYSTEM}
    # Nowhere else: the related person is the same guardian, named but not numbered.
    text_ = str(body)
    assert text_.count(PIET) == 1
    assert text_.count(DAAN) == 1
    assert sum(1 for p in resources["Patient"] if "identifier" not in p) == 1


# --- refusals and the audit --------------------------------------------------------------------


def test_an_accept_neither_json_nor_fhir_is_406(
    client: TestClient, toegang: dict[str, str], shared: Case
) -> None:
    response = client.get(f"{shared.base}/export", headers=toegang | {"Accept": "text/csv"})
    assert response.status_code == 406, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    for accept in ("*/*", "application/*", f"{FHIR};q=0.5, application/json"):
        answer = client.get(f"{shared.base}/export", headers=toegang | {"Accept": accept})
        assert answer.headers["content-type"].startswith("application/json"), accept


def test_a_household_the_caller_may_not_see_is_like_a_random_id(
    client: TestClient, token: Token, shared: Case, directory: Directory
) -> None:
    stranger = token("care_provider", org=uuid.UUID(directory.youth_care), sub="sam")
    elsewhere = token("toegang", municipalities=("0363",), org=uuid.uuid4())
    for headers in (stranger, elsewhere):
        for accept in ("application/json", FHIR):
            hidden = client.get(f"{shared.base}/export", headers=headers | {"Accept": accept})
            random = client.get(
                f"{API}/households/{uuid.uuid4()}/export", headers=headers | {"Accept": accept}
            )
            assert hidden.status_code == random.status_code == 404
            assert hidden.json() == random.json()


def test_the_export_leaves_an_access_log_entry(
    client: TestClient,
    connection: Connection,
    full: Case,
    provider: dict[str, str],
) -> None:
    export(client, full, provider, FHIR)
    rows = connection.execute(
        text(
            "SELECT action, outcome, household_id, legal_basis, actor_sub FROM audit_records "
            "WHERE resource LIKE '%/export'"
        )
    ).all()
    household_id = full.base.rsplit("/", 1)[1]
    assert [(r[0], r[1], str(r[2]).replace("-", ""), r[3], r[4]) for r in rows] == [
        ("export", "success", household_id.replace("-", ""), "consent", "carla")
    ]


def test_an_evaluated_open_goal_takes_its_achievement_from_the_latest_outcome(
    client: TestClient, toegang: dict[str, str], shared: Case, clock: Clock
) -> None:
    later = client.post(
        f"{shared.base}/plan/evaluations",
        json={
            "evaluatedOn": clock.today().isoformat(),
            "outcomes": [{"goalId": shared.finances["id"], "outcome": "partly_achieved"}],
        },
        headers=toegang,
    )
    assert later.status_code == 201, later.text
    resources = checked(export(client, shared, toegang, FHIR).json())
    goals = {goal["id"]: goal for goal in resources["Goal"]}
    codes = [c["code"] for c in goals[shared.finances["id"]]["achievementStatus"]["coding"]]
    assert codes == ["improving", "partly_achieved"]
    assert goals[shared.finances["id"]]["lifecycleStatus"] == "active"


def test_progress_without_the_plan_exports_without_a_goal_to_point_at(
    client: TestClient,
    token: Token,
    toegang: dict[str, str],
    full: Case,
    directory: Directory,
) -> None:
    role = client.post(
        f"{full.base}/roles", json={"organizationId": directory.youth_care}, headers=toegang
    )
    assert role.status_code == 201, role.text
    give(
        client,
        full,
        directory,
        toegang,
        granteeOrganizationId=directory.youth_care,
        categories=["basic", "progress"],
        lifeDomains=["finances"],
    )
    youth = token("care_provider", org=uuid.UUID(directory.youth_care), sub="yara")
    body = export(client, full, youth).json()
    assert body["included"] == ["basic", "roles", "consents", "progress"]
    assert body["plan"] is None
    assert body["progress"] == items(client, f"{full.base}/progress", youth)
    assert len(body["progress"]) == 2
    resources = checked(export(client, full, youth, FHIR).json())
    assert "Goal" not in resources
    assert "CarePlan" not in resources
    assert all("focus" not in o for o in resources["Observation"])
    assert CANARY not in str(resources)
