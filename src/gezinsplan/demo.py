"""Demo data, so a frontend team can start at once: two municipalities served by one access
team, two care providers, and a handful of households with members.

Written through the services, so the demo leaves the same events real work would.
"""

import uuid
from datetime import date

from sqlalchemy.orm import Session

from gezinsplan.auth.actor import Actor, Role
from gezinsplan.households import service as households
from gezinsplan.households.schemas import HouseholdCreate
from gezinsplan.members import service as members
from gezinsplan.members.schemas import MemberCreate
from gezinsplan.organizations import repository as organizations_repository
from gezinsplan.organizations import service as organizations
from gezinsplan.organizations.schemas import OrganizationCreate

_NAMESPACE = uuid.UUID("6f1c1a52-7d7e-4d55-9a0e-0c6c1c6f2a10")


def demo_id(name: str) -> uuid.UUID:
    """Stable ids, so the README and minted tokens can name demo organizations."""
    return uuid.uuid5(_NAMESPACE, name)


ZWOLLE = "0193"
DALFSEN = "0148"
ACCESS_TEAM_ID = demo_id("wijkteam-zwolle-dalfsen")

# Bodies as a client would send them to POST /organizations.
_ORGANIZATIONS: list[tuple[str, dict[str, object]]] = [
    (
        "gemeente-zwolle",
        {"kind": "municipality", "name": "Gemeente Zwolle", "municipalityCode": ZWOLLE},
    ),
    (
        "gemeente-dalfsen",
        {"kind": "municipality", "name": "Gemeente Dalfsen", "municipalityCode": DALFSEN},
    ),
    (
        "wijkteam-zwolle-dalfsen",
        {
            "kind": "access_team",
            "name": "Sociaal Wijkteam Zwolle-Dalfsen",
            "servedMunicipalities": [ZWOLLE, DALFSEN],
        },
    ),
    (
        "jeugdhulp-ijsselland",
        {
            "kind": "care_provider",
            "name": "Jeugdhulp IJsselland",
            "agbCode": "41000001",
            "kvkNumber": "12345678",
        },
    ),
    (
        "schuldhulp-vechtdal",
        {
            "kind": "care_provider",
            "name": "Schuldhulp Vechtdal",
            "agbCode": "41000002",
            "kvkNumber": "87654321",
        },
    ),
]

# (household name, municipality, members: given, family, birth date, BSN, relation, guardian)
_HOUSEHOLDS: list[tuple[str, str, list[tuple[str, str, date, str | None, str, bool]]]] = [
    (
        "Gezin Jansen",
        ZWOLLE,
        [
            ("Sanne", "Jansen", date(1986, 4, 12), "111222333", "parent", True),
            ("Mark", "Jansen", date(1984, 9, 3), "123456782", "parent", True),
            ("Noor", "Jansen", date(2014, 2, 20), None, "child", False),
        ],
    ),
    (
        "Gezin El Amrani",
        ZWOLLE,
        [
            ("Fatima", "El Amrani", date(1990, 1, 30), None, "parent", True),
            ("Yassin", "El Amrani", date(2011, 7, 8), None, "child", False),
        ],
    ),
    (
        "Gezin de Vries",
        DALFSEN,
        [
            ("Peter", "de Vries", date(1979, 11, 2), None, "parent", True),
            ("Lotte", "de Vries", date(2009, 5, 14), None, "child", False),
        ],
    ),
    (
        "Gezin Bakker",
        ZWOLLE,
        [
            ("Ingrid", "Bakker", date(1972, 3, 25), None, "parent", True),
        ],
    ),
]

SYSTEM = Actor(
    sub="demo-data",
    name="Demo data",
    org=ACCESS_TEAM_ID,
    roles=frozenset({Role.ADMIN, Role.TOEGANG}),
    municipalities=frozenset({ZWOLLE, DALFSEN}),
)


def is_empty(session: Session) -> bool:
    return not organizations_repository.any_registered(session)


def load(session: Session) -> None:
    for key, body in _ORGANIZATIONS:
        data = OrganizationCreate.model_validate(body)
        created = organizations.create_organization(
            session, SYSTEM, data, organization_id=demo_id(key)
        )
        assert created.id == demo_id(key)
    for name, municipality, people in _HOUSEHOLDS:
        household = households.open_household(
            session,
            SYSTEM,
            HouseholdCreate.model_validate({"municipalityCode": municipality, "name": name}),
        )
        for given, family, born, bsn, relation, guardian in people:
            members.add_member(
                session,
                SYSTEM,
                household,
                MemberCreate.model_validate(
                    {
                        "givenName": given,
                        "familyName": family,
                        "birthDate": born,
                        "bsn": bsn,
                        "relation": relation,
                        "isGuardian": guardian,
                    }
                ),
            )
        if name == "Gezin Bakker":
            households.close_household(session, SYSTEM, household, "goals_achieved", None)
