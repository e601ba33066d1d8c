"""Fill a migrated database with N households of realistic shape, for the benchmarks.

Rows go straight into the tables the migrations created (the models' metadata names them),
in batches, so memory stays flat at any N: COPY on PostgreSQL, executemany on SQLite. The
data is deterministic for a seed. The audit log gets ``--audit`` records per household,
sealed into ``audit_chain`` with the service's own ``link_hash``, so ``gezinsplan audit
verify`` holds on the result.

    python -m bench.generate sqlite:///var/bench.db --households 10000
"""

import argparse
import hashlib
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Engine, Table, text
from sqlalchemy.engine import Connection

from gezinsplan.audit.chain import GENESIS, link_hash
from gezinsplan.audit.models import AuditRecord
from gezinsplan.db import make_engine
from gezinsplan.models import metadata

BASE = datetime(2024, 1, 1, tzinfo=UTC)
MUNICIPALITIES = [
    ("0193", "Gemeente Zwolle"),
    ("0148", "Gemeente Dalfsen"),
    ("0363", "Gemeente Amsterdam"),
    ("0599", "Gemeente Rotterdam"),
    ("0518", "Gemeente 's-Gravenhage"),
    ("0344", "Gemeente Utrecht"),
    ("0772", "Gemeente Eindhoven"),
    ("0014", "Gemeente Groningen"),
    ("0166", "Gemeente Kampen"),
    ("0200", "Gemeente Apeldoorn"),
]
CARE_PROVIDERS = 20
REFERRAL_SOURCES = ("municipal_access", "general_practitioner", "school", "self", "youth_doctor")
LIFE_DOMAINS = [
    "finances",
    "work_and_education",
    "housing",
    "domestic_relations",
    "mental_health",
    "physical_health",
    "substance_use",
    "social_network",
    "community_participation",
    "justice",
    "parenting",
    "child_development",
    "school",
    "safety",
]
FAMILY_NAMES = [
    "de Jong",
    "Jansen",
    "de Vries",
    "van den Berg",
    "van Dijk",
    "Bakker",
    "Janssen",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
    "Brouwer",
    "de Wit",
    "Dijkstra",
    "Smits",
    "de Graaf",
    "van der Meer",
    "El Amrani",
    "Yilmaz",
    "Kaya",
    "Nguyen",
    "Pinas",
]
GIVEN_NAMES = [
    "Sanne",
    "Daan",
    "Emma",
    "Noah",
    "Julia",
    "Sem",
    "Mila",
    "Lucas",
    "Fatima",
    "Mohamed",
    "Anouk",
    "Bram",
    "Lotte",
    "Finn",
    "Yara",
    "Thijs",
    "Sara",
    "Levi",
    "Noor",
    "Jesse",
]
CATEGORY_SETS = [("basic", "plan"), ("basic", "plan", "progress"), ("basic",)]
OUTCOMES = ["achieved", "partly_achieved", "not_achieved", "continue", "adjust"]
READ_RESOURCES = [
    "/households/{household_id}/plan",
    "/households/{household_id}",
    "/households/{household_id}/members",
    "/households/{household_id}/roles",
    "/households/{household_id}/consents",
]


def access_team_id() -> uuid.UUID:
    """Fixed, so the runner can mint tokens for the access team without asking the data."""
    return uuid.UUID("00000000-0000-4000-8000-00000000a001")


def care_provider_id(index: int) -> uuid.UUID:
    return uuid.UUID(f"00000000-0000-4000-8000-0000000c{index:04d}")


CASELOAD = 30


def regisseur_sub(household_index: int) -> str:
    """Each professional coordinates a caseload of 30 households (about 27 of them open)."""
    return f"regisseur-{household_index // CASELOAD}"


def regisseur_org(household_index: int) -> uuid.UUID:
    """Three caseloads in five are the access team's, the others a care provider's."""
    block = household_index // CASELOAD
    return access_team_id() if block % 5 < 3 else care_provider_id(block % CARE_PROVIDERS)


@dataclass
class Batch:
    """Rows per table for one batch of households, in insertion (foreign key) order."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: str, **row: Any) -> None:
        self.rows.setdefault(table, []).append(row)


class Generator:
    """Deterministic for a seed: one random stream, walked household by household."""

    def __init__(self, seed: int, audit_per_household: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
        self.audit_per_household = audit_per_household
        self.event_seq = 0
        self.audit_number = 0
        self.chain_hash = GENESIS

    def new_uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def directory(self) -> Batch:
        batch = Batch()
        for code, name in MUNICIPALITIES:
            batch.add(
                "organizations",
                **_organization(
                    uuid.uuid5(access_team_id(), code), name, kind="municipality", municipality=code
                ),
            )
        batch.add(
            "organizations",
            **_organization(access_team_id(), "Sociaal Wijkteam Bench", kind="access_team"),
        )
        for code, _ in MUNICIPALITIES:
            batch.add(
                "served_municipalities", organization_id=access_team_id(), municipality_code=code
            )
        for i in range(CARE_PROVIDERS):
            batch.add(
                "organizations",
                **_organization(
                    care_provider_id(i),
                    f"Zorgaanbieder {i}",
                    kind="care_provider",
                    agb=f"4100{i:04d}",
                ),
            )
        return batch

    def households(self, start: int, stop: int) -> Batch:
        batch = Batch()
        for index in range(start, stop):
            self._household(batch, index)
        return batch

    def _household(self, batch: Batch, index: int) -> None:
        rng = self.rng
        opened = BASE + timedelta(seconds=index * 60 + rng.randrange(60))
        household_id = self.new_uuid()
        municipality = MUNICIPALITIES[rng.randrange(len(MUNICIPALITIES))][0]
        family = rng.choice(FAMILY_NAMES)
        closed = rng.random() < 0.1
        status = "closed" if closed else "open"
        closed_at = opened + timedelta(days=200) if closed else None
        batch.add(
            "households",
            id=household_id,
            municipality_code=municipality,
            name=f"Gezin {family}",
            status=status,
            closing_reason="goals_achieved" if closed else None,
            opened_at=opened,
            closed_at=closed_at,
            version=1,
            created_at=opened,
            updated_at=opened,
        )
        members = []
        for m in range(rng.randint(2, 4)):
            member_id = self.new_uuid()
            adult = m < 2 and (m == 0 or rng.random() < 0.6)
            birth = date(1975 if adult else 2008, 1, 1) + timedelta(days=rng.randrange(3650))
            batch.add(
                "members",
                id=member_id,
                household_id=household_id,
                household_status=status,
                given_name=rng.choice(GIVEN_NAMES),
                family_name=family,
                birth_date=birth,
                bsn=None,
                relation="parent" if adult else "child",
                is_guardian=adult,
                version=1,
                created_at=opened,
                updated_at=opened,
            )
            members.append(member_id)

        batch.add(
            "episodes",
            id=self.new_uuid(),
            household_id=household_id,
            opened_at=opened,
            opened_by="bench",
            referral_source=REFERRAL_SOURCES[index % len(REFERRAL_SOURCES)],
            closed_at=closed_at,
            closed_by="bench" if closed else None,
            closing_reason="goals_achieved" if closed else None,
        )
        coordinator = regisseur_org(index)
        # Whom the goals are assigned to: as before caseloads came in blocks, so the bulk
        # push finds as many goals of care provider 0 as it did.
        assignee = (
            access_team_id() if rng.random() < 0.6 else care_provider_id(index % CARE_PROVIDERS)
        )
        batch.add(
            "role_assignments",
            **self._role(
                household_id,
                "regisseur",
                coordinator,
                opened,
                sub=regisseur_sub(index),
                ended=closed_at,
            ),
        )
        providers = {index % CARE_PROVIDERS, rng.randrange(CARE_PROVIDERS)}
        consents = []
        for provider in sorted(providers):
            organization = care_provider_id(provider)
            batch.add(
                "role_assignments",
                **self._role(household_id, "care_provider", organization, opened, ended=closed_at),
            )
            consent_id = self.new_uuid()
            consents.append(consent_id)
            batch.add(
                "consents",
                id=consent_id,
                household_id=household_id,
                grantee_organization_id=organization,
                purpose="Hulpverlening",
                valid_from=opened.date(),
                valid_until=None,
                given_by_member_id=members[0],
                recorded_by="bench",
                withdrawn_at=None,
                withdrawn_by=None,
                withdrawal_reason=None,
                created_at=opened,
            )
            # The household's "own" provider always holds a plan consent; two in three limited.
            own = provider == index % CARE_PROVIDERS
            categories = CATEGORY_SETS[0 if own else rng.randrange(len(CATEGORY_SETS))]
            for category in categories:
                batch.add("consent_categories", consent_id=consent_id, category=category)
            if rng.random() < 2 / 3:
                for domain in rng.sample(LIFE_DOMAINS, 2):
                    batch.add("consent_domains", consent_id=consent_id, life_domain=domain)

        plan_id = self.new_uuid()
        batch.add(
            "plans",
            id=plan_id,
            household_id=household_id,
            status=status if closed else "active",
            family_wishes="Rust in huis en de schulden op orde.",
            version=1,
            created_at=opened,
            updated_at=opened,
        )
        goals = []
        for domain in rng.sample(LIFE_DOMAINS, rng.randint(2, 5)):
            goal_id = self.new_uuid()
            goals.append((goal_id, domain))
            batch.add(
                "goals",
                id=goal_id,
                plan_id=plan_id,
                life_domain=domain,
                description=f"Doel voor {domain.replace('_', ' ')}",
                zrm_start=rng.randint(1, 3),
                zrm_target=rng.randint(3, 5),
                target_date=opened.date() + timedelta(days=365),
                organization_id=assignee,
                status="open",
                created_at=opened,
                updated_at=opened,
            )
            for step in range(rng.randint(1, 3)):
                batch.add(
                    "actions",
                    id=self.new_uuid(),
                    goal_id=goal_id,
                    description=f"Stap {step + 1}",
                    performer="professional",
                    performer_member_id=None,
                    performer_organization_id=None,
                    performer_name="Hulpverlener",
                    due_date=opened.date() + timedelta(days=30 * (step + 1)),
                    done=step == 0,
                    done_at=opened + timedelta(days=20) if step == 0 else None,
                    created_at=opened,
                    updated_at=opened,
                )
        evaluation_id = self.new_uuid()
        evaluated = opened + timedelta(days=90)
        batch.add(
            "evaluations",
            id=evaluation_id,
            plan_id=plan_id,
            evaluated_on=evaluated.date(),
            summary="Tussenevaluatie",
            created_at=evaluated,
        )
        for goal_id, domain in goals:
            batch.add(
                "evaluation_outcomes",
                evaluation_id=evaluation_id,
                goal_id=goal_id,
                outcome=rng.choice(OUTCOMES),
                note=None,
            )
            batch.add(
                "evaluation_scores",
                evaluation_id=evaluation_id,
                life_domain=domain,
                score=rng.randint(1, 5),
            )

        for kind, resource in (
            [("household.opened", household_id), ("plan.created", plan_id)]
            + [("goal.added", goal_id) for goal_id, _ in goals]
            + [("consent.given", consent_id) for consent_id in consents]
        ):
            self.event_seq += 1
            batch.add(
                "events",
                seq=self.event_seq,
                id=self.new_uuid(),
                type=kind,
                occurred_at=opened,
                household_id=household_id,
                resource_type=kind.split(".")[0],
                resource_id=resource,
                organization_id=None,
            )
        self._audit(batch, index, household_id, opened, members, consents[0])

    def _role(
        self,
        household_id: uuid.UUID,
        role_type: str,
        organization: uuid.UUID,
        started: datetime,
        sub: str | None = None,
        ended: datetime | None = None,
    ) -> dict[str, Any]:
        """An assignment; a closed household's ended with it, as closing does."""
        return {
            "id": self.new_uuid(),
            "household_id": household_id,
            "role_type": role_type,
            "organization_id": organization,
            "professional_sub": sub,
            "professional_name": sub and sub.replace("-", " ").title(),
            "started_at": started,
            "ended_at": ended,
            "start_reason": "Start",
            "end_reason": ended and "household closed",
            "started_by": "bench",
            "ended_by": ended and "bench",
            "created_at": started,
        }

    def _audit(
        self,
        batch: Batch,
        index: int,
        household_id: uuid.UUID,
        opened: datetime,
        members: list[uuid.UUID],
        consent_id: uuid.UUID,
    ) -> None:
        """Reads and writes spread over the household's first weeks, sealed as they go."""
        rng = self.rng
        for n in range(self.audit_per_household):
            self.audit_number += 1
            started = opened + timedelta(seconds=30 + n)
            by_provider = n % 4 == 3
            record = {
                "number": self.audit_number,
                "started_at": started,
                "ended_at": started + timedelta(microseconds=rng.randrange(2000, 40000)),
                "action": "create" if n < 3 else "read",
                "outcome": "success",
                "status_code": 201 if n < 3 else 200,
                "actor_sub": "provider" if by_provider else regisseur_sub(index),
                "actor_name": "Bench",
                "actor_organization_id": care_provider_id(index % CARE_PROVIDERS)
                if by_provider
                else access_team_id(),
                "actor_roles": "care_provider" if by_provider else "toegang",
                "purpose": "Hulpverlening",
                "legal_basis": "consent" if by_provider else "municipal_task",
                "legal_basis_id": consent_id if by_provider else None,
                "household_id": household_id,
                "member_ids": ",".join(str(m) for m in members) if n == 1 else "",
                "named_households": "",
                "method": "POST" if n < 3 else "GET",
                "resource": READ_RESOURCES[n % len(READ_RESOURCES)],
                "resource_id": str(household_id),
                "request_id": str(self.new_uuid()),
                "traceparent": None,
                "client_address": "127.0.0.1",
            }
            batch.add("audit_records", **record)
            link = link_hash(
                self.chain_hash, self.audit_number, cast(AuditRecord, SimpleNamespace(**record))
            )
            batch.add(
                "audit_chain",
                seq=self.audit_number,
                record_number=self.audit_number,
                prev_hash=self.chain_hash,
                hash=link,
                sealed_at=record["ended_at"],
            )
            self.chain_hash = link


def _organization(
    id_: uuid.UUID,
    name: str,
    *,
    kind: str,
    municipality: str | None = None,
    agb: str | None = None,
) -> dict[str, Any]:
    return {
        "id": id_,
        "kind": kind,
        "name": name,
        "municipality_code": municipality,
        "agb_code": agb,
        "kvk_number": None,
        "version": 1,
        "created_at": BASE,
        "updated_at": BASE,
    }


def _copy(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: COPY is several times faster than INSERT for millions of rows."""
    names = list(rows[0])
    driver = connection.connection.driver_connection
    assert driver is not None
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row([row[name] for name in names])


def write(connection: Connection, batch: Batch) -> int:
    written = 0
    for name in INSERT_ORDER:
        rows = batch.rows.get(name)
        if not rows:
            continue
        table = metadata.tables[name]
        if connection.dialect.name == "postgresql":
            _copy(connection, table, rows)
        else:
            connection.execute(table.insert(), rows)
        written += len(rows)
    return written


INSERT_ORDER = [
    "organizations",
    "served_municipalities",
    "households",
    "episodes",
    "members",
    "role_assignments",
    "consents",
    "consent_categories",
    "consent_domains",
    "plans",
    "goals",
    "actions",
    "evaluations",
    "evaluation_outcomes",
    "evaluation_scores",
    "events",
    "audit_records",
    "audit_chain",
]


def _after(connection: Connection) -> None:
    """PostgreSQL: move the sequences past the numbers written here; refresh statistics."""
    if connection.dialect.name == "postgresql":
        for table, column in (("events", "seq"), ("audit_records", "number")):
            sequence = f"pg_get_serial_sequence('{table}', '{column}')"
            highest = f"(SELECT coalesce(max({column}), 1) FROM {table})"  # noqa: S608
            connection.execute(text(f"SELECT setval({sequence}, {highest})"))
    connection.execute(text("ANALYZE"))


def generate(
    engine: Engine,
    households: int,
    *,
    seed: int = 6,
    batch_size: int = 2000,
    audit_per_household: int = 20,
    progress: bool = True,
) -> dict[str, int]:
    """Write the directory and ``households`` households; return rows written per table."""
    generator = Generator(seed, audit_per_household)
    started = time.perf_counter()
    total = 0
    with engine.begin() as connection:
        if connection.execute(text("SELECT count(*) FROM households")).scalar():
            raise SystemExit("generate: the database already holds households")
        total += write(connection, generator.directory())
    for start in _ranges(households, batch_size):
        with engine.begin() as connection:
            total += write(connection, generator.households(*start))
        if progress:
            elapsed = time.perf_counter() - started
            print(f"  {start[1]:>9} households, {total:>11} rows, {elapsed:7.1f} s", flush=True)
    with engine.begin() as connection:
        _after(connection)
    return {"households": households, "rows": total}


def digest() -> str:
    """A short hash of this module's source: data kept from an earlier run is reused only
    while the generator that wrote it is unchanged."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:10]


def _ranges(total: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, total, size):
        yield start, min(start + size, total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="SQLAlchemy URL of a migrated, empty database")
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--batch", type=int, default=2000, help="households per transaction")
    parser.add_argument("--audit", type=int, default=20, help="audit records per household")
    args = parser.parse_args()
    engine = make_engine(args.url)
    started = time.perf_counter()
    try:
        result = generate(
            engine,
            args.households,
            seed=args.seed,
            batch_size=args.batch,
            audit_per_household=args.audit,
        )
    finally:
        engine.dispose()
    elapsed = time.perf_counter() - started
    print(f"generated {result['households']} households, {result['rows']} rows in {elapsed:.1f} s")


if __name__ == "__main__":
    main()
