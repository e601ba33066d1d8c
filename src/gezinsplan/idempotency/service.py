"""The Idempotency-Key header (draft-ietf-httpapi-idempotency-key-header): a retried POST
gets the first answer again instead of doing the work twice.

Keys belong to one client (the token's ``sub`` and ``org``): another client's key is simply
another key. The stored response is written in the request's own transaction, next to the
effect; only 2xx answers are stored, since a refused request rolls back and leaves nothing.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import timedelta

from fastapi import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from gezinsplan.audit.models import AuditAction
from gezinsplan.audit.trail import note
from gezinsplan.auth.actor import Actor
from gezinsplan.errors import BadRequest, Conflict, Unprocessable
from gezinsplan.idempotency import repository
from gezinsplan.idempotency.models import IdempotencyKey
from gezinsplan.kit.clock import utcnow

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
# What a replay repeats besides status and body; per-request headers (date, request id) differ.
REPLAYED_HEADERS = ("content-type", "etag", "location")
MAX_KEY = 255
# An RFC 8941 sf-string, or (as most clients send it) the bare printable characters.
_QUOTED = re.compile(r'^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$')
_BARE = re.compile(r"^[\x21\x23-\x7e]+$")
KEY_PARAM = f"header:{HEADER}"


class KeyMissing(BadRequest):
    slug = "idempotency-key-missing"


class KeyInvalid(BadRequest):
    slug = "idempotency-key-invalid"


class KeyInFlight(Conflict):
    slug = "idempotency-key-in-flight"


class KeyReused(Unprocessable):
    slug = "idempotency-key-reused"


REUSED = "used for a different request"


def client_of(actor: Actor) -> str:
    """A fixed-size name for the client: its subject within its organization."""
    raw = json.dumps([actor.sub, str(actor.org) if actor.org else None])
    return hashlib.sha256(raw.encode()).hexdigest()


def lock_id(client: str, key: str) -> int:
    """The advisory lock a request with this key holds while it runs (a signed 64-bit int)."""
    digest = hashlib.sha256(f"{client}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def parse_key(raw: str) -> str:
    value = raw.strip()
    quoted = _QUOTED.match(value)
    if quoted:
        value = re.sub(r"\\(.)", r"\1", quoted.group(1))
    elif not _BARE.match(value):
        value = ""
    if not 1 <= len(value) <= MAX_KEY:
        raise KeyInvalid(
            f"{HEADER} must be 1 to {MAX_KEY} printable ASCII characters, such as a UUID.",
            invalid_params=[{"name": KEY_PARAM, "reason": "not a valid key"}],
        )
    return value


def fingerprint(method: str, path: str, body: bytes) -> str:
    """sha256 of the method, the path and the body's JSON in canonical form (sorted keys,
    no spaces), so a resend that only reorders or reformats the JSON is the same request."""
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(f"{method} {path}\n".encode() + canonical).hexdigest()


@dataclass
class Idempotent:
    """One request's view of its key: the stored answer to replay, or where to store its own."""

    session: Session
    client: str
    key: str | None
    fingerprint: str
    ttl: timedelta
    stored: IdempotencyKey | None = None

    def replay(self) -> Response | None:
        """The first answer to this key, exactly, marked as a replay; None on a first request."""
        if self.stored is None:
            return None
        note(self.session, action=AuditAction.READ)
        headers = json.loads(self.stored.headers) | {REPLAYED: "true"}
        return Response(self.stored.body, status_code=self.stored.status_code, headers=headers)

    def respond(
        self, content: BaseModel, *, status_code: int, headers: dict[str, str] | None = None
    ) -> Response:
        """The response, serialised once; with a key, stored in the request's transaction."""
        body = content.model_dump_json(by_alias=True).encode()
        response = Response(
            body, status_code=status_code, headers=headers, media_type="application/json"
        )
        if self.key is None:
            return response
        assert self.stored is None, "replay() before respond()"
        now = utcnow()
        repository.purge_expired(self.session, now)
        kept = {
            name: response.headers[name] for name in REPLAYED_HEADERS if name in response.headers
        }
        self.session.add(
            IdempotencyKey(
                client=self.client,
                key=self.key,
                fingerprint=self.fingerprint,
                status_code=status_code,
                headers=json.dumps(kept, sort_keys=True),
                body=body,
                created_at=now,
                expires_at=now + self.ttl,
            )
        )
        self.session.flush()
        return response


def begin(
    session: Session, actor: Actor, key: str, request_fingerprint: str, ttl: timedelta
) -> Idempotent:
    """Take the key for this request: 409 while another request holds it, 422 when it was
    used for another request, the stored answer when it was used for this one."""
    client = client_of(actor)
    if session.get_bind().dialect.name == "postgresql" and not repository.try_lock(
        session, lock_id(client, key)
    ):
        raise KeyInFlight(
            f"A request with this {HEADER} is still being processed; retry in a moment."
        )
    stored = repository.find(session, client, key)
    if stored is not None and stored.expires_at <= utcnow():
        repository.remove(session, client, key)
        stored = None
    if stored is not None and stored.fingerprint != request_fingerprint:
        raise KeyReused(
            f"This {HEADER} was used for a different request; use a new key for a new request.",
            invalid_params=[{"name": KEY_PARAM, "reason": REUSED}],
        )
    return Idempotent(session, client, key, request_fingerprint, ttl, stored)
