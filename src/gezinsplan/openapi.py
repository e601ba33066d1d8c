"""The OpenAPI document: generated from the app, written deterministically, served offline.

What clients are generated from is finished here, in one place, from what the code declares:
operation ids from function names, a required If-Match from the header's declaration, the
problem types from the registry in ``errors.py``, the roles from each route's access rules,
and the API-Version header every response carries (docs/decisions/0035).
"""

import html
import json
import re
import uuid
from collections.abc import Callable, Iterator
from http import HTTPStatus
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.staticfiles import StaticFiles
from sqlalchemy.sql.elements import False_

from gezinsplan import __version__
from gezinsplan.access import policy, predicates
from gezinsplan.access.guard import rules_of
from gezinsplan.access.scopes import Scope
from gezinsplan.auth.actor import Actor, Role
from gezinsplan.config import Settings
from gezinsplan.demo import ACCESS_TEAM_ID
from gezinsplan.errors import PROBLEM_PAGES, PROBLEM_TYPES, ProblemType
from gezinsplan.idempotency.service import KEY_PARAM, REUSED
from gezinsplan.kit.api_version import API_VERSION_HEADER
from gezinsplan.kit.etags import REQUIRED_MARK

API_PREFIX = "/api/v1"
OPENAPI_PATH = f"{API_PREFIX}/openapi.json"
DOCS_PATH = f"{API_PREFIX}/docs"
ASSETS_PATH = f"{API_PREFIX}/docs-assets"
COMMITTED = Path("openapi/openapi.json")
PROBLEM_JSON = "application/problem+json"

DESCRIPTION = """\
The shared case file behind "1 gezin, 1 plan, 1 regisseur".

Every request carries a bearer JWT. Errors are `application/problem+json` (RFC 9457); each
`type` is a stable URN (`urn:gezinsplan:problem:<name>`) documented at
`/api/v1/problems/<name>`, and every error response links that page in its `Link` header.
Single resources carry an `ETag`; changes send it back in `If-Match`. A household the caller
may not see answers 404, exactly as one that does not exist; in one whose other parts it
reads, a refused part or change answers 403 and names what is missing. Every response
carries `API-Version`.

## A development token

A development service (`make run`) signs tokens with its local secret. Mint one with
`gezinsplan token`, naming the role and the claims it needs, and paste it under
**Authorize**:

```
TOKEN=$(.venv/bin/gezinsplan token --role toegang \\
  --org {org} --municipality 0193 --municipality 0148)
curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8000/api/v1/households
```

`make run` prints this command with the demo access team's organization. Roles:
`toegang`, `care_provider`, `municipal_system`, `partner_system`, `policy`,
`privacy_officer`, `admin`, `resident`; `--org`, `--municipality` (repeatable) and
`--member` give the claims a role reaches data with. Each operation names the roles that
may call it.
"""

# Operation ids are the route function's name in camelCase, a leading ``read`` written
# ``get``. These names would be unclear in a client, so they are given here instead.
OPERATION_IDS = {
    "gezinsplan.health.router.live": "getLiveness",
    "gezinsplan.health.router.ready": "getReadiness",
    "gezinsplan.rights.requests.router.worklist": "listRightsRequests",
    "gezinsplan.rights.requests.router.list_requests": "listHouseholdRightsRequests",
    "gezinsplan.rights.requests.router.file_request": "fileRightsRequest",
    "gezinsplan.rights.requests.router.extend_request": "extendRightsRequest",
    "gezinsplan.rights.requests.router.decide_request": "decideRightsRequest",
}


def operation_id(route: APIRoute) -> str:
    """``list_households`` -> ``listHouseholds``, ``read_plan`` -> ``getPlan``."""
    override = OPERATION_IDS.get(f"{route.endpoint.__module__}.{route.endpoint.__name__}")
    if override:
        return override
    first, *rest = route.name.split("_")
    return ("get" if first == "read" else first) + "".join(word.title() for word in rest)


# Who may call an operation, read from its access rules. A household rule admits the roles
# whose predicate for its scope is not plain ``false``; an actor rule, the roles its policy
# admits; a rule mapped to None restricts no role (the query or the service decides).
ActorCheck = Callable[[Actor], bool] | None
ACTOR_RULES: dict[str, ActorCheck] = {
    "any_actor": None,
    "household_reader": None,
    "managed_subscription": None,
    "directory_reader": policy.may_read_directory,
    "organization_admin": policy.may_manage_organizations,
    "progress_pusher": policy.may_push_progress,
    "privacy_officer": policy.may_check_audit,
    "municipal_system": policy.may_sync_indications,
    "tariff_system": policy.may_sync_indications,
    "coordinator": predicates.may_coordinate,
    "access_team_lead": policy.may_see_team_worklist,
    "event_reader": predicates.reads_events,
    "subscription_manager": policy.may_manage_subscriptions,
    "rights_officer": policy.may_handle_rights_requests,
    "figures_reader": policy.may_read_figures,
    "request_filer": policy.files_rights_requests,
    "request_decider": policy.may_handle_rights_requests,
    "editable_goal": lambda actor: _grounds(predicates.editable_households(actor, Scope.PLAN)),
    "progress_reporter": lambda actor: _grounds(predicates.progress_writers(actor)),
    "statement_filer": policy.makes_statements,
    "history_reader": lambda actor: _log_or_file(actor),
    "restriction_reader": lambda actor: _log_or_file(actor),
    "restriction_officer": policy.may_handle_rights_requests,
}
_HOUSEHOLD_RULE = re.compile(r"^(readable|writable)_(\w+)$")
# The rules that answer a refusal in a household the caller reads some part of with a 403
# naming what is missing (``access.refusals``); its slugs are theirs alone.
_REFUSING_RULE = re.compile(r"^(readable|writable)_\w+$|^editable_goal$")
# A refused read lacks a consent; a refused change is of a part the caller only reads.
REFUSAL_SLUGS = {"get": "consent-missing", "write": "read-only"}
REFUSAL_DESCRIPTION = (
    "The caller reads some part of this household, but not this part, or may not make this "
    "change; the detail names what is missing (the family's consent for a category, a part "
    "the caller only reads)."
)
PUBLIC_RULE = "public"


def _grounds(predicate: Any) -> bool:
    return not isinstance(predicate, False_)


def _log_or_file(actor: Actor) -> bool:
    """The access log's readers (the family, the officer) or the whole file's professionals."""
    return _grounds(predicates.visible_households(actor, Scope.ACCESS_LOG)) or _grounds(
        predicates.editable_households(actor, Scope.BASIC)
    )


def probe_actor(role: Role) -> Actor:
    """A caller with one role and every claim a role can use, so only the role decides."""
    return Actor(
        sub=f"probe-{role}",
        name="Probe",
        org=uuid.UUID(int=1),
        roles=frozenset({role}),
        municipalities=frozenset({"0363"}),
        member=uuid.UUID(int=2),
    )


def rule_check(name: str) -> ActorCheck:
    """What the access rule ``name`` asks of a caller; KeyError for a rule not known here."""
    if name in ACTOR_RULES:
        return ACTOR_RULES[name]
    match = _HOUSEHOLD_RULE.match(name)
    if match is None:
        raise KeyError(name)
    scope = Scope(match.group(2))
    if match.group(1) == "readable":
        return lambda actor: _grounds(predicates.visible_households(actor, scope))
    return lambda actor: _grounds(predicates.editable_households(actor, scope))


def allowed_roles(rule_names: list[str]) -> list[Role] | None:
    """The roles every one of the rules admits; None for a public operation."""
    if PUBLIC_RULE in rule_names:
        return None
    roles = list(Role)
    for name in dict.fromkeys(rule_names):
        check = rule_check(name)
        if check is not None:
            roles = [role for role in roles if check(probe_actor(role))]
    return roles


def _roles_text(rule_names: list[str], path: str) -> str:
    try:
        roles = allowed_roles(rule_names)
    except KeyError as unknown:
        return f"**Roles:** decided by the access rule {unknown}."
    if roles is None:
        return "**Roles:** none needed; no token."
    if not roles:
        return "**Roles:** none."
    names = ", ".join(f"`{role}`" for role in roles)
    where = (
        " Each reaches only the households it has grounds on; any other answers 404, and one"
        " it reads another part of answers 403."
        if "{household_id}" in path
        else ""
    )
    return f"**Roles:** {names}.{where}"


def _route_rules(app: FastAPI) -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = {}
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute) and route.path:
            names = [rule.__name__ for rule in rules_of(route.dependant)]
            for method in route.methods or ():
                found[method.lower(), route.path] = names
    return found


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            yield method, path, operation


def _problem_media_types(document: dict[str, Any]) -> None:
    """Errors declared with ``problems()`` are application/problem+json; say so, and only that.

    An error response with a model of its own (the readiness probe's 503) keeps the media type
    it is served with, so the document does not promise what the service does not send.
    """
    for _method, _path, operation in _operations(document):
        for code, response in operation.get("responses", {}).items():
            content = response.get("content", {})
            declared = PROBLEM_JSON in content and "application/json" in content
            if code.isdigit() and int(code) >= 400 and declared:
                schema = content.pop("application/json")
                content.setdefault(PROBLEM_JSON, {}).update(schema)


def _required_headers(document: dict[str, Any]) -> None:
    """A header declared with the required mark is required in the document, and then the
    operation answers 428 without it; both follow from the one declaration in kit/etags.py."""
    for _method, _path, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            schema = parameter.get("schema", {})
            if schema.pop(REQUIRED_MARK, False):
                parameter["required"] = True
                # Required means present: a client must send a string, never null.
                options = [o for o in schema.pop("anyOf", []) if o.get("type") != "null"]
                for option in options:
                    schema.update(option)


def _thing(path: str) -> str:
    """What a 404 at this path is about: the last id in it ("Goal", "Household")."""
    ids = re.findall(r"\{(\w+?)(?:_id)?\}", path)
    return ids[-1].replace("_", " ").capitalize() if ids else "Resource"


def _invalid_param(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, str]:
    """A realistic invalidParams entry for this operation: a required body field left out,
    else a malformed query or path parameter."""
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    schema = _resolve(document, body.get("schema", {}))
    required = schema.get("required", [])
    if required:
        return {"name": f"body:{required[0]}", "reason": "Field required"}
    parameters = [p for p in operation.get("parameters", []) if p["in"] in ("query", "path")]
    parameters.sort(key=lambda p: p["in"] != "query")
    if not parameters:
        return {"name": "query:q", "reason": "The query string must not contain NUL."}
    parameter = parameters[0]
    schema = _resolve(document, parameter.get("schema", {}))
    for option in schema.get("anyOf", [schema]):
        if option.get("format") == "uuid":
            reason = "Input should be a valid UUID, invalid group count: expected 5, found 1"
            break
        if option.get("type") == "integer":
            reason = "Input should be a valid integer, unable to parse string as an integer"
            break
        if "pattern" in option:
            reason = f"String should match pattern '{option['pattern']}'"
            break
        if "maxLength" in option:
            reason = f"String should have at most {option['maxLength']} characters"
            break
    else:
        reason = "Input should be a valid value"
    return {"name": f"{parameter['in']}:{parameter['name']}", "reason": reason}


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _detail(kind: ProblemType, path: str) -> str:
    thing = _thing(path)
    details = {
        "not-found": f"{thing} not found." if thing != "Resource" else "No resource here.",
        "conflict": f"The change conflicts with the current state of the {thing.lower()}.",
        "precondition-failed": "The resource changed since you read it; read it again.",
        "precondition-required": "Send If-Match with the ETag you read.",
        "validation-error": "The request does not validate; see invalidParams.",
        "unauthorized": "The token has expired.",
        "forbidden": "Your roles do not allow this; the operation's description names them.",
        "consent-missing": "Your organization holds no valid consent of the family for the "
        "category 'plan'.",
        "read-only": "Care providers read this part of the file but do not change it: the "
        "regisseur or the access team of the household's municipality does.",
        "content-too-large": f"The body exceeds {Settings.model_fields['max_body_bytes'].default} "
        "bytes.",
        "unsupported-media-type": "Send the body as application/json.",
        "database-unavailable": "The database is unavailable; try again.",
    }
    return details.get(kind.slug, kind.summary)


def _kinds(status: int, method: str, operation: dict[str, Any]) -> list[ProblemType]:
    """The problem types an operation may answer with at this status."""
    idempotent = any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))
    refusing = operation.get("responses", {}).get("403", {}).get("description")
    own = REFUSAL_SLUGS["get" if method == "get" else "write"]
    return [
        kind
        for kind in PROBLEM_TYPES.values()
        if kind.status == status
        and (idempotent or not kind.slug.startswith("idempotency-"))
        and (
            kind.slug not in REFUSAL_SLUGS.values()
            or (refusing, kind.slug) == (REFUSAL_DESCRIPTION, own)
        )
    ]


def _household_refusals(document: dict[str, Any], rules: dict[tuple[str, str], list[str]]) -> None:
    """An operation behind a household rule documents its 403: the refusal in a household
    the caller reads another part of, shaped like the operation's 404."""
    for method, path, operation in _operations(document):
        responses = operation.get("responses", {})
        if "404" not in responses:
            continue
        names = rules.get((method, path), [])
        if any(_REFUSING_RULE.match(name) for name in names):
            description = REFUSAL_DESCRIPTION
        elif "history_reader" in names and "403" not in responses:
            description = "The caller reads some part of this household, but not its history."
        else:
            continue
        refusal = json.loads(json.dumps(responses["404"]))
        refusal["description"] = description
        responses["403"] = refusal


def _problem_examples(document: dict[str, Any]) -> None:
    """Every problem response shows the real types it may carry, one example each."""
    for method, path, operation in _operations(document):
        for code, response in operation.get("responses", {}).items():
            content = response.get("content", {}).get(PROBLEM_JSON)
            if content is None or not code.isdigit():
                continue
            kinds = _kinds(int(code), method, operation)
            content.pop("example", None)
            examples: dict[str, Any] = {}
            for kind in kinds:
                value: dict[str, Any] = {
                    "type": kind.uri,
                    "title": HTTPStatus(int(code)).phrase,
                    "status": int(code),
                    "detail": _detail(kind, path),
                }
                if kind.slug == "idempotency-key-reused":
                    value["invalidParams"] = [{"name": KEY_PARAM, "reason": REUSED}]
                elif int(code) == 422:
                    value["invalidParams"] = [_invalid_param(document, operation)]
                examples[kind.slug] = {"summary": kind.summary, "value": value}
            content["examples"] = examples
            response.setdefault("headers", {})["Link"] = {
                "description": "The documentation page of the problem's type: `</api/v1/problems/"
                '<name>>; rel="describedby"`.',
                "required": True,
                "schema": {"type": "string"},
            }
            types = ", ".join(f"[`{k.slug}`]({k.page})" for k in kinds)
            response["description"] = f"{response['description']} Types: {types}."


def _api_version_header(document: dict[str, Any]) -> None:
    """API-57: every response carries API-Version, so every response documents it."""
    components = document.setdefault("components", {})
    components.setdefault("headers", {})[API_VERSION_HEADER] = {
        "description": "The full version of the API that answered (semantic versioning).",
        "required": True,
        "schema": {"type": "string", "example": __version__},
    }
    ref = {"$ref": f"#/components/headers/{API_VERSION_HEADER}"}
    for _method, _path, operation in _operations(document):
        for response in operation.get("responses", {}).values():
            response.setdefault("headers", {})[API_VERSION_HEADER] = ref


def _pascal_schema_names(document: dict[str, Any]) -> dict[str, Any]:
    """Pydantic names a generic model ``Page_HouseholdSummary_``; clients and the API Design
    Rules want ``PageHouseholdSummary``. The references are renamed with the schemas."""
    schemas = document.get("components", {}).get("schemas", {})
    renamed = {name: name.replace("_", "") for name in schemas if "_" in name}
    if not renamed:
        return document
    text = json.dumps(document)
    for old, new in renamed.items():
        text = text.replace(f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"')
    result: dict[str, Any] = json.loads(text)
    result["components"]["schemas"] = {
        renamed.get(name, name): schema for name, schema in result["components"]["schemas"].items()
    }
    return result


def _refer_to_components(document: dict[str, Any]) -> None:
    """A model pydantic inlines (``list[SkipValidation[Model]]``) while also listing it as a
    component is written as a reference, so the component is used and clients share one type."""
    schemas = document.get("components", {}).get("schemas", {})

    def visit(node: Any) -> Any:
        if isinstance(node, dict):
            title = node.get("title")
            if isinstance(title, str) and schemas.get(title) is node:
                return node
            if isinstance(title, str) and schemas.get(title) == node:
                return {"$ref": f"#/components/schemas/{title}"}
            return {key: visit(value) for key, value in node.items()}
        if isinstance(node, list):
            return [visit(item) for item in node]
        return node

    document["paths"] = visit(document.get("paths", {}))
    for name, schema in schemas.items():
        schemas[name] = {key: visit(value) for key, value in schema.items()}


# Values for a field that declares no example of its own, by format, so a response example
# reads like data: fixed, so the document stays the same from run to run.
_BY_FORMAT = {
    "date": "2026-11-24",
    "date-time": "2026-11-24T09:30:00Z",
    "uri": "https://partner.example.nl/gezinsplan/webhooks",
    "email": "j.devries@wijkteam-zwolle.nl",
}
_FORMATS = {
    "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "date-time": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T",
    "uri": r"^https?://",
    "email": r"^[^@\s]+@[^@\s]+$",
}
_EXAMPLE_IDS = uuid.UUID("5b0c1e0a-6a39-4c8e-9d4a-7e1f3b2c9a10")
_DEPTH = 8


def field_examples(document: dict[str, Any]) -> dict[str, Any]:
    """The example a field declares anywhere (mostly on request models), by field name, so a
    response field of the same name shows the same realistic value."""
    found: dict[str, Any] = {}
    for _name, schema in sorted(document.get("components", {}).get("schemas", {}).items()):
        for key, sub in schema.get("properties", {}).items():
            if "examples" in sub and sub["examples"] and key not in found:
                found[key] = sub["examples"][0]
    return found


def example_of(
    document: dict[str, Any],
    schema: dict[str, Any],
    name: str,
    depth: int = 0,
    named: dict[str, Any] | None = None,
) -> Any:
    """A value for the schema built from the examples its fields declare, with fixed values
    where one declares none; the lint checks every such example against its schema."""
    named = field_examples(document) if named is None else named
    if "$ref" in schema:
        schema = _resolve(document, schema)
    for key in ("examples", "example"):
        if key in schema:
            found = schema[key]
            return found[0] if key == "examples" and isinstance(found, list) and found else found
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    options = schema.get("anyOf") or schema.get("oneOf") or schema.get("allOf")
    if options:
        usable = [o for o in options if o.get("type") != "null"]
        return example_of(document, usable[0], name, depth, named) if usable else None
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if depth >= _DEPTH:
            return {}
        return {
            key: example_of(document, sub, key, depth + 1, named)
            for key, sub in schema.get("properties", {}).items()
        }
    if kind == "array":
        if depth >= _DEPTH:
            return []
        return [example_of(document, schema.get("items", {}), name, depth + 1, named)]
    if kind == "string" and schema.get("format") == "uuid":
        return str(uuid.uuid5(_EXAMPLE_IDS, name))
    if _fits(named.get(name), schema):
        return named[name]
    if kind == "integer":
        return max(int(schema.get("minimum", 1)), 1)
    if kind == "number":
        return float(schema.get("minimum", 1))
    if kind == "boolean":
        return True
    if kind == "string":
        return _BY_FORMAT.get(schema.get("format", ""), name)
    return None


def _fits(value: Any, schema: dict[str, Any]) -> bool:
    """Whether another field's example can stand for this plain field: same type and pattern."""
    types: dict[str, type | tuple[type, ...]] = {
        "string": str,
        "integer": int,
        "number": (int, float),
        "boolean": bool,
    }
    expected = types.get(schema.get("type", ""))
    if value is None or expected is None or not isinstance(value, expected):
        return False
    if isinstance(value, bool) and schema.get("type") != "boolean":
        return False
    pattern = _FORMATS.get(schema.get("format", ""), schema.get("pattern"))
    return not (isinstance(value, str) and pattern and not re.search(pattern, value))


def _response_examples(document: dict[str, Any]) -> None:
    """Every successful JSON response shows a whole example body."""
    named = field_examples(document)
    for _method, _path, operation in _operations(document):
        for code, response in operation.get("responses", {}).items():
            content = response.get("content", {}).get("application/json")
            if not code.startswith("2") or content is None or "schema" not in content:
                continue
            if not ({"example", "examples"} & set(content)):
                content["example"] = example_of(document, content["schema"], "value", 0, named)


def _tags(document: dict[str, Any]) -> None:
    """Every tag an operation uses is declared, in order, so the docs page groups by them."""
    used = {tag for _m, _p, operation in _operations(document) for tag in operation.get("tags", [])}
    document["tags"] = [{"name": tag} for tag in sorted(used)]


def _roles(document: dict[str, Any], rules: dict[tuple[str, str], list[str]]) -> None:
    for method, path, operation in _operations(document):
        text = _roles_text(rules.get((method, path), []), path)
        description = operation.get("description", "").strip()
        operation["description"] = f"{description}\n\n{text}" if description else text


def build_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    document = get_openapi(
        title="gezinsplan",
        version=__version__,
        openapi_version="3.1.0",
        description=DESCRIPTION.replace("{org}", str(ACCESS_TEAM_ID)),
        routes=app.routes,
        servers=[{"url": "/"}],
    )
    _problem_media_types(document)
    _required_headers(document)
    rules = _route_rules(app)
    _household_refusals(document, rules)
    _problem_examples(document)
    _api_version_header(document)
    _roles(document, rules)
    _refer_to_components(document)
    _response_examples(document)
    _tags(document)
    document = _pascal_schema_names(document)
    app.openapi_schema = document
    return document


def render(document: dict[str, Any]) -> str:
    """Sorted keys and a trailing newline, so the committed file diffs cleanly."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def problem_page(kind: ProblemType) -> str:
    """The documentation a problem type's URI leads to: what it means and what to do."""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(kind.slug)} - gezinsplan problem type</title></head><body>"
        f"<h1>{html.escape(kind.slug)}</h1>"
        f"<p><code>type</code>: <code>{html.escape(kind.uri)}</code>, status {kind.status}</p>"
        f"<p>{html.escape(kind.summary)}</p>"
        f"<h2>What to do</h2><p>{html.escape(kind.remedy)}</p>"
        f'<p><a href="{PROBLEM_PAGES.rstrip("/")}">All problem types</a></p>'
        "</body></html>\n"
    )


def problem_index() -> str:
    items = "".join(
        f'<li><a href="{kind.page}">{html.escape(kind.slug)}</a> ({kind.status}): '
        f"{html.escape(kind.summary)}</li>"
        for kind in PROBLEM_TYPES.values()
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>gezinsplan problem types</title></head><body><h1>Problem types</h1>"
        f"<ul>{items}</ul></body></html>\n"
    )


def install_docs(app: FastAPI) -> None:
    """Swagger UI from assets shipped in a package, so the page works without a CDN; and a
    page for every problem type, where its URI leads."""
    assets = files("fastapi_offline") / "static"
    app.mount(ASSETS_PATH, StaticFiles(directory=str(assets)), name="docs-assets")

    def docs(_request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=OPENAPI_PATH,
            title="gezinsplan API",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon.png",
            # Swagger UI would send the document's address to validator.swagger.io.
            swagger_ui_parameters={"validatorUrl": None},
        )

    def problem_type(request: Request) -> HTMLResponse:
        kind = PROBLEM_TYPES.get(request.path_params["name"])
        if kind is None:
            return HTMLResponse(problem_index(), status_code=404)
        return HTMLResponse(problem_page(kind))

    def problem_types(_request: Request) -> HTMLResponse:
        return HTMLResponse(problem_index())

    app.add_route(DOCS_PATH, docs, include_in_schema=False)
    app.add_route(PROBLEM_PAGES.rstrip("/"), problem_types, include_in_schema=False)
    app.add_route(PROBLEM_PAGES + "{name}", problem_type, include_in_schema=False)
