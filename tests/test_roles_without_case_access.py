"""Policy staff, machine clients, administrators and privacy officers see no household content."""

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Token

API = "/api/v1"
CONTENT = ("", "/plan", "/members", "/roles", "/consents")


@pytest.mark.parametrize(
    "roles",
    [("policy",), ("municipal_system",), ("partner_system",), ("admin",), ("privacy_officer",)],
)
def test_these_roles_see_no_household_content(
    client: TestClient, token: Token, household: dict[str, Any], roles: tuple[str, ...]
) -> None:
    headers = token(*roles, municipalities=("0193",), org=uuid.uuid4(), sub="someone")
    base = f"{API}/households/{household['id']}"
    assert client.get(f"{API}/households", headers=headers).json()["items"] == []
    # The officer reads the household's access log, so it is no secret to them: a 403.
    refused = 403 if "privacy_officer" in roles else 404
    for path in CONTENT:
        assert client.get(base + path, headers=headers).status_code == refused, path
    opened = client.post(
        f"{API}/households",
        json={"municipalityCode": "0193", "name": "X", "referralSource": "municipal_access"},
        headers=headers,
    )
    assert opened.status_code == 403


def test_the_privacy_officer_reads_access_logs_of_its_municipalities_only(
    client: TestClient, token: Token, toegang: dict[str, str], household: dict[str, Any]
) -> None:
    log = f"{API}/households/{household['id']}/access-log"
    officer = token("privacy_officer", municipalities=("0193",), sub="fg")
    elsewhere = token("privacy_officer", municipalities=("0363",), sub="fg-amsterdam")
    assert client.get(log, headers=officer).status_code == 200
    assert client.get(log, headers=elsewhere).status_code == 404
    assert client.get(log, headers=toegang).status_code == 403  # the team knows it


def test_only_the_privacy_officer_runs_the_audit_check(client: TestClient, token: Token) -> None:
    check = f"{API}/audit/verify"
    assert client.get(check, headers=token("privacy_officer", sub="fg")).status_code == 200
    for role in ("admin", "toegang", "policy", "resident"):
        response = client.get(check, headers=token(role, sub=role))
        assert response.status_code == 403, role
        assert response.headers["content-type"] == "application/problem+json"
    assert client.get(check).status_code == 401
