"""Domain errors that carry their HTTP status, and the one place that renders problem+json.

Every error the service returns is RFC 9457 ``application/problem+json``; nothing else,
and never a stack trace, leaves the process.
"""

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "urn:gezinsplan:problem:"

log = logging.getLogger(__name__)


class Problem(Exception):  # noqa: N818 - named after RFC 9457
    """An error a client can act on: status, a stable type, a human detail."""

    status: int = 400
    slug: str | None = None

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


class NotFound(Problem):
    """Also what an invisible resource answers, so ids cannot be probed."""

    status = 404
    slug = None


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
    slug: str | None = None,
    invalid_params: list[dict[str, str]] | None = None,
    extensions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The RFC 9457 object; also what a bulk push answers for each rejected item."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug if slug else "about:blank",
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
    slug: str | None = None,
    invalid_params: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> JSONResponse:
    body = problem_body(
        status, detail, slug=slug, invalid_params=invalid_params, extensions=extensions
    )
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


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
    return problem_response(exc.status_code, detail, headers=headers)


async def _on_integrity(_request: Request, exc: Exception) -> JSONResponse:
    log.warning("integrity error reached the handler: %s", type(exc).__name__)
    return problem_response(409, "The change conflicts with stored data.", slug="conflict")


async def _on_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    log.error("database unavailable: %s", type(exc).__name__)
    return problem_response(
        503, "The database is unavailable; try again.", headers=dict(RETRY_AFTER)
    )


async def _on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    return problem_response(500, "An unexpected error occurred; it has been logged.")


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(IntegrityError, _on_integrity)
    app.add_exception_handler(OperationalError, _on_unavailable)
    app.add_exception_handler(Exception, _on_unexpected)
