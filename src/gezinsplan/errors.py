"""Domain errors that carry their HTTP status, and the one place that renders problem+json.

Every error the service returns is RFC 9457 ``application/problem+json``; nothing else,
and never a stack trace, leaves the process.
"""

import logging
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from gezinsplan import __version__

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "urn:gezinsplan:problem:"
# Where each type's documentation page is served: the type's slug after this path.
PROBLEM_PAGES = "/api/v1/problems/"


@dataclass(frozen=True)
class ProblemType:
    """One kind of error a client can tell apart by ``type`` alone."""

    slug: str
    status: int
    summary: str
    remedy: str

    @property
    def uri(self) -> str:
        return PROBLEM_BASE + self.slug

    @property
    def page(self) -> str:
        return PROBLEM_PAGES + self.slug


_TYPES = (
    ProblemType(
        "bad-request", 400, "The request is malformed.", "Correct the request as the detail says."
    ),
    ProblemType(
        "idempotency-key-missing",
        400,
        "A system client sent a POST without an Idempotency-Key.",
        "Send a fresh UUID in Idempotency-Key with every POST, and the same one on a retry.",
    ),
    ProblemType(
        "idempotency-key-invalid",
        400,
        "The Idempotency-Key is not a UUID.",
        "Send a UUID (RFC 9562) in Idempotency-Key.",
    ),
    ProblemType(
        "unauthorized",
        401,
        "No valid bearer token: missing, expired, or not signed by a trusted issuer.",
        "Send `Authorization: Bearer <token>` with a current token; WWW-Authenticate says why.",
    ),
    ProblemType(
        "forbidden",
        403,
        "The caller's role does not allow this action.",
        "Ask for a token with a role that may do it; the operation's description names them.",
    ),
    ProblemType(
        "consent-missing",
        403,
        "The caller's organization works on the household but holds no valid consent of the "
        "family for this part of its file.",
        "Ask the family, through the regisseur, for consent for the category the detail names; "
        "until it is given this part stays closed to your organization.",
    ),
    ProblemType(
        "read-only",
        403,
        "The caller reads this part of the household's file but may not change it.",
        "Ask the regisseur or the municipality's access team, who change the file; a resident "
        "adds the family's statement instead.",
    ),
    ProblemType(
        "not-found",
        404,
        "No resource at this address, or none the caller may see; the two are the same answer.",
        "Check the id; a household you have no grounds to see is not found to you.",
    ),
    ProblemType(
        "method-not-allowed",
        405,
        "The resource exists but not with this method.",
        "Use one of the methods the Allow header lists.",
    ),
    ProblemType(
        "not-acceptable",
        406,
        "The Accept header names no media type the operation answers in.",
        "Accept one of the media types the operation documents.",
    ),
    ProblemType(
        "conflict",
        409,
        "The change conflicts with the current state of the resource.",
        "Read the resource again and decide whether the change still applies.",
    ),
    ProblemType(
        "idempotency-key-in-flight",
        409,
        "A request with this Idempotency-Key is still being processed.",
        "Wait and retry with the same key; the first request's answer is then replayed.",
    ),
    ProblemType(
        "cursor-gone",
        410,
        "The feed cursor is of another epoch, expired, or ahead of the feed.",
        "Start again from `oldestCursor` in the body.",
    ),
    ProblemType(
        "precondition-failed",
        412,
        "If-Match does not name the resource's current version.",
        "Read the resource again, and send its new ETag in If-Match.",
    ),
    ProblemType(
        "content-too-large",
        413,
        "The body is larger than the configured maximum.",
        "Send a smaller body; split a bulk push into batches.",
    ),
    ProblemType(
        "unsupported-media-type",
        415,
        "The body is not application/json.",
        "Send the body with `Content-Type: application/json`.",
    ),
    ProblemType(
        "validation-error",
        422,
        "The request does not validate.",
        "`invalidParams` names each offending parameter (`body:<field>`, `query:<name>`, "
        "`path:<name>`, `header:<name>`) and the reason.",
    ),
    ProblemType(
        "idempotency-key-reused",
        422,
        "The Idempotency-Key was used before for a different request.",
        "Use a fresh key for a different request; reuse a key only to retry the same one.",
    ),
    ProblemType(
        "erasure-refused",
        409,
        "The file may not be erased now: the erasure request is not granted, the file is "
        "still open, or a municipal file is within its retention (AVG art. 17(3)(b)).",
        "Decide the erasure request of the family first, close the file, or wait for the end "
        "of its retention; the data report gives the end date of the retention.",
    ),
    ProblemType(
        "precondition-required",
        428,
        "This change needs If-Match.",
        "Read the resource and send its ETag in If-Match.",
    ),
    ProblemType(
        "internal-error",
        500,
        "An unexpected error; it has been logged.",
        "Retry later; quote the X-Request-ID response header when you report it.",
    ),
    ProblemType(
        "database-unavailable",
        503,
        "The database cannot be reached.",
        "Retry after the seconds Retry-After gives.",
    ),
    ProblemType(
        "audit-unavailable",
        503,
        "The access could not be recorded in the audit log, so nothing was done or shown.",
        "Retry later.",
    ),
)
PROBLEM_TYPES: dict[str, ProblemType] = {t.slug: t for t in _TYPES}
# The type of an error raised by the framework rather than by our code, by status.
_HTTP_SLUGS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    413: "content-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
}

log = logging.getLogger(__name__)


class Problem(Exception):  # noqa: N818 - named after RFC 9457
    """An error a client can act on: status, a stable type, a human detail."""

    status: int = 400
    slug: str = "bad-request"

    def __init__(
        self,
        detail: str,
        *,
        invalid_params: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.invalid_params = invalid_params
        self.headers = headers or {}
        self.extensions = extensions or {}


class BadRequest(Problem):
    status = 400
    slug = "bad-request"


class Unauthorized(Problem):
    status = 401
    slug = "unauthorized"

    def __init__(self, detail: str, *, error: str = "invalid_token") -> None:
        challenge = f'Bearer realm="gezinsplan", error="{error}"'
        if error == "missing":
            challenge = 'Bearer realm="gezinsplan"'
        super().__init__(detail, headers={"WWW-Authenticate": challenge})


class Forbidden(Problem):
    status = 403
    slug = "forbidden"


class ConsentMissing(Forbidden):
    """A care provider on the household without the family's consent for this part."""

    slug = "consent-missing"


class ReadOnly(Forbidden):
    """A caller who reads this part of the household's file, asking to change it."""

    slug = "read-only"


class NotFound(Problem):
    """Also what an invisible resource answers, so ids cannot be probed."""

    status = 404
    slug = "not-found"


class NotAcceptable(Problem):
    """The Accept header names no media type the endpoint can answer in."""

    status = 406
    slug = "not-acceptable"


class Conflict(Problem):
    status = 409
    slug = "conflict"


class PreconditionFailed(Problem):
    status = 412
    slug = "precondition-failed"


class PreconditionRequired(Problem):
    status = 428
    slug = "precondition-required"


# What a 503 tells the client: the database is away, try again in this many seconds.
RETRY_AFTER = {"Retry-After": "5"}


class AuditUnavailable(Problem):
    """The audit record could not be written, so the work is undone and nothing is shown."""

    status = 503
    slug = "audit-unavailable"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers=dict(RETRY_AFTER))


class Gone(Problem):
    """A feed cursor that no longer leads anywhere; the body says where to start again."""

    status = 410
    slug = "cursor-gone"


class Unprocessable(Problem):
    status = 422
    slug = "validation-error"

    @classmethod
    def field(cls, name: str, reason: str, detail: str) -> "Unprocessable":
        """A 422 about one body field, named as ``invalidParams`` names it (``body:<name>``)."""
        return cls(detail, invalid_params=[{"name": f"body:{name}", "reason": reason}])


def problem_body(
    status: int,
    detail: str,
    *,
    slug: str,
    invalid_params: list[dict[str, str]] | None = None,
    extensions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The RFC 9457 object; also what a bulk push answers for each rejected item."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPES[slug].uri,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if invalid_params:
        body["invalidParams"] = invalid_params
    return body | (extensions or {})


def problem_response(
    status: int,
    detail: str,
    *,
    slug: str,
    invalid_params: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> JSONResponse:
    """The problem as a response; its Link header leads to the type's documentation page."""
    body = problem_body(
        status, detail, slug=slug, invalid_params=invalid_params, extensions=extensions
    )
    described = {"Link": f'<{PROBLEM_TYPES[slug].page}>; rel="describedby"'}
    return JSONResponse(
        body, status_code=status, headers=described | (headers or {}), media_type=PROBLEM_JSON
    )


def _location(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        where, rest = parts[0], parts[1:]
        return f"{where}:{'.'.join(rest)}" if rest else where
    return ".".join(parts)


def validation_params(errors: Any) -> list[dict[str, str]]:
    return [{"name": _location(tuple(e.get("loc", ()))), "reason": str(e["msg"])} for e in errors]


async def _on_problem(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(
        exc.status,
        exc.detail,
        slug=exc.slug,
        invalid_params=exc.invalid_params,
        headers=exc.headers,
        extensions=exc.extensions,
    )


async def _on_validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return problem_response(
        422,
        "The request does not validate; see invalidParams.",
        slug="validation-error",
        invalid_params=validation_params(exc.errors()),
    )


def _allowed_methods(request: Request) -> list[str]:
    """Every method of every route at this path; Starlette names only the first route's."""
    path = request.scope.get("path", "")
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(path):
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    headers = dict(exc.headers or {})
    if exc.status_code == 404:
        detail = "No resource at this address."
    if exc.status_code == 405 and (allowed := _allowed_methods(request)):
        headers["Allow"] = ", ".join(allowed)
    slug = _HTTP_SLUGS.get(exc.status_code, "bad-request")
    return problem_response(exc.status_code, detail, slug=slug, headers=headers)


async def _on_integrity(_request: Request, exc: Exception) -> JSONResponse:
    log.warning("integrity error reached the handler: %s", type(exc).__name__)
    return problem_response(409, "The change conflicts with stored data.", slug="conflict")


async def _on_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    log.error("database unavailable: %s", type(exc).__name__)
    return problem_response(
        503,
        "The database is unavailable; try again.",
        slug="database-unavailable",
        headers=dict(RETRY_AFTER),
    )


async def _on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    # Served by Starlette's outermost middleware, outside the one that sets API-Version.
    return problem_response(
        500,
        "An unexpected error occurred; it has been logged.",
        slug="internal-error",
        headers={"API-Version": __version__},
    )


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(IntegrityError, _on_integrity)
    app.add_exception_handler(OperationalError, _on_unavailable)
    app.add_exception_handler(Exception, _on_unexpected)
