"""Bearer JWT validation and, for development, minting.

Validation checks signature, ``exp``, ``nbf``, ``iss`` and ``aud`` against an allow-list of
algorithms; ``none`` is never in it. Claims become an :class:`Actor` or the token is refused.
"""

import re
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from gezinsplan.auth.actor import Actor, Role
from gezinsplan.config import ASYMMETRIC_ALGORITHMS, SYMMETRIC_ALGORITHMS, Settings
from gezinsplan.errors import Unauthorized

REQUIRED_CLAIMS = ["exp", "iss", "aud", "sub"]
# A token already checked is taken at its word again for this long at most (and never past
# its ``exp``): a client sends the same token with every request, and checking its signature
# each time was a twentieth of a plan read's CPU. A key withdrawn from the key set stops
# admitting its tokens within this time.
REMEMBER_SECONDS = 300
REMEMBERED_TOKENS = 4096
_MUNICIPALITY = re.compile(r"^[0-9]{4}$")


class TokenValidator:
    """Validates tokens for one configuration; JWKS keys are fetched and cached lazily."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.algorithms = [a for a in settings.jwt_algorithms if a.lower() != "none"]
        self._checked: dict[str, tuple[Actor, float, float]] = {}
        self._jwks: jwt.PyJWKClient | None = (
            jwt.PyJWKClient(settings.jwt_jwks_url, cache_keys=True)
            if settings.jwt_jwks_url
            else None
        )

    @property
    def fetches_keys(self) -> bool:
        """Whether validating may fetch a key set over the network (a JWKS URL is set)."""
        return self._jwks is not None

    def _key(self, token: str, algorithm: str) -> Any:
        if algorithm in SYMMETRIC_ALGORITHMS:
            secret = self.settings.signing_secret
            if secret is None:
                raise Unauthorized("No key is configured for this token's algorithm.")
            return secret
        if algorithm in ASYMMETRIC_ALGORITHMS and self._jwks is not None:
            try:
                return self._jwks.get_signing_key_from_jwt(token).key
            except jwt.PyJWKClientError as exc:
                raise Unauthorized("The token's signing key is unknown.") from exc
        raise Unauthorized("The token's algorithm is not accepted.")

    def validate(self, token: str) -> Actor:
        """The token's actor, or 401; a token checked before is admitted from memory while
        its ``nbf`` and ``exp`` (with the leeway) and ``REMEMBER_SECONDS`` allow."""
        now = time.time()
        known = self._checked.get(token)
        if known is not None:
            actor, valid_from, valid_until = known
            if valid_from <= now < valid_until:
                return actor
            self._checked.pop(token, None)
        actor, claims = self._check(token)
        leeway = self.settings.jwt_leeway_seconds
        valid_until = min(float(claims["exp"]) + leeway, now + REMEMBER_SECONDS)
        valid_from = float(claims.get("nbf", now)) - leeway
        if len(self._checked) >= REMEMBERED_TOKENS:
            self._checked.clear()
        self._checked[token] = (actor, valid_from, valid_until)
        return actor

    def _check(self, token: str) -> tuple[Actor, dict[str, Any]]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise Unauthorized("The bearer token is malformed.") from exc
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in self.algorithms:
            raise Unauthorized("The token's algorithm is not accepted.")
        try:
            claims = jwt.decode(
                token,
                key=self._key(token, algorithm),
                algorithms=[algorithm],
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                leeway=self.settings.jwt_leeway_seconds,
                options={"require": REQUIRED_CLAIMS, "verify_nbf": True},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("The token has expired.") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthorized(f"The token is not valid: {exc}.") from exc
        return actor_from_claims(claims), claims


def _uuid_claim(claims: dict[str, Any], name: str) -> uuid.UUID | None:
    value = claims.get(name)
    if value is None:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise Unauthorized(f"The token's '{name}' claim is not a UUID.") from exc


def _str_list(claims: dict[str, Any], name: str) -> list[str]:
    value = claims.get(name, [])
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Unauthorized(f"The token's '{name}' claim must be a list of strings.")
    return value


def actor_from_claims(claims: dict[str, Any]) -> Actor:
    roles: set[Role] = set()
    for name in _str_list(claims, "roles"):
        try:
            roles.add(Role(name))
        except ValueError:
            continue  # roles of other applications in a shared identity provider
    municipalities = _str_list(claims, "municipalities")
    if not all(_MUNICIPALITY.match(m) for m in municipalities):
        raise Unauthorized("The token's 'municipalities' must be 4-digit CBS codes.")
    sub = claims["sub"]
    if not isinstance(sub, str) or not sub:
        raise Unauthorized("The token's 'sub' claim is missing.")
    name = claims.get("name", sub)
    return Actor(
        sub=sub,
        name=name if isinstance(name, str) else sub,
        org=_uuid_claim(claims, "org"),
        roles=frozenset(roles),
        municipalities=frozenset(municipalities),
        member=_uuid_claim(claims, "member"),
    )


def mint(
    settings: Settings,
    *,
    sub: str,
    name: str,
    roles: Iterable[str],
    org: uuid.UUID | None = None,
    municipalities: Iterable[str] = (),
    member: uuid.UUID | None = None,
    lifetime: timedelta = timedelta(hours=8),
) -> str:
    """A development token signed with the local HS256 secret.

    Its times come from the system clock, not ``kit.clock``: PyJWT checks ``exp`` and ``nbf``
    against the system clock, and a token is valid by its verifier's clock. Tests that pin or
    move the case clock to another day still get tokens that are valid when they are used.
    """
    secret = settings.signing_secret
    if secret is None:
        raise RuntimeError("minting needs an HS256 secret")
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": sub,
        "name": name,
        "roles": list(roles),
        "municipalities": list(municipalities),
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
    }
    if org is not None:
        claims["org"] = str(org)
    if member is not None:
        claims["member"] = str(member)
    return jwt.encode(claims, secret, algorithm="HS256")
