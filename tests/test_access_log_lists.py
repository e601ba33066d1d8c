"""A household shown by a list, a search, a worklist, the feed or a sync is in its access log.

One audit record per request names every household the response showed; each family's
access log finds it, and the record is sealed into the chain like any other.
"""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from gezinsplan.audit import chain
from gezinsplan.audit.models import AuditNamedHousehold
from tests.conftest import Directory, Token
from tests.test_consents import add_member
from tests.test_indications import SANNE, record, sync
from tests.test_worklist import anna, coordinate, open_household  # noqa: F401 - fixture

API = "/api/v1"
Headers = dict[str, str]


def log_of(client: TestClient, officer: Headers, household_id: str) -> list[dict[str, Any]]:
    response = client.get(f"{API}/households/{household_id}/access-log?limit=100", headers=officer)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def showing(client: TestClient, officer: Headers, household_id: str) -> list[str]:
    """The routes of the records in the household's log that span households."""
    return [
        item["resource"]
        for item in log_of(client, officer, household_id)
        if "{household_id}" not in item["resource"] and item["action"] != "create"
    ]


def test_lists_searches_worklists_the_feed_and_syncs_name_the_households_they_showed(
    client: TestClient,
    token: Token,
    toegang: Headers,
    directory: Directory,
    anna: Headers,  # noqa: F811
    connection: Connection,
) -> None:
    officer = token("privacy_officer", municipalities=("0193",), sub="fg")
    bakker = open_household(client, toegang, "Gezin Bakker")
    visser = open_household(client, toegang, "Gezin Visser")
    assert showing(client, officer, bakker) == []

    assert client.get(f"{API}/households", params={"q": "bakker"}, headers=toegang).is_success
    assert showing(client, officer, bakker) == ["/households"]
    assert showing(client, officer, visser) == []  # the search did not show it

    coordinate(client, toegang, directory, bakker)
    assert client.get(f"{API}/worklist", headers=anna).is_success
    assert client.get(f"{API}/worklist/team", headers=anna).is_success  # Visser waits
    assert client.get(f"{API}/events", headers=toegang).is_success
    add_member(client, bakker, toegang, bsn=SANNE)
    system = token("municipal_system", municipalities=("0193",), sub="zwolle-system")
    sync(client, system, record("LOG-1"))
    assert client.get(f"{API}/indications", headers=system).is_success

    assert showing(client, officer, bakker) == [
        "/households",
        "/worklist",
        "/events",
        "/indications",
        "/indications",
    ]
    assert showing(client, officer, visser) == ["/worklist/team", "/events"]
    entry = next(i for i in log_of(client, officer, bakker) if i["resource"] == "/worklist")
    assert entry["actor"]["roles"] == ["toegang"]
    assert entry["legalBasis"] == "regisseur"

    # One record per request, whatever it showed; sealed and verified like any other.
    with Session(bind=connection) as session:
        named = session.query(AuditNamedHousehold).count()
        assert chain.seal(session, window=chain.WINDOW) > 0
        assert chain.verify(session).ok
    assert named == 7
