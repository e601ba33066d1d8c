"""Checks every request body before the application sees it.

Oversized bodies are refused while streaming (413, never read whole), non-JSON bodies get 415,
and bodies that would make a parser or database choke (invalid UTF-8, NUL characters, deep
nesting, non-finite or absurd numbers) get 422, so no input reaches a 500.
"""

import json
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gezinsplan.errors import problem_response

MAX_DEPTH = 32
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
TOO_LARGE = "content-too-large"


class BodyRejectedError(Exception):
    def __init__(self, status: int, detail: str, slug: str, where: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.slug = slug
        self.where = where  # the invalidParams name of a 422: "body:name", "query:q"


def _invalid(detail: str, where: str = "body") -> BodyRejectedError:
    return BodyRejectedError(422, detail, "validation-error", where)


def _body_at(path: tuple[str | int, ...]) -> str:
    return "body:" + ".".join(str(p) for p in path) if path else "body"


class _NonFinite:
    """Stands in for NaN/Infinity while parsing, so the refusal can name where it was."""

    def __init__(self, name: str) -> None:
        self.name = name


def _check_tree(value: Any, depth: int = 0, path: tuple[str | int, ...] = ()) -> None:
    if depth > MAX_DEPTH:
        raise _invalid(f"JSON nested deeper than {MAX_DEPTH} levels.")
    if isinstance(value, str):
        if "\x00" in value:
            raise _invalid("Text must not contain NUL characters.", _body_at(path))
    elif isinstance(value, _NonFinite):
        raise _invalid(f"JSON numbers must be finite; got {value.name}.", _body_at(path))
    elif isinstance(value, float):
        if value in (float("inf"), float("-inf")):
            raise _invalid("JSON number out of range.", _body_at(path))
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_tree(key, depth + 1, path)
            _check_tree(item, depth + 1, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_tree(item, depth + 1, (*path, index))


def check_json(body: bytes) -> None:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _invalid("The body is not valid UTF-8.") from exc
    try:
        parsed = json.loads(text, parse_constant=_NonFinite)
    except RecursionError as exc:
        raise _invalid("JSON nested too deeply.") from exc
    except json.JSONDecodeError as exc:
        raise _invalid(f"The body is not valid JSON: {exc.msg}.") from exc
    except ValueError as exc:  # e.g. an integer with more digits than Python will convert
        raise _invalid("JSON number out of range.") from exc
    _check_tree(parsed)


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _query_text(raw: bytes, where: str) -> str:
    try:
        text = unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _invalid("The query string is not valid UTF-8.", where) from exc
    if "\x00" in text:
        raise _invalid("The query string must not contain NUL.", where)
    return text


def check_query(raw: bytes) -> None:
    """Each parameter's name and value must be UTF-8 without NUL; a refusal names it."""
    for pair in raw.split(b"&"):
        name_raw, _, value_raw = pair.partition(b"=")
        name = _query_text(name_raw, "query")
        _query_text(value_raw, f"query:{name}" if name else "query")


class BodyGuard:
    """Pure ASGI middleware; buffers at most ``max_bytes`` and replays the body downstream.

    Bulk endpoints (``bulk_paths``) take up to ``bulk_max_bytes``: a sync of 10,000 records
    does not fit the limit every other request is held to.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        bulk_paths: frozenset[str] = frozenset(),
        bulk_max_bytes: int = 0,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.bulk_paths = bulk_paths
        self.bulk_max_bytes = max(bulk_max_bytes, max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            check_query(scope.get("query_string", b""))
            if scope["method"] in BODY_METHODS:
                body = await self._read(scope, receive)
                receive = self._replay(body, receive)
        except BodyRejectedError as exc:
            invalid = [{"name": exc.where, "reason": exc.detail}] if exc.where else None
            response = problem_response(
                exc.status, exc.detail, slug=exc.slug, invalid_params=invalid
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _read(self, scope: Scope, receive: Receive) -> bytes:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        limit = self.bulk_max_bytes if scope.get("path") in self.bulk_paths else self.max_bytes
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            raise BodyRejectedError(413, f"The body exceeds {limit} bytes.", TOO_LARGE)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise BodyRejectedError(413, f"The body exceeds {limit} bytes.", TOO_LARGE)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body:
            if not _is_json(headers.get("content-type", "")):
                raise BodyRejectedError(
                    415, "Send the body as application/json.", "unsupported-media-type"
                )
            check_json(body)
        return body

    @staticmethod
    def _replay(body: bytes, downstream: Receive) -> Receive:
        sent = False

        async def receive() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await downstream()

        return receive
