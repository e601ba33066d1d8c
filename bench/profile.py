# ruff: noqa: S603 (py-spy from this virtualenv)
"""Where the plan read's time goes: py-spy samples the service's workers under load.

The raw (collapsed) stacks are kept beside the results, for a flame graph
(e.g. speedscope or inferno); the summary counts samples per package of the innermost
frame and per function anywhere on the stack.
"""

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from bench import loadgen

PACKAGES = (
    "sqlalchemy",
    "psycopg",
    "pydantic_core",
    "pydantic",
    "fastapi",
    "starlette",
    "uvicorn",
    "anyio",
    "jwt",
    "cryptography",
    "gezinsplan",
    "sqlmodel",
    "json",
    "sqlite3",
    "asyncio",
    "threading",
    "concurrent",
    "h11",
    "httptools",
    "uuid",
    "datetime",
    "logging",
)


def record(
    server: Any,
    targets: list[dict[str, Any]],
    connections: int,
    seconds: float,
    results_dir: Path,
    stem: str,
) -> dict[str, Any] | None:
    """Sample the workers while wrk runs the plan read; None when py-spy is missing."""
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if spy is None:
        print("  profile: py-spy is not installed; skipped", flush=True)
        return None
    raw = results_dir / f"{stem}-plan-read.pyspy.txt"
    command = [
        spy,
        "record",
        "--pid",
        str(server.process.pid),
        "--subprocesses",
        "--nonblocking",
        "--gil",  # only threads holding the GIL: where the CPU goes, not who waits
        "--rate",
        "250",
        "--duration",
        str(int(seconds)),
        "--format",
        "raw",
        "--output",
        str(raw),
    ]
    print(f"  profile: py-spy on the service for {seconds:.0f} s", flush=True)
    spying = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    loadgen.run_wrk(server.base, "get.lua", targets, connections=connections, seconds=seconds)
    _, err = spying.communicate(timeout=seconds + 60)
    if spying.returncode != 0 or not raw.exists():
        print(f"  profile: py-spy failed: {err.decode()[-500:]}", flush=True)
        return None
    return summarize(raw)


def _package(frame: str) -> str:
    """The top-level package of a py-spy frame, ``name (package/module.py:line)``."""
    path = frame[frame.rfind("(") + 1 :].rstrip(")").rsplit(":", 1)[0]
    top = path.split("/")[0] if "/" in path else path.removesuffix(".py")
    return top if top in PACKAGES else "other: " + top


def _function(frame: str) -> str:
    """``name (package/module.py)``: the function, without the line that was sampled."""
    name, _, location = frame.partition(" (")
    return f"{name} ({location.rsplit(':', 1)[0]})"


def summarize(raw: Path) -> dict[str, Any]:
    own: Counter[str] = Counter()
    anywhere: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        # py-spy --subprocesses starts each stack with the process it sampled.
        frames = [f for f in stack.split(";") if not f.startswith("process ")]
        if not frames:
            continue
        total += n
        own[_package(frames[-1])] += n
        for name in {_function(f) for f in frames}:
            anywhere[name] += n
    return {
        "file": raw.name,
        "samples": total,
        "own_by_package": own.most_common(12),
        "inclusive_by_function": [
            (name, n) for name, n in anywhere.most_common(400) if "(gezinsplan/" in name
        ][:25],
    }
