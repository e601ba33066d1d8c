"""The authenticated actor as a FastAPI dependency."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gezinsplan.auth.actor import Actor
from gezinsplan.auth.tokens import TokenValidator
from gezinsplan.errors import Unauthorized

bearer = HTTPBearer(auto_error=False, description="A JWT from the identity provider.")


def current_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Send a bearer token in the Authorization header.", error="missing")
    validator: TokenValidator = request.app.state.token_validator
    return validator.validate(credentials.credentials)


CurrentActor = Annotated[Actor, Depends(current_actor)]
