"""A read whose database connection dropped runs once more, on a new connection.

The pool replaces connections the server closed while they sat idle (``db.make_engine``),
but a connection can also drop under a request, or die without a word: a failover that moved
the server's address, a firewall that forgot the connection. A GET or HEAD whose connection
dropped before its commit changed nothing, so it runs again, once, and the client sees only
the second answer; ``db.get_session`` leaves the first attempt unaudited (``claim``). A read
that failed in its commit is not run again: the commit, and its audit record, may have
reached the server. A write is never run twice: it answers 503 and the client retries it.
"""

from fastapi import Request
from sqlalchemy.exc import DBAPIError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

READS = frozenset({"GET", "HEAD"})
STATE_KEY = "gezinsplan_read_retry"
ALLOWED = "allowed"
CLAIMED = "claimed"


def dropped_connection(exc: BaseException | None) -> bool:
    """The error, or one it was raised from, is a connection SQLAlchemy found dropped."""
    while exc is not None:
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            return True
        exc = exc.__cause__
    return False


def claim(request: Request, exc: BaseException) -> bool:
    """Take the request's one retry for this error, if it has one: the attempt is dropped."""
    state = request.scope.get("state", {})
    if state.get(STATE_KEY) != ALLOWED or not dropped_connection(exc):
        return False
    state[STATE_KEY] = CLAIMED
    return True


class RetryReads:
    """Runs a read again when its first attempt claimed the retry, and sends only the second."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in READS:
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state[STATE_KEY] = ALLOWED
        received: list[Message] = []

        async def recording() -> Message:
            message = await receive()
            received.append(message)
            return message

        async def unless_claimed(message: Message) -> None:
            # The claim is made before the response starts: get_session ends first.
            if state.get(STATE_KEY) != CLAIMED:
                await send(message)

        await self.app(dict(scope), recording, unless_claimed)
        if state.pop(STATE_KEY) != CLAIMED:
            return

        async def replay() -> Message:
            return received.pop(0) if received else await receive()

        await self.app(dict(scope), replay, send)
