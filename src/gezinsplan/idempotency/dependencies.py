"""``Idempotency``: the dependency every POST a machine client can reach declares.

``tests/test_idempotency.py`` walks the route table and fails for such a POST without it.
"""

from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Header, Request

from gezinsplan.access import policy
from gezinsplan.auth.dependencies import CurrentActor
from gezinsplan.db import DbSession
from gezinsplan.idempotency import service
from gezinsplan.idempotency.service import HEADER, MAX_KEY, Idempotent, KeyMissing

KeyHeader = Annotated[
    str | None,
    Header(
        alias=HEADER,
        description=(
            f"A unique key per request, such as a UUID (at most {MAX_KEY} characters). Required "
            "for partner and municipal systems. A resend with the same key and body gets the "
            "first answer again (with `Idempotent-Replayed: true`), with another body a 422, "
            "while the first is still running a 409. Keys are kept at least 24 hours."
        ),
    ),
]


async def request_fingerprint(request: Request) -> str:
    """Computed from the body FastAPI has already read; no database work in the event loop."""
    return service.fingerprint(request.method, request.url.path, await request.body())


def idempotency(
    request: Request,
    actor: CurrentActor,
    session: DbSession,
    fingerprint: Annotated[str, Depends(request_fingerprint)],
    idempotency_key: KeyHeader = None,
) -> Idempotent:
    ttl = timedelta(hours=request.app.state.settings.idempotency_ttl_hours)
    if idempotency_key is None:
        if policy.is_machine_client(actor):
            raise KeyMissing(
                f"Send an {HEADER} header: systems must, so a retry cannot act twice.",
                invalid_params=[{"name": service.KEY_PARAM, "reason": "missing"}],
            )
        return Idempotent(session, service.client_of(actor), None, fingerprint, ttl)
    key = service.parse_key(idempotency_key)
    return service.begin(session, actor, key, fingerprint, ttl)


Idempotency = Annotated[Idempotent, Depends(idempotency)]
