"""Lint tests for the layering: queries live in repositories, nobody but db.py commits,
every query on case data starts from the access statements, and access/ imports no domain."""

import ast
import re
from pathlib import Path

import pytest

from gezinsplan.access.tables import LIFE_DOMAIN, PATHS
from gezinsplan.households.models import Household

SRC = Path(__file__).resolve().parent.parent / "src" / "gezinsplan"
STATEMENTS = {"select", "insert", "update", "delete", "text"}
CASE_TABLES = {
    "AuditNamedHousehold",
    "Action",
    "AuditRecord",
    "Consent",
    "ConsentCategory",
    "ConsentDomain",
    "Episode",
    "Evaluation",
    "FamilyStatement",
    "EvaluationOutcome",
    "EvaluationScore",
    "Goal",
    "Household",
    "Indication",
    "Member",
    "MemberCorrection",
    "ProgressUpdate",
    "Plan",
    "RightsRequest",
    "Restriction",
    "PlanApproval",
    "PlanVersion",
    "RoleAssignment",
}
# Modules allowed to build SQL statements: repositories, shared kit that needs one (the
# optimistic lock), and the audit chain, whose sealer and verifier read no case data.
# Beside the repositories: the version claim, the audit chain, bulk writes (no reads), and
# the access statements every repository starts from.
ALLOWED = {"repository.py", "etags.py", "chain.py", "bulk.py", "statements.py"}


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


# Every query on case data starts from the access statements (access/statements.py): a
# ``select`` naming a case table, or a ``session.get`` of one, anywhere else bypasses them.
STATEMENT_BUILDERS = SRC / "access" / "statements.py"
# A correlated subquery reads only what the rows of its outer statement point at, and that
# statement is itself held to this lint; it cannot be run on its own.
CORRELATING = {"correlate", "correlate_except"}
# The household predicates ``reachable`` accepts: the rules beside reading and changing a part.
PREDICATES = {
    "progress_writers",
    "works_on",
    "linkable_households",
    "own_household",
    "erased_household",
    "retention_candidates",
    "restriction_readers",
    "known_households",
}
# Reasoned exceptions. Steering figures are aggregates over many households, counted through
# ``reportable_households`` or ``reportable_episodes`` and published only after disclosure
# control, never one household: a steering function that applies one of those may select.
AGGREGATES = {"reportable_households", "reportable_episodes"}
# The audit chain seals and verifies the hashes of every record, reads no case content, and
# is checked by the privacy officer alone (the ``privacy_officer`` rule).
# Its backlog, for the metrics, counts waiting records and reads one time, nothing else.
EXCEPTIONS = {
    "audit/chain.py:_head",
    "audit/chain.py:_unsealed",
    "audit/chain.py:_count_unsealed",
    "audit/chain.py:backlog",
}


def names_case_table(node: ast.AST) -> bool:
    """``Goal``, ``Goal.id`` or ``col(Goal.id)``, anywhere inside ``node``."""
    return any(isinstance(n, ast.Name) and n.id in CASE_TABLES for n in ast.walk(node))


def correlated_subqueries(tree: ast.AST) -> set[int]:
    """The calls along a chain that ends in ``.correlate(...)`` (not their arguments)."""
    found = set()
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
            continue
        if call.func.attr not in CORRELATING:
            continue
        node: ast.AST = call.func.value
        while isinstance(node, ast.Call | ast.Attribute):
            if isinstance(node, ast.Call):
                found.add(id(node))
            node = node.func if isinstance(node, ast.Call) else node.value
    return found


def bypasses(function: ast.AST) -> list[str]:
    """The queries in ``function`` on case tables that do not start from the access module."""
    correlated = correlated_subqueries(function)
    found = []
    for call in ast.walk(function):
        if not isinstance(call, ast.Call):
            continue
        func = call.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name in {"select", "select_from"} and id(call) not in correlated:
            if any(names_case_table(arg) for arg in call.args):
                found.append(f"line {call.lineno}: {name} of a case table")
        elif isinstance(func, ast.Attribute) and func.attr == "get" and call.args:
            first = call.args[0]
            if isinstance(first, ast.Name) and first.id in CASE_TABLES:
                found.append(f"line {call.lineno}: .get({first.id}, ...)")
        elif isinstance(func, ast.Name) and func.id == "reachable" and len(call.args) > 1:
            allowed = call.args[1]
            if not (
                isinstance(allowed, ast.Call) and getattr(allowed.func, "id", "") in PREDICATES
            ):
                found.append(f"line {call.lineno}: reachable without an access predicate")
    return found


def functions(tree: ast.Module) -> list[tuple[str, ast.AST]]:
    """Top-level functions and methods; module-level code counts as ``<module>``."""
    found: list[tuple[str, ast.AST]] = []
    loose = ast.Module(body=[], type_ignores=[])
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.append((node.name, node))
        elif isinstance(node, ast.ClassDef):
            found += [
                (f"{node.name}.{item.name}", item)
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            ]
        else:
            loose.body.append(node)
    return [("<module>", loose), *found]


def counts_aggregates(where: str, function: ast.AST) -> bool:
    return where.startswith("steering/") and bool(called_names(function) & AGGREGATES)


def case_queries_bypassing_access(path: Path, source: str) -> list[str]:
    """``where:function: what`` for every query on a case table outside the access statements
    that is no declared exception."""
    if path == STATEMENT_BUILDERS:
        return []
    where = path.relative_to(SRC) if path.is_relative_to(SRC) else path
    found = []
    for name, function in functions(ast.parse(source)):
        key = f"{where}:{name}"
        if key in EXCEPTIONS or counts_aggregates(str(where), function):
            continue
        found += [f"{key}: {what}" for what in bypasses(function)]
    return found


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_case_queries_start_from_the_access_statements(path: Path) -> None:
    found = case_queries_bypassing_access(path, path.read_text())
    assert not found, (
        f"queries on case data bypass the access statements ({'; '.join(found)}); start from "
        "gezinsplan.access.statements (readable, editable, reachable, synced)"
    )


def declared(key: str) -> bool:
    where, _, name = key.partition(":")
    return name in {name for name, _ in functions(ast.parse((SRC / where).read_text()))}


def test_every_declared_exception_names_a_function_that_still_exists() -> None:
    assert [key for key in EXCEPTIONS if not declared(key)] == []


@pytest.mark.parametrize(
    ("planted", "seen"),
    [
        ("def leak(session, id_):\n    return session.get(Household, id_)\n", ".get(Household"),
        (
            "def leak(session):\n"
            "    statement = select(Goal).join(Plan, col(Plan.id) == col(Goal.plan_id))\n"
            "    return session.scalars(statement).all()\n",
            "select of a case table",
        ),
        (
            "def leak(session):\n    return session.scalars(select(col(Member.id))).all()\n",
            "select of a case table",
        ),
        (
            "def leak(session):\n"
            "    return session.scalar(select(func.count()).select_from(Member))\n",
            "select_from of a case table",
        ),
        (
            "def leak(session):\n    return session.scalars(reachable(Goal, true())).all()\n",
            "reachable without an access predicate",
        ),
    ],
    ids=[
        "session.get",
        "select-join",
        "select-column",
        "select-from",
        "reachable-without-predicate",
    ],
)
def test_the_lint_sees_a_query_that_bypasses_the_access_statements(
    tmp_path: Path, planted: str, seen: str
) -> None:
    path = tmp_path / "repository.py"
    path.write_text(planted)
    with pytest.raises(AssertionError, match=re.escape(seen)):
        test_case_queries_start_from_the_access_statements(path)


def test_the_lint_lets_a_correlated_subquery_and_the_access_statements_pass() -> None:
    source = (
        "def fine(session, actor):\n"
        "    latest = select(func.max(col(Evaluation.evaluated_on))).correlate(Plan)\n"
        "    statement = readable(Plan, actor, Scope.PLAN, latest.scalar_subquery())\n"
        "    return session.execute(statement.where(col(Plan.id) == 1)).all()\n"
    )
    assert case_queries_bypassing_access(Path("fine.py"), source) == []


def test_every_case_table_declares_its_way_up_to_the_household() -> None:
    assert {table.__name__ for table in PATHS} == CASE_TABLES
    for table, path in PATHS.items():
        reached = {table.__table__}
        for join in path:
            # Each join starts from a table already in the statement.
            below = {column.table for column in join.on.get_children()} - {join.table.__table__}
            assert below, f"{table.__name__}: {join.table.__name__} joins to nothing below"
            assert below <= reached, f"{table.__name__}: {join.table.__name__} out of order"
            reached.add(join.table.__table__)
        assert path == () or path[-1].table is Household, f"{table.__name__} ends elsewhere"
        if table in LIFE_DOMAIN:
            assert LIFE_DOMAIN[table].table in reached, f"{table.__name__}: life domain"


# access/ decides who sees what; the domains' rules live in their own packages. It reads the
# case tables (their models), the caller (auth), the audit trail it writes in the same
# transaction, the shared kit, and the codelists' API fields; no domain's service, repository,
# schemas, router or catalogue.
ACCESS_MAY_IMPORT = (
    "gezinsplan.access",
    "gezinsplan.auth",
    "gezinsplan.audit.models",
    "gezinsplan.audit.trail",
    "gezinsplan.codelists.fields",
    "gezinsplan.db",
    "gezinsplan.errors",
    "gezinsplan.kit",
)


def imported_modules(tree: ast.Module) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def allowed_in_access(module: str) -> bool:
    if not module.startswith("gezinsplan") or module.endswith(".models"):
        return True
    if module.startswith(ACCESS_MAY_IMPORT):
        return True
    # ``from gezinsplan.plans.models import Goal`` also yields "...models.Goal".
    return module.rpartition(".")[0].endswith(".models")


@pytest.mark.parametrize(
    "path", sorted((SRC / "access").rglob("*.py")), ids=lambda p: str(p.relative_to(SRC))
)
def test_access_imports_no_domain_service(path: Path) -> None:
    found = sorted(
        m for m in imported_modules(ast.parse(path.read_text())) if not allowed_in_access(m)
    )
    assert not found, f"access/{path.name} imports domain modules: {found}"


def test_the_import_check_sees_a_domain_service() -> None:
    assert not allowed_in_access("gezinsplan.progress.service")
    assert not allowed_in_access("gezinsplan.steering.catalogue")
    assert not allowed_in_access("gezinsplan.plans.schemas.PlanSnapshot")
    assert allowed_in_access("gezinsplan.plans.models.Goal")


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


def test_a_steering_query_without_the_reportable_predicate_is_no_aggregate() -> None:
    source = "def leak(session):\n    return session.scalars(select(Household)).all()\n"
    leak = ast.parse(source).body[0]
    assert not counts_aggregates("steering/repository.py", leak)


def module_level_aliases(tree: ast.Module) -> list[int]:
    """Lines of module-level ``aliased(...)`` calls: shared by every thread, they must be
    ``kit.aliases.shared_alias``, adapted at import."""
    return [
        node.lineno
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id == "aliased"
    ]


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_aliases_shared_between_threads_are_adapted_at_import(path: Path) -> None:
    lines = module_level_aliases(ast.parse(path.read_text()))
    assert not lines, f"{path.name}:{lines} aliased() at module level; use shared_alias()"


def test_the_alias_lint_sees_a_module_level_alias() -> None:
    planted = ast.parse('_OWN = aliased(RoleAssignment, name="own")\n')
    assert module_level_aliases(planted) == [1]
    inside = ast.parse('def f():\n    own = aliased(RoleAssignment, name="own")\n')
    assert module_level_aliases(inside) == []
