"""Every response names the API version that produced it (API Design Rules, API-57).

The URI carries only the major version (``/api/v1``); a client that depends on a minor
feature, or reports a problem, reads the full version here.
"""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_VERSION_HEADER = "API-Version"


class ApiVersion:
    """Pure ASGI middleware, outermost, so errors and the middleware's own refusals carry it."""

    def __init__(self, app: ASGIApp, version: str) -> None:
        self.app = app
        self.version = version

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_version(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[API_VERSION_HEADER] = self.version
            await send(message)

        await self.app(scope, receive, send_with_version)
