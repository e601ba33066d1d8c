"""The service as a process of its own, for tests that kill it mid-request and start it again.

In-process tests cannot show what a crash leaves behind: only a real process, stopped with
SIGKILL while it writes, proves that every request is one transaction and that a retry
after the crash has exactly the effect of the first attempt.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from gezinsplan.auth.tokens import mint
from gezinsplan.config import Settings

READY = "/api/v1/health/ready"


def bearer(settings: Settings, *roles: str, **claims: Any) -> dict[str, str]:
    """Authorization headers for a process on ``settings``' secret."""
    jwt = mint(settings, sub=claims.pop("sub", "tester"), name="Test", roles=roles, **claims)
    return {"Authorization": f"Bearer {jwt}"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """``gezinsplan serve`` on a database; ``kill()`` is SIGKILL, ``start()`` serves again."""

    def __init__(self, url: str, var_dir: Path, secret: str) -> None:
        self.port = free_port()
        self.env = os.environ | {
            "GEZINSPLAN_DATABASE_URL": url,
            "GEZINSPLAN_VAR_DIR": str(var_dir),
            "GEZINSPLAN_JWT_SECRET": secret,
            "GEZINSPLAN_LOG_LEVEL": "WARNING",
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        command = [sys.executable, "-m", "gezinsplan", "serve", "--port", str(self.port)]
        self.process = subprocess.Popen(  # noqa: S603 (this interpreter, fixed arguments)
            command,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the service exited with {self.process.returncode}")
            try:
                if httpx.get(self.base + READY, timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("the service did not become ready")

    def kill(self) -> None:
        """SIGKILL to the whole process group: no shutdown hook, no rollback, no flush."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def __enter__(self) -> "ServerProcess":
        self.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.kill()


class WorkerProcess:
    """``gezinsplan worker`` on a database; ``kill()`` is SIGKILL, ``start()`` runs it again."""

    def __init__(self, url: str, var_dir: Path, secret: str, **settings: str) -> None:
        self.log = var_dir / f"worker-{id(self)}.log"  # what a failing test shows
        self.env = os.environ | {
            "GEZINSPLAN_DATABASE_URL": url,
            "GEZINSPLAN_VAR_DIR": str(var_dir),
            "GEZINSPLAN_JWT_SECRET": secret,
            "GEZINSPLAN_LOG_LEVEL": "WARNING",
        }
        self.env |= {f"GEZINSPLAN_{name.upper()}": value for name, value in settings.items()}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gezinsplan", "worker"],
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=log,
                start_new_session=True,
            )

    def kill(self) -> None:
        """SIGKILL to the whole process group: no shutdown hook, no rollback, no flush."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, then wait: the exit code of a worker that ended its round and stopped."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)
