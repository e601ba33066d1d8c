"""Bearer tokens: every way a token can be wrong is a 401 problem with a Bearer challenge,
and a valid token's claims are what the service makes of the caller."""

import base64
import json
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Connection

from gezinsplan.auth import tokens
from gezinsplan.config import Settings
from gezinsplan.db import make_session_factory
from gezinsplan.main import create_app
from tests.conftest import TEST_SECRET

ME = "/api/v1/me"
ISSUER = "gezinsplan-dev"
AUDIENCE = "gezinsplan"
LEEWAY = 30  # the default jwt_leeway_seconds


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "worker-1",
        "name": "Wendy Wijkteam",
        "roles": ["toegang"],
        "municipalities": ["0193"],
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(payload: dict[str, Any], *, key: str = TEST_SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, key, algorithm=algorithm)


def b64url(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unsigned(header: dict[str, Any], payload: dict[str, Any], signature: str = "") -> str:
    return f"{b64url(header)}.{b64url(payload)}.{signature}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _secret_like_signature() -> str:
    valid = sign(claims())
    return valid.rsplit(".", 1)[1]


BAD_TOKENS: dict[str, Callable[[], str]] = {
    "malformed": lambda: "not-a-jwt",
    "malformed-three-parts": lambda: "abc.def.ghi",
    "malformed-bad-json-header": lambda: "eyJub3QganNvbg.eyJzdWIiOiJ4In0.c2ln",
    "wrong-signature": lambda: sign(claims(), key="another-secret-" + "y" * 40),
    "tampered-payload": lambda: (
        unsigned({"alg": "HS256", "typ": "JWT"}, claims(roles=["admin"])) + _secret_like_signature()
    ),
    "expired-beyond-leeway": lambda: sign(claims(exp=int(time.time()) - LEEWAY - 60)),
    "not-yet-valid": lambda: sign(claims(nbf=int(time.time()) + LEEWAY + 600)),
    "wrong-issuer": lambda: sign(claims(iss="https://evil.example")),
    "wrong-audience": lambda: sign(claims(aud="another-service")),
    "missing-exp": lambda: sign(claims(exp=None)),
    "missing-iss": lambda: sign(claims(iss=None)),
    "missing-aud": lambda: sign(claims(aud=None)),
    "missing-sub": lambda: sign(claims(sub=None)),
    "empty-sub": lambda: sign(claims(sub="")),
    "alg-none": lambda: unsigned({"alg": "none", "typ": "JWT"}, claims()),
    "alg-None": lambda: unsigned({"alg": "None", "typ": "JWT"}, claims()),
    "alg-none-with-signature": lambda: unsigned({"alg": "none"}, claims(), "c2ln"),
    "no-alg": lambda: unsigned({"typ": "JWT"}, claims(), _secret_like_signature()),
    "hs384-not-allowed": lambda: sign(claims(), algorithm="HS384"),
    "hs512-not-allowed": lambda: sign(claims(), key=TEST_SECRET * 2, algorithm="HS512"),
    "rs256-confusion": lambda: unsigned({"alg": "RS256"}, claims(), _secret_like_signature()),
    "org-not-a-uuid": lambda: sign(claims(org="gemeente-zwolle")),
    "member-not-a-uuid": lambda: sign(claims(roles=["resident"], member="42")),
    "municipality-three-digits": lambda: sign(claims(municipalities=["193"])),
    "municipality-five-digits": lambda: sign(claims(municipalities=["01930"])),
    "municipality-letters": lambda: sign(claims(municipalities=["0193", "abcd"])),
    "municipality-not-a-list": lambda: sign(claims(municipalities={"code": "0193"})),
    "municipality-numbers": lambda: sign(claims(municipalities=[193])),
    "roles-not-strings": lambda: sign(claims(roles=[1, 2])),
}


def assert_unauthorized(response: Any, *, token: str | None = None) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer "), challenge
    assert 'realm="gezinsplan"' in challenge
    body = response.json()
    assert body["status"] == 401
    assert body["title"] == "Unauthorized"
    assert set(body) >= {"type", "title", "status", "detail"}
    if token:
        for part in [token, *[p for p in token.split(".") if len(p) >= 4]]:
            assert part not in response.text, "the token must not be echoed"
            assert part not in challenge


def test_missing_token_is_401_with_a_plain_challenge(client: TestClient) -> None:
    response = client.get(ME)
    assert_unauthorized(response)
    # RFC 6750 section 3.1: no error code when the request carried no credentials.
    assert "error=" not in response.headers["www-authenticate"]


@pytest.mark.parametrize(
    "authorization",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Token abc", "bearer"],
)
def test_a_non_bearer_authorization_is_401(client: TestClient, authorization: str) -> None:
    assert_unauthorized(client.get(ME, headers={"Authorization": authorization}))


@pytest.mark.parametrize("case", list(BAD_TOKENS))
def test_a_bad_token_is_401(client: TestClient, case: str) -> None:
    token = BAD_TOKENS[case]()
    response = client.get(ME, headers=bearer(token))
    assert_unauthorized(response, token=token)
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


@pytest.mark.parametrize("case", ["expired-beyond-leeway", "alg-none", "wrong-signature"])
def test_a_bad_token_reaches_no_data(client: TestClient, case: str) -> None:
    token = BAD_TOKENS[case]()
    for url in (
        "/api/v1/households",
        "/api/v1/organizations",
        f"/api/v1/households/{uuid.uuid4()}",
    ):
        assert_unauthorized(client.get(url, headers=bearer(token)), token=token)
    write = client.post(
        "/api/v1/households",
        json={"municipalityCode": "0193", "name": "Gezin X", "referralSource": "municipal_access"},
        headers=bearer(token),
    )
    assert_unauthorized(write, token=token)


def test_expiry_within_the_leeway_is_accepted(client: TestClient) -> None:
    token = sign(claims(exp=int(time.time()) - LEEWAY // 3))
    assert client.get(ME, headers=bearer(token)).status_code == 200


def test_nbf_within_the_leeway_is_accepted(client: TestClient) -> None:
    token = sign(claims(nbf=int(time.time()) + LEEWAY // 3))
    assert client.get(ME, headers=bearer(token)).status_code == 200


def test_a_valid_tokens_claims_appear_in_me(client: TestClient) -> None:
    org = uuid.uuid4()
    member = uuid.uuid4()
    token = sign(
        claims(
            sub="worker-42",
            name="Wendy Wijkteam",
            org=str(org),
            member=str(member),
            roles=["toegang", "resident", "role-of-another-application"],
            municipalities=["0193", "0148"],
        )
    )
    response = client.get(ME, headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "sub": "worker-42",
        "name": "Wendy Wijkteam",
        "org": str(org),
        "roles": ["resident", "toegang"],
        "municipalities": ["0148", "0193"],
        "member": str(member),
        "householdId": None,
    }


def test_a_minimal_token_gets_defaults(client: TestClient) -> None:
    token = sign(claims(name=None, roles=None, municipalities=None, iat=None, nbf=None))
    response = client.get(ME, headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "sub": "worker-1",
        "name": "worker-1",
        "org": None,
        "roles": [],
        "municipalities": [],
        "member": None,
        "householdId": None,
    }


def test_space_separated_roles_are_understood(client: TestClient) -> None:
    token = sign(claims(roles="policy admin"))
    response = client.get(ME, headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json()["roles"] == ["admin", "policy"]


def test_a_token_signed_with_a_key_from_the_key_set_is_checked_off_the_event_loop(
    settings: Settings, connection: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a JWKS URL the check may fetch keys, so it runs in a worker thread; it must still
    answer with the caller (and refuse a token signed with another key)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    found = jwt.PyJWK.from_dict(json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())))
    monkeypatch.setattr(jwt.PyJWKClient, "get_signing_key_from_jwt", lambda _self, _token: found)
    configured = settings.model_copy(
        update={"jwt_algorithms": ["RS256"], "jwt_jwks_url": "https://login.example.nl/jwks"}
    )
    factory = make_session_factory(connection, join_transaction_mode="create_savepoint")
    app = create_app(configured, session_factory=factory)
    assert app.state.token_validator.fetches_keys
    payload = claims(roles=["admin"])
    with TestClient(app) as client:
        me = client.get("/api/v1/me", headers=bearer(jwt.encode(payload, key, "RS256")))
        assert me.status_code == 200, me.text
        assert me.json()["sub"] == payload["sub"]
        other = client.get("/api/v1/me", headers=bearer(jwt.encode(payload, stranger, "RS256")))
        assert other.status_code == 401


def test_a_remembered_token_is_refused_once_it_expires(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A token checked once is admitted from memory, but never past its exp (and leeway)."""
    now = time.time()
    token = sign(claims(exp=int(now) + 60))
    assert client.get(ME, headers=bearer(token)).status_code == 200
    monkeypatch.setattr(tokens.time, "time", lambda: now + 30)
    assert client.get(ME, headers=bearer(token)).status_code == 200
    # Past exp and the leeway PyJWT itself would refuse it; so does the memory.
    monkeypatch.setattr(tokens.time, "time", lambda: now + 60 + LEEWAY + 5)
    monkeypatch.setattr(jwt.api_jwt, "datetime", _FrozenDatetime(now + 60 + LEEWAY + 5))
    assert_unauthorized(client.get(ME, headers=bearer(token)), token=token)


def test_a_token_is_checked_again_after_the_memory_lapses(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = time.time()
    token = sign(claims(exp=int(now) + 3 * tokens.REMEMBER_SECONDS))
    assert client.get(ME, headers=bearer(token)).status_code == 200
    checks: list[str] = []
    check = tokens.TokenValidator._check

    def counted(self: tokens.TokenValidator, raw: str) -> Any:
        checks.append(raw)
        return check(self, raw)

    monkeypatch.setattr(tokens.TokenValidator, "_check", counted)
    assert client.get(ME, headers=bearer(token)).status_code == 200
    assert checks == []
    monkeypatch.setattr(tokens.time, "time", lambda: now + tokens.REMEMBER_SECONDS + 1)
    assert client.get(ME, headers=bearer(token)).status_code == 200
    assert checks == [token]


class _FrozenDatetime:
    """``datetime`` for PyJWT, at a given time."""

    def __init__(self, at: float) -> None:
        self.at = at

    def now(self, tz: Any = None) -> datetime:
        return datetime.fromtimestamp(self.at, tz)
