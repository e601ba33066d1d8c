"""The export as a FHIR R4B Bundle of type ``collection``, built as plain JSON.

Pure functions from the JSON export (already filtered for the caller) to FHIR resources, so
the Bundle can hold nothing the JSON export does not. Plain dicts keep ``fhir.resources`` and
its model tree out of the runtime; the tests validate every Bundle with its R4B models.
Decision 0027 gives the mapping and what is left out.

Every resource's ``fullUrl`` is ``urn:uuid:<id>``, and every reference points at one of them.
Resources without an id of their own (a Consent per member, a RelatedPerson per child, the
CareTeam) get a name-based UUID, so the same file exports to the same Bundle.
"""

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from gezinsplan.codelists import registry
from gezinsplan.consents.schemas import ConsentRead
from gezinsplan.export.schemas import FileExport
from gezinsplan.members.schemas import MemberRead
from gezinsplan.organizations.models import Organization
from gezinsplan.plans.schemas import ActionRead, EvaluationRead, GoalRead, GoalView, PlanRead
from gezinsplan.progress.schemas import ProgressRead
from gezinsplan.rectification.schemas import StatementRead

FHIR_JSON = "application/fhir+json"
BSN_SYSTEM = "http://fhir.nl/fhir/NamingSystem/bsn"
AGB_SYSTEM = "http://fhir.nl/fhir/NamingSystem/agb-z"
KVK_SYSTEM = "http://fhir.nl/fhir/NamingSystem/kvk"
ROLE_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
CONSENT_SCOPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentscope"
ACT_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PARTICIPATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
ACHIEVEMENT_SYSTEM = "http://terminology.hl7.org/CodeSystem/goal-achievement"
LOINC = "http://loinc.org"
# Our codelists, served at /api/v1/codelists/{name}, as FHIR code systems.
LOCAL_SYSTEM = "urn:gezinsplan:codesystem:"
PROGRESS_CODE = {"code": "progress-update", "display": "Voortgangsrapportage"}
ZRM_CODE_SYSTEM = f"{LOCAL_SYSTEM}zrm-score"
ZRM_ANY_DOMAIN = {"system": ZRM_CODE_SYSTEM, "code": "zrm", "display": "ZRM-score"}
OBSERVATION_CODE_SYSTEM = f"{LOCAL_SYSTEM}observation"
# Our consent's id: the Consents made of one consent share it.
CONSENT_ID_SYSTEM = "urn:gezinsplan:consent"
# Name-based ids for resources we have no row for.
NAMESPACE = uuid.UUID("6f1f8a57-3c1e-4b8e-9a55-2b7e0f0c6a10")

PLAN_STATUS = {"draft": "draft", "active": "active", "evaluating": "active", "closed": "completed"}
GOAL_LIFECYCLE = {
    "open": "active",
    "achieved": "completed",
    "partly_achieved": "completed",
    "not_achieved": "completed",
    "cancelled": "cancelled",
}
# A goal's achievement: from its own status once decided, else from its latest evaluation.
GOAL_ACHIEVEMENT = {"achieved": "achieved", "not_achieved": "not-achieved"}
OUTCOME_ACHIEVEMENT = {
    "achieved": "achieved",
    "partly_achieved": "improving",
    "not_achieved": "not-achieved",
    "continue": "in-progress",
    "adjust": "in-progress",
    "stop": "not-attainable",
}
CONSENT_STATUS = {
    "pending": "proposed",
    "active": "active",
    "expired": "inactive",
    "withdrawn": "inactive",
}
# Who cares for a child in the household's own words: its guardians who are no child.
RELATED_PERSON_CODE = {"parent": ("PRN", "parent")}
GUARDIAN_CODE = ("GUARD", "guardian")


def bundle(export: FileExport, organizations: Mapping[uuid.UUID, Organization]) -> dict[str, Any]:
    """The file as a Bundle: Patients and RelatedPersons, the Group, the Organizations, the
    CareTeam, the CarePlan with its activities, Goals, progress Observations, Consents."""
    group = _reference(export.household.id)
    members = export.members or []
    goals = export.plan.goals if export.plan else []
    by_id = {goal.id: goal for goal in goals}
    member_ids = {member.id for member in members}
    observations = [
        _observation(update, group, by_id, member_ids) for update in export.progress or []
    ]
    resources = [
        *(_patient(member) for member in members),
        *_related_persons(members),
        _group(export, members),
        *(_organization(id_, organizations.get(id_)) for id_ in organization_ids(export)),
        *([_care_team(export, group)] if export.roles else []),
        *([_care_plan(export, export.plan, group, members)] if export.plan else []),
        *(_goal(goal, group, export.evaluations or [], observations, member_ids) for goal in goals),
        *observations,
        *(
            _consent(consent, member, export)
            for consent in export.consents or []
            for member in members
        ),
    ]
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid5(NAMESPACE, f"bundle:{export.household.id}:{export.exported_at}")),
        "type": "collection",
        "timestamp": _instant(export.exported_at),
        "entry": [
            {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}
            for resource in resources
        ],
    }


def _reference(id_: uuid.UUID | str) -> dict[str, str]:
    return {"reference": f"urn:uuid:{id_}"}


def _statement_notes(
    statements: Sequence[StatementRead], member_ids: set[uuid.UUID], about: str = ""
) -> list[dict[str, Any]]:
    """The family's statements as Annotations on the assessment they are attached to: the
    member who made one as its author when the Bundle holds that member, else the family."""
    notes = []
    for statement in statements:
        note: dict[str, Any] = {
            "time": _instant(statement.made_at),
            "text": f"Zienswijze van het gezin{about}: {statement.text}",
        }
        if statement.made_by_member_id in member_ids:
            note["authorReference"] = _reference(statement.made_by_member_id)
        else:
            note["authorString"] = "Het gezin"
        notes.append(note)
    return notes


def _instant(moment: datetime) -> str:
    """FHIR instants carry a zone; a stored time without one is UTC."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat()


def _coding(codelist: str, code: str) -> dict[str, str]:
    """A code of one of our codelists, with its version and Dutch label."""
    found = registry.get(codelist)
    label = next((entry.label_nl for entry in found.entries if entry.code == code), None)
    coding = {"system": f"{LOCAL_SYSTEM}{codelist}", "version": found.version, "code": code}
    return coding | ({"display": label} if label else {})


def _concept(codelist: str, code: str) -> dict[str, Any]:
    return {"coding": [_coding(codelist, code)]}


def _period(start: date | datetime, end: date | datetime | None) -> dict[str, str]:
    def text(value: date | datetime) -> str:
        return _instant(value) if isinstance(value, datetime) else value.isoformat()

    return {"start": text(start)} | ({"end": text(end)} if end is not None else {})


def _patient(member: MemberRead) -> dict[str, Any]:
    patient: dict[str, Any] = {"resourceType": "Patient", "id": str(member.id)}
    if member.bsn is not None:
        patient["identifier"] = [{"system": BSN_SYSTEM, "value": member.bsn}]
    return patient | {
        "name": [
            {
                "use": "official",
                "text": f"{member.given_name} {member.family_name}",
                "family": member.family_name,
                "given": [member.given_name],
            }
        ],
        "birthDate": member.birth_date.isoformat(),
    }


def _related_persons(members: list[MemberRead]) -> Iterable[dict[str, Any]]:
    """A guardian who is no child, once for each child of the household: RelatedPerson
    names one patient. The guardian is a Patient of the household as well."""
    children = [member for member in members if member.relation == "child"]
    for carer in members:
        if not carer.is_guardian or carer.relation == "child":
            continue
        codes = [
            GUARDIAN_CODE,
            *(
                [RELATED_PERSON_CODE[carer.relation]]
                if carer.relation in RELATED_PERSON_CODE
                else []
            ),
        ]
        for child in children:
            yield {
                "resourceType": "RelatedPerson",
                "id": str(uuid.uuid5(NAMESPACE, f"related:{carer.id}:{child.id}")),
                "patient": _reference(child.id),
                "relationship": [
                    {"coding": [{"system": ROLE_CODE_SYSTEM, "code": code, "display": display}]}
                    for code, display in codes
                ],
                "name": _patient(carer)["name"],
                "birthDate": carer.birth_date.isoformat(),
            }


def _group(export: FileExport, members: list[MemberRead]) -> dict[str, Any]:
    return {
        "resourceType": "Group",
        "id": str(export.household.id),
        "type": "person",
        "actual": True,
        "name": export.household.name,
        "quantity": len(members),
        "member": [{"entity": _reference(member.id)} for member in members],
    }


def organization_ids(export: FileExport) -> list[uuid.UUID]:
    """Every organization a resource of the Bundle refers to, in order of first mention."""
    found = [role.organization_id for role in export.roles or []]
    found += [consent.grantee_organization_id for consent in export.consents or []]
    found += [u.organization_id for u in export.progress or [] if u.organization_id is not None]
    for goal in export.plan.goals if export.plan else []:
        found += [a.performer_organization_id for a in goal.actions if a.performer_organization_id]
    return list(dict.fromkeys(found))


def _organization(id_: uuid.UUID, found: Organization | None) -> dict[str, Any]:
    organization: dict[str, Any] = {"resourceType": "Organization", "id": str(id_)}
    if found is None:
        return organization
    identifiers = [
        {"system": system, "value": value}
        for system, value in ((AGB_SYSTEM, found.agb_code), (KVK_SYSTEM, found.kvk_number))
        if value
    ]
    return (
        organization | ({"identifier": identifiers} if identifiers else {}) | {"name": found.name}
    )


def _care_team_id(export: FileExport) -> str:
    return str(uuid.uuid5(NAMESPACE, f"care-team:{export.household.id}"))


def _care_team(export: FileExport, group: dict[str, str]) -> dict[str, Any]:
    """Who works and worked on the household: each role assignment a participant, its
    organization the member (the professional's name stays out)."""
    roles = export.roles or []
    return {
        "resourceType": "CareTeam",
        "id": _care_team_id(export),
        "status": "active" if any(role.active for role in roles) else "inactive",
        "name": f"1 gezin 1 plan: {export.household.name}",
        "subject": group,
        "participant": [
            {
                "role": [_concept("role-types", role.role_type)],
                "member": _reference(role.organization_id),
                "period": _period(role.started_at, role.ended_at),
            }
            for role in roles
        ],
    }


def _care_plan(
    export: FileExport, plan: PlanRead, group: dict[str, str], members: list[MemberRead]
) -> dict[str, Any]:
    member_ids = {member.id for member in members}
    care_plan: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": str(plan.id),
        "status": PLAN_STATUS.get(plan.status, "unknown"),
        "intent": "plan",
        "title": f"Gezinsplan {export.household.name}",
        "subject": group,
        "created": _instant(plan.created_at),
    }
    if export.roles:
        care_plan["careTeam"] = [_reference(_care_team_id(export))]
    if plan.goals:
        care_plan["goal"] = [_reference(goal.id) for goal in plan.goals]
    activities = [
        {"detail": _activity(action, goal, member_ids)}
        for goal in plan.goals
        for action in goal.actions
    ]
    if activities:
        care_plan["activity"] = activities
    notes = [{"text": f"Wensen van het gezin: {plan.family_wishes}"}] if plan.family_wishes else []
    # Evaluations are no resources of their own (see 0027): their statements go on the plan.
    for evaluation in export.evaluations or []:
        about = f" op de evaluatie van {evaluation.evaluated_on.isoformat()}"
        notes += _statement_notes(evaluation.family_statements, member_ids, about)
    if notes:
        care_plan["note"] = notes
    return care_plan


def _activity(action: ActionRead, goal: GoalRead, member_ids: set[uuid.UUID]) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "kind": "Task",
        "code": _concept("action-performers", action.performer),
        "goal": [_reference(goal.id)],
        "status": "completed" if action.done else "not-started",
        "description": action.description,
    }
    if action.due_date is not None:
        detail["scheduledPeriod"] = {"end": action.due_date.isoformat()}
    # Only references the Bundle resolves: every organization named is in it, members checked.
    performers = [
        _reference(id_)
        for id_ in (action.performer_organization_id, action.performer_member_id)
        if id_ is not None and (id_ == action.performer_organization_id or id_ in member_ids)
    ]
    if performers:
        detail["performer"] = performers
    return detail


def _achievement(goal: GoalRead, evaluations: Sequence[EvaluationRead]) -> dict[str, Any] | None:
    """The goal's own status once decided; while it is open, its latest evaluation's outcome.
    Our code travels beside the FHIR one, which has no "partly achieved"."""
    if goal.status != "open":
        concept = _concept("goal-statuses", goal.status)
        fhir_code = GOAL_ACHIEVEMENT.get(goal.status)
    else:
        outcomes = [
            (evaluation.evaluated_on, outcome.outcome)
            for evaluation in evaluations
            for outcome in evaluation.outcomes
            if outcome.goal_id == goal.id
        ]
        if not outcomes:
            return None
        latest = max(outcomes, key=lambda found: found[0])[1]
        concept = _concept("evaluation-outcomes", latest)
        fhir_code = OUTCOME_ACHIEVEMENT.get(latest)
    if fhir_code is not None and goal.status != "cancelled":
        concept["coding"].insert(0, {"system": ACHIEVEMENT_SYSTEM, "code": fhir_code})
    return concept


def _goal(
    goal: GoalView,
    group: dict[str, str],
    evaluations: Sequence[EvaluationRead],
    observations: list[dict[str, Any]],
    member_ids: set[uuid.UUID],
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Goal",
        "id": str(goal.id),
        "lifecycleStatus": GOAL_LIFECYCLE.get(goal.status, "active"),
        "category": [_concept("life-domains", goal.life_domain)],
        "description": {"text": goal.description},
        "subject": group,
        "startDate": _instant(goal.created_at)[:10],
        "target": [
            {
                "measure": _zrm_measure(goal.life_domain),
                "detailInteger": goal.zrm_target,
            }
            | ({"dueDate": goal.target_date.isoformat()} if goal.target_date else {})
        ],
        "note": [
            {"text": f"ZRM-score bij de start: {goal.zrm_start}"},
            *_statement_notes(goal.family_statements, member_ids),
        ],
    }
    achievement = _achievement(goal, evaluations)
    if achievement is not None:
        resource["achievementStatus"] = achievement
    reports = [
        _reference(observation["id"])
        for observation in observations
        if observation.get("focus") == [_reference(goal.id)]
    ]
    if reports:
        resource["outcomeReference"] = reports
    return resource


def _zrm_measure(life_domain: str) -> dict[str, Any]:
    """The ZRM score in one life domain: what a goal's target and an update's score measure."""
    label = _coding("life-domains", life_domain).get("display", life_domain)
    return {
        "coding": [
            {"system": ZRM_CODE_SYSTEM, "code": life_domain, "display": f"ZRM-score {label}"}
        ]
    }


def _observation(
    update: ProgressRead,
    group: dict[str, str],
    goals: Mapping[uuid.UUID, GoalRead],
    member_ids: set[uuid.UUID],
) -> dict[str, Any]:
    """A progress update: the text as its value, the goal as its focus when the Bundle holds
    it (a progress consent need not share the plan). A correction is ``amended`` (R4B's
    required status set has no ``corrected``) and derives from the update it corrects."""
    goal = goals.get(update.goal_id)
    observation: dict[str, Any] = {
        "resourceType": "Observation",
        "id": str(update.id),
        "status": "amended" if update.corrects is not None else "final",
        "code": {
            "coding": [{"system": OBSERVATION_CODE_SYSTEM, **PROGRESS_CODE}],
            "text": PROGRESS_CODE["display"],
        },
        "subject": group,
        "effectiveDateTime": update.reported_on.isoformat(),
        "issued": _instant(update.created_at),
        "valueString": update.text,
    }
    if goal is not None:
        observation["focus"] = [_reference(goal.id)]
    if update.organization_id is not None:
        observation["performer"] = [_reference(update.organization_id)]
    if update.corrects is not None:
        observation["derivedFrom"] = [_reference(update.corrects)]
    components = []
    if update.zrm_score is not None:
        measure = _zrm_measure(goal.life_domain) if goal else {"coding": [ZRM_ANY_DOMAIN]}
        components.append({"code": measure, "valueInteger": update.zrm_score})
    if update.outcome is not None:
        components.append(
            {
                "code": {
                    "coding": [{"system": OBSERVATION_CODE_SYSTEM, "code": "progress-outcome"}]
                },
                "valueCodeableConcept": _concept("progress-outcomes", update.outcome),
            }
        )
    notes = [{"text": update.outcome_note}] if update.outcome_note else []
    notes += _statement_notes(update.family_statements, member_ids)
    if notes:
        observation["note"] = notes
    if components:
        observation["component"] = components
    return observation


def _consent(consent: ConsentRead, member: MemberRead, export: FileExport) -> dict[str, Any]:
    """One of our consents for one member it covers (all of the household's): FHIR's Consent
    has one patient. The grantee is the provision's recipient."""
    givers = {m.id for m in export.members or []}
    provision: dict[str, Any] = {
        "type": "permit",
        "period": _period(consent.valid_from, consent.valid_until),
        "actor": [
            {
                "role": {
                    "coding": [
                        {
                            "system": PARTICIPATION_SYSTEM,
                            "code": "IRCP",
                            "display": "information recipient",
                        }
                    ]
                },
                "reference": _reference(consent.grantee_organization_id),
            }
        ],
        "class": [_coding("consent-categories", category) for category in consent.categories],
    }
    if consent.life_domains:
        provision["code"] = [_concept("life-domains", domain) for domain in consent.life_domains]
    resource: dict[str, Any] = {
        "resourceType": "Consent",
        "id": str(uuid.uuid5(NAMESPACE, f"consent:{consent.id}:{member.id}")),
        "identifier": [{"system": CONSENT_ID_SYSTEM, "value": str(consent.id)}],
        "status": CONSENT_STATUS.get(consent.status, "inactive"),
        "scope": {"coding": [{"system": CONSENT_SCOPE_SYSTEM, "code": "patient-privacy"}]},
        "category": [
            {"coding": [{"system": LOINC, "code": "59284-0", "display": "Patient Consent"}]}
        ],
        "patient": _reference(member.id),
        "dateTime": _instant(consent.created_at),
        "policyRule": {"coding": [{"system": ACT_CODE_SYSTEM, "code": "OPTIN"}]},
        "provision": provision,
    }
    if consent.given_by_member_id in givers:
        resource["performer"] = [_reference(consent.given_by_member_id)]
    return resource
