"""Generated demo history: two years of households in Zwolle and Dalfsen beside the
hand-written ones, so the steering figures have enough to survive disclosure control.

Each household is opened at its own instant in the last two years and lived through the
services step by step: a regisseur, a plan with goals and actions, sometimes a care provider
and an indication from the municipal system, an evaluation with ZRM scores, sometimes a
handover, and for most a closing with a reason, a few reopened later. Every step runs with the
clock set back to its instant (``running_since``), and the steps of all households run in the
order they happened. A seeded ``random.Random`` makes the history the same on every load,
relative to the day it is loaded. The names are made up from short lists; the BSNs pass the
11-test and lie in the test range (9999x xxxx).

None of it touches the hand-written households' people: the generated households have their
own regisseurs, so Anna de Boer's worklist stays as the README shows it, and every open one
has a regisseur, so the team worklist still waits only on Gezin Visser.
"""

import heapq
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial

from sqlalchemy.orm import Session

from gezinsplan.auth.actor import Actor, Role
from gezinsplan.households import service as households
from gezinsplan.households.models import Household
from gezinsplan.households.schemas import HouseholdCreate
from gezinsplan.indications import service as indications
from gezinsplan.kit.clock import NETHERLANDS, running_since, today
from gezinsplan.members import service as members
from gezinsplan.members.models import Member
from gezinsplan.members.schemas import MemberCreate
from gezinsplan.plans import repository as plans_repository
from gezinsplan.plans import service as plans
from gezinsplan.plans.models import Goal, Plan
from gezinsplan.plans.schemas import (
    ActionCreate,
    EvaluationCreate,
    GoalCreate,
    GoalUpdate,
    PlanUpdate,
)
from gezinsplan.roles import service as roles
from gezinsplan.roles.models import RoleAssignment
from gezinsplan.roles.schemas import CareProviderAdd, RegisseurAssign

COUNT = 400
SEED = 16
DAYS = 730

ZWOLLE = "0193"
DALFSEN = "0148"

MUNICIPAL_SYSTEM = Actor(
    sub="demo-gemeentelijk-systeem",
    name="Demo: systeem gemeenten Zwolle en Dalfsen",
    org=None,
    roles=frozenset({Role.MUNICIPAL_SYSTEM}),
    municipalities=frozenset({ZWOLLE, DALFSEN}),
)

FAMILY_NAMES = [
    "Brouwer", "Dekker", "Dijkstra", "Hendriks", "Hoekstra", "Kok", "Koster", "Kuipers",
    "Meijer", "Mulder", "Peters", "Postma", "Prins", "Scholten", "Schouten", "Sinnema",
    "Smits", "Timmer", "van Dam", "van Dijk", "van der Meer", "van Leeuwen", "Veenstra",
    "Verhoeven", "Vos", "Wolters", "Yilmaz", "Zijlstra", "Bos", "Evers", "Haverkamp",
    "Lammers", "Nijhuis", "Oosterhof", "Ramdin", "Boukhari", "Kaya", "Tuinman",
]  # fmt: skip
ADULT_NAMES = [
    "Annemarie", "Bas", "Chantal", "Dennis", "Esther", "Frank", "Gerda", "Hasan", "Ilse",
    "Joost", "Karin", "Linda", "Marco", "Nadia", "Olga", "Patrick", "Ria", "Sander",
    "Tamara", "Wim", "Yvonne", "Rachid", "Monique", "Erik",
]  # fmt: skip
CHILD_NAMES = [
    "Amira", "Bram", "Daan", "Emma", "Finn", "Isa", "Jesse", "Julia", "Levi", "Lieke",
    "Milan", "Mila", "Noah", "Roos", "Sem", "Tess", "Thijs", "Zoë", "Luuk", "Sara",
]  # fmt: skip

# Regisseurs of the generated households (sub, name, organization key), never the README's
# Anna, Bart or Carla: enough of them that the caseload distribution has something to show.
PROFESSIONALS: list[tuple[str, str, str]] = [
    *(
        (f"wijkteam-{given.lower()}", f"{given} {family}", "wijkteam-zwolle-dalfsen")
        for given, family in [
            ("Bram", "Hofman"), ("Dewi", "Kramer"), ("Eline", "Groen"), ("Gijs", "Vermeulen"),
            ("Hanna", "Maas"), ("Iris", "Jacobs"), ("Jeroen", "Bosman"), ("Kim", "Wouters"),
            ("Lars", "Hermans"), ("Mirjam", "Sturing"), ("Nina", "Brink"), ("Omar", "Haddou"),
            ("Pien", "Lubbers"), ("Rik", "Stam"), ("Sophie", "Willems"), ("Tom", "Kroeze"),
        ]
    ),
    *(
        (f"jeugdhulp-{given.lower()}", f"{given} {family}", "jeugdhulp-ijsselland")
        for given, family in [
            ("Ellen", "Bouma"), ("Hugo", "Roelofs"), ("Femke", "Wessels"), ("Koen", "Lenters"),
        ]
    ),
    *(
        (f"schuldhulp-{given.lower()}", f"{given} {family}", "schuldhulp-vechtdal")
        for given, family in [("Marloes", "Boer"), ("Ruud", "Kamphuis"), ("Wendy", "Nijland")]
    ),
]  # fmt: skip

REFERRALS = {
    "general_practitioner": 24, "self": 18, "school": 14, "municipal_access": 10,
    "youth_doctor": 8, "veilig_thuis": 6, "housing_corporation": 6, "police": 4,
    "own_network": 4, "certified_institution": 3, "medical_specialist": 3,
}  # fmt: skip
CLOSING_REASONS = {
    "goals_achieved": 38, "referred_to_regular_care": 18, "ended_by_agreement": 12,
    "family_declined": 8, "no_contact": 8, "moved_away": 6, "ended_by_team": 4,
    "external_circumstances": 4, "other": 2,
}  # fmt: skip
# Life domains a family's goals fall in, the weight, and the organization that may own them.
DOMAINS: dict[str, tuple[int, str | None]] = {
    "finances": (20, "schuldhulp-vechtdal"),
    "parenting": (14, "jeugdhulp-ijsselland"),
    "child_development": (10, "jeugdhulp-ijsselland"),
    "school": (8, None),
    "housing": (10, None),
    "work_and_education": (8, None),
    "mental_health": (8, None),
    "domestic_relations": (7, "jeugdhulp-ijsselland"),
    "social_network": (6, None),
    "time_use": (5, None),
    "physical_health": (4, None),
}
GOAL_TEXT = {
    "finances": "Schulden in beeld en een betaalregeling die loopt.",
    "parenting": "Vaste dagstructuur en duidelijke afspraken in huis.",
    "child_development": "Het kind kan beter omgaan met spanning.",
    "school": "Het kind gaat elke schooldag naar school.",
    "housing": "De woning blijft behouden.",
    "work_and_education": "Werk, een opleiding of vrijwilligerswerk gevonden.",
    "mental_health": "Hulp bij somberheid en weer rust in het hoofd.",
    "domestic_relations": "Minder ruzie en betere afspraken tussen de ouders.",
    "social_network": "Mensen in de buurt bij wie de familie terecht kan.",
    "time_use": "Een dagritme met vaste activiteiten.",
    "physical_health": "Afspraken met de huisarts worden nagekomen.",
}
ACTIONS = {
    "member": "Zelf de afspraken in de agenda zetten.",
    "own_network": "Familie helpt elke week mee.",
    "professional": "Wekelijks gesprek met de wijkcoach.",
    "organization": "Begeleiding door de zorgaanbieder.",
}
PERFORMERS = {"member": 35, "own_network": 20, "professional": 30, "organization": 15}
AGB = {"jeugdhulp-ijsselland": "41000001", "schuldhulp-vechtdal": "41000002"}


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _bsns() -> Iterator[str]:
    """BSNs passing the 11-test, in the 9999 test range below the README's own (999 990 019)."""
    for number in range(999_900_000, 999_990_000):
        digits = [int(d) for d in str(number)]
        total = sum(d * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True))
        if (total - digits[8]) % 11 == 0:
            yield str(number)


@dataclass
class _Family:
    """What the steps of one household need from each other."""

    number: int
    household: Household | None = None
    plan: Plan | None = None
    people: list[Member] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    regisseur: RoleAssignment | None = None


Step = Callable[[Session], None]


class _Timeline:
    """The steps of every household, run in the order they happened."""

    def __init__(self) -> None:
        self._steps: list[tuple[datetime, int, Step]] = []

    def at(self, instant: datetime, step: Step) -> None:
        heapq.heappush(self._steps, (instant, len(self._steps), step))

    def run(self, session: Session) -> None:
        while self._steps:
            instant, _, step = heapq.heappop(self._steps)
            with running_since(instant):
                step(session)


def load(session: Session, system: Actor, demo_id: Callable[[str], uuid.UUID]) -> None:
    """Generate and load the history; ``system`` is the demo's access-team actor."""
    rng = random.Random(SEED)  # noqa: S311 - a repeatable demo, not a secret
    bsns = _bsns()
    timeline = _Timeline()
    for number in range(COUNT):
        _plan_family(rng, timeline, _Family(number), bsns, system, demo_id)
    timeline.run(session)


def _working_hours(rng: random.Random, day: date) -> datetime:
    local = datetime(day.year, day.month, day.day, 8, 30, tzinfo=NETHERLANDS)
    return local + timedelta(minutes=rng.randrange(0, 8 * 60))


def _plan_family(
    rng: random.Random,
    timeline: _Timeline,
    family: _Family,
    bsns: Iterator[str],
    system: Actor,
    demo_id: Callable[[str], uuid.UUID],
) -> None:
    """Decide one household's history and put its steps on the timeline."""
    first_day = today() - timedelta(days=rng.randrange(14, DAYS))

    def day(offset: int) -> datetime:
        return _working_hours(rng, first_day + timedelta(days=offset))

    municipality = ZWOLLE if rng.random() < 0.65 else DALFSEN
    name = rng.choice(FAMILY_NAMES)
    people = _people(rng, name, first_day.year - 1, bsns)
    referral = _pick(rng, REFERRALS)
    domains = rng.sample(list(DOMAINS), k=rng.choice([1, 2, 2, 3, 3]))
    regisseurs = rng.sample(PROFESSIONALS, k=2)

    timeline.at(
        day(0),
        lambda s: _open(s, system, family, municipality, name, referral, people, demo_id),
    )
    offset = rng.randrange(1, 10)
    timeline.at(day(offset), lambda s: _assign(s, system, family, regisseurs[0], demo_id))
    offset += rng.randrange(1, 14)
    starts = [(domain, rng.choice([1, 2, 2, 2, 3, 3])) for domain in domains]
    plan_at = day(offset)
    timeline.at(plan_at, lambda s: _fill_plan(s, system, family, starts, rng, demo_id))
    providers = sorted({org for d in domains if (org := DOMAINS[d][1]) and rng.random() < 0.7})
    if providers:
        timeline.at(plan_at, lambda s: _add_providers(s, system, family, providers, demo_id))

    duration = max(_duration(rng), offset + 7)
    closes = first_day + timedelta(days=duration)
    end = min(duration, (today() - first_day).days - 1)

    if rng.random() < 0.4:
        _plan_indications(rng, timeline, family, people, municipality, first_day, offset, end)

    if rng.random() < 0.12 and offset + 20 < end:
        handover = rng.randrange(offset + 10, end - 5)
        timeline.at(day(handover), lambda s: _assign(s, system, family, regisseurs[1], demo_id))

    deltas = [rng.choices([-1, 0, 1, 2], weights=[10, 28, 44, 18])[0] for _ in domains]
    evaluated = offset + rng.randrange(45, 150)
    if evaluated < end:
        final = closes <= today() - timedelta(days=1)
        timeline.at(
            day(evaluated),
            lambda s: _evaluate(s, system, family, starts, deltas, final=final),
        )
    if closes >= today() - timedelta(days=1):
        return
    reason = _pick(rng, CLOSING_REASONS)
    timeline.at(day(duration), lambda s: _close(s, system, family, reason))
    if rng.random() < 0.2:
        reopened = duration + rng.randrange(20, 330)
        if first_day + timedelta(days=reopened + 10) < today():
            again = _pick(rng, REFERRALS)
            timeline.at(day(reopened), lambda s: _reopen(s, system, family, again))
            timeline.at(
                day(reopened + rng.randrange(1, 8)),
                lambda s: _assign(s, system, family, regisseurs[0], demo_id),
            )


def _duration(rng: random.Random) -> int:
    bucket = rng.choices([(14, 30), (31, 90), (91, 180), (181, 365), (366, 560)],
                         weights=[12, 30, 32, 20, 6])[0]  # fmt: skip
    return rng.randrange(bucket[0], bucket[1] + 1)


def _people(
    rng: random.Random, family_name: str, year: int, bsns: Iterator[str]
) -> list[tuple[str, str, date, str | None, str, bool]]:
    """One or two parents and up to three children, born before ``year`` ends."""
    people: list[tuple[str, str, date, str | None, str, bool]] = []
    for _ in range(rng.choice([1, 2, 2])):
        born = date(year - rng.randrange(23, 61), rng.randrange(1, 13), rng.randrange(1, 29))
        bsn = next(bsns) if rng.random() < 0.7 else None
        given = rng.choice([n for n in ADULT_NAMES if n not in {p[0] for p in people}])
        people.append((given, family_name, born, bsn, "parent", True))
    for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
        born = date(year - rng.randrange(0, 17), rng.randrange(1, 13), rng.randrange(1, 29))
        bsn = next(bsns) if rng.random() < 0.7 else None
        given = rng.choice([n for n in CHILD_NAMES if n not in {p[0] for p in people}])
        people.append((given, family_name, born, bsn, "child", False))
    return people


def _plan_indications(
    rng: random.Random,
    timeline: _Timeline,
    family: _Family,
    people: list[tuple[str, str, date, str | None, str, bool]],
    municipality: str,
    first_day: date,
    offset: int,
    end: int,
) -> None:
    """One indication, sometimes two, for members with a BSN, decided during the episode."""
    with_bsn = [p for p in people if p[3] is not None]
    if not with_bsn or offset + 10 >= end:
        return
    for count, person in enumerate(rng.sample(with_bsn, k=min(len(with_bsn), 2))):
        if count == 1 and rng.random() < 0.6:
            break
        decided = rng.randrange(offset + 5, end)
        start = first_day + timedelta(days=decided + rng.randrange(0, 14))
        child = person[4] == "child"
        record: dict[str, object] = {
            "municipalityCode": municipality,
            "indicationNumber": f"DEMO-{family.number:04d}-{count + 1}",
            "regulation": "jeugdwet" if child else "wmo",
            "bsn": person[3],
            "productCategory": rng.choice(["45", "41", "43", "54"] if child else ["02", "01"]),
            "providerAgb": AGB["jeugdhulp-ijsselland" if child else "schuldhulp-vechtdal"],
            "startDate": start.isoformat(),
            "endDate": (start + timedelta(days=rng.randrange(90, 366))).isoformat(),
            "decisionDate": (first_day + timedelta(days=decided)).isoformat(),
            "status": "active",
        }
        at = _working_hours(rng, first_day + timedelta(days=decided))
        timeline.at(at, partial(_sync, record=record))


def _sync(session: Session, *, record: dict[str, object]) -> None:
    result = indications.sync(session, MUNICIPAL_SYSTEM, [record])
    assert result.summary.rejected == 0, result


def _open(
    session: Session,
    system: Actor,
    family: _Family,
    municipality: str,
    name: str,
    referral: str,
    people: list[tuple[str, str, date, str | None, str, bool]],
    demo_id: Callable[[str], uuid.UUID],
) -> None:
    household = households.open_household(
        session,
        system,
        HouseholdCreate.model_validate(
            {"municipalityCode": municipality, "name": f"Gezin {name}", "referralSource": referral}
        ),
    )
    family.household = household
    for given, family_name, born, bsn, relation, guardian in people:
        family.people.append(
            members.add_member(
                session,
                system,
                household,
                member_id=demo_id(f"generated-{family.number}-{given}"),
                data=MemberCreate.model_validate(
                    {
                        "givenName": given,
                        "familyName": family_name,
                        "birthDate": born,
                        "bsn": bsn,
                        "relation": relation,
                        "isGuardian": guardian,
                    }
                ),
            )
        )
    family.plan = plans_repository.get_plan(session, system, household.id, editable=True)


def _assign(
    session: Session,
    system: Actor,
    family: _Family,
    professional: tuple[str, str, str],
    demo_id: Callable[[str], uuid.UUID],
) -> None:
    assert family.household is not None
    sub, name, organization = professional
    handover = family.regisseur is not None and family.regisseur.ended_at is None
    family.regisseur = roles.assign_regisseur(
        session,
        system,
        family.household,
        RegisseurAssign.model_validate(
            {
                "professionalSub": sub,
                "professionalName": name,
                "organizationId": demo_id(organization),
                "reason": "Overdracht van de regie." if handover else "Regie bij de start.",
                "replaces": family.regisseur.id if handover and family.regisseur else None,
            }
        ),
    )


def _fill_plan(
    session: Session,
    system: Actor,
    family: _Family,
    starts: list[tuple[str, int]],
    rng: random.Random,
    demo_id: Callable[[str], uuid.UUID],
) -> None:
    plan = family.plan
    assert plan is not None
    update = PlanUpdate.model_validate(
        {"familyWishes": "Weer grip op ons leven.", "status": "active"}
    )
    plans.update_plan(session, system, plan, update, None)
    for domain, start in starts:
        organization = DOMAINS[domain][1]
        goal = plans.add_goal(
            session,
            system,
            plan,
            GoalCreate.model_validate(
                {
                    "lifeDomain": domain,
                    "description": GOAL_TEXT[domain],
                    "zrmStart": start,
                    "zrmTarget": min(5, start + rng.choice([1, 2, 2])),
                    "targetDate": today() + timedelta(days=rng.randrange(90, 270)),
                    "organizationId": demo_id(organization) if organization else None,
                }
            ),
            None,
        )
        family.goals.append(goal)
        for _ in range(rng.choice([1, 1, 2])):
            performer = _pick(rng, PERFORMERS)
            body: dict[str, object] = {"description": ACTIONS[performer], "performer": performer}
            if performer == "member":
                body["performerMemberId"] = family.people[0].id
            elif performer == "organization":
                body["performerOrganizationId"] = demo_id(organization or "jeugdhulp-ijsselland")
            elif performer == "own_network":
                body["performerName"] = "Familie"
            else:
                body["performerName"] = "Wijkcoach"
            plans.add_action(session, system, plan, goal, ActionCreate.model_validate(body), None)


def _add_providers(
    session: Session,
    system: Actor,
    family: _Family,
    providers: list[str],
    demo_id: Callable[[str], uuid.UUID],
) -> None:
    assert family.household is not None
    for organization in providers:
        roles.add_care_provider(
            session,
            system,
            family.household,
            CareProviderAdd.model_validate({"organizationId": demo_id(organization)}),
        )


def _evaluate(
    session: Session,
    system: Actor,
    family: _Family,
    starts: list[tuple[str, int]],
    deltas: list[int],
    *,
    final: bool,
) -> None:
    """ZRM scores that mostly improve; the goals judged on them, finally if the file closes."""
    plan = family.plan
    assert plan is not None
    scores = [
        max(1, min(5, start + delta)) for (_, start), delta in zip(starts, deltas, strict=True)
    ]
    outcomes = []
    for goal, score, delta in zip(family.goals, scores, deltas, strict=True):
        if score >= goal.zrm_target:
            outcome = "achieved"
        elif delta > 0:
            outcome = "partly_achieved" if final else "continue"
        else:
            outcome = "not_achieved" if final else "adjust"
        outcomes.append((goal, outcome))
    plans.add_evaluation(
        session,
        system,
        plan,
        EvaluationCreate.model_validate(
            {
                "evaluatedOn": today(),
                "summary": "Evaluatie met het gezin.",
                "outcomes": [{"goalId": g.id, "outcome": o} for g, o in outcomes],
                "scores": [
                    {"lifeDomain": domain, "score": score}
                    for (domain, _), score in zip(starts, scores, strict=True)
                ],
            }
        ),
        None,
    )
    for goal, outcome in outcomes:
        if outcome in {"achieved", "partly_achieved", "not_achieved"}:
            update = GoalUpdate.model_validate({"status": outcome})
            target = plans_repository.GoalTarget(plan, goal, snapshot=None)
            plans.update_goal(session, system, target, update, None)


def _close(session: Session, system: Actor, family: _Family, reason: str) -> None:
    assert family.household is not None
    households.close_household(session, system, family.household, reason, None)


def _reopen(session: Session, system: Actor, family: _Family, referral: str) -> None:
    assert family.household is not None
    assert family.plan is not None
    households.reopen_household(session, system, family.household, referral, None)
    family.regisseur = None
    update = PlanUpdate.model_validate({"status": "active"})
    plans.update_plan(session, system, family.plan, update, None)
