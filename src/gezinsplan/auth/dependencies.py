"""The authenticated actor as a FastAPI dependency."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gezinsplan.auth.actor import Actor
from gezinsplan.auth.tokens import TokenValidator
from gezinsplan.errors import Unauthorized

bearer = HTTPBearer(auto_error=False, description="A JWT from the identity provider.")


async def current_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    """Checking a signature is quick work for the event loop; fetching a key set is I/O,
    so a validator that may fetch one runs in a worker thread."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Send a bearer token in the Authorization header.", error="missing")
    validator: TokenValidator = request.app.state.token_validator
    if validator.fetches_keys:
        actor = await run_in_threadpool(validator.validate, credentials.credentials)
    else:
        actor = validator.validate(credentials.credentials)
    # The request's log line names the caller's organization (observability.middleware).
    request.state.actor_organization_id = actor.org
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]
