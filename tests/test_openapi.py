"""The OpenAPI document: committed and current, served as generated, and held to our rules.

The document is generated from the code; it does not touch the database, so these tests
build an app on an unused in-memory engine and run once, not once per engine.
"""

import asyncio
import difflib
import inspect
import json
import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from stdnum.nl import bsn as stdnum_bsn

from gezinsplan.access.guard import rules_of
from gezinsplan.auth.actor import Role
from gezinsplan.config import Settings
from gezinsplan.demo import ACCESS_TEAM_ID
from gezinsplan.errors import PROBLEM_TYPES, Forbidden
from gezinsplan.kit.body_guard import BODY_METHODS
from gezinsplan.kit.etags import REQUIRED_MARK
from gezinsplan.main import create_app
from gezinsplan.openapi import (
    ACTOR_RULES,
    API_PREFIX,
    DOCS_PATH,
    OPENAPI_PATH,
    OPERATION_IDS,
    probe_actor,
    render,
)
from tests.conftest import TEST_SECRET

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "openapi" / "openapi.json"
PUBLIC = (f"{API_PREFIX}/health/",)  # operations that need no token
PROBLEM_JSON = "application/problem+json"
# The one error that is not a problem: the readiness probe's body (docs/decisions/0007).
NOT_PROBLEMS = {("GET", f"{API_PREFIX}/health/ready", "503")}
CAMEL = re.compile(r"^[a-z]+(?:[A-Z][a-z0-9]*)*$")

Operation = tuple[str, str, dict[str, Any]]


def build_app(tmp_path: Path) -> FastAPI:
    settings = Settings(var_dir=tmp_path / "var", jwt_secret=TEST_SECRET)
    return create_app(settings, bind=create_engine("sqlite://"))


@pytest.fixture(scope="module")
def document_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return build_app(tmp_path_factory.mktemp("openapi"))


@pytest.fixture(scope="module")
def document(document_app: FastAPI) -> dict[str, Any]:
    generated: dict[str, Any] = document_app.openapi()
    return generated


@pytest.fixture(scope="module")
def docs_client(document_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(document_app) as client:
        yield client


def operations(document: dict[str, Any]) -> Iterator[Operation]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def resolve(document: dict[str, Any], schema: Any) -> Any:
    """Follow a local ``$ref`` into the components."""
    while isinstance(schema, dict) and "$ref" in schema:
        node: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def has_example(document: dict[str, Any], schema: Any, seen: frozenset[str] = frozenset()) -> bool:
    """Whether ``example`` or ``examples`` occurs anywhere in a schema, following refs once."""
    if isinstance(schema, list):
        return any(has_example(document, item, seen) for item in schema)
    if not isinstance(schema, dict):
        return False
    if "example" in schema or "examples" in schema:
        return True
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return ref not in seen and has_example(document, resolve(document, schema), seen | {ref})
    return any(has_example(document, value, seen) for value in schema.values())


# (a) committed and current


def test_committed_document_is_what_the_code_generates(tmp_path: Path) -> None:
    generated = render(build_app(tmp_path).openapi())
    committed = COMMITTED.read_text(encoding="utf-8") if COMMITTED.exists() else ""
    if committed != generated:
        diff = difflib.unified_diff(
            committed.splitlines(), generated.splitlines(), "committed", "generated", lineterm=""
        )
        head = "\n".join(list(diff)[:60])
        pytest.fail(
            f"openapi/openapi.json is not what the code generates; run `make openapi` "
            f"and commit the result.\n{head}",
            pytrace=False,
        )


def test_rendering_is_deterministic(document: dict[str, Any]) -> None:
    assert render(json.loads(render(document))) == render(document)
    assert render(document).endswith("}\n")


# (b) the rules every operation follows


def test_document_is_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    assert all(path.startswith(API_PREFIX) for path in document["paths"])
    assert all(not path.endswith("/") for path in document["paths"]), "no trailing slashes"


def test_every_api_operation_requires_a_bearer_token(document: dict[str, Any]) -> None:
    scheme = document["components"]["securitySchemes"]["HTTPBearer"]
    assert scheme == {**scheme, "type": "http", "scheme": "bearer"}
    for method, path, operation in operations(document):
        if path.startswith(PUBLIC):
            assert "security" not in operation, f"{method} {path} is public"
            assert "401" not in operation["responses"], f"{method} {path} needs no token"
            continue
        assert operation.get("security") == [{"HTTPBearer": []}], f"{method} {path}"
        assert "401" in operation["responses"], f"{method} {path} does not document 401"
        challenge = operation["responses"]["401"].get("headers", {})
        assert "WWW-Authenticate" in challenge, f"{method} {path}: 401 without its challenge"


def test_every_operation_documents_422(document: dict[str, Any]) -> None:
    """Any request can be refused with 422: the body guard checks every query string."""
    missing = [f"{m} {p}" for m, p, op in operations(document) if "422" not in op["responses"]]
    assert missing == []


def test_operations_that_read_a_body_document_413_and_415(document: dict[str, Any]) -> None:
    """The body guard answers these for every method that carries a body, so say so."""
    missing = [
        f"{method} {path} lacks {status}"
        for method, path, operation in operations(document)
        if method in BODY_METHODS
        for status in ("413", "415")
        if status not in operation["responses"]
    ]
    assert missing == []


def test_error_responses_are_problem_json_only(document: dict[str, Any]) -> None:
    wrong = []
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400 or (method, path, status) in NOT_PROBLEMS:
                continue
            content = response.get("content", {})
            schema = content.get(PROBLEM_JSON, {}).get("schema", {})
            if list(content) != [PROBLEM_JSON] or not schema.get("$ref", "").endswith(
                "/ProblemDetails"
            ):
                wrong.append(f"{method} {path} {status}: {sorted(content)} {schema}")
    assert wrong == []


def test_every_operation_has_a_summary_and_a_unique_id(document: dict[str, Any]) -> None:
    ids = []
    for method, path, operation in operations(document):
        assert operation.get("summary", "").strip(), f"{method} {path} has no summary"
        ids.append(operation["operationId"])
    assert len(ids) == len(set(ids))


def test_operation_ids_are_camel_case_function_names(document_app: FastAPI) -> None:
    """The rule is mechanical, so a route added anywhere gets a good id by itself."""
    document = document_app.openapi()
    by_name = {
        (method.lower(), route.path): route.original_route
        for route in iter_route_contexts(document_app.routes)
        if isinstance(route.original_route, APIRoute)
        for method in route.methods or ()
    }
    for method, path, operation in operations(document):
        found = operation["operationId"]
        assert CAMEL.match(found), f"{method} {path}: {found}"
        route = by_name[method.lower(), path]
        assert isinstance(route, APIRoute)
        qualified = f"{route.endpoint.__module__}.{route.endpoint.__name__}"
        first, *rest = route.name.split("_")
        rule = ("get" if first == "read" else first) + "".join(w.title() for w in rest)
        assert found == OPERATION_IDS.get(qualified, rule), f"{method} {path}"
    assert {"listHouseholds", "getPlan", "updateGoal"} <= {
        op["operationId"] for _m, _p, op in operations(document)
    }


def test_if_match_is_required_exactly_where_428_is_answered(document: dict[str, Any]) -> None:
    wrong = []
    for method, path, operation in operations(document):
        headers = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "header"}
        if_match = headers.get("If-Match")
        required = bool(if_match and if_match.get("required"))
        if required != ("428" in operation["responses"]):
            wrong.append(f"{method} {path}: required={required}")
        if if_match and "412" not in operation["responses"]:
            wrong.append(f"{method} {path}: If-Match without 412")
        if if_match and REQUIRED_MARK in json.dumps(if_match):
            wrong.append(f"{method} {path}: the internal mark leaked")
    assert wrong == []
    patch_goal = document["paths"][
        f"{API_PREFIX}/households/{{household_id}}/plan/goals/{{goal_id}}"
    ]
    assert any(p["name"] == "If-Match" and p["required"] for p in patch_goal["patch"]["parameters"])


def test_error_examples_show_real_types_and_invalid_params(document: dict[str, Any]) -> None:
    wrong = []
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400 or (method, path, status) in NOT_PROBLEMS:
                continue
            content = response["content"][PROBLEM_JSON]
            examples = content.get("examples", {})
            if not examples or "example" in content:
                wrong.append(f"{method} {path} {status}: no examples")
            for slug, example in examples.items():
                value = example["value"]
                kind = PROBLEM_TYPES.get(slug)
                if kind is None or value["type"] != kind.uri or kind.status != int(status):
                    wrong.append(f"{method} {path} {status}: {value['type']}")
                if value["status"] != int(status) or not value["detail"]:
                    wrong.append(f"{method} {path} {status}: status or detail")
                if status == "422" and not value.get("invalidParams"):
                    wrong.append(f"{method} {path} 422 without invalidParams")
    assert wrong == []
    assert "about:blank" not in render(document)


def test_every_operation_names_the_roles_its_access_rules_admit(
    document: dict[str, Any],
) -> None:
    texts = {}
    for method, path, operation in operations(document):
        lines = [line for line in operation["description"].splitlines() if "**Roles:**" in line]
        assert len(lines) == 1, f"{method} {path}"
        assert "decided by the access rule" not in lines[0], f"{method} {path}: {lines[0]}"
        texts[method, path] = lines[0]
    assert "`admin`" in texts["POST", f"{API_PREFIX}/organizations"]
    assert "`toegang`" not in texts["POST", f"{API_PREFIX}/organizations"]
    plan = f"{API_PREFIX}/households/{{household_id}}/plan"
    assert "`resident`" in texts["GET", plan]
    assert "`resident`" not in texts["PATCH", plan]
    assert texts["GET", f"{API_PREFIX}/health/live"] == "**Roles:** none needed; no token."


def test_the_roles_of_an_actor_rule_are_what_the_rule_admits(document_app: FastAPI) -> None:
    """The document reads an actor rule's roles from the policy it names; calling each rule
    that needs no database with each role shows the two agree, so the text cannot drift."""
    rules = {
        rule.__name__: rule
        for route in iter_route_contexts(document_app.routes)
        if isinstance(route.original_route, APIRoute)
        for rule in rules_of(route.dependant)
    }
    assert set(ACTOR_RULES) <= set(rules), "a mapped rule no route uses"
    checked = []
    for name, rule in sorted(rules.items()):
        params = set(inspect.signature(rule).parameters)
        if name not in ACTOR_RULES or not inspect.iscoroutinefunction(rule):
            continue
        if not params <= {"actor", "session"}:
            continue
        check = ACTOR_RULES[name]
        for role in Role:
            actor = probe_actor(role)
            arguments = {"actor": actor, "session": SimpleNamespace(info={})}
            try:
                asyncio.run(rule(**{key: arguments[key] for key in params}))
            except Forbidden:
                admitted = False
            else:
                admitted = True
            expected = True if check is None else check(actor)
            assert admitted == expected, f"{name} and {role}"
        checked.append(name)
    assert len(checked) >= 10, checked


def test_every_response_documents_the_api_version_header(document: dict[str, Any]) -> None:
    header = document["components"]["headers"]["API-Version"]
    assert header["schema"]["type"] == "string"
    missing = [
        f"{method} {path} {status}"
        for method, path, operation in operations(document)
        for status, response in operation["responses"].items()
        if "API-Version" not in response.get("headers", {})
    ]
    assert missing == []


def test_the_description_says_how_to_mint_a_development_token(
    document: dict[str, Any],
) -> None:
    description = document["info"]["description"]
    assert "gezinsplan token --role" in description
    assert str(ACCESS_TEAM_ID) in description
    assert re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", document["info"]["version"])


def test_request_bodies_carry_examples(document: dict[str, Any]) -> None:
    without = []
    for method, path, operation in operations(document):
        body = operation.get("requestBody")
        if body is None:
            continue
        for media_type, content in body["content"].items():
            if not has_example(document, content):
                without.append(f"{method} {path} {media_type}")
    assert without == []


def test_successful_responses_show_a_whole_example(document: dict[str, Any]) -> None:
    """Built from the fields' own examples; the Spectral lint checks each against its schema."""
    without = [
        f"{method} {path} {status}"
        for method, path, operation in operations(document)
        for status, response in operation["responses"].items()
        if status.startswith("2") and "application/json" in response.get("content", {})
        if "example" not in response["content"]["application/json"]
    ]
    assert without == []
    members = document["paths"][f"{API_PREFIX}/households/{{household_id}}/members/{{member_id}}"]
    member = members["get"]["responses"]["200"]["content"]["application/json"]["example"]
    assert stdnum_bsn.is_valid(member["bsn"])
    assert member["bsn"].startswith("99999"), "a BSN from the test range"
    assert member["givenName"] != "givenName"


def test_successful_responses_have_a_json_schema(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if status.startswith("2") and status != "204":
                schema = response["content"]["application/json"]["schema"]
                assert schema, f"{method} {path} {status}"


# (c) the docs page works offline


def test_docs_page_loads_only_local_assets(docs_client: TestClient) -> None:
    page = docs_client.get(DOCS_PATH)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert re.findall(r"https?://", html) == [], "the docs page must not use a CDN"
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assets += re.findall(r"url: '([^']+)'", html)
    assert len(assets) >= 4, assets  # stylesheet, icon, script, document
    for url in assets:
        assert url.startswith("/"), url
        response = docs_client.get(url)
        assert response.status_code == 200, url
        assert response.content, url
    assert '"validatorUrl": null' in html, "Swagger UI would call validator.swagger.io"


# (d) what is served is what is generated


def test_served_document_is_the_generated_one(
    docs_client: TestClient, document: dict[str, Any], tmp_path: Path
) -> None:
    served = docs_client.get(OPENAPI_PATH)
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("application/json")
    assert served.json() == document
    assert render(served.json()) == render(build_app(tmp_path).openapi())
