"""A webhook callback on 127.0.0.1 for tests: records every whole POST, answers what it is told."""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    at: float  # time.monotonic() when it arrived


# What the callback answers a request: a status and headers.
Respond = Callable[[Received], tuple[int, dict[str, str]]]


def ok(_received: Received) -> tuple[int, dict[str, str]]:
    return 200, {}


class Receiver:
    """``with Receiver() as receiver``: ``receiver.url`` takes POSTs until the block ends."""

    def __init__(self, respond: Respond = ok) -> None:
        self.respond = respond
        self.received: list[Received] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "-1"))
                body = self.rfile.read(max(length, 0))
                if len(body) != length:
                    # The sender died mid-request, in its headers or its body (the crash tests
                    # kill workers at random): a torn request is no delivery.
                    self.close_connection = True
                    return
                received = Received(
                    self.path,
                    {name.lower(): value for name, value in self.headers.items()},
                    body,
                    time.monotonic(),
                )
                with receiver._lock:
                    receiver.received.append(received)
                    status, headers = receiver.respond(received)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def snapshot(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    def __enter__(self) -> "Receiver":
        self._thread.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.server.shutdown()
        self.server.server_close()
