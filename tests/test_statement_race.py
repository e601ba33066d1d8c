"""Statements built at once by many threads read the same rows as one built alone.

SQLAlchemy adapts an alias's columns on first use; two threads racing there could get the
plain table's column back, so a kept statement (built once per actor) silently read the
wrong rows (``kit.aliases.shared_alias``). Each fresh process below builds the hot path's
statements from 16 threads released together, with SQLAlchemy's warnings as errors. Before
the fix about one process in ten failed, so 24 processes would all pass by luck about
once in 12.
"""

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

BUILD = """
import threading, uuid, warnings
from gezinsplan.access import repository as access
from gezinsplan.access.scopes import Scope
from gezinsplan.auth.actor import Actor, Role
from gezinsplan.kit import clock
from gezinsplan.plans import repository as plans

actor = Actor(
    sub="provider", name="P", org=uuid.UUID(int=12),
    roles=frozenset({Role.CARE_PROVIDER}), municipalities=frozenset(),
)
start = threading.Barrier(16)
failures = []

def build():
    start.wait()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            for scope in Scope:
                access.household_statement(actor, scope, write=False)
            plans._read_statement(actor, clock.today())
        except Exception as exc:
            failures.append(exc)

threads = [threading.Thread(target=build) for _ in range(16)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
raise SystemExit(repr(failures[0]) if failures else 0)
"""
PROCESSES = 24


def _build_in_a_fresh_process(_: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
        [sys.executable, "-c", BUILD], capture_output=True, text=True, timeout=120, check=False
    )


def test_statements_built_by_racing_threads_keep_their_aliases() -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(_build_in_a_fresh_process, range(PROCESSES)))
    failed = [run.stderr.strip().splitlines()[-1] for run in runs if run.returncode != 0]
    assert failed == [], failed
