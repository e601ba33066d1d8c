"""Demo data, so a frontend team can start at once: two municipalities served by one access
team, two care providers, and a handful of households with members, each with a plan (goals
in several life domains, actions, an evaluation) and a regisseur: some from the access team,
some from a care provider. One family shares part of its plan with a care provider by
consent, so the filtered view can be tried at once.

Written through the services, so the demo leaves the same events real work would.
"""

import uuid
from contextlib import AbstractContextManager, nullcontext
from datetime import date, timedelta

from sqlalchemy.orm import Session

from gezinsplan import demo_history
from gezinsplan.auth.actor import Actor, Role
from gezinsplan.consents import service as consents
from gezinsplan.consents.schemas import ConsentCreate
from gezinsplan.households import service as households
from gezinsplan.households.models import Household
from gezinsplan.households.schemas import HouseholdCreate
from gezinsplan.indications import service as indications
from gezinsplan.kit.clock import running_since, today, utcnow
from gezinsplan.members import service as members
from gezinsplan.members.models import Member
from gezinsplan.members.schemas import MemberCreate
from gezinsplan.organizations import repository as organizations_repository
from gezinsplan.organizations import service as organizations
from gezinsplan.organizations.schemas import OrganizationCreate
from gezinsplan.plans import repository as plans_repository
from gezinsplan.plans import service as plans
from gezinsplan.plans.models import Goal
from gezinsplan.plans.schemas import ActionCreate, EvaluationCreate, GoalCreate, PlanUpdate
from gezinsplan.progress import service as progress
from gezinsplan.progress.schemas import ProgressCreate
from gezinsplan.roles import service as roles
from gezinsplan.roles.schemas import CareProviderAdd, RegisseurAssign

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
    (
        "Gezin Visser",
        ZWOLLE,
        [
            ("Kees", "Visser", date(1968, 8, 19), None, "parent", True),
        ],
    ),
]

# Who brought each household to the access team (codelist referral-sources).
REFERRALS = {
    "Gezin Jansen": "general_practitioner",
    "Gezin El Amrani": "school",
    "Gezin de Vries": "self",
    "Gezin Bakker": "municipal_access",
    "Gezin Visser": "general_practitioner",
}

# Regisseurs by token `sub`: mint a token with that --sub and the organization to act as one.
# Gezin Visser has none yet: it waits on the team worklist.
REGISSEURS = {
    "Gezin Jansen": ("wijkteam-anna", "Anna de Boer", "wijkteam-zwolle-dalfsen"),
    "Gezin El Amrani": ("jeugdhulp-bart", "Bart Visser", "jeugdhulp-ijsselland"),
    "Gezin de Vries": ("schuldhulp-carla", "Carla Smit", "schuldhulp-vechtdal"),
    "Gezin Bakker": ("wijkteam-anna", "Anna de Boer", "wijkteam-zwolle-dalfsen"),
}

# Per household: the family's wishes, and goals (life domain, description, ZRM start and
# target, responsible organization, actions as (description, performer, who)).
_Goal = tuple[str, str, int, int, str | None, list[tuple[str, str, str | None]]]
_PLANS: dict[str, tuple[str, list[_Goal]]] = {
    "Gezin Jansen": (
        "Wij willen rust in huis en geen schulden meer.",
        [
            (
                "finances",
                "Alle schulden zijn in beeld en er loopt een betaalregeling.",
                2,
                4,
                "schuldhulp-vechtdal",
                [
                    ("Aanmelden bij de schuldhulpverlening.", "member", "Sanne"),
                    ("Post samen openen, elke week.", "own_network", "Oma Jansen"),
                ],
            ),
            (
                "parenting",
                "Vaste dagstructuur en bedtijden voor Noor.",
                3,
                4,
                "jeugdhulp-ijsselland",
                [("Gezinscoaching, wekelijks.", "organization", "jeugdhulp-ijsselland")],
            ),
            ("housing", "De woning blijft behouden.", 3, 4, None, []),
        ],
    ),
    "Gezin El Amrani": (
        "Yassin gaat weer elke dag naar school.",
        [
            (
                "child_development",
                "Yassin kan omgaan met spanning en boosheid.",
                2,
                4,
                "jeugdhulp-ijsselland",
                [("Agressieregulatietraining.", "professional", "Jeugdhulpverlener")],
            ),
            ("school", "Yassin gaat elke schooldag naar school.", 2, 5, None, []),
        ],
    ),
    "Gezin de Vries": (
        "Weer grip op geld en werk.",
        [
            (
                "finances",
                "Een stabiel inkomen en vaste lasten op tijd betaald.",
                1,
                3,
                "schuldhulp-vechtdal",
                [("Budgetbeheer aanvragen.", "member", "Peter")],
            ),
            ("work_and_education", "Peter heeft werk of een opleiding.", 2, 4, None, []),
        ],
    ),
    "Gezin Bakker": ("Zelfstandig blijven wonen.", []),
    "Gezin Visser": ("Weer een dagritme.", []),
}

SYSTEM = Actor(
    sub="demo-data",
    name="Demo data",
    org=ACCESS_TEAM_ID,
    roles=frozenset({Role.ADMIN, Role.TOEGANG}),
    municipalities=frozenset({ZWOLLE, DALFSEN}),
)


# The municipality's system, syncing the indications of Zwolle.
ZWOLLE_SYSTEM = Actor(
    sub="demo-zwolle-systeem",
    name="Demo: systeem gemeente Zwolle",
    org=None,
    roles=frozenset({Role.MUNICIPAL_SYSTEM}),
    municipalities=frozenset({ZWOLLE}),
)

# Gezin Jansen's file was opened a month ago and its plan last changed then, not approved
# since: with the rest below, its regisseur Anna sees every kind of worklist signal. Gezin
# Visser waits for a regisseur since its opening, six days ago.
OPENED_DAYS_AGO = {"Gezin Jansen": 30, "Gezin Visser": 6}


def _history_of(name: str) -> AbstractContextManager[None]:
    days = OPENED_DAYS_AGO.get(name)
    if days is None:
        return nullcontext()
    return running_since(utcnow() - timedelta(days=days))


def member_id(given: str, family: str) -> uuid.UUID:
    """Members have stable ids too: a resident's token names one (``--member``)."""
    return demo_id(f"member-{given}-{family}".lower().replace(" ", "-"))


# Care providers working on a household, and the consent the family gave each: the member
# who gave it, the categories and the life domains it is limited to.
CONSENTS: dict[str, list[tuple[str, str, list[str], list[str], str]]] = {
    "Gezin Jansen": [
        (
            "schuldhulp-vechtdal",
            "Sanne",
            ["basic", "plan"],
            ["finances"],
            "Schuldhulpverlening binnen het gezinsplan.",
        ),
    ],
}


def is_empty(session: Session) -> bool:
    return not organizations_repository.any_registered(session)


def load(session: Session) -> None:
    for key, body in _ORGANIZATIONS:
        data = OrganizationCreate.model_validate(body)
        created = organizations.create_organization(
            session, SYSTEM, data, organization_id=demo_id(key)
        )
        assert created.id == demo_id(key)
    # Two years of generated households first, so the event log runs roughly in time order.
    demo_history.load(session, SYSTEM, demo_id)
    for name, municipality, people in _HOUSEHOLDS:
        with _history_of(name):
            household, added, goals = _open(session, name, municipality, people)
        if name not in REGISSEURS:
            continue
        sub, professional, organization = REGISSEURS[name]
        roles.assign_regisseur(
            session,
            SYSTEM,
            household,
            RegisseurAssign.model_validate(
                {
                    "professionalSub": sub,
                    "professionalName": professional,
                    "organizationId": demo_id(organization),
                    "reason": "Regie bij de start van het gezinsplan.",
                }
            ),
        )
        if name in CONSENTS:
            _share(session, household, CONSENTS[name], added)
        if name == "Gezin Jansen":
            _report_and_sync(session, household, goals)
        if name == "Gezin Bakker":
            households.close_household(session, SYSTEM, household, "goals_achieved", None)


def _open(
    session: Session,
    name: str,
    municipality: str,
    people: list[tuple[str, str, date, str | None, str, bool]],
) -> tuple[Household, dict[str, Member], list[Goal]]:
    """The household with its members and its plan filled."""
    household = households.open_household(
        session,
        SYSTEM,
        HouseholdCreate.model_validate(
            {
                "municipalityCode": municipality,
                "name": name,
                "referralSource": REFERRALS[name],
            }
        ),
    )
    added = {}
    for given, family, born, bsn, relation, guardian in people:
        added[given] = members.add_member(
            session,
            SYSTEM,
            household,
            member_id=member_id(given, family),
            data=MemberCreate.model_validate(
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
    goals = _fill_plan(session, household, name, {given: m.id for given, m in added.items()})
    return household, added, goals


def _report_and_sync(session: Session, household: Household, goals: list[Goal]) -> None:
    """Progress since the last evaluation, and an indication that ends within a month."""
    finances = next(goal for goal in goals if goal.life_domain == "finances")
    progress.report(
        session,
        SYSTEM,
        progress.Target.of(finances, household.id),
        ProgressCreate.model_validate(
            {"text": "Betaalregeling met twee schuldeisers getroffen.", "reportedOn": today()}
        ),
    )
    indications.sync(
        session,
        ZWOLLE_SYSTEM,
        [
            {
                "municipalityCode": ZWOLLE,
                "indicationNumber": "TW-DEMO-0001",
                "regulation": "wmo",
                "bsn": "123456782",
                "productCategory": "02",
                "providerAgb": "41000002",
                "startDate": (today() - timedelta(days=180)).isoformat(),
                "endDate": (today() + timedelta(days=25)).isoformat(),
                "decisionDate": (today() - timedelta(days=190)).isoformat(),
                "status": "active",
            }
        ],
    )


def _share(
    session: Session,
    household: Household,
    grants: list[tuple[str, str, list[str], list[str], str]],
    added: dict[str, Member],
) -> None:
    for organization, giver, categories, domains, purpose in grants:
        roles.add_care_provider(
            session,
            SYSTEM,
            household,
            CareProviderAdd.model_validate({"organizationId": demo_id(organization)}),
        )
        consents.give_consent(
            session,
            SYSTEM,
            household,
            ConsentCreate.model_validate(
                {
                    "granteeOrganizationId": demo_id(organization),
                    "categories": categories,
                    "lifeDomains": domains,
                    "purpose": purpose,
                    "validFrom": (today() - timedelta(days=30)).isoformat(),
                    # Ends within the worklist's 30 days: Anna sees `consent_expiring`.
                    "validUntil": (today() + timedelta(days=20)).isoformat(),
                    "givenByMemberId": str(added[giver].id),
                }
            ),
        )


def _target_date(domain: str, household: str) -> date:
    """Jansen's housing goal is past its target date, so its regisseur sees `goal_overdue`."""
    if (household, domain) == ("Gezin Jansen", "housing"):
        return today() - timedelta(days=14)
    return today() + timedelta(days=200)


def _fill_plan(
    session: Session, household: Household, name: str, member_ids: dict[str, uuid.UUID]
) -> list[Goal]:
    plan = plans_repository.get_plan(session, SYSTEM, household.id, editable=True)
    assert plan is not None
    wishes, goals = _PLANS[name]
    plans.update_plan(
        session, SYSTEM, plan, PlanUpdate.model_validate({"familyWishes": wishes}), None
    )
    if not goals:
        return []
    plans.update_plan(session, SYSTEM, plan, PlanUpdate.model_validate({"status": "active"}), None)
    created = []
    for domain, description, start, target, organization, actions in goals:
        goal = plans.add_goal(
            session,
            SYSTEM,
            plan,
            GoalCreate.model_validate(
                {
                    "lifeDomain": domain,
                    "description": description,
                    "zrmStart": start,
                    "zrmTarget": target,
                    "targetDate": _target_date(domain, name),
                    "organizationId": demo_id(organization) if organization else None,
                }
            ),
            None,
        )
        created.append(goal)
        for what, performer, who in actions:
            body: dict[str, object] = {"description": what, "performer": performer}
            if performer == "member" and who is not None:
                body["performerMemberId"] = member_ids[who]
            elif performer == "organization" and who is not None:
                body["performerOrganizationId"] = demo_id(who)
            else:
                body["performerName"] = who
            plans.add_action(session, SYSTEM, plan, goal, ActionCreate.model_validate(body), None)
    first = goals[0]
    plans.add_evaluation(
        session,
        SYSTEM,
        plan,
        EvaluationCreate.model_validate(
            {
                # Four months ago: the next evaluation is due (`evaluation_due`).
                "evaluatedOn": today() - timedelta(days=122),
                "summary": "Eerste evaluatie: het plan loopt.",
                "outcomes": [{"goalId": created[0].id, "outcome": "continue"}],
                "scores": [{"lifeDomain": first[0], "score": first[2] + 1}],
            }
        ),
        None,
    )
    return created
