"""OpenAPI documentation of error responses and headers, shared by every router.

Routers name the statuses; ``openapi.py`` then shows each with the problem types of the
registry in ``errors.py`` that it may carry, one realistic example each.
"""

from http import HTTPStatus
from typing import Any

from pydantic import Field

from gezinsplan.errors import PROBLEM_TYPES
from gezinsplan.kit.schemas import ApiModel


class InvalidParam(ApiModel):
    name: str = Field(
        description="Where: `body:<field>`, `query:<name>`, `path:<name>` or `header:<name>`.",
        examples=["body:municipalityCode"],
    )
    reason: str = Field(examples=["String should match pattern '^[0-9]{4}$'"])


class ProblemDetails(ApiModel):
    """RFC 9457 problem details; every error has this shape."""

    type: str = Field(
        description="A stable URN to compare; `urn:gezinsplan:problem:<name>` is documented at "
        "`/api/v1/problems/<name>`, which the response's Link header also names.",
        json_schema_extra={"format": "uri"},
        examples=["urn:gezinsplan:problem:not-found"],
    )
    title: str = Field(description="The HTTP status phrase.", examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str = Field(description="For people; do not parse.", examples=["Household not found."])
    invalid_params: list[InvalidParam] | None = Field(
        None, description="With a 422: each parameter that does not validate, and why."
    )


_DESCRIPTIONS = {
    400: "The request is malformed (for example a missing Idempotency-Key).",
    401: "No valid bearer token; see WWW-Authenticate.",
    403: "The caller's role does not allow this.",
    404: "No such resource, or not one the caller may see (the two are indistinguishable).",
    409: "The change conflicts with the current state.",
    410: "The feed cursor is of another epoch, expired or ahead of the feed; start again "
    "from `oldestCursor`.",
    412: "If-Match does not match the current ETag; read again.",
    413: "The body is larger than the configured maximum.",
    415: "The body is not application/json.",
    422: "The request does not validate; invalidParams names what.",
    428: "If-Match is required for this change.",
    503: "The database is unavailable.",
}

ETAG_HEADER = {
    "ETag": {"description": "The version to send back in If-Match.", "schema": {"type": "string"}}
}
LOCATION_HEADER = {
    "Location": {"description": "Where the new resource lives.", "schema": {"type": "string"}}
}


def problem(status: int) -> dict[str, Any]:
    """One status documented as a problem+json response."""
    kind = next(kind for kind in PROBLEM_TYPES.values() if kind.status == status)
    example = {
        "type": kind.uri,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": _DESCRIPTIONS[status],
    }
    response: dict[str, Any] = {
        "model": ProblemDetails,
        "description": _DESCRIPTIONS[status],
        "content": {"application/problem+json": {"example": example}},
    }
    if status == 401:
        response["headers"] = {
            "WWW-Authenticate": {
                "description": "Bearer challenge.",
                "schema": {"type": "string"},
            }
        }
    return response


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Document each status as a problem+json response (422 and 503 always)."""
    return {status: problem(status) for status in sorted({*statuses, 422, 503})}


AUTHENTICATED = (401,)
WRITE = (401, 413, 415)
