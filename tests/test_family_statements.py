"""The family's own statement on a professional assessment (issue 19, point 5; AVG art. 16):
the goal, evaluation or progress update stays as it was written; the statement is attached
and travels with every read and export of it, under the same access rules, and its readers
get ``statement.added`` naming the assessment, ids only."""

import json
import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Directory, Token
from tests.test_consents import add_member
from tests.test_export import FHIR, checked, export, items, report
from tests.test_feed import read_all, types_of
from tests.test_sharing import Case, carla, case, give  # noqa: F401 - fixtures

API = "/api/v1"
Headers = dict[str, str]
PROBLEM_JSON = "application/problem+json"
SAYS = "CANARY-zienswijze: de afspraak is door de hulpverlener afgezegd, niet door ons."


def resident(token: Token, target: Case) -> Headers:
    return token("resident", member=uuid.UUID(target.parent["id"]), sub="sanne")


def state(
    client: TestClient, target: Case, headers: Headers, kind: str, subject: str, text: str = SAYS
) -> Any:
    body = {"subjectKind": kind, "subjectId": subject, "text": text}
    return client.post(f"{target.base}/statements", json=body, headers=headers)


def filed(client: TestClient, target: Case, headers: Headers, kind: str, subject: str) -> Any:
    response = state(client, target, headers, kind, subject, f"{SAYS} ({kind})")
    assert response.status_code == 201, response.text
    return response.json()


def texts(statements: list[dict[str, Any]]) -> list[str]:
    return [statement["text"] for statement in statements]


def test_a_statement_travels_with_every_read_and_the_export_and_changes_nothing(
    client: TestClient,
    toegang: Headers,
    token: Token,
    case: Case,  # noqa: F811
) -> None:
    family = resident(token, case)
    update = report(client, case, case.finances, toegang, "Afspraak gemist door het gezin.")
    etag = client.get(f"{case.base}/plan", headers=toegang).headers["ETag"]
    on_update = filed(client, case, family, "progress_update", update["id"])
    on_goal = filed(client, case, family, "goal", case.finances["id"])
    on_evaluation = filed(client, case, family, "evaluation", case.evaluation["id"])
    assert (on_update["subjectId"], on_update["madeByMemberId"]) == (
        update["id"],
        case.parent["id"],
    )

    # The assessments are unchanged: same text, same plan version.
    plan = client.get(f"{case.base}/plan", headers=toegang)
    assert plan.headers["ETag"] == etag
    goals = {goal["id"]: goal for goal in plan.json()["goals"]}
    assert goals[case.finances["id"]]["description"] == case.finances["description"]
    assert goals[case.finances["id"]]["familyStatements"] == [on_goal]
    assert goals[case.parenting["id"]]["familyStatements"] == []
    goal = client.get(f"{case.base}/plan/goals/{case.finances['id']}", headers=toegang).json()
    assert goal["familyStatements"] == [on_goal]
    progress = client.get(f"{case.base}/progress/{update['id']}", headers=toegang).json()
    assert (progress["text"], progress["familyStatements"]) == (update["text"], [on_update])
    listed = items(client, f"{case.base}/progress", toegang)
    assert [p["familyStatements"] for p in listed] == [[on_update]]
    evaluation = client.get(
        f"{case.base}/plan/evaluations/{case.evaluation['id']}", headers=toegang
    ).json()
    assert evaluation["familyStatements"] == [on_evaluation]
    assert client.get(f"{case.base}/statements", headers=family).json()["items"] == [
        on_update,
        on_goal,
        on_evaluation,
    ]

    # The JSON export: each part as its read gives it, statements included.
    body = export(client, case, toegang).json()
    assert body["plan"] == client.get(f"{case.base}/plan", headers=toegang).json()
    assert [p["familyStatements"] for p in body["progress"]] == [[on_update]]
    assert [e["familyStatements"] for e in body["evaluations"]] == [[on_evaluation]]

    # The FHIR Bundle validates, and carries each statement as a note on its resource.
    resources = checked(export(client, case, toegang, FHIR).json())
    [observation] = resources["Observation"]
    [care_plan] = resources["CarePlan"]
    finances = next(g for g in resources["Goal"] if g["id"] == case.finances["id"])
    parent = {"reference": f"urn:uuid:{case.parent['id']}"}
    for resource, kind in ((observation, "progress_update"), (finances, "goal")):
        [note] = [n for n in resource["note"] if SAYS in n["text"]]
        assert note["text"] == f"Zienswijze van het gezin: {SAYS} ({kind})"
        assert note["authorReference"] == parent
    [note] = [n for n in care_plan["note"] if SAYS in n["text"]]
    assert note["text"].startswith("Zienswijze van het gezin op de evaluatie van ")


def test_a_care_provider_sees_a_statement_only_where_it_sees_the_assessment(
    client: TestClient,
    toegang: Headers,
    token: Token,
    case: Case,  # noqa: F811
    directory: Directory,
    carla: Headers,  # noqa: F811
) -> None:
    family = resident(token, case)
    give(client, case, directory, toegang)  # basic and plan, finances only
    seen = filed(client, case, family, "goal", case.finances["id"])
    filed(client, case, family, "goal", case.parenting["id"])
    update = report(client, case, case.finances, toegang, "Voortgang.")
    filed(client, case, family, "progress_update", update["id"])

    plan = client.get(f"{case.base}/plan", headers=carla)
    assert [g["familyStatements"] for g in plan.json()["goals"]] == [[seen]]
    listed = client.get(f"{case.base}/statements", headers=carla)
    assert listed.status_code == 200, listed.text
    assert listed.json()["items"] == [seen]  # no parenting goal, no progress consent
    assert "(progress_update)" not in export(client, case, carla).text

    events = read_all(client, carla)
    added = [e["data"] for e in events if types_of([e]) == ["statement.added"]]
    assert added == [
        {
            "householdId": case.base.rsplit("/", 1)[1],
            "resourceType": "goal",
            "resourceId": case.finances["id"],
        }
    ]
    assert "CANARY" not in json.dumps(events)
    everything = [e for e in read_all(client, toegang) if types_of([e]) == ["statement.added"]]
    assert {e["data"]["resourceType"] for e in everything} == {"goal", "progress_update"}

    # A provider that works on the household without a plan consent sees neither.
    youth = token("care_provider", org=uuid.UUID(directory.youth_care), sub="yara")
    role = client.post(
        f"{case.base}/roles", json={"organizationId": directory.youth_care}, headers=toegang
    )
    assert role.status_code == 201, role.text
    nowhere = client.get(f"{API}/households/{uuid.uuid4()}/statements", headers=youth)
    hidden = client.get(f"{case.base}/statements", headers=youth)
    assert hidden.status_code == nowhere.status_code == 404
    assert hidden.content == nowhere.content
    assert "statement.added" not in types_of(read_all(client, youth))


def test_a_subject_of_another_household_is_like_a_random_one(
    client: TestClient,
    toegang: Headers,
    token: Token,
    case: Case,  # noqa: F811
) -> None:
    family = resident(token, case)
    other = client.post(
        f"{API}/households",
        json={"municipalityCode": "0193", "name": "Gezin Ander", "referralSource": "self"},
        headers=toegang,
    ).json()
    theirs = client.post(
        f"{API}/households/{other['id']}/plan/goals",
        json={"lifeDomain": "finances", "description": "Hun doel", "zrmStart": 2, "zrmTarget": 3},
        headers=toegang,
    )
    assert theirs.status_code == 201, theirs.text
    answers = [
        state(client, case, family, "goal", theirs.json()["id"]),
        state(client, case, family, "goal", str(uuid.uuid4())),
        state(client, case, family, "progress_update", case.finances["id"]),  # not an update
    ]
    assert {a.status_code for a in answers} == {404}
    assert len({a.content for a in answers}) == 1
    assert answers[0].headers["content-type"] == PROBLEM_JSON


def test_only_a_resident_of_the_household_files_a_statement(
    client: TestClient,
    toegang: Headers,
    token: Token,
    case: Case,  # noqa: F811
) -> None:
    professional = state(client, case, toegang, "goal", case.finances["id"])
    assert professional.status_code == 403
    assert professional.headers["content-type"] == PROBLEM_JSON
    other = client.post(
        f"{API}/households",
        json={"municipalityCode": "0193", "name": "Gezin Ander", "referralSource": "self"},
        headers=toegang,
    ).json()
    neighbour = add_member(client, other["id"], toegang, givenName="Nora")
    stranger = token("resident", member=uuid.UUID(neighbour["id"]), sub="nora")
    body = {"subjectKind": "goal", "subjectId": case.finances["id"], "text": SAYS}
    refused = client.post(f"{case.base}/statements", json=body, headers=stranger)
    nowhere = client.post(
        f"{API}/households/{uuid.uuid4()}/statements", json=body, headers=stranger
    )
    assert refused.status_code == nowhere.status_code == 404
    assert refused.content == nowhere.content
    assert client.get(f"{case.base}/statements", headers=stranger).status_code == 404


def test_invalid_statements_are_422_problems_naming_the_field(
    client: TestClient,
    token: Token,
    case: Case,  # noqa: F811
) -> None:
    family = resident(token, case)
    subject = case.finances["id"]
    bodies = {
        "body:text": {"subjectKind": "goal", "subjectId": subject, "text": "   "},
        "body:subjectKind": {"subjectKind": "action", "subjectId": subject, "text": SAYS},
        "body:subjectId": {"subjectKind": "goal", "subjectId": "nope", "text": SAYS},
        "body:unexpected": {
            "subjectKind": "goal",
            "subjectId": subject,
            "text": SAYS,
            "unexpected": 1,
        },
    }
    for name, body in bodies.items():
        response = client.post(f"{case.base}/statements", json=body, headers=family)
        assert response.status_code == 422, (name, response.text)
        assert response.headers["content-type"] == PROBLEM_JSON
        assert name in {p["name"] for p in response.json()["invalidParams"]}, response.text
    assert client.get(f"{case.base}/statements", headers=family).json()["items"] == []
