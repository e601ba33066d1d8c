"""The tariff sync: a municipal system mirrors its price list by key.

Each record is answered on its own; a re-sent batch changes nothing; a product's validity
periods never overlap; a system reaches only its own municipalities.
"""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from gezinsplan.tariffs.models import Tariff
from tests.conftest import Token

API = "/api/v1"
SYNC = f"{API}/tariffs"
tariffs = Tariff.__table__  # type: ignore[attr-defined]


def tariff(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "municipalityCode": "0193",
        "regulation": "jeugdwet",
        "productCategory": "45",
        "productCode": "45A10",
        "unit": "04",
        "priceCents": 8250,
        "validFrom": "2026-01-01",
        "validUntil": "2026-12-31",
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


@pytest.fixture
def system(token: Token) -> dict[str, str]:
    """Zwolle's municipal system."""
    return token("municipal_system", municipalities=("0193",), sub="zwolle-system")


def sync(client: TestClient, headers: dict[str, str], *records: Any) -> dict[str, Any]:
    response = client.put(SYNC, json={"tariffs": list(records)}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def stored(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(tariffs)).scalar_one())


def test_a_resent_batch_changes_nothing(
    client: TestClient, system: dict[str, str], connection: Connection
) -> None:
    batch = [
        tariff(),
        tariff(productCode=None, priceCents=7000),
        tariff(
            regulation="wmo", productCategory="02", productCode=None, unit="14", priceCents=12000
        ),
    ]
    first = sync(client, system, *batch)
    assert first["summary"] == {"created": 3, "updated": 0, "unchanged": 0, "rejected": 0}
    listed = client.get(SYNC, headers=system).json()["items"]
    again = sync(client, system, *batch)
    assert again["summary"] == {"created": 0, "updated": 0, "unchanged": 3, "rejected": 0}
    assert [r["id"] for r in again["results"]] == [r["id"] for r in first["results"]]
    assert client.get(SYNC, headers=system).json()["items"] == listed
    assert stored(connection) == 3
    default = next(item for item in listed if item["priceCents"] == 7000)
    assert default["productCode"] is None

    changed = sync(client, system, tariff(priceCents=8500))
    assert changed["results"][0]["status"] == "updated"
    assert changed["results"][0]["id"] == first["results"][0]["id"]
    assert stored(connection) == 3


def test_each_bad_record_is_rejected_on_its_own(
    client: TestClient, system: dict[str, str], connection: Connection
) -> None:
    body = sync(
        client,
        system,
        tariff(priceCents=0),
        tariff(priceCents=-5),
        tariff(unit="99"),
        tariff(productCategory="02"),  # a Wmo category under the Jeugdwet
        tariff(validUntil="2025-12-31"),
        tariff(municipalityCode="0363"),  # not this system's
        tariff(),
        tariff(),  # the same key twice
        {"priceCents": "a lot"},
    )
    statuses = [result["status"] for result in body["results"]]
    assert statuses == ["rejected"] * 6 + ["created"] + ["rejected"] * 2
    for result in body["results"]:
        if result["status"] == "rejected":
            assert result["problem"]["status"] == 422
            assert result["problem"]["invalidParams"]
    assert stored(connection) == 1


def test_validity_periods_of_a_product_do_not_overlap(
    client: TestClient, system: dict[str, str], connection: Connection
) -> None:
    assert sync(client, system, tariff(validUntil=None))["summary"]["created"] == 1
    # A new period while the old one is open-ended overlaps it: rejected, nothing changes.
    late = tariff(validFrom="2027-01-01", validUntil=None, priceCents=8600)
    assert sync(client, system, late)["results"][0]["status"] == "rejected"
    # Ending the old period in the same batch lets the new one in, in either order.
    body = sync(client, system, late, tariff(validUntil="2026-12-31"))
    assert [r["status"] for r in body["results"]] == ["created", "updated"]
    # Another product, or the category's default, has periods of its own.
    other = sync(client, system, tariff(productCode=None), tariff(productCode="45A11"))
    assert other["summary"]["created"] == 2
    # Two new periods in one batch that overlap each other are both rejected.
    both = sync(
        client,
        system,
        tariff(productCode="45A12", validUntil="2026-06-30"),
        tariff(productCode="45A12", validFrom="2026-06-01"),
    )
    assert both["summary"]["rejected"] == 2
    assert stored(connection) == 4


def test_only_a_municipal_system_for_its_own_municipalities(
    client: TestClient, system: dict[str, str], token: Token
) -> None:
    sync(client, system, tariff())
    for role in ("policy", "toegang", "admin", "care_provider"):
        headers = token(role, municipalities=("0193",))
        assert client.get(SYNC, headers=headers).status_code == 403
        put = client.put(SYNC, json={"tariffs": [tariff()]}, headers=headers)
        assert put.status_code == 403
    assert client.get(f"{SYNC}?municipality=0363", headers=system).status_code == 403
    other = token("municipal_system", municipalities=("0363",), sub="amsterdam-system")
    assert client.get(SYNC, headers=other).json()["items"] == []
    assert client.get(SYNC).status_code == 401
