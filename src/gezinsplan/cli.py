"""The ``gezinsplan`` command: serve, migrate, token, demo-data, openapi."""

import argparse
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


def serve(settings: Settings, args: argparse.Namespace) -> None:
    """Run uvicorn; ``--port`` and ``--workers`` override the settings when given."""
    import uvicorn

    from gezinsplan.demo import ACCESS_TEAM_ID

    base = f"http://{settings.host}:{args.port or settings.port}"
    print(
        f"gezinsplan on {base}\n"
        f"  docs:    {base}/api/v1/docs\n"
        f"  token:   TOKEN=$(.venv/bin/gezinsplan token --role toegang "
        f"--org {ACCESS_TEAM_ID} --municipality 0193 --municipality 0148)\n"
        f'  try:     curl -H "Authorization: Bearer $TOKEN" {base}/api/v1/households',
        flush=True,
    )
    uvicorn.run(
        "gezinsplan.main:create_app",
        factory=True,
        host=settings.host,
        port=args.port or settings.port,
        workers=settings.workers if args.workers is None else args.workers,
        log_level=settings.log_level.lower(),
    )


def write_openapi(path: Path) -> None:
    from gezinsplan.main import create_app
    from gezinsplan.openapi import render

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(create_app().openapi()))
    print(f"wrote {path}")


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
    return root


def main(argv: Sequence[str] | None = None) -> None:
    args = parser().parse_args(argv)
    settings = Settings()
    match args.command:
        case "serve":
            serve(settings, args)
        case "migrate":
            migrate(settings, args.revision)
        case "token":
            token(settings, args)
        case "demo-data":
            demo_data(settings, if_empty=args.if_empty)
        case "openapi":
            write_openapi(args.output)
