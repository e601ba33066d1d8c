# ruff: noqa: S603, S607 (fixed commands: apt-get and wrk)
"""wrk as the load generator: installed from Debian when missing, driven by bench/wrk/*.lua."""

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WRK_DIR = Path(__file__).parent / "wrk"


@dataclass(frozen=True)
class Measured:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)


def ensure_wrk() -> str:
    """The wrk binary; as root, apt-get installs it when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit(
            "bench: wrk is not installed and this is not root; "
            "install it with `sudo apt-get install wrk` and run `make bench` again"
        )
    print("bench: installing wrk from the Debian packages", flush=True)
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "wrk"]
    if subprocess.run(install, env=env, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=True)
        subprocess.run(install, env=env, check=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("bench: apt-get did not install wrk")
    return found


def _lua(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_lua(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "{" + ", ".join(_lua(v) for v in value) + "}"
    if isinstance(value, int | float):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def run_wrk(
    base_url: str,
    script: str,
    targets: list[dict[str, Any]],
    *,
    connections: int,
    seconds: float,
    rate: float = 0,
) -> Measured:
    """One wrk run, one thread per connection; ``rate`` > 0 paces it (see common.lua)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write("return " + _lua(targets) + "\n")
    env = os.environ | {
        "BENCH_TARGETS": handle.name,
        "BENCH_THREADS": str(connections),
        "BENCH_RATE": str(rate),
        "BENCH_WRK_DIR": str(WRK_DIR),
    }
    command = [
        ensure_wrk(),
        f"-t{connections}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(WRK_DIR / script),
        base_url,
    ]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    finally:
        os.unlink(handle.name)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result:\n{done.stdout}\n{done.stderr}")
    data = json.loads(line.removeprefix("BENCH_RESULT "))
    return Measured(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        statuses=data["statuses"],
        errors={k: v for k, v in data["errors"].items() if v},
    )
