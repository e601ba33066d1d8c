"""The data report (AVG art. 15): the data, who read it when and why, consents, sources and
retention, for the family and the privacy officer, as JSON and as a printable page."""

import uuid
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Clock, Directory, Token
from tests.test_consents import add_member
from tests.test_indications import SANNE, record, sync
from tests.test_sharing import Case, carla, case, give  # noqa: F401 - fixtures

API = "/api/v1"
Headers = dict[str, str]


def report(client: TestClient, case: Case, headers: Headers) -> dict[str, Any]:  # noqa: F811
    response = client.get(f"{case.base}/data-report", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_three_reads_by_two_care_providers_and_a_search_are_listed_with_dates_and_purposes(
    client: TestClient,
    token: Token,
    toegang: Headers,
    case: Case,  # noqa: F811
    directory: Directory,
    carla: Headers,  # noqa: F811
    clock: Clock,
) -> None:
    youth = token("care_provider", org=uuid.UUID(directory.youth_care), sub="joris")
    role = {"organizationId": directory.youth_care}
    assert client.post(f"{case.base}/roles", json=role, headers=toegang).status_code == 201
    give(client, case, directory, toegang)  # debt help: "Schuldhulpverlening"
    give(
        client,
        case,
        directory,
        toegang,
        granteeOrganizationId=directory.youth_care,
        purpose="Opvoedondersteuning",
        lifeDomains=[],
    )
    officer = token("privacy_officer", municipalities=("0193",), sub="fg")
    before = report(client, case, officer)
    assert [c for c in before["consultations"] if "care_provider" in c["roles"]] == []

    reads = []
    for headers, path in ((carla, "/plan"), (carla, "/members"), (youth, "/plan")):
        reads.append(clock.now())
        assert client.get(case.base + path, headers=headers).status_code == 200
    assert client.get(f"{API}/households", params={"q": "jansen"}, headers=toegang).is_success

    found = report(client, case, officer)
    by_providers = [c for c in found["consultations"] if "care_provider" in c["roles"]]
    assert [(c["organizationName"], c["what"], c["purpose"]) for c in by_providers] == [
        ("Schuldhulp Vechtdal", "/households/{household_id}/plan", "Schuldhulpverlening"),
        ("Schuldhulp Vechtdal", "/households/{household_id}/members", "Schuldhulpverlening"),
        ("Jeugdhulp IJsselland", "/households/{household_id}/plan", "Opvoedondersteuning"),
    ]
    for consultation, at in zip(by_providers, reads, strict=True):
        moment = datetime.fromisoformat(consultation["at"])
        assert at <= moment < at + timedelta(seconds=1)
    assert any(c["what"] == "/households" and c["action"] == "read" for c in found["consultations"])
    recipients = {r["organizationName"]: r for r in found["recipients"]}
    assert recipients["Schuldhulp Vechtdal"]["consultations"] == 2
    assert recipients["Jeugdhulp IJsselland"]["purposes"] == ["Opvoedondersteuning"]
    assert {("consent", "Schuldhulpverlening"), ("consent", "Opvoedondersteuning")} <= {
        (p["legalBasis"], p["purpose"]) for p in found["purposes"]
    }  # as the care providers' reads named them
    assert found["consents"] == []  # the family's words: not the officer's to read
    resident = token("resident", member=uuid.UUID(case.parent["id"]), sub="sanne")
    family = report(client, case, resident)
    assert [c["granteeOrganizationName"] for c in family["consents"]] == [
        "Schuldhulp Vechtdal",
        "Jeugdhulp IJsselland",
    ]
    assert family["consultations"][: len(found["consultations"])] == found["consultations"]
    # Reading the report is itself in the log.
    again = report(client, case, officer)
    assert again["consultations"][-1]["what"] == "/households/{household_id}/data-report"


def test_which_data_is_held_per_member_without_the_values(
    client: TestClient,
    token: Token,
    toegang: Headers,
    case: Case,  # noqa: F811
) -> None:
    child = add_member(
        client,
        case.base.rsplit("/", 1)[1],
        toegang,
        givenName="Daan",
        birthDate="2015-03-01",
        relation="child",
        bsn=SANNE,
    )
    resident = token("resident", member=uuid.UUID(case.parent["id"]), sub="sanne")
    found = report(client, case, resident)
    held = {m["memberId"]: (m["relation"], m["held"]) for m in found["members"]}
    assert held == {
        case.parent["id"]: ("parent", ["name", "birthDate", "relation"]),
        child["id"]: ("child", ["name", "birthDate", "relation", "bsn"]),
    }
    assert "Daan" not in str(found)
    assert SANNE not in str(found)


def test_who_may_read_it(
    client: TestClient,
    token: Token,
    toegang: Headers,
    case: Case,  # noqa: F811
    carla: Headers,  # noqa: F811
) -> None:
    nowhere = f"{API}/households/{uuid.uuid4()}/data-report"
    # The access team knows the household: a 403 (decision 0037).
    assert client.get(f"{case.base}/data-report", headers=toegang).status_code == 403
    # A care provider without consent, another municipality's officer: the 404 of none.
    for headers in (carla, token("privacy_officer", municipalities=("0363",))):
        refused = client.get(f"{case.base}/data-report", headers=headers)
        assert refused.status_code == 404
        assert refused.content == client.get(nowhere, headers=headers).content


def test_a_printable_page_without_script_or_outside_resources(
    client: TestClient,
    token: Token,
    toegang: Headers,
    case: Case,  # noqa: F811
    directory: Directory,
) -> None:
    give(client, case, directory, toegang, purpose="<script>alert(1)</script>")
    resident = token("resident", member=uuid.UUID(case.parent["id"]), sub="sanne")
    page = client.get(f"{case.base}/data-report", headers=resident | {"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert (
        page.headers["content-security-policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    )
    assert "<script" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "src=" not in page.text
    assert "href=" not in page.text
    refused = client.get(f"{case.base}/data-report", headers=resident | {"Accept": "text/csv"})
    assert refused.status_code == 406
    assert refused.headers["content-type"] == "application/problem+json"


def test_retention_from_the_laws_that_applied_and_the_end_of_the_episode(
    client: TestClient,
    token: Token,
    toegang: Headers,
    case: Case,  # noqa: F811
    clock: Clock,
) -> None:
    officer = token("privacy_officer", municipalities=("0193",), sub="fg")
    open_ = report(client, case, officer)["retention"]
    assert (open_["retentionClass"], open_["endsOn"]) == ("municipal_file", None)
    household_id = case.base.rsplit("/", 1)[1]
    add_member(client, household_id, toegang, bsn=SANNE, givenName="Lid")
    system = token("municipal_system", municipalities=("0193",), sub="zwolle-system")
    sync(client, system, record("RET-1"))  # a Jeugdwet decision for the member
    youth = report(client, case, officer)
    assert (youth["retention"]["retentionClass"], youth["retention"]["endsOn"]) == (
        "youth_care",
        None,
    )
    assert [s["kind"] for s in youth["sources"]] == ["referral", "indication"]
    closed = client.post(
        f"{case.base}/close", json={"closingReason": "goals_achieved"}, headers=toegang
    )
    assert closed.status_code == 200, closed.text
    day = clock.today()
    ended = report(client, case, officer)["retention"]
    assert ended["endsOn"] == day.replace(year=day.year + 20).isoformat()

    body = {"municipalityCode": "0193", "name": "Gezin Wmo", "referralSource": "self"}
    other = client.post(f"{API}/households", json=body, headers=toegang).json()
    url = f"{API}/households/{other['id']}"
    assert client.post(f"{url}/close", json={"closingReason": "moved_away"}, headers=toegang)
    municipal = client.get(f"{url}/data-report", headers=officer).json()["retention"]
    assert municipal["retentionClass"] == "municipal_file"
    assert municipal["endsOn"] == day.replace(year=day.year + 15).isoformat()
