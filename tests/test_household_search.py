"""The household list's name search reads the words stored per household: they follow every
change to a household's or a member's name in the same request, on both engines."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.test_consents import add_member
from tests.test_households import open_household

API = "/api/v1/households"


@pytest.fixture
def found(client: TestClient, toegang: dict[str, str]) -> Any:
    def names(q: str) -> list[str]:
        response = client.get(API, params={"q": q}, headers=toegang)
        assert response.status_code == 200, response.text
        return [h["name"] for h in response.json()["items"]]

    return names


def test_a_member_is_found_by_the_beginning_of_their_given_and_family_name(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any], found: Any
) -> None:
    open_household(client, toegang, "Gezin Smit")
    assert found("noor") == []
    add_member(client, household["id"], toegang, givenName="Noor", familyName="van Dijk")
    assert found("noor") == ["Gezin Jansen"], "found once the member is added"
    assert found("dij") == ["Gezin Jansen"]
    assert found("no va di") == ["Gezin Jansen"]
    assert found("jans dijk") == ["Gezin Jansen"], "words of the household's and a member's name"
    assert found("noor smit") == [], "not words of two households"
    assert found(household["id"].replace("-", "")) == [], "only names are searched"


def test_the_search_follows_renames_of_the_household_and_its_members(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any], found: Any
) -> None:
    member = add_member(client, household["id"], toegang, givenName="Noor", familyName="Bakker")
    url = f"{API}/{household['id']}"
    renamed = client.patch(
        url, json={"name": "Gezin Visser"}, headers={**toegang, "If-Match": '"1"'}
    )
    assert renamed.status_code == 200, renamed.text
    assert found("jansen") == []
    assert found("visser noor") == ["Gezin Visser"], "the members' words stay"

    member_url = f"{url}/members/{member['id']}"
    changed = client.patch(
        member_url, json={"familyName": "de Wit"}, headers={**toegang, "If-Match": '"1"'}
    )
    assert changed.status_code == 200, changed.text
    assert found("bakker") == []
    assert found("wit") == ["Gezin Visser"]
    unnamed = client.patch(
        member_url, json={"isGuardian": False}, headers={**toegang, "If-Match": '"2"'}
    )
    assert unnamed.status_code == 200, unnamed.text
    assert found("noor wit") == ["Gezin Visser"]

    assert client.delete(member_url, headers=toegang).status_code == 204
    assert found("noor") == [], "not after the member left"
    assert found("wit") == []
    assert found("visser") == ["Gezin Visser"]


def test_diacritics_do_not_count(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any], found: Any
) -> None:
    add_member(client, household["id"], toegang, givenName="Çiğdem", familyName="Özdemir")
    open_household(client, toegang, "Gezin Brontë-Müller")
    assert found("ozd") == ["Gezin Jansen"]
    assert found("ÖZDEMIR") == ["Gezin Jansen"]
    assert found("cigd") == ["Gezin Jansen"]
    assert found("muller") == ["Gezin Brontë-Müller"]
    assert found("brontë") == ["Gezin Brontë-Müller"]


@pytest.mark.parametrize(
    "q",
    [
        'jansen"',
        '"jansen',
        "jan* OR x",
        "NOT jansen",
        "jansen:*",
        "jansen & !x | y",
        "household_id : x",
        "words : (x)",
        "NEAR(jansen x)",
        "'jansen'",
        "^jansen",
        "jansen -x",
        "(jansen",
        "jansen)",
        "{words}: jansen",
        "\\",
    ],
)
def test_search_operators_are_words_or_nothing_never_an_error(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any], q: str
) -> None:
    response = client.get(API, params={"q": q}, headers=toegang)
    assert response.status_code == 200, response.text
