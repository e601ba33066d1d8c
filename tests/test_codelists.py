"""Codelists: served as shipped, the only vocabulary of every coded field, checked on input.

A code outside its list, or outside its validity, is a 422 that names the list; stored data
under a code that has since expired still reads. A walk over the OpenAPI document proves that
no coded field escapes its list.
"""

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy import CheckConstraint, create_engine

from gezinsplan.audit.models import AuditAction, AuditOutcome, LegalBasis
from gezinsplan.auth.actor import Role
from gezinsplan.codelists import registry
from gezinsplan.codelists.fields import CODELIST_KEY
from gezinsplan.config import Settings
from gezinsplan.households.models import HouseholdStatus
from gezinsplan.indications.models import IndicationStatus, Regulation
from gezinsplan.kit.schemas import RequestModel
from gezinsplan.main import create_app
from gezinsplan.models import metadata
from gezinsplan.openapi import OPENAPI_PATH
from gezinsplan.organizations.models import OrganizationKind
from gezinsplan.plans.models import ApprovalMethod, GoalStatus, Performer, PlanStatus
from gezinsplan.rectification.models import FactField, SubjectKind
from gezinsplan.rights.models import Outcome, RequestKind, RequestStatus
from gezinsplan.roles.models import RoleType
from gezinsplan.steering.catalogue import Breakdown
from gezinsplan.steering.disclosure import Suppression
from gezinsplan.steering.periods import PeriodKind
from gezinsplan.webhooks.models import DeliveryStatus
from tests.conftest import TEST_SECRET, Clock

API = "/api/v1"
CODELISTS = f"{API}/codelists"
DATA = Path(registry.__file__).resolve().parent / "data"
PROBLEM_JSON = "application/problem+json"

# The iStandaarden tables (release 3.2) with the codes they define, as the sync checks them.
NATIONAL_LISTS = {
    "ijw-product-categories": ("JZ020", {"31", "38", "40", "45", "48", "54", "55"}),
    "iwmo-product-categories": ("WMO020", {f"{n:02d}" for n in range(1, 19)}),
    "indication-units": ("WJ756", {"01", "04", "14", "16", "82", "83", "84"}),
    "indication-frequencies": ("WMO757", {"1", "2", "4", "6"}),
    "indication-change-reasons": ("JZ002", {f"{n:02d}" for n in range(2, 15)}),
}
REQUIRED_LISTS = {
    "life-domains",
    "zrm-scores",
    "closing-reasons",
    "relation-types",
    "goal-statuses",
    "action-performers",
    "evaluation-outcomes",
    "role-types",
    "consent-categories",
}
# The 13 domains of the Zelfredzaamheid-Matrix, and the family domains added to them.
ZRM_DOMAINS = {
    "finances",
    "work_and_education",
    "time_use",
    "housing",
    "domestic_relations",
    "mental_health",
    "physical_health",
    "substance_use",
    "basic_adl",
    "instrumental_adl",
    "social_network",
    "community_participation",
    "justice",
}
FAMILY_DOMAINS = {"parenting", "child_development"}
ENTRY_KEYS = {"code", "labelNl", "labelEn", "nationalCode", "validFrom", "validUntil"}


def data_files() -> dict[str, dict[str, Any]]:
    """Every list as its data file holds it, by file name."""
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(DATA.glob("*.json"))
    }


def problem_for(response: Any, param: str) -> str:
    """The reason a 422 gives for ``param``; fails when the response is anything else."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    reasons = [p["reason"] for p in response.json()["invalidParams"] if p["name"] == param]
    assert reasons, f"{param} not among {response.json()['invalidParams']}"
    return str(reasons[0])


def replace_entry(
    monkeypatch: pytest.MonkeyPatch, list_name: str, code: str, **changes: Any
) -> None:
    """Serve ``list_name`` with one entry changed, for this test only."""
    lists = registry.all_codelists()
    codelist = lists[list_name]
    assert code in codelist.codes
    entries = tuple(
        entry.model_copy(update=changes) if entry.code == code else entry
        for entry in codelist.entries
    )
    patched = {**lists, list_name: codelist.model_copy(update={"entries": entries})}
    monkeypatch.setattr(registry, "all_codelists", lambda: patched)


# (1) the lists, as shipped and as served


@pytest.mark.parametrize("name", sorted(NATIONAL_LISTS))
def test_the_national_lists_carry_their_istandaarden_codes_and_release(name: str) -> None:
    table, codes = NATIONAL_LISTS[name]
    codelist = registry.get(name)
    assert codes <= set(codelist.codes), sorted(codes - set(codelist.codes))
    assert table in codelist.source
    assert "3.2" in codelist.version
    assert "informatiemodel.istandaarden.nl" in codelist.source


def test_the_codelists_endpoint_serves_the_national_lists(
    client: TestClient, toegang: dict[str, str]
) -> None:
    for name, (_table, codes) in NATIONAL_LISTS.items():
        response = client.get(f"{CODELISTS}/{name}", headers=toegang)
        assert response.status_code == 200, response.text
        assert codes <= {entry["code"] for entry in response.json()["entries"]}
    ijw = client.get(f"{CODELISTS}/ijw-product-categories", headers=toegang).json()
    labels = {entry["code"]: entry["labelNl"] for entry in ijw["entries"]}
    assert labels["45"] == "Jeugdhulp ambulant"
    iwmo = client.get(f"{CODELISTS}/iwmo-product-categories", headers=toegang).json()
    assert {e["code"]: e["labelNl"] for e in iwmo["entries"]}["01"] == "Hulp bij het huishouden"


def test_every_data_file_is_a_list_of_the_registry() -> None:
    files = data_files()
    assert set(files) == set(registry.all_codelists())
    for name, raw in files.items():
        codelist = registry.get(name)
        assert raw["name"] == name
        assert (codelist.version, codelist.source) == (raw["version"], raw["source"])
        assert list(codelist.codes) == [entry["code"] for entry in raw["entries"]]


def test_the_required_lists_exist_with_their_codes() -> None:
    missing = REQUIRED_LISTS - set(registry.all_codelists())
    assert missing == set()
    domains = set(registry.get("life-domains").codes)
    assert ZRM_DOMAINS - domains == set()
    assert FAMILY_DOMAINS - domains == set()
    assert registry.get("zrm-scores").codes == ("1", "2", "3", "4", "5")


@pytest.mark.parametrize("name", sorted(data_files()))
def test_every_entry_has_a_code_both_labels_and_a_start(name: str) -> None:
    raw = data_files()[name]
    for key in ("version", "source", "description"):
        assert raw[key].strip(), f"{name} has no {key}"
    assert raw["entries"], f"{name} is empty"
    for entry in raw["entries"]:
        assert set(entry) <= ENTRY_KEYS, entry
        # Dots only in the reverse-DNS names of CloudEvents types (event-types).
        assert re.fullmatch(r"[a-z0-9_]+(\.[a-z0-9_]+)*", entry["code"]), entry
        assert entry["labelNl"].strip(), entry
        assert entry["labelEn"].strip(), entry
        start = date.fromisoformat(entry["validFrom"])
        if entry.get("validUntil") is not None:
            assert date.fromisoformat(entry["validUntil"]) >= start, entry
    labels = [entry["labelNl"] for entry in raw["entries"]]
    assert len(labels) == len(set(labels)), f"{name} repeats a Dutch label"


def test_index_lists_every_list_with_version_and_source(
    client: TestClient, toegang: dict[str, str]
) -> None:
    response = client.get(CODELISTS, headers=toegang)
    assert response.status_code == 200, response.text
    served = {item["name"]: item for item in response.json()["items"]}
    expected = {
        name: {key: raw[key] for key in ("name", "version", "source", "description")}
        | {"nationalCodelist": raw.get("nationalCodelist")}
        for name, raw in data_files().items()
    }
    assert served == expected
    assert all("entries" not in item for item in response.json()["items"])


def test_a_list_is_served_with_its_entries_and_an_etag(
    client: TestClient, toegang: dict[str, str]
) -> None:
    response = client.get(f"{CODELISTS}/life-domains", headers=toegang)
    assert response.status_code == 200, response.text
    body = response.json()
    raw = data_files()["life-domains"]
    assert (body["name"], body["version"], body["source"]) == (
        raw["name"],
        raw["version"],
        raw["source"],
    )
    assert body["entries"] == [
        {"validUntil": None, "nationalCode": None, **entry} for entry in raw["entries"]
    ]
    etag = response.headers["etag"]
    assert re.fullmatch(r'"[^"]+"', etag), etag
    assert client.get(f"{CODELISTS}/life-domains", headers=toegang).headers["etag"] == etag
    other = client.get(f"{CODELISTS}/zrm-scores", headers=toegang)
    assert other.status_code == 200
    assert other.headers["etag"] != etag


def test_the_etag_changes_with_the_list(
    client: TestClient, toegang: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = client.get(f"{CODELISTS}/life-domains", headers=toegang).headers["etag"]
    replace_entry(monkeypatch, "life-domains", "school", valid_until=date(2030, 1, 1))
    after = client.get(f"{CODELISTS}/life-domains", headers=toegang)
    assert after.headers["etag"] != before
    school = [entry for entry in after.json()["entries"] if entry["code"] == "school"]
    assert school[0]["validUntil"] == "2030-01-01"


def test_an_unknown_list_is_a_404_problem(client: TestClient, toegang: dict[str, str]) -> None:
    response = client.get(f"{CODELISTS}/astrology", headers=toegang)
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["status"] == 404


@pytest.mark.parametrize("path", [CODELISTS, f"{CODELISTS}/life-domains"])
def test_codelists_need_a_token(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM_JSON


# (2) the walk: every coded field of the API carries its list, and nothing bare escapes

# A property or parameter with a name like these holds a code (full match, camelCase names).
CODED_NAME = re.compile(
    r"\w*[sS]tatus(es)?|\w*[kK]inds?|closingReason|relation(Type)?s?|\w*[lL]ifeDomains?"
    r"|performer|\w*[oO]utcome|roleTypes?|roles|zrm[A-Z]\w*|score|\w*[cC]ategor(y|ies)"
)
# Enums that are not codes, each with why; every entry must still occur in the document.
NOT_CODED_ENUMS = {
    f"GET {API}/households query:regisseur": "a filter keyword (`me`), not a code",
    "#/components/schemas/Health/properties/status": "the readiness probe's state",
    "#/components/schemas/CloudEvent/properties/specversion": "CloudEvents' own constant",
    "#/components/schemas/CloudEvent/properties/datacontenttype": "CloudEvents' own constant",
    "#/components/schemas/RequestExtension/properties/months": "a number of months, 1 or 2",
}
# Coded-looking names that hold something else.
NOT_CODED_NAMES = {
    "#/components/schemas/ProblemDetails/properties/status": "the HTTP status (RFC 9457)",
    "#/components/schemas/Health/properties/status": "the readiness probe's state",
    "#/components/schemas/FileExport/properties/roles": "the role assignments themselves",
}
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
VALUE_KEYWORDS = {"enum", "const", "default", "example", "examples"}  # values, not schemas


@dataclass
class Walk:
    """What a walk over an OpenAPI document found."""

    coded: dict[str, str] = field(default_factory=dict)  # where -> list name
    excused: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


def resolve(document: Mapping[str, Any], schema: Any, seen: frozenset[str] = frozenset()) -> Any:
    """Follow a local ``$ref``; a cycle stops the walk at the repeated reference."""
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        ref = schema["$ref"]
        if ref in seen:
            return {}
        seen |= {ref}
        node: Any = document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def coded_nodes(document: Mapping[str, Any], schema: Any) -> list[dict[str, Any]]:
    """The nodes that tie a field's schema to a list: itself, its alternatives or its items.

    References are followed; object properties are not, so a list of objects with coded
    fields inside does not make the field itself coded.
    """
    schema = resolve(document, schema)
    if not isinstance(schema, dict):
        return []
    found = [schema] if CODELIST_KEY in schema else []
    for keyword in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for option in schema.get(keyword, []):
            found += coded_nodes(document, option)
    if isinstance(schema.get("items"), dict):
        found += coded_nodes(document, schema["items"])
    return found


def lists_of(document: Mapping[str, Any], schema: Any) -> set[str]:
    return {node[CODELIST_KEY] for node in coded_nodes(document, schema)}


def walk_document(document: Mapping[str, Any], lists: Mapping[str, Sequence[str]]) -> Walk:
    """Check every schema node of ``document`` against the codelists ``lists`` (name -> codes).

    (a) a node with ``enum``, ``const`` or ``x-codelist`` names an existing list and
    enumerates exactly its codes (as integers for an integer schema), unless excused;
    (b) a property or parameter whose name looks coded is tied to a list, unless excused.
    """
    walk = Walk()

    def check_codes(node: Mapping[str, Any], where: str) -> None:
        name = node.get(CODELIST_KEY)
        if name is None:
            excuse = [key for key in NOT_CODED_ENUMS if where == key or where.startswith(f"{key}/")]
            if excuse:
                walk.excused.update(excuse)
            else:
                values = node.get("enum", [node.get("const")])
                walk.problems.append(f"{where}: enum {values} without {CODELIST_KEY}")
            return
        if name not in lists:
            walk.problems.append(f"{where}: {CODELIST_KEY} {name!r} is not a codelist")
            return
        codes: list[Any] = list(lists[name])
        if node.get("type") == "integer":
            codes = [int(code) for code in codes]
        if node.get("enum") != codes or "const" in node:
            walk.problems.append(f"{where}: enum {node.get('enum')} is not {name} {codes}")
            return
        walk.coded[where] = name

    def check_name(name: str, schema: Any, where: str) -> None:
        coded_name = CODED_NAME.fullmatch(name) and where not in NOT_CODED_NAMES
        if coded_name and not lists_of(document, schema):
            walk.problems.append(f"{where}: {name!r} looks coded but has no {CODELIST_KEY}")

    def visit(node: Any, where: str) -> None:
        if isinstance(node, list):
            for index, item in enumerate(node):
                visit(item, f"{where}/{index}")
            return
        if not isinstance(node, dict):
            return
        if {"enum", "const", CODELIST_KEY} & node.keys():
            check_codes(node, where)
        for key, value in node.items():
            if key in VALUE_KEYWORDS:
                continue
            if key == "properties" and isinstance(value, dict):
                for name, schema in value.items():
                    check_name(name, schema, f"{where}/properties/{name}")
                    visit(schema, f"{where}/properties/{name}")
            else:
                visit(value, f"{where}/{key}")

    for name, schema in document.get("components", {}).get("schemas", {}).items():
        visit(schema, f"#/components/schemas/{name}")
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            label = f"{method.upper()} {path}"
            for parameter in [*item.get("parameters", []), *operation.get("parameters", [])]:
                parameter = resolve(document, parameter)
                where = f"{label} {parameter['in']}:{parameter['name']}"
                check_name(parameter["name"], parameter.get("schema"), where)
                visit(parameter.get("schema"), where)
            visit(operation.get("requestBody"), f"{label} requestBody")
            visit(operation.get("responses"), f"{label} responses")
    return walk


def codes_by_list() -> dict[str, tuple[str, ...]]:
    return {name: codelist.codes for name, codelist in registry.all_codelists().items()}


@pytest.fixture(scope="module")
def document_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """The app on an unused engine: the document does not touch the database."""
    settings = Settings(
        var_dir=tmp_path_factory.mktemp("codelists") / "var", jwt_secret=TEST_SECRET
    )
    return create_app(settings, bind=create_engine("sqlite://"))


@pytest.fixture(scope="module")
def document(document_app: FastAPI) -> Iterator[dict[str, Any]]:
    with TestClient(document_app) as client:
        response = client.get(OPENAPI_PATH)
        assert response.status_code == 200
        yield response.json()


def test_no_coded_field_escapes_its_list(document: dict[str, Any]) -> None:
    walk = walk_document(document, codes_by_list())
    assert walk.problems == [], "\n".join(walk.problems)
    assert walk.excused == set(NOT_CODED_ENUMS), "an excuse no longer applies; remove it"


def test_the_walk_finds_the_coded_fields(document: dict[str, Any]) -> None:
    """So a walk that silently finds nothing cannot pass."""
    coded = walk_document(document, codes_by_list()).coded
    assert len(coded) >= 30, sorted(coded)
    schemas = "#/components/schemas"
    assert coded[f"{schemas}/GoalCreate/properties/lifeDomain"] == "life-domains"
    assert coded[f"{schemas}/GoalCreate/properties/zrmStart"] == "zrm-scores"
    assert coded[f"{schemas}/HouseholdClose/properties/closingReason"] == "closing-reasons"
    assert coded[f"GET {API}/households query:status/anyOf/0"] == "household-statuses"
    used = set(coded.values())
    assert used <= set(registry.all_codelists())
    assert set(registry.all_codelists()) - used <= {"consent-categories"}, "a list nobody uses"


def test_the_walk_flags_bare_enums_and_unmarked_coded_names() -> None:
    domains = list(registry.get("life-domains").codes)
    synthetic = {
        "paths": {
            "/things": {
                "get": {
                    "parameters": [
                        {"name": "kind", "in": "query", "schema": {"type": "string"}},
                        {"name": "lifeDomain", "in": "query", "schema": {"$ref": "#/d"}},
                    ],
                    "responses": {},
                }
            }
        },
        "d": {"type": "string", "enum": domains, CODELIST_KEY: "life-domains"},
        "components": {
            "schemas": {
                "Thing": {
                    "type": "object",
                    "properties": {
                        "colour": {"type": "string", "enum": ["red", "blue"]},
                        "status": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                        "tags": {"items": {"const": "x"}, "type": "array"},
                        "score": {"type": "integer", "enum": [1, 2], CODELIST_KEY: "zrm-scores"},
                        "relation": {"type": "string", "enum": ["x"], CODELIST_KEY: "nope"},
                        "categories": {"type": "array", "items": {"type": "string"}},
                        "lifeDomain": {"$ref": "#/d"},
                    },
                }
            }
        },
    }
    problems = walk_document(synthetic, codes_by_list()).problems
    thing = "#/components/schemas/Thing/properties"
    flagged = {problem.split(": ")[0] for problem in problems}
    assert flagged == {
        "GET /things query:kind",
        f"{thing}/colour",
        f"{thing}/status",
        f"{thing}/tags/items",
        f"{thing}/score",
        f"{thing}/relation",
        f"{thing}/categories",
    }, problems


# (3) every code outside its list is refused, naming the list


def request_fields() -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(model.field, coded schema node, annotation) for each coded field of a request body.

    Every request body derives from RequestModel; importing the app has imported them all.
    """
    models: list[type[BaseModel]] = []
    pending: list[type[BaseModel]] = [RequestModel]
    while pending:
        model = pending.pop()
        models.append(model)
        pending += model.__subclasses__()
    for model in sorted(models, key=lambda m: m.__qualname__):
        for name, info in model.model_fields.items():
            annotation: Any = info.annotation
            if info.metadata:
                annotation = Annotated[(annotation, *info.metadata)]
            schema = TypeAdapter(annotation).json_schema()
            for node in coded_nodes(schema, schema):
                yield f"{model.__qualname__}.{name}", node, annotation


REQUEST_FIELDS = list(request_fields())


def test_request_bodies_have_coded_fields() -> None:
    names = {name for name, _, _ in REQUEST_FIELDS}
    assert len(names) >= 15, sorted(names)
    assert {"GoalCreate.life_domain", "HouseholdClose.closing_reason"} <= names


@pytest.mark.parametrize(
    ("node", "annotation"),
    [pytest.param(node, annotation, id=name) for name, node, annotation in REQUEST_FIELDS],
)
def test_every_coded_request_field_checks_its_list(node: dict[str, Any], annotation: Any) -> None:
    """Each takes a code of its list and refuses one outside it, naming the list.

    The document cannot tell a checked field from a response alias (check=False) used by
    mistake in a request body; this can.
    """
    adapter = TypeAdapter(annotation)
    list_name = node[CODELIST_KEY]
    code = registry.get(list_name).codes[0]
    integer = node.get("type") == "integer"
    valid: Any = int(code) if integer else code
    outside: Any = 0 if integer else "not_a_code"
    try:
        adapter.validate_python(valid)
    except ValidationError:  # a list of codes
        valid, outside = [valid], [outside]
        adapter.validate_python(valid)
    with pytest.raises(ValidationError, match=re.escape(list_name)):
        adapter.validate_python(outside)


def goal_body(**changes: Any) -> dict[str, Any]:
    body = {"lifeDomain": "finances", "description": "Betaalplan.", "zrmStart": 2, "zrmTarget": 4}
    return {**body, **changes}


def add_goal(client: TestClient, headers: dict[str, str], household_id: str, **changes: Any) -> Any:
    url = f"{API}/households/{household_id}/plan/goals"
    return client.post(url, json=goal_body(**changes), headers=headers)


@pytest.mark.parametrize(
    ("changes", "param", "list_name"),
    [
        ({"lifeDomain": "astrology"}, "body:lifeDomain", "life-domains"),
        ({"lifeDomain": "Finances"}, "body:lifeDomain", "life-domains"),
        ({"zrmStart": 6}, "body:zrmStart", "zrm-scores"),
        ({"zrmTarget": 0}, "body:zrmTarget", "zrm-scores"),
        ({"status": "lost"}, "body:status", "goal-statuses"),
    ],
)
def test_a_goal_outside_its_lists_is_422(
    client: TestClient,
    toegang: dict[str, str],
    household: dict[str, Any],
    changes: dict[str, Any],
    param: str,
    list_name: str,
) -> None:
    response = add_goal(client, toegang, household["id"], **changes)
    assert list_name in problem_for(response, param)


def test_closing_reason_outside_its_list_is_422(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any]
) -> None:
    url = f"{API}/households/{household['id']}/close"
    response = client.post(url, json={"closingReason": "bored"}, headers=toegang)
    assert "closing-reasons" in problem_for(response, "body:closingReason")
    assert client.get(f"{API}/households/{household['id']}", headers=toegang).json()["status"] == (
        "open"
    )


@pytest.mark.parametrize(
    ("path", "param", "list_name"),
    [
        (f"{API}/households?status=weird", "query:status", "household-statuses"),
        (f"{API}/organizations?kind=bank", "query:kind", "organization-kinds"),
    ],
)
def test_a_filter_outside_its_list_is_422(
    client: TestClient, toegang: dict[str, str], path: str, param: str, list_name: str
) -> None:
    assert list_name in problem_for(client.get(path, headers=toegang), param)


def test_member_action_plan_and_evaluation_codes_are_checked(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any], clock: Clock
) -> None:
    base = f"{API}/households/{household['id']}"
    member = {
        "givenName": "Sanne",
        "familyName": "Jansen",
        "birthDate": "1986-04-12",
        "relation": "cousin",
    }
    response = client.post(f"{base}/members", json=member, headers=toegang)
    assert "relation-types" in problem_for(response, "body:relation")

    plan = client.get(f"{base}/plan", headers=toegang)
    if_match = {**toegang, "If-Match": plan.headers["etag"]}
    response = client.patch(f"{base}/plan", json={"status": "party"}, headers=if_match)
    assert "plan-statuses" in problem_for(response, "body:status")

    goal = add_goal(client, toegang, household["id"])
    assert goal.status_code == 201, goal.text
    action = {"description": "Bellen.", "performer": "wizard", "performerName": "Merlijn"}
    response = client.post(
        f"{base}/plan/goals/{goal.json()['id']}/actions", json=action, headers=toegang
    )
    assert "action-performers" in problem_for(response, "body:performer")

    evaluation = {
        "evaluatedOn": clock.today().isoformat(),
        "outcomes": [{"goalId": goal.json()["id"], "outcome": "meh"}],
        "scores": [{"lifeDomain": "finances", "score": 9}],
    }
    response = client.post(f"{base}/plan/evaluations", json=evaluation, headers=toegang)
    assert "evaluation-outcomes" in problem_for(response, "body:outcomes.0.outcome")
    assert "zrm-scores" in problem_for(response, "body:scores.0.score")


def test_organization_kind_outside_its_list_is_422(
    client: TestClient, admin: dict[str, str]
) -> None:
    body = {"kind": "bank", "name": "Bank Zwolle", "municipalityCode": "0193"}
    response = client.post(f"{API}/organizations", json=body, headers=admin)
    assert "organization-kinds" in problem_for(response, "body:kind")


# (4) and every code inside its list is taken, end to end


def test_every_life_domain_and_score_is_accepted(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any]
) -> None:
    scores = [int(code) for code in registry.get("zrm-scores").codes]
    domains = registry.get("life-domains").codes
    for index, domain in enumerate(domains):
        start = scores[index % len(scores)]
        response = add_goal(
            client, toegang, household["id"], lifeDomain=domain, zrmStart=start, zrmTarget=5
        )
        assert response.status_code == 201, (domain, response.text)
    plan = client.get(f"{API}/households/{household['id']}/plan", headers=toegang).json()
    assert [goal["lifeDomain"] for goal in plan["goals"]] == list(domains)
    assert {goal["zrmStart"] for goal in plan["goals"]} == set(scores)


def test_every_current_closing_reason_and_relation_is_accepted(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any]
) -> None:
    """Every code without an end date; ``unknown`` marks history only and has ended."""
    base = f"{API}/households/{household['id']}"
    for relation in registry.get("relation-types").codes:
        member = {
            "givenName": "Sam",
            "familyName": "Jansen",
            "birthDate": "2012-01-01",
            "relation": relation,
        }
        response = client.post(f"{base}/members", json=member, headers=toegang)
        assert response.status_code == 201, (relation, response.text)
        assert response.json()["relation"] == relation
    reasons = [e.code for e in registry.get("closing-reasons").entries if e.valid_until is None]
    assert "unknown" not in reasons
    for reason in reasons:
        closed = client.post(f"{base}/close", json={"closingReason": reason}, headers=toegang)
        assert closed.status_code == 200, (reason, closed.text)
        assert closed.json()["closingReason"] == reason
        assert (
            client.post(
                f"{base}/reopen", json={"referralSource": "self"}, headers=toegang
            ).status_code
            == 200
        )


# (5) validity: only codes valid today are taken; stored ones keep reading


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "valid"),
    [
        (0, None, True),
        (-10, 0, True),  # the last day still counts
        (-10, -1, False),
        (1, None, False),  # not yet
    ],
)
def test_is_valid_honours_both_ends(valid_from: int, valid_until: int | None, valid: bool) -> None:
    today = date(2026, 6, 1)
    entry = (
        registry.get("life-domains")
        .entries[0]
        .model_copy(
            update={
                "valid_from": today + timedelta(days=valid_from),
                "valid_until": None if valid_until is None else today + timedelta(days=valid_until),
            }
        )
    )
    codelist = registry.get("life-domains").model_copy(update={"entries": (entry,)})
    assert codelist.is_valid(entry.code, today) is valid
    assert codelist.is_valid("not_a_code", today) is False


def test_an_expired_code_is_refused_but_stored_data_still_reads(
    client: TestClient,
    toegang: dict[str, str],
    household: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    clock: Clock,
) -> None:
    hid = household["id"]
    stored = add_goal(client, toegang, hid, lifeDomain="school")
    assert stored.status_code == 201, stored.text

    replace_entry(
        monkeypatch, "life-domains", "school", valid_until=clock.today() - timedelta(days=1)
    )
    response = add_goal(client, toegang, hid, lifeDomain="school")
    assert "life-domains" in problem_for(response, "body:lifeDomain")

    goal_url = f"{API}/households/{hid}/plan/goals/{stored.json()['id']}"
    read = client.get(goal_url, headers=toegang)
    assert read.status_code == 200, read.text
    assert read.json()["lifeDomain"] == "school"
    plan = client.get(f"{API}/households/{hid}/plan", headers=toegang)
    assert plan.status_code == 200, plan.text
    assert [goal["lifeDomain"] for goal in plan.json()["goals"]] == ["school"]
    changed = client.patch(
        goal_url, json={"zrmStart": 3}, headers={**toegang, "If-Match": plan.headers["etag"]}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["lifeDomain"] == "school"
    entries = client.get(f"{CODELISTS}/life-domains", headers=toegang).json()["entries"]
    assert [e["validUntil"] for e in entries if e["code"] == "school"] == [
        (clock.today() - timedelta(days=1)).isoformat()
    ]


def test_a_code_not_yet_valid_is_refused(
    client: TestClient,
    toegang: dict[str, str],
    household: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    clock: Clock,
) -> None:
    url = f"{API}/households/{household['id']}/close"
    replace_entry(
        monkeypatch, "closing-reasons", "moved_away", valid_from=clock.today() + timedelta(days=1)
    )
    response = client.post(url, json={"closingReason": "moved_away"}, headers=toegang)
    assert "closing-reasons" in problem_for(response, "body:closingReason")


# (6) the service's code constants and the database's constraints agree with the lists


@pytest.mark.parametrize(
    ("constants", "list_name"),
    [
        (HouseholdStatus, "household-statuses"),
        (PlanStatus, "plan-statuses"),
        (GoalStatus, "goal-statuses"),
        (Performer, "action-performers"),
        (ApprovalMethod, "approval-methods"),
        (RoleType, "role-types"),
        (OrganizationKind, "organization-kinds"),
        (Role, "actor-roles"),
        (AuditAction, "audit-actions"),
        (AuditOutcome, "audit-outcomes"),
        (LegalBasis, "legal-bases"),
        (IndicationStatus, "indication-statuses"),
        (Regulation, "indication-regulations"),
        (Breakdown, "indicator-breakdowns"),
        (PeriodKind, "period-kinds"),
        (Suppression, "suppression-reasons"),
        (RequestKind, "rights-request-kinds"),
        (RequestStatus, "rights-request-statuses"),
        (Outcome, "rights-request-outcomes"),
        (DeliveryStatus, "delivery-statuses"),
        (FactField, "fact-fields"),
        (SubjectKind, "statement-subjects"),
    ],
)
def test_code_constants_are_codes_of_their_list(constants: type[StrEnum], list_name: str) -> None:
    codes = registry.get(list_name).codes
    assert [c.value for c in constants if c.value not in codes] == []


# The columns whose CHECK constraint enumerates codes, and the list each holds.
CONSTRAINED_COLUMNS = {
    ("households", "status"): "household-statuses",
    ("plans", "status"): "plan-statuses",
    ("plan_approvals", "method"): "approval-methods",
    ("members", "relation"): "relation-types",
    ("role_assignments", "role_type"): "role-types",
    ("organizations", "kind"): "organization-kinds",
    ("indications", "status"): "indication-statuses",
    ("indications", "regulation"): "indication-regulations",
    ("tariffs", "regulation"): "indication-regulations",
    ("member_corrections", "field"): "fact-fields",
    ("family_statements", "subject_kind"): "statement-subjects",
}


def test_database_constraints_take_every_code_of_their_list() -> None:
    """A code the API takes but the database refuses would be a 500."""
    found: dict[tuple[str, str], set[str]] = {}
    for table in metadata.tables.values():
        for constraint in table.constraints:
            if not isinstance(constraint, CheckConstraint):
                continue
            text = str(constraint.sqltext)
            for column, values in re.findall(r"^(\w+) IN \(([^)]*)\)$", text):
                if codes := set(re.findall(r"'([^']*)'", values)):  # numbers are no codes
                    found[(table.name, column)] = codes
            for column in re.findall(r"^(\w+) BETWEEN 1 AND 5$", text):
                assert set(registry.get("zrm-scores").codes) == {"1", "2", "3", "4", "5"}, column
    assert set(found) == set(CONSTRAINED_COLUMNS)
    for column, values in found.items():
        assert values == set(registry.get(CONSTRAINED_COLUMNS[column]).codes), column
