"""The benchmark's results say when one worker did the work of both.

The workers share one listening socket, and one of them may accept every connection of a
run: the scenario then measures half the service, and its row must say so.
"""

from types import SimpleNamespace

import pytest

from bench import report


def test_the_busiest_workers_share_counts_only_the_cpu_used_between_the_readings() -> None:
    before = {1: 100.0, 2: 100.0}
    assert report.busiest_share(before, {1: 109.0, 2: 101.0}) == pytest.approx(0.9)
    assert report.busiest_share(before, {1: 105.0, 2: 105.0}) == pytest.approx(0.5)
    # A worker started during the run (one replaced) counts from zero.
    assert report.busiest_share(before, {1: 101.0, 3: 3.0}) == pytest.approx(0.75)
    assert report.busiest_share(before, before) == 0.0


def test_a_lopsided_scenario_says_so_in_its_status_mix() -> None:
    full = SimpleNamespace(statuses={"GET_200": 10})
    balanced = report._mix(SimpleNamespace(full=full, replaced=0, busiest=0.55))
    lopsided = report._mix(SimpleNamespace(full=full, replaced=0, busiest=0.97))
    assert balanced == "GET_200: 10"
    assert lopsided == "GET_200: 10; **one worker did 97% of the work**"


def _result(scenario: str, requests: int) -> SimpleNamespace:
    return SimpleNamespace(scenario=scenario, full=SimpleNamespace(requests=requests, seconds=10))


def test_each_scenario_is_set_against_the_bare_serving_of_its_own_statements() -> None:
    ceiling_a = _result("ceiling A", 80_000)
    served = [_result("plan read", 5_000), _result("list", 2_000), _result("edit", 1)]
    served += [_result("worklist", 2_400)]
    bare = [
        _result(report.ceiling_c_name(label, folded=folded), requests)
        for label, folded, requests in (
            ("plan read", False, 10_000),
            ("list", False, 8_000),
            ("plan read", True, 12_000),
            ("list", True, 16_000),
        )
    ]
    postgres = SimpleNamespace(engine="postgresql", households=10_000, results=served + bare)
    sqlite = SimpleNamespace(engine="sqlite", households=10_000, results=served)
    assert report._ceiling_c(ceiling_a, [postgres, sqlite]) == [
        "- postgresql, 10,000, x ceiling A: plan read 0.062 against ceiling C 0.125 and "
        "folded 0.150 (0.50 x ceiling C); list 0.025 against ceiling C 0.100 and folded "
        "0.200 (0.25 x ceiling C)."
    ]
    assert report._ceiling_c(ceiling_a, [sqlite]) == [
        "- not measured in this run (PostgreSQL only)."
    ]
