"""The results file: machine, command, the table, ratios to the ceilings, targets, plans."""

from pathlib import Path
from typing import Any

from bench import machine

ROOT = Path(__file__).resolve().parent.parent
FLATNESS = 0.25  # the "at most 25% change from 10,000 to 1,000,000 households"
LARGEST = {"sqlite": 100_000}  # the largest size an engine is measured at; else 1,000,000


REPORT = "report: "  # the scenario names bench/run.py gives the steering reports
REPORT_TARGET_MS = 1000


def _rps(result: Any) -> float:
    return float(result.full.requests / result.full.seconds)


def _half_rps(result: Any) -> float:
    return float(result.half.requests / result.half.seconds)


def _mix(result: Any) -> str:
    statuses = getattr(result.full, "statuses", None)
    if not statuses:
        return "-"
    mix = ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))
    count = getattr(result, "replaced", 0)
    busiest = getattr(result, "busiest", 0.0)
    return (
        mix
        + (f"; **{replaced(count)}**" if count else "")
        + (f"; **{lopsided(busiest)}**" if busiest > LOPSIDED else "")
    )


def replaced(count: int) -> str:
    return f"{count} worker{'' if count == 1 else 's'} replaced"


# Above this share of the CPU one worker did nearly all the work (two workers share about
# evenly when the connections are spread).
LOPSIDED = 0.8


def busiest_share(before: dict[int, float], after: dict[int, float]) -> float:
    """The busiest process's share of the CPU the processes used between two readings; a
    process that is gone or new counts from zero."""
    used = [after[pid] - before.get(pid, 0.0) for pid in after]
    total = sum(used)
    return max(used) / total if total > 0 else 0.0


def lopsided(share: float) -> str:
    return f"one worker did {share:.0%} of the work"


def table(ceiling_a: Any, runs: list[Any]) -> str:
    head = (
        "| engine | households | scenario | req/s (fixed concurrency) | p50 / p95 / p99 ms "
        "| fixed rate req/s (achieved) | p50 / p95 / p99 ms at that rate | x ceiling A "
        "| x ceiling B | status mix (fixed concurrency) |\n"
        "| --- | ---: | --- | ---: | --- | ---: | --- | ---: | ---: | --- |\n"
    )
    lines = [_row("-", "-", ceiling_a, ceiling_a, None)]
    for run in runs:
        ceiling_b = run.results[-1]
        for result in run.results:
            lines.append(_row(run.engine, f"{run.households:,}", result, ceiling_a, ceiling_b))
    return head + "\n".join(lines)


def _row(engine: str, size: str, r: Any, a: Any, b: Any) -> str:
    ratio_b = f"{_rps(r) / _rps(b):.2f}" if b is not None else "-"
    return (
        f"| {engine} | {size} | {r.scenario} | {_rps(r):,.0f} "
        f"| {r.full.p50_ms:.1f} / {r.full.p95_ms:.1f} / {r.full.p99_ms:.1f} "
        f"| {r.rate:,.0f} ({_half_rps(r):,.0f}) "
        f"| {r.half.p50_ms:.1f} / {r.half.p95_ms:.1f} / {r.half.p99_ms:.1f} "
        f"| {_rps(r) / _rps(a):.2f} | {ratio_b} | {_mix(r)} |"
    )


# Issue 17's targets, as shares of ceiling A measured in the same run.
PLAN_READ_SHARE = {"postgresql": 0.15, "sqlite": 0.10}
PLAN_READ_P99_MS = 25
PLAN_READ_FLATNESS = 0.15
LIST_SHARE = 0.10
GOAL_EDIT_SHARE = 0.08
SLOWEST_MS = 1000
# Indices of the scenarios in each run's results (bench/run.py's order).
PLAN_READ, LIST, GOAL_EDIT, WORKLIST = 0, 1, 2, 3


def _share(result: Any, ceiling_a: Any) -> float:
    return _rps(result) / _rps(ceiling_a)


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def _targets(ceiling_a: Any, runs: list[Any]) -> list[str]:
    out = []
    for run in runs:
        plan, listing, edit = (run.results[i] for i in (PLAN_READ, LIST, GOAL_EDIT))
        wanted = PLAN_READ_SHARE[run.engine]
        share, p99 = _share(plan, ceiling_a), plan.half.p99_ms
        met = share >= wanted and (run.engine == "sqlite" or p99 < PLAN_READ_P99_MS)
        out.append(
            f"- **Plan read ≥ {wanted:.2f} x ceiling A"
            + (f", p99 < {PLAN_READ_P99_MS} ms at half rate" if run.engine != "sqlite" else "")
            + f"** ({run.engine}, {run.households:,}): {_verdict(met)}: {share:.3f} x ceiling A, "
            f"p99 {p99:.1f} ms at {plan.rate:,.0f} req/s."
        )
        if run.engine == "sqlite":
            slowest = max(r.full.max_ms for r in run.results[:4])
            out.append(
                f"- **No request over 1 s at the run's connections** (sqlite, "
                f"{run.households:,}, plan read, list, goal edit, worklist): "
                f"{_verdict(slowest < SLOWEST_MS)}: the slowest took {slowest:,.0f} ms."
            )
            continue
        out.append(
            f"- **Household list with ?q= ≥ {LIST_SHARE:.2f} x ceiling A** ({run.engine}, "
            f"{run.households:,}): {_verdict(_share(listing, ceiling_a) >= LIST_SHARE)}: "
            f"{_share(listing, ceiling_a):.3f} x ceiling A."
        )
        out.append(
            f"- **Goal edit ≥ {GOAL_EDIT_SHARE:.2f} x ceiling A** ({run.engine}, "
            f"{run.households:,}): {_verdict(_share(edit, ceiling_a) >= GOAL_EDIT_SHARE)}: "
            f"{_share(edit, ceiling_a):.3f} x ceiling A."
        )
    for engine in sorted({run.engine for run in runs}):
        mine = sorted((r for r in runs if r.engine == engine), key=lambda r: r.households)
        flatness = (
            (PLAN_READ, "plan read", PLAN_READ_FLATNESS),
            (LIST, "household list with ?q=", FLATNESS),
            (WORKLIST, "worklist", FLATNESS),
        )
        for index, name, allowed in flatness:
            if len(mine) < 2:
                out.append(
                    f"- **{name} throughput flat from 10,000 to 1,000,000** ({engine}): not "
                    f"measured in this run (one size only; set BENCH_SIZES)."
                )
                continue
            small, large = mine[0], mine[-1]
            before, after = _rps(small.results[index]), _rps(large.results[index])
            change = (after - before) / before
            largest = LARGEST.get(engine, 1_000_000)
            verdict = _verdict(abs(change) <= allowed)
            if large.households < largest:
                verdict += f" so far ({largest:,} not run)"
            out.append(
                f"- **{name} throughput within {allowed:.0%}** ({engine}, {small.households:,} → "
                f"{large.households:,}): {verdict}: {before:,.0f} → {after:,.0f} req/s "
                f"({change:+.0%})."
            )
    for run in runs:
        for result in run.results:
            if not result.scenario.startswith(REPORT):
                continue
            p50, p99 = result.full.p50_ms, result.full.p99_ms
            out.append(
                f"- **{result.scenario[len(REPORT) :]} under 1 s** ({run.engine}, "
                f"{run.households:,}): {'met' if p99 < REPORT_TARGET_MS else 'MISSED'}: "
                f"p50 {p50:,.0f} ms, p99 {p99:,.0f} ms, one request at a time."
            )
        first = run.report_first_ms
        if isinstance(first, str):
            out.append(
                f"- **the series' first request under 1 s** ({run.engine}, {run.households:,}): "
                f"MISSED: {first}."
            )
        elif first:
            out.append(
                f"- **the series' first request under 1 s** ({run.engine}, {run.households:,}): "
                f"{'met' if first < REPORT_TARGET_MS else 'MISSED'}: {first:,.0f} ms with "
                f"nothing published yet (it computes every period and publishes the passed "
                f"ones; the requests above read those back)."
            )
    counts = {
        (run.engine, run.households): (
            len(run.plan_statements),
            len(run.list_statements),
            len(run.worklist_statements),
        )
        for run in runs
    }
    for (engine, households), (plan_count, _, _) in counts.items():
        if engine != "postgresql":
            continue  # the budget is PostgreSQL's; SQLite's count includes its BEGIN IMMEDIATE
        out.append(
            f"- **The plan read in at most 3 statements, the audit insert included** ({engine}, "
            f"{households:,}): {_verdict(plan_count <= 3)}: {plan_count} captured from a real "
            "request; the goal edit's budget of 6 is held by tests/test_statement_count.py."
        )
    engines = {e for e, _ in counts}
    fixed = all(len({v for (e, _), v in counts.items() if e == x}) == 1 for x in engines)
    out.append(
        "- **Statements per request fixed whatever the plan's size**: "
        f"{'met' if fixed else 'MISSED'}: tests/test_statement_count.py (part of `make test`) "
        "compares 1 and 20 goals, 1 and 30 households, caseloads of 1 and 50; in this run "
        "(plan read, list, worklist): "
        + ", ".join(f"{e} {n:,}: {p}, {q}, {w}" for (e, n), (p, q, w) in counts.items())
        + "."
    )
    return out


def _bulk(runs: list[Any]) -> str:
    lines = [
        f"| {run.engine} | {run.households:,} | {b.scenario} | {b.rows:,} | {b.failures:,} "
        f"| {b.api_rate:,.0f} | {b.bare_rate:,.0f} | {b.ratio:.2f} "
        f"| {'met' if b.ratio >= b.target else 'MISSED'} (at least {b.target:.2f}) "
        f"| {b.note or '-'} |"
        for run in runs
        for b in run.bulk_writes
    ]
    if not lines:
        return "No bulk scenario in this run.\n"
    return (
        "Rows per second through the API (each request one transaction, every row validated, "
        "access-checked, with its event and the request's audit record) beside SQLAlchemy "
        "Core's executemany of the same rows into the same table, one transaction per "
        "request's worth of rows, from as many concurrent clients, in the same run.\n\n"
        "| engine | households | scenario | rows | not created | API rows/s | bare rows/s "
        "| ratio | target | notes |\n"
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |\n"
        + "\n".join(lines)
        + "\n"
    )


def _profile(profile: dict[str, Any] | None) -> str:
    if not profile:
        return "No profile in this run (BENCH_PROFILE=0, no PostgreSQL run, or py-spy missing).\n"
    total = profile["samples"] or 1
    own = "\n".join(f"| {name} | {n} | {n / total:.0%} |" for name, n in profile["own_by_package"])
    inclusive = "\n".join(
        f"| `{name}` | {n} | {n / total:.0%} |" for name, n in profile["inclusive_by_function"]
    )
    sealer = sum(n for name, n in profile["inclusive_by_function"] if name.startswith("seal ("))
    return (
        f"The audit sealer (chaining the records the reads wrote, in a thread of each worker): "
        f"{sealer / total:.1%} of the samples.\n\n"
        f"py-spy, {profile['samples']} samples of the service's workers under the plan read "
        f"(raw stacks: [{profile['file']}]({profile['file']})).\n\n"
        "Innermost frame by package (where the CPU is spent):\n\n"
        f"| package | samples | share |\n| --- | ---: | ---: |\n{own}\n\n"
        "Functions anywhere on the stack (inclusive):\n\n"
        f"| function (package) | samples | share |\n| --- | ---: | ---: |\n{inclusive}\n"
    )


CEILING_C = (
    "Ceiling C serves a scenario's captured statements behind a bare FastAPI app "
    "(bench/ceiling_c.py): an `async def` route, a token check, one transaction on a pool of "
    "psycopg connections with prepared statements, the rows as JSON; no middleware, no access "
    "rule in Python, no audit sealing. Folded, the same statements run as one (CTEs, JSON by "
    "PostgreSQL), one round trip. What a share of ceiling A asks of a scenario can be set "
    "against what its own statements reach on the same machine in the same run.\n\n"
)
# The scenarios set against ceiling C: their index in a run's results, their label.
CEILING_C_OF = ((PLAN_READ, "plan read"), (LIST, "list"), (WORKLIST, "worklist"))


def ceiling_c_name(label: str, *, folded: bool) -> str:
    """The row name of ceiling C for a scenario; the report finds the rows by it."""
    if folded:
        return f"ceiling C, folded: the {label}'s statements as one, JSON by PostgreSQL"
    return f"ceiling C: the {label}'s statements behind bare FastAPI"


def _ceiling_c(ceiling_a: Any, runs: list[Any]) -> list[str]:
    out = []
    for run in runs:
        named = {r.scenario: r for r in run.results}
        parts = []
        for index, label in CEILING_C_OF:
            plain = named.get(ceiling_c_name(label, folded=False))
            folded = named.get(ceiling_c_name(label, folded=True))
            if plain is None or folded is None:
                continue
            served = run.results[index]
            parts.append(
                f"{label} {_share(served, ceiling_a):.3f} against ceiling C "
                f"{_share(plain, ceiling_a):.3f} and folded {_share(folded, ceiling_a):.3f} "
                f"({_rps(served) / _rps(plain):.2f} x ceiling C)"
            )
        if parts:
            out.append(
                f"- {run.engine}, {run.households:,}, x ceiling A: " + "; ".join(parts) + "."
            )
    return out or ["- not measured in this run (PostgreSQL only)."]


def write(config: dict[str, Any], ceiling_a: Any, runs: list[Any]) -> Path:
    results_dir: Path = config["results_dir"]
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{config['stem']}.md"
    info = machine.describe() | {"PostgreSQL": config.get("postgres_version", "-")}
    generation = "\n".join(
        f"| {r.engine} | {r.households:,} | {r.rows:,} | {r.generation_seconds:.1f} s "
        f"| {'a copy of data kept from an earlier run' if r.kept else 'this run'} |"
        for r in runs
    )
    plans = ""
    for run in runs:
        if run.plans:
            plans += f"\n### {run.engine}, {run.households:,} households\n\n"
            plans += "\n\n".join(f"```\n{p}\n```" for p in run.plans) + "\n"
    path.write_text(
        f"# Benchmark {config['stem']}\n\n"
        f"Commit `{machine.commit(ROOT)}`, {config['elapsed'] / 60:.1f} minutes.\n\n"
        f"```sh\n{config['command']}\n```\n\n"
        "## Machine\n\n"
        + "\n".join(f"- {k}: {v}" for k, v in info.items())
        + f"\n- Service: `gezinsplan serve --workers {config['workers']}`; wrk "
        f"{config['connections']} connections (one thread each), {config['duration']:.0f} s "
        "per measurement after a 2 s warm-up; ceiling B from as many processes.\n\n"
        "## Results\n\n"
        "Fixed concurrency runs flat out; the fixed rate is half of that maximum, paced by "
        "bench/wrk/common.lua (wrk 4 has no rate option and wrk2 is not in Debian), latency "
        "measured from the actual send. Ratios are of the fixed-concurrency throughput. A "
        "scenario during which the server replaced a worker (one that died, or that uvicorn "
        "killed for missing its health check) says so in its status mix: its numbers are not "
        "the service's. So does one where a worker did more than "
        f"{LOPSIDED:.0%} of the work flat out: the workers share one listening socket, and one "
        "may accept every connection of the run, which leaves the other idle. Before measuring, "
        "each copy's events past their retention are purged, "
        "as a service running for a while has done.\n\n"
        + table(ceiling_a, runs)
        + "\n\n## Targets\n\n"
        + "\n".join(_targets(ceiling_a, runs))
        + "\n\n## What each scenario's own statements allow\n\n"
        + CEILING_C
        + "\n".join(_ceiling_c(ceiling_a, runs))
        + "\n\n## Bulk writes\n\n"
        + _bulk(runs)
        + "\n## Data generation\n\n| engine | households | rows | time | generated in |\n"
        "| --- | ---: | ---: | ---: | --- |\n" + generation + "\n\n"
        "## Profile of the plan read\n\n" + _profile(config.get("profile")) + "\n"
        "## Query plans at the largest size\n\n"
        "The plan read's statements (as a care provider), then the list's (as toegang, "
        "`?q=` search), then the worklist's (as a regisseur of 30 households), then a steering "
        "report's (eight half-years of inflow by team, as policy), captured from real "
        f"requests.\n{plans}"
    )
    return path
