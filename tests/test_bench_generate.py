"""The benchmark's generator writes what the current schema and audit chain accept.

The bench keeps generated data between runs, so a generator that no longer matches the
schema shows only on a fresh machine; this writes a few households on both engines.
"""

from collections.abc import Callable

from alembic import command
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench import generate
from gezinsplan.audit import chain
from gezinsplan.db import make_engine
from gezinsplan.households.models import Household
from tests.conftest import alembic_config


def test_generated_households_land_with_an_audit_chain_that_verifies(
    engine_name: str, create_database: Callable[[str], str]
) -> None:
    url = create_database(engine_name)
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    try:
        written = generate.generate(engine, 7, batch_size=3, audit_per_household=4, progress=False)
        with Session(engine) as session:
            households = session.scalar(select(func.count()).select_from(Household))
            verification = chain.verify(session)
    finally:
        engine.dispose()
    assert households == written["households"] == 7
    assert verification.ok, verification.reason
    assert verification.checked == 7 * 4
