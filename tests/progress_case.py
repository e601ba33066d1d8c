"""A household with goals assigned to care providers, for the progress and idempotency tests.

Debt help (Schuldhulp Vechtdal) has the finances goal and an active care-provider role; youth
care (Jeugdhulp IJsselland) has the parenting goal and a role; the housing goal is nobody's.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from gezinsplan.kit.clock import today
from tests.conftest import Directory, Token

API = "/api/v1"
Headers = dict[str, str]


@dataclass
class Case:
    household: str
    base: str
    goals: dict[str, str]
    roles: dict[str, str]
    toegang: Headers
    provider: Headers  # a debt-help professional
    partner: Headers  # debt help's partner system
    youth_partner: Headers  # youth care's partner system
    directory: Directory


def post(client: TestClient, url: str, body: Any, headers: Headers, status: int = 201) -> Any:
    response = client.post(url, json=body, headers=headers)
    assert response.status_code == status, response.text
    return response.json()


def add_goal(
    client: TestClient, base: str, headers: Headers, domain: str, organization: str | None
) -> str:
    body = {"lifeDomain": domain, "description": f"Doel {domain}", "zrmStart": 2, "zrmTarget": 4}
    if organization:
        body["organizationId"] = organization
    return str(post(client, f"{base}/plan/goals", body, headers)["id"])


def build_case(
    client: TestClient,
    token: Token,
    toegang: Headers,
    household: dict[str, Any],
    directory: Directory,
) -> Case:
    base = f"{API}/households/{household['id']}"
    goals = {
        "finances": add_goal(client, base, toegang, "finances", directory.debt_help),
        "parenting": add_goal(client, base, toegang, "parenting", directory.youth_care),
        "housing": add_goal(client, base, toegang, "housing", None),
    }
    roles = {
        org: str(post(client, f"{base}/roles", {"organizationId": org}, toegang)["id"])
        for org in (directory.debt_help, directory.youth_care)
    }
    debt, youth = uuid.UUID(directory.debt_help), uuid.UUID(directory.youth_care)
    return Case(
        household=household["id"],
        base=base,
        goals=goals,
        roles=roles,
        toegang=toegang,
        provider=token("care_provider", org=debt, sub="schuldhulp-carla"),
        partner=token("partner_system", org=debt, sub="schuldhulp-systeem"),
        youth_partner=token("partner_system", org=youth, sub="jeugdhulp-systeem"),
        directory=directory,
    )


def report(text: str = "Betaalplan loopt.", **changes: Any) -> dict[str, Any]:
    return {"text": text, "reportedOn": (today() - timedelta(days=1)).isoformat()} | changes


def item(case: Case, external_id: str, domain: str = "finances", **changes: Any) -> dict[str, Any]:
    return (
        report(f"Voortgang {external_id}")
        | {
            "householdId": case.household,
            "goalId": case.goals[domain],
            "externalId": external_id,
        }
        | changes
    )


def give_consent(
    client: TestClient,
    case: Case,
    organization: str,
    categories: list[str],
    domains: tuple[str, ...] = (),
) -> str:
    """A consent of the household's parent (added on first use) to the organization."""
    members = client.get(f"{case.base}/members", headers=case.toegang).json()["items"]
    if members:
        parent = members[0]["id"]
    else:
        body = {
            "givenName": "Sanne",
            "familyName": "Jansen",
            "birthDate": "1986-04-12",
            "relation": "parent",
            "isGuardian": True,
        }
        parent = post(client, f"{case.base}/members", body, case.toegang)["id"]
    body = {
        "granteeOrganizationId": organization,
        "categories": categories,
        "lifeDomains": list(domains),
        "purpose": "Voortgang volgen",
        "validFrom": today().isoformat(),
        "givenByMemberId": parent,
    }
    return str(post(client, f"{case.base}/consents", body, case.toegang)["id"])
