"""Lint tests for the layering: queries live in repositories, nobody but db.py commits,
and every repository query on case data applies the access predicates."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "gezinsplan"
STATEMENTS = {"select", "insert", "update", "delete", "text"}
CASE_TABLES = {
    "Action",
    "AuditRecord",
    "Consent",
    "ConsentCategory",
    "ConsentDomain",
    "Episode",
    "Evaluation",
    "EvaluationOutcome",
    "EvaluationScore",
    "Goal",
    "Household",
    "Indication",
    "Member",
    "ProgressUpdate",
    "Plan",
    "PlanApproval",
    "PlanVersion",
    "RoleAssignment",
}
PREDICATES = {
    "visible_households",
    "editable_households",
    "progress_writers",
    "works_on",
    "synced_indications",
    "linkable_households",
    "reportable_households",
    "reportable_episodes",
}
# Modules allowed to build SQL statements: repositories, shared kit that needs one (the
# optimistic lock), and the audit chain, whose sealer and verifier read no case data.
# Beside the repositories: the version claim, the audit chain, and bulk writes (no reads).
ALLOWED = {"repository.py", "etags.py", "chain.py", "bulk.py"}


def modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def called_names(node: ast.AST) -> set[str]:
    names = set()
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            func = call.func
            if isinstance(func, ast.Name):
                names.add(func.id)
            elif isinstance(func, ast.Attribute):
                names.add(func.attr)
    return names


def imported_statements(tree: ast.Module) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in {"sqlalchemy", "sqlmodel"}:
            found |= {alias.asname or alias.name for alias in node.names} & STATEMENTS
    return found


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_sql_statements_only_in_repositories(path: Path) -> None:
    tree = ast.parse(path.read_text())
    used = imported_statements(tree) & called_names(tree)
    if path.name == "models.py":
        used -= {"text"}  # DDL: partial-index conditions
    if path.name not in ALLOWED:
        assert not used, f"{path.name} builds SQL ({sorted(used)}); move it to a repository"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_only_the_session_dependency_commits(path: Path) -> None:
    if path.name == "db.py" or path.name == "cli.py":
        return
    assert "commit" not in called_names(ast.parse(path.read_text())), (
        f"{path.name} commits; the request's session commits once, in db.get_session"
    )


def repository_functions() -> list[tuple[str, ast.FunctionDef]]:
    found = []
    for path in SRC.rglob("repository.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef):
                found.append((f"{path.parent.name}.{node.name}", node))
    return found


@pytest.mark.parametrize(
    ("name", "function"), repository_functions(), ids=[n for n, _ in repository_functions()]
)
def test_repository_reads_of_case_data_apply_the_access_predicate(
    name: str, function: ast.FunctionDef
) -> None:
    selects_case_data = any(
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Name)
        and call.func.id == "select"
        and any(isinstance(arg, ast.Name) and arg.id in CASE_TABLES for arg in call.args)
        for call in ast.walk(function)
    )
    if selects_case_data:
        assert called_names(function) & PREDICATES, f"{name} reads case data without access"


def test_the_lint_sees_a_query_without_the_predicate() -> None:
    source = "def leak(session):\n    return session.scalars(select(Household)).all()\n"
    function = ast.parse(source).body[0]
    assert isinstance(function, ast.FunctionDef)
    with pytest.raises(AssertionError, match="without access"):
        test_repository_reads_of_case_data_apply_the_access_predicate("x.leak", function)


# The clock: every instant and date comes from kit.clock, so dates are Dutch and tests can pin
# them. These calls read the machine's clock behind its back: its local date, a naive time.
ROOT = SRC.parent.parent
CLOCK = SRC / "kit" / "clock.py"
CLOCK_READERS = {"date": {"today"}, "datetime": {"today", "now", "utcnow", "utcfromtimestamp"}}


def python_files() -> list[Path]:
    found = [
        path
        for part in ("src", "tests", "bench", "migrations")
        for path in (ROOT / part).rglob("*.py")
    ]
    return sorted(path for path in found if path != CLOCK)


def clock_readings(tree: ast.AST) -> list[str]:
    """Calls such as ``date.today()``, with their line; ``datetime.now(tz)`` is allowed."""
    found = []
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
            continue
        owner = call.func.value  # date, datetime, or datetime.date / datetime.datetime
        owner_name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
        method = call.func.attr
        if method not in CLOCK_READERS.get(owner_name, set()):
            continue
        if method == "now" and (call.args or any(k.arg == "tz" for k in call.keywords)):
            continue
        found.append(f"line {call.lineno}: {owner_name}.{method}()")
    return found


@pytest.mark.parametrize("path", python_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_times_and_dates_come_from_the_clock(path: Path) -> None:
    found = clock_readings(ast.parse(path.read_text()))
    assert not found, (
        f"{path.name} reads the machine's clock ({'; '.join(found)}); use "
        "gezinsplan.kit.clock (utcnow, today), and in tests the clock fixture"
    )


@pytest.mark.parametrize(
    "call",
    [
        "date.today()",
        "datetime.date.today()",
        "datetime.today()",
        "datetime.now()",
        "datetime.datetime.now()",
        "datetime.utcnow()",
    ],
)
def test_the_lint_sees_a_date_or_time_from_the_machine(tmp_path: Path, call: str) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text(
        f"import datetime\nfrom datetime import date\n\n\ndef due():\n    return {call}\n"
    )
    with pytest.raises(AssertionError, match="reads the machine's clock"):
        test_times_and_dates_come_from_the_clock(planted)


def test_the_lint_lets_an_aware_instant_pass() -> None:
    source = "datetime.now(UTC)\ndatetime.now(tz=UTC)\nclock.today()\nclock.utcnow()\n"
    assert clock_readings(ast.parse(source)) == []
