"""Problem types: one registry, every error the service sends carries one of them, and each
type's page resolves; every response says the API version (API Design Rules, API-57).

These requests are refused before any query, so the app runs on an unused in-memory engine,
once, not once per engine.
"""

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from gezinsplan import __version__
from gezinsplan.auth.tokens import mint
from gezinsplan.config import Settings
from gezinsplan.errors import PROBLEM_BASE, PROBLEM_PAGES, PROBLEM_TYPES, Problem
from gezinsplan.main import create_app
from gezinsplan.openapi import API_PREFIX
from tests.conftest import TEST_SECRET

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "gezinsplan"
HOUSEHOLD = f"{API_PREFIX}/households/00000000-0000-4000-8000-000000000001"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(var_dir=tmp_path_factory.mktemp("problems") / "var", jwt_secret=TEST_SECRET)
    app = create_app(settings, bind=create_engine("sqlite://"))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def subclasses(cls: type[Problem]) -> Iterator[type[Problem]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)


def test_every_problem_class_has_a_registered_type_of_its_status() -> None:
    import gezinsplan.main  # noqa: F401 - imports every module that defines a problem

    wrong = [
        f"{cls.__qualname__}: {cls.slug} ({cls.status})"
        for cls in subclasses(Problem)
        if cls.slug not in PROBLEM_TYPES or PROBLEM_TYPES[cls.slug].status != cls.status
    ]
    assert wrong == []


def test_every_slug_written_in_the_code_is_registered() -> None:
    """Types named as text (``slug="conflict"``) rather than by a class are registered too."""
    named = set()
    for path in SOURCE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        named |= set(re.findall(r'slug(?:=| = )"([a-z-]+)"', text))
        named |= set(re.findall(re.escape(PROBLEM_BASE) + r"([a-z-]+)", text))
    assert named, "the pattern found no slug at all"
    assert sorted(named - set(PROBLEM_TYPES)) == []


def test_every_type_page_resolves_and_says_what_to_do(client: TestClient) -> None:
    index = client.get(PROBLEM_PAGES.rstrip("/"))
    assert index.status_code == 200
    for kind in PROBLEM_TYPES.values():
        assert f'href="{kind.page}"' in index.text
        page = client.get(kind.page)
        assert page.status_code == 200, kind.slug
        assert page.headers["content-type"].startswith("text/html")
        assert kind.uri in page.text
        assert kind.remedy.split("`")[0][:20] in page.text
    assert client.get(PROBLEM_PAGES + "no-such-type").status_code == 404


def _problem(response: httpx.Response, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == PROBLEM_BASE + slug
    link = re.fullmatch(r'<([^>]+)>; rel="describedby"', response.headers["link"])
    assert link is not None
    assert link.group(1) == PROBLEM_TYPES[slug].page


def test_framework_errors_carry_real_types_not_about_blank(client: TestClient) -> None:
    _problem(client.get(f"{API_PREFIX}/no-such-collection"), 404, "not-found")
    _problem(client.delete(f"{API_PREFIX}/me"), 405, "method-not-allowed")
    _problem(
        client.patch(
            HOUSEHOLD, content=b"x" * 2_000_000, headers={"content-type": "application/json"}
        ),
        413,
        "content-too-large",
    )
    _problem(
        client.patch(HOUSEHOLD, content=b"name", headers={"content-type": "text/plain"}),
        415,
        "unsupported-media-type",
    )
    _problem(client.get(f"{API_PREFIX}/me"), 401, "unauthorized")
    refused = client.get(f"{API_PREFIX}/health/live", params={"q": "a\x00b"})
    _problem(refused, 422, "validation-error")
    assert refused.json()["invalidParams"] == [
        {"name": "query:q", "reason": "The query string must not contain NUL."}
    ]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", f"{API_PREFIX}/health/live", 200),
        ("GET", f"{API_PREFIX}/openapi.json", 200),
        ("GET", f"{API_PREFIX}/me", 401),
        ("GET", f"{API_PREFIX}/no-such-collection", 404),
        ("DELETE", f"{API_PREFIX}/me", 405),
        ("GET", f"{PROBLEM_PAGES}not-found", 200),
    ],
)
def test_every_response_names_the_api_version(
    client: TestClient, method: str, path: str, status: int
) -> None:
    response = client.request(method, path)
    assert response.status_code == status
    assert response.headers["API-Version"] == __version__
    assert re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", __version__), "semantic versioning"


def test_a_request_that_does_not_validate_gets_422_before_if_match_is_checked(
    client: TestClient, tmp_path: Path
) -> None:
    """If-Match is checked when the handler asks for the version, not while FastAPI still
    collects validation errors; a dependency that raised 428 would pre-empt the 422."""
    settings = Settings(var_dir=tmp_path / "var", jwt_secret=TEST_SECRET)
    token = mint(settings, sub="probe", name="Probe", roles=["toegang"], municipalities=["0193"])
    response = client.patch(
        f"{API_PREFIX}/households/not-an-id",
        json={"name": "Gezin Jansen-de Vries"},
        headers={"Authorization": f"Bearer {token}"},
    )
    _problem(response, 422, "validation-error")
    assert [p["name"] for p in response.json()["invalidParams"]] == ["path:household_id"]
