"""The ``gezinsplan`` command: serve, worker, migrate, token, demo-data, openapi, audit,
indications, steering, events, retention."""

import argparse
import re
import sys
import uuid
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from gezinsplan.config import Settings

ALEMBIC_INI = Path("alembic.ini")


def _alembic_config(settings: Settings) -> "object":
    from alembic.config import Config

    config = Config(str(ALEMBIC_INI))
    config.set_main_option("sqlalchemy.url", settings.sqlalchemy_url.replace("%", "%%"))
    return config


def migrate(settings: Settings, revision: str = "head") -> None:
    """Upgrade the database to ``revision``; SQLite's folder is created when missing."""
    from alembic import command
    from alembic.config import Config

    if settings.sqlalchemy_url.startswith("sqlite"):
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    config = _alembic_config(settings)
    assert isinstance(config, Config)
    command.upgrade(config, revision)


def demo_data(settings: Settings, *, if_empty: bool) -> None:
    from gezinsplan import demo
    from gezinsplan.db import make_engine, make_session_factory

    engine = make_engine(settings.sqlalchemy_url)
    try:
        with make_session_factory(engine)() as session, session.begin():
            if not demo.is_empty(session):
                if if_empty:
                    print("demo data: the database is not empty; left as it is")
                    return
                sys.exit("demo data: the database is not empty")
            demo.load(session)
    finally:
        engine.dispose()  # on the early return and the exit too
    print("demo data: loaded")


def token(settings: Settings, args: argparse.Namespace) -> None:
    from gezinsplan.auth.tokens import mint

    print(
        mint(
            settings,
            sub=args.sub,
            name=args.name,
            roles=args.role,
            org=args.org,
            municipalities=args.municipality,
            member=args.member,
            lifetime=timedelta(hours=args.hours),
        )
    )


def _metrics_directory(settings: Settings) -> None:
    """Multiprocess metrics (decision 0033): every worker writes its series under the var
    dir, emptied at start so a previous run's workers do not count."""
    import os
    import shutil

    from gezinsplan.observability import MULTIPROCESS_ENV

    if os.environ.get(MULTIPROCESS_ENV):
        return  # the operator chose a directory (and empties it)
    directory = settings.var_dir / "prometheus"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ[MULTIPROCESS_ENV] = str(directory.resolve())


def serve(settings: Settings, args: argparse.Namespace) -> None:
    """Run uvicorn; ``--port`` and ``--workers`` override the settings when given."""
    import uvicorn

    from gezinsplan.demo import ACCESS_TEAM_ID
    from gezinsplan.observability.logs import logging_config

    base = f"http://{settings.host}:{args.port or settings.port}"
    print(
        f"gezinsplan on {base}\n"
        f"  docs:    {base}/api/v1/docs\n"
        f"  token:   TOKEN=$(.venv/bin/gezinsplan token --role toegang "
        f"--org {ACCESS_TEAM_ID} --municipality 0193 --municipality 0148)\n"
        f'  try:     curl -H "Authorization: Bearer $TOKEN" {base}/api/v1/households',
        flush=True,
    )
    _metrics_directory(settings)
    uvicorn.run(
        "gezinsplan.main:create_app",
        factory=True,
        host=settings.host,
        port=args.port or settings.port,
        workers=settings.workers if args.workers is None else args.workers,
        log_level=settings.log_level.lower(),
        log_config=logging_config(settings),
        access_log=False,
    )


def worker(settings: Settings, args: argparse.Namespace) -> None:
    """Deliver webhooks until SIGTERM or SIGINT; the round under way ends first."""
    import logging.config
    import signal
    import threading

    from gezinsplan.db import make_session_factory, service_engine
    from gezinsplan.observability.logs import logging_config
    from gezinsplan.webhooks.delivery.service import callback_guard
    from gezinsplan.webhooks.worker import DeliveryWorker

    logging.config.dictConfig(logging_config(settings))
    interval = args.interval or settings.webhooks_interval or 1.0
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    engine = service_engine(settings)
    delivery = DeliveryWorker(
        make_session_factory(engine), settings, callback_guard(settings), interval=interval
    )
    try:
        delivery.serve(stopping)
    finally:
        delivery.stop()
        engine.dispose()


def write_openapi(path: Path) -> None:
    from gezinsplan.main import create_app
    from gezinsplan.openapi import render

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(create_app().openapi()))
    print(f"wrote {path}")


def audit_seal(settings: Settings, window: timedelta) -> None:
    """Seal now, in rounds of ``seal``'s limit, each committed on its own."""
    from gezinsplan.audit.chain import seal
    from gezinsplan.db import WRITE_OPTION, make_engine, make_session_factory

    engine = make_engine(settings.sqlalchemy_url)
    total, limit = 0, 10_000
    try:
        while True:
            with make_session_factory(engine)() as session, session.begin():
                session.connection(execution_options={WRITE_OPTION: True})
                sealed = seal(session, window=window, limit=limit)
            total += sealed
            if sealed < limit:
                break
    finally:
        engine.dispose()
    print(f"audit seal: {total} records sealed")


def audit_verify(settings: Settings, anchor: tuple[int, str] | None) -> None:
    """Print what the walk found; exit 1 when the chain does not hold."""
    from gezinsplan.audit.chain import verify
    from gezinsplan.db import make_engine, make_session_factory

    engine = make_engine(settings.sqlalchemy_url)
    try:
        with make_session_factory(engine)() as session, session.begin():
            result = verify(session, anchor=anchor)
    finally:
        engine.dispose()
    head = f"head {result.head_seq} {result.head_hash}" if result.head_seq else "no head"
    if result.ok:
        print(
            f"audit chain ok: {result.checked} entries checked, {head}, "
            f"{result.unsealed} records unsealed"
        )
        return
    record = f" (record {result.first_bad_record})" if result.first_bad_record else ""
    print(
        f"audit chain broken at seq {result.first_bad_seq}{record}: {result.reason}; "
        f"{result.checked} entries checked before it, {head}, {result.unsealed} records unsealed"
    )
    sys.exit(1)


def audit_grant(settings: Settings, role: str) -> None:
    """PostgreSQL: the application's role may only read and insert the audit tables."""
    from gezinsplan.audit.chain import APPEND_ONLY, grant_append_only
    from gezinsplan.db import make_engine, make_session_factory

    engine = make_engine(settings.sqlalchemy_url)
    try:
        if engine.dialect.name != "postgresql":
            sys.exit(
                f"audit grant: {engine.dialect.name} has no roles to grant to; "
                "on SQLite the triggers alone keep the audit tables append-only"
            )
        with make_session_factory(engine)() as session, session.begin():
            statements = grant_append_only(session, role)
    except ValueError as exc:
        sys.exit(f"audit grant: {exc}")
    finally:
        engine.dispose()
    print("\n".join(statements))
    print(
        f"audit grant: {role} may SELECT, INSERT, UPDATE and DELETE case data, "
        f"and only SELECT and INSERT on {' and '.join(sorted(APPEND_ONLY))}"
    )


def indications_import(settings: Settings, args: argparse.Namespace) -> None:
    """Stream the file in batches, each a transaction; progress on stderr, summary on stdout.

    Exits 1 when a record was rejected, so a nightly job notices.
    """
    from gezinsplan.db import WRITE_OPTION, make_engine, make_session_factory
    from gezinsplan.indications import importer

    actor = importer.importer_actor(args.municipality)
    fmt = importer.format_of(str(args.file), args.format)
    summary = importer.Summary()
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with args.file.open(encoding="utf-8", newline="") as stream:
            lines = importer.read_lines(stream, fmt)
            for batch in importer.batches(lines, args.batch_size):
                with make_session_factory(engine)() as session, session.begin():
                    session.connection(execution_options={WRITE_OPTION: True})
                    importer.import_batch(session, actor, batch, summary)
                print(f"\rindications import: {summary.records} records", end="", file=sys.stderr)
    finally:
        engine.dispose()
    print(file=sys.stderr)
    print("\n".join(summary.lines()))
    if summary.rejected:
        sys.exit(1)


def steering_publish(settings: Settings) -> None:
    """Publish the periods that passed since the reports published before (a nightly job)."""
    from gezinsplan.db import WRITE_OPTION, make_engine, make_session_factory
    from gezinsplan.steering import publisher

    engine = make_engine(settings.sqlalchemy_url)
    try:
        with make_session_factory(engine)() as session, session.begin():
            session.connection(execution_options={WRITE_OPTION: True})
            published = publisher.publish_passed(session)
    finally:
        engine.dispose()
    print(f"steering publish: {published} periods published")


def events_new_epoch(settings: Settings) -> None:
    """After restoring the database from a backup: every feed cursor handed out before
    answers 410 with where to start again, instead of skipping what the backup lost."""
    from gezinsplan.db import WRITE_OPTION, make_engine, make_session_factory
    from gezinsplan.events import repository

    engine = make_engine(settings.sqlalchemy_url)
    try:
        with make_session_factory(engine)() as session, session.begin():
            session.connection(execution_options={WRITE_OPTION: True})
            epoch = repository.new_epoch(session)
    finally:
        engine.dispose()
    print(f"events new-epoch: the feed's epoch is now {epoch}")


def retention_run(settings: Settings, args: argparse.Namespace) -> None:
    """Erase the files whose retention ended before today (a nightly job); with ``--dry-run``
    only report what would be erased. The report names ids and counts, no personal data."""
    from gezinsplan.db import WRITE_OPTION, make_engine, make_session_factory
    from gezinsplan.kit import clock
    from gezinsplan.rights.erasure import service

    engine = make_engine(settings.sqlalchemy_url)
    try:
        with make_session_factory(engine)() as session, session.begin():
            session.connection(execution_options={WRITE_OPTION: True})
            run = service.retention_run(
                session,
                today=clock.today(),
                municipal_years=settings.retention_municipal_years,
                dry_run=args.dry_run,
            )
    finally:
        engine.dispose()
    print("\n".join(run.lines()))


def audit(settings: Settings, args: argparse.Namespace) -> None:
    match args.audit_command:
        case "seal":
            audit_seal(settings, timedelta(seconds=args.window))
        case "verify":
            audit_verify(settings, args.anchor)
        case "grant":
            audit_grant(settings, args.role)


def _anchor(value: str) -> tuple[int, str]:
    """An argparse type: ``SEQ:HASH``, a chain head noted earlier."""
    match = re.fullmatch(r"(\d+):([0-9a-f]{64})", value.strip().lower())
    if match is None:
        raise argparse.ArgumentTypeError("expected SEQ:HASH with a 64-character sha256 hex hash")
    return int(match[1]), match[2]


def _batch_size(value: str) -> int:
    """An argparse type: 1 to 10,000 records, the API's own limit."""
    number = _positive_int(value)
    if number > 10_000:
        raise argparse.ArgumentTypeError(f"must be at most 10000, not {number}")
    return number


def _municipality(value: str) -> str:
    if re.fullmatch(r"[0-9]{4}", value) is None:
        raise argparse.ArgumentTypeError("a CBS gemeentecode has 4 digits")
    return value


def _positive_int(value: str) -> int:
    """An argparse type: an integer of at least 1."""
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {number}")
    return number


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="gezinsplan", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

    serve_cmd = commands.add_parser("serve", help="run the HTTP service")
    serve_cmd.add_argument("--port", type=int)
    serve_cmd.add_argument("--workers", type=_positive_int, help="default GEZINSPLAN_WORKERS (1)")

    worker_cmd = commands.add_parser("worker", help="deliver webhooks until stopped")
    worker_cmd.add_argument(
        "--interval",
        type=float,
        help="seconds an idle worker waits; default GEZINSPLAN_WEBHOOKS_INTERVAL, or 1 when 0",
    )

    migrate_cmd = commands.add_parser("migrate", help="upgrade the database schema")
    migrate_cmd.add_argument("revision", nargs="?", default="head")

    token_cmd = commands.add_parser("token", help="mint a development token")
    token_cmd.add_argument("--role", action="append", required=True, help="repeatable")
    token_cmd.add_argument("--org", type=uuid.UUID)
    token_cmd.add_argument("--municipality", action="append", default=[], help="repeatable")
    token_cmd.add_argument("--member", type=uuid.UUID)
    token_cmd.add_argument("--sub", default="dev-user")
    token_cmd.add_argument("--name", default="Ontwikkelaar")
    token_cmd.add_argument("--hours", type=float, default=8.0)

    demo_cmd = commands.add_parser("demo-data", help="load demo organizations and households")
    demo_cmd.add_argument("--if-empty", action="store_true", help="skip when data exists")

    openapi_cmd = commands.add_parser("openapi", help="write the OpenAPI document")
    openapi_cmd.add_argument("--output", type=Path, default=Path("openapi/openapi.json"))

    audit_cmd = commands.add_parser("audit", help="seal, verify and protect the audit chain")
    audit_commands = audit_cmd.add_subparsers(dest="audit_command", required=True)
    seal_cmd = audit_commands.add_parser("seal", help="chain committed audit records now")
    seal_cmd.add_argument(
        "--window", type=_positive_int, default=60, help="seconds before the head (default 60)"
    )
    verify_cmd = audit_commands.add_parser("verify", help="walk the chain; exit 1 when broken")
    verify_cmd.add_argument(
        "--anchor", type=_anchor, help="SEQ:HASH of a head noted earlier: catches a cut-off end"
    )
    grant_cmd = audit_commands.add_parser(
        "grant", help="PostgreSQL: grant ROLE the app's rights, audit tables insert-only"
    )
    grant_cmd.add_argument("role", help="the login role the application connects as")

    indications_cmd = commands.add_parser("indications", help="municipal indication files")
    indications_commands = indications_cmd.add_subparsers(dest="indications_command", required=True)
    import_cmd = indications_commands.add_parser(
        "import", help="sync a CSV or JSON lines file, as the municipal system of --municipality"
    )
    import_cmd.add_argument("file", type=Path)
    import_cmd.add_argument("--format", choices=("csv", "jsonl"), help="default: by suffix")
    import_cmd.add_argument("--batch-size", type=_batch_size, default=1000)
    import_cmd.add_argument(
        "--municipality",
        type=_municipality,
        action="append",
        required=True,
        help="repeatable: the municipalities whose system delivers the file",
    )
    events_cmd = commands.add_parser("events", help="the change feed")
    events_commands = events_cmd.add_subparsers(dest="events_command", required=True)
    events_commands.add_parser(
        "new-epoch", help="after a restore: old feed cursors answer 410 instead of skipping"
    )
    steering_cmd = commands.add_parser("steering", help="steering figures")
    steering_commands = steering_cmd.add_subparsers(dest="steering_command", required=True)
    steering_commands.add_parser(
        "publish", help="publish the periods passed since the reports published before"
    )
    retention_cmd = commands.add_parser("retention", help="retention of households' files")
    retention_commands = retention_cmd.add_subparsers(dest="retention_command", required=True)
    run_cmd = retention_commands.add_parser(
        "run", help="erase the files whose retention has ended, and report what was done"
    )
    run_cmd.add_argument(
        "--dry-run", action="store_true", help="report what would be erased; change nothing"
    )
    return root


def main(argv: Sequence[str] | None = None) -> None:
    args = parser().parse_args(argv)
    settings = Settings()
    match args.command:
        case "serve":
            serve(settings, args)
        case "worker":
            worker(settings, args)
        case "migrate":
            migrate(settings, args.revision)
        case "token":
            token(settings, args)
        case "demo-data":
            demo_data(settings, if_empty=args.if_empty)
        case "openapi":
            write_openapi(args.output)
        case "audit":
            audit(settings, args)
        case "indications":
            indications_import(settings, args)
        case "steering":
            steering_publish(settings)
        case "events":
            events_new_epoch(settings)
        case "retention":
            retention_run(settings, args)
