"""One place that sees every request end: its trace context, its metrics, its log line.

W3C Trace Context: a well-formed ``traceparent`` from the caller keeps its trace id; without
one a trace starts here. Either way the response's ``traceparent`` names the trace and this
service's span, so a caller can find our log line. The route is the template
(``/api/v1/households/{household_id}``), never the path with its ids; a path no route
matches is ``unmatched``.
"""

import logging
import re
import secrets
import time
from typing import Any

from fastapi.routing import iter_route_contexts
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gezinsplan.observability.logs import REQUEST, mask
from gezinsplan.observability.metrics import Metrics

HEADER = "traceparent"
# Version 00; all-zero ids are invalid (W3C Trace Context, section 3.2.2).
TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
UNMATCHED = "unmatched"
ROUTE_KEY = "gezinsplan_route"
ORGANIZATION_KEY = "actor_organization_id"
log = logging.getLogger("gezinsplan.requests")


def trace_of(header: str) -> tuple[str, str]:
    """(trace id, flags) of a valid header, or of a new trace."""
    match = TRACEPARENT.match(header.strip().lower())
    if match and match[1] != "0" * 32 and match[2] != "0" * 16:
        return match[1], match[3]
    return secrets.token_hex(16), "00"


class NoteRoute:
    """Innermost: keeps the matched route where ``ObserveRequests`` can read it. The router
    writes it into its own copy of the scope (``RetryReads`` copies), the state is shared."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            if scope["type"] == "http" and "route" in scope:
                scope.setdefault("state", {})[ROUTE_KEY] = scope["route"]


class ObserveRequests:
    """Outside the body guard and the read retry: sees every answer, a retried read once."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        self._templates: dict[int, list[Any]] | None = None

    def template(self, scope: Scope, route: object) -> str:
        """The full path template of the matched route: a route inside an included router
        knows only its own part (``/households/{household_id}``), its context the whole."""
        if route is None:
            return UNMATCHED
        if self._templates is None:
            self._templates = {}
            for context in iter_route_contexts(scope["app"].routes):
                self._templates.setdefault(id(context.original_route), []).append(context)
        contexts = self._templates.get(id(route), [])
        for context in contexts:
            if len(contexts) == 1 or context.path_regex.match(scope["path"]):
                return str(context.path)
        return str(getattr(route, "path", UNMATCHED))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        trace_id, flags = trace_of(Headers(scope=scope).get(HEADER, ""))
        state = scope.setdefault("state", {})
        state["trace_id"] = trace_id
        request_id = str(state.get("request_id", ""))
        # The request id is the caller's; one that carries a BSN is masked like a message.
        context = REQUEST.set({"request_id": mask(request_id), "trace_id": trace_id})
        outgoing = f"00-{trace_id}-{secrets.token_hex(8)}-{flags}"
        status = 500  # what ServerErrorMiddleware answers when the app raises

        async def observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                MutableHeaders(scope=message)[HEADER] = outgoing
            await send(message)

        failed = True
        try:
            await self.app(scope, receive, observed)
            failed = False
        finally:
            seconds = time.perf_counter() - started
            route = self.template(scope, state.get(ROUTE_KEY))
            method = scope["method"]
            self.metrics.observe(route, method, status, seconds)
            organization = state.get(ORGANIZATION_KEY)
            log.log(
                logging.ERROR if status >= 500 else logging.INFO,
                "request",
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 1),
                    "organization_id": str(organization) if organization else None,
                },
            )
            if not failed:
                # On an exception the context stays: ServerErrorMiddleware, outside, logs it
                # next, in this request's task, and its line names the request too.
                REQUEST.reset(context)
