# ruff: noqa: S603 (starts the service, uvicorn and py-spy from this virtualenv)
"""``make bench``: set up everything, measure the scenarios against both ceilings, write results.

Per engine and size: a fresh database, the migrations, generated data, the service as a
separate process (``gezinsplan serve --workers W``), then each scenario at a fixed
concurrency and at a fixed rate of half its maximum. Settings come from the environment:

    BENCH_SIZES        households per database, comma-separated (default 10000);
                       SQLite runs sizes up to 100000 only
    BENCH_ENGINES      postgresql,sqlite (default both)
    BENCH_WORKERS      uvicorn workers of the service and of ceiling A (default 2)
    BENCH_CONNECTIONS  concurrent connections of wrk and of ceiling B (default 8)
    BENCH_DURATION     seconds per measurement (default 10)
    BENCH_PROFILE      1: py-spy the plan read at the largest PostgreSQL size (default 1)
    BENCH_BULK_ROWS    progress updates pushed in the bulk scenario (default 20000)
    BENCH_INDICATION_ROWS  indication records synced (default 100000)
    BENCH_DATA_DIR     keep PostgreSQL and its generated data here between runs (default:
                       a temporary directory, removed at the end)
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench import (
    bulk,
    ceiling_db,
    generate,
    indications,
    loadgen,
    machine,
    postgres,
    profile,
    report,
    statements,
)
from gezinsplan.auth.tokens import mint
from gezinsplan.config import Settings
from gezinsplan.db import make_engine
from gezinsplan.models import metadata

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECRET = "bench-secret-" + "b" * 40
API = "/api/v1"
SEARCH = "bakker"
SQLITE_MAX = 100_000


@dataclass
class Result:
    """One scenario measured twice: flat out at fixed concurrency, and at half that rate."""

    scenario: str
    full: Any
    half: Any
    rate: float

    @property
    def throughput(self) -> float:
        return float(self.full.requests / self.full.seconds)


@dataclass
class Run:
    """Everything measured on one engine at one size."""

    engine: str
    households: int
    generation_seconds: float = 0.0
    rows: int = 0
    results: list[Result] = field(default_factory=list)
    plan_statements: list[statements.Statement] = field(default_factory=list)
    list_statements: list[statements.Statement] = field(default_factory=list)
    plans: list[str] = field(default_factory=list)
    bulk_writes: list[bulk.BulkResult] = field(default_factory=list)


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def settings_for(var_dir: Path) -> Settings:
    return Settings(var_dir=var_dir, jwt_secret=SECRET)


def token(settings: Settings, **claims: Any) -> str:
    return mint(settings, name="Bench", lifetime=timedelta(hours=6), **claims)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A process serving HTTP on a local port, stopped with the block."""

    def __init__(self, command: list[str], env: dict[str, str], port: int, ready: str) -> None:
        self.command, self.env, self.port, self.ready = command, env, port, ready
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "Server":
        self.process = subprocess.Popen(
            self.command, env=os.environ | self.env, cwd=ROOT, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.base + self.ready, timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"{self.command} did not become ready")

    def __exit__(self, *_: object) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # the group this runner started
            self.process.wait()


def service(url: str, var_dir: Path, workers: int) -> Server:
    port = free_port()
    env = {
        "GEZINSPLAN_DATABASE_URL": url,
        "GEZINSPLAN_JWT_SECRET": SECRET,
        "GEZINSPLAN_VAR_DIR": str(var_dir),
        "GEZINSPLAN_LOG_LEVEL": "WARNING",
    }
    command = [str(BIN / "gezinsplan"), "serve", "--workers", str(workers), "--port", str(port)]
    return Server(command, env, port, f"{API}/health/ready")


def ceiling_app(workers: int) -> Server:
    port = free_port()
    command = [str(BIN / "uvicorn"), "bench.ceiling_app:app", "--port", str(port)]
    command += ["--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    return Server(command, {}, port, "/ceiling")


def measure_wrk(
    name: str,
    base: str,
    script: str,
    targets: list[dict[str, Any]],
    connections: int,
    seconds: float,
) -> Result:
    print(
        f"  {name}: warming up, then {seconds:.0f} s flat out and {seconds:.0f} s at half",
        flush=True,
    )
    loadgen.run_wrk(base, script, targets, connections=connections, seconds=2)
    full = loadgen.run_wrk(base, script, targets, connections=connections, seconds=seconds)
    rate = max(1.0, full.requests / full.seconds / 2)
    half = loadgen.run_wrk(
        base, script, targets, connections=connections, seconds=seconds, rate=rate
    )
    print(
        f"    {full.requests / full.seconds:8.0f} req/s, p99 {full.p99_ms:.1f} ms; "
        f"at {rate:.0f}/s p99 {half.p99_ms:.1f} ms; {full.statuses}",
        flush=True,
    )
    return Result(name, full, half, rate)


def measure_db(
    url: str, captured: list[statements.Statement], connections: int, seconds: float
) -> Result:
    print(f"  ceiling B: {len(captured)} statements per transaction", flush=True)
    full = ceiling_db.replay(url, captured, connections=connections, seconds=seconds)
    rate = max(1.0, full.requests / full.seconds / 2)
    half = ceiling_db.replay(url, captured, connections=connections, seconds=seconds, rate=rate)
    print(
        f"    {full.requests / full.seconds:8.0f} tx/s, p99 {full.p99_ms:.1f} ms; "
        f"at {rate:.0f}/s p99 {half.p99_ms:.1f} ms",
        flush=True,
    )
    return Result("ceiling B: the plan read's SQL alone", full, half, rate)


def targets(url: str, settings: Settings, connections: int) -> dict[str, Any]:
    """Who asks for what: ids from the generated data, tokens minted with the service's secret."""
    t = metadata.tables
    consents, domains, categories = t["consents"], t["consent_domains"], t["consent_categories"]
    roles, households, plans, goals = t["role_assignments"], t["households"], t["plans"], t["goals"]
    provider = generate.care_provider_id(0)
    engine = make_engine(url)
    with engine.connect() as connection:
        limited = (
            connection.execute(
                select(consents.c.household_id)
                .join(
                    categories,
                    (categories.c.consent_id == consents.c.id) & (categories.c.category == "plan"),
                )
                .where(consents.c.grantee_organization_id == provider)
                .where(
                    select(domains.c.consent_id)
                    .where(domains.c.consent_id == consents.c.id)
                    .exists()
                )
                .order_by(consents.c.household_id)
                .limit(500)
            )
            .scalars()
            .all()
        )
        edits = connection.execute(
            select(households.c.id, roles.c.professional_sub, goals.c.id)
            .join(roles, roles.c.household_id == households.c.id)
            .join(plans, plans.c.household_id == households.c.id)
            .join(goals, goals.c.plan_id == plans.c.id)
            .where(
                roles.c.role_type == "regisseur",
                roles.c.ended_at.is_(None),
                roles.c.organization_id == generate.access_team_id(),
                households.c.status == "open",
            )
            .order_by(households.c.id, goals.c.id)
            .limit(connections * 10)
        ).all()
    engine.dispose()
    first_goal: dict[Any, tuple[str, Any]] = {}
    for household_id, sub, goal_id in edits:
        first_goal.setdefault(household_id, (sub, goal_id))
    provider_token = token(settings, sub="bench-provider", roles=["care_provider"], org=provider)
    toegang_token = token(
        settings,
        sub="bench-toegang",
        roles=["toegang"],
        org=generate.access_team_id(),
        municipalities=["0193", "0148"],
    )
    return {
        "plan_read": [
            {"path": f"{API}/households/{h}/plan", "token": provider_token} for h in limited
        ],
        "list": [{"path": f"{API}/households?q={SEARCH}", "token": toegang_token}],
        "goal_edit": [
            {
                "plan": f"{API}/households/{h}/plan",
                "goal": f"{API}/households/{h}/plan/goals/{g}",
                "token": token(settings, sub=sub, roles=["toegang"], org=generate.access_team_id()),
            }
            for h, (sub, g) in list(first_goal.items())[:connections]
        ],
    }


def prepare(run: Run, server_url: str | None, work: Path, var_dir: Path) -> str:
    """A migrated database holding ``run.households`` generated households; return its URL.

    With ``BENCH_DATA_DIR`` set, data is generated once into a template (a PostgreSQL
    template database, an SQLite file) named after the generator's source, and each run works
    on a fresh copy of it: generating a million households takes over half an hour, copying
    them about a minute.
    """
    name = f"bench_{run.households}"
    kept = os.environ.get("BENCH_DATA_DIR")
    if not kept:
        url = _database(run.engine, name, server_url, work)
        _generate(run, url, var_dir)
        return url
    template = f"{name}_{generate.digest()}"
    ledger = Path(kept) / f"{run.engine}-{template}.json"
    if not (ledger.exists() and _kept(run.engine, template, server_url, Path(kept))):
        _generate(run, _database(run.engine, template, server_url, Path(kept)), var_dir)
        ledger.write_text(json.dumps({"rows": run.rows, "seconds": run.generation_seconds}))
    recorded = json.loads(ledger.read_text())
    run.rows, run.generation_seconds = recorded["rows"], recorded["seconds"]
    print(f"{run.engine}, {run.households} households: a copy of {template}", flush=True)
    if run.engine == "sqlite":
        shutil.copyfile(Path(kept) / f"{template}.db", work / f"{name}.db")
        url = f"sqlite:///{work / f'{name}.db'}"
    else:
        assert server_url is not None
        url = postgres.fresh_database(server_url, name, template=template)
    migrate(url, var_dir)
    return url


def _database(engine: str, name: str, server_url: str | None, directory: Path) -> str:
    """A fresh, empty database ``name``."""
    if engine == "sqlite":
        (directory / f"{name}.db").unlink(missing_ok=True)
        return f"sqlite:///{directory / f'{name}.db'}"
    assert server_url is not None
    return postgres.fresh_database(server_url, name)


def _kept(engine: str, template: str, server_url: str | None, directory: Path) -> bool:
    if engine == "sqlite":
        return (directory / f"{template}.db").exists()
    assert server_url is not None
    return postgres.exists(server_url, template)


def _generate(run: Run, url: str, var_dir: Path) -> None:
    print(f"{run.engine}, {run.households} households: migrate and generate", flush=True)
    migrate(url, var_dir)
    started = time.perf_counter()
    db = make_engine(url)
    try:
        run.rows = generate.generate(db, run.households, progress=False)["rows"]
    finally:
        db.dispose()
    run.generation_seconds = time.perf_counter() - started
    print(f"  {run.rows} rows in {run.generation_seconds:.1f} s", flush=True)


def migrate(url: str, var_dir: Path) -> None:
    env = os.environ | {"GEZINSPLAN_DATABASE_URL": url, "GEZINSPLAN_VAR_DIR": str(var_dir)}
    subprocess.run(
        [str(BIN / "gezinsplan"), "migrate"], env=env, cwd=ROOT, check=True, capture_output=True
    )


def bench_one(
    engine: str,
    households: int,
    server_url: str | None,
    work: Path,
    config: dict[str, Any],
    *,
    explain: bool,
    profile_it: bool,
) -> Run:
    run = Run(engine, households)
    var_dir = work / f"var-{engine}-{households}"
    settings = settings_for(var_dir)
    url = prepare(run, server_url, work, var_dir)
    chosen = targets(url, settings, config["connections"])
    reader = {"Authorization": "Bearer " + chosen["plan_read"][0]["token"]}
    status, run.plan_statements = statements.capture(
        url, settings, chosen["plan_read"][0]["path"], reader
    )
    assert status == 200, f"the captured plan read answered {status}"
    lister = {"Authorization": "Bearer " + chosen["list"][0]["token"]}
    status, run.list_statements = statements.capture(
        url, settings, chosen["list"][0]["path"], lister
    )
    assert status == 200, f"the captured list answered {status}"
    if explain:
        run.plans = statements.explain(url, run.plan_statements + run.list_statements)

    c, d = config["connections"], config["duration"]
    with service(url, var_dir, config["workers"]) as server:
        run.results.append(
            measure_wrk(
                "plan read (care provider, consent limited to domains)",
                server.base,
                "get.lua",
                chosen["plan_read"],
                c,
                d,
            )
        )
        run.results.append(
            measure_wrk(
                f"household list (toegang, page of 50, ?q={SEARCH})",
                server.base,
                "get.lua",
                chosen["list"],
                c,
                d,
            )
        )
        run.results.append(
            measure_wrk(
                "goal edit with If-Match (regisseur)",
                server.base,
                "goal_edit.lua",
                chosen["goal_edit"],
                c,
                d,
            )
        )
        print("  bulk push: progress updates through the API and by the driver", flush=True)
        provider = generate.care_provider_id(0)
        partner = token(settings, sub="bench-partner", roles=["partner_system"], org=provider)
        pushed = bulk.push_progress(
            server.base, partner, url, config["bulk_rows"], config["workers"], config["stem"]
        )
        print(
            f"    {pushed.api_rate:8.0f} updates/s through the API, {pushed.bare_rate:.0f}/s "
            f"bare ({pushed.ratio:.2f})",
            flush=True,
        )
        run.bulk_writes.append(pushed)
        print("  indication sync: through the API and by the driver", flush=True)
        system = token(
            settings, sub="bench-municipal", roles=["municipal_system"], municipalities=["0193"]
        )
        assert server.process is not None
        synced = indications.sync_indications(
            server.base,
            system,
            url,
            server.process.pid,
            config["indication_rows"],
            config["workers"],
            f"{config['stem']}-{households}",
        )
        print(
            f"    {synced.api_rate:8.0f} records/s through the API, {synced.bare_rate:.0f}/s "
            f"bare ({synced.ratio:.2f}); {synced.note}",
            flush=True,
        )
        run.bulk_writes.append(synced)
        if profile_it:
            config["profile"] = profile.record(
                server, chosen["plan_read"], c, d, config["results_dir"], config["stem"]
            )
    run.results.append(measure_db(url, run.plan_statements, c, d))
    return run


def main() -> None:
    sizes = [int(x) for x in os.environ.get("BENCH_SIZES", "10000").split(",") if x.strip()]
    engines = [x.strip() for x in os.environ.get("BENCH_ENGINES", "postgresql,sqlite").split(",")]
    config: dict[str, Any] = {
        "workers": env_int("BENCH_WORKERS", 2),
        "connections": env_int("BENCH_CONNECTIONS", 8),
        "duration": float(env_int("BENCH_DURATION", 10)),
        "bulk_rows": env_int("BENCH_BULK_ROWS", 20_000),
        "indication_rows": env_int("BENCH_INDICATION_ROWS", 100_000),
        "results_dir": ROOT / "bench" / "results",
        "stem": f"{date.today().isoformat()}-{machine.commit(ROOT)[:7]}",
        "profile": None,
    }
    want_profile = os.environ.get("BENCH_PROFILE", "1") == "1"
    loadgen.ensure_wrk()
    started = time.perf_counter()
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="gezinsplan-bench-") as tmp:
        work = Path(tmp)
        print("ceiling A: bare FastAPI, constant 1 KB JSON", flush=True)
        with ceiling_app(config["workers"]) as app:
            ceiling_a = measure_wrk(
                "ceiling A: bare FastAPI, 1 KB JSON",
                app.base,
                "get.lua",
                [{"path": "/ceiling", "token": "none"}],
                config["connections"],
                config["duration"],
            )
        with postgres.postgres_server() as server_url:
            config["postgres_version"] = postgres.server_version(server_url)
            for engine in engines:
                engine_sizes = [n for n in sizes if engine != "sqlite" or n <= SQLITE_MAX]
                for households in engine_sizes:
                    largest = households == max(engine_sizes)
                    runs.append(
                        bench_one(
                            engine,
                            households,
                            server_url if engine == "postgresql" else None,
                            work,
                            config,
                            explain=largest,
                            profile_it=want_profile and largest and engine == "postgresql",
                        )
                    )
    config["elapsed"] = time.perf_counter() - started
    config["command"] = _command()
    path = report.write(config, ceiling_a, runs)
    print(f"\nwrote {path.relative_to(ROOT)}")
    print(report.table(ceiling_a, runs))


def _command() -> str:
    settings = [f"{k}={os.environ[k]}" for k in sorted(os.environ) if k.startswith("BENCH_")]
    return " ".join([*settings, "make bench"])


if __name__ == "__main__":
    main()
