"""Ceiling C's fold: a plan read's statements as one, each keeping its own parameters."""

from bench.statements import Statement, fold


def test_folded_statements_keep_apart_parameters_of_the_same_name() -> None:
    read = Statement(
        "SELECT a FROM t WHERE h = %(household)s AND o = %(org)s", {"household": 1, "org": 2}
    )
    audit = Statement("INSERT INTO audit (h) VALUES (%(household)s)", {"household": 3})
    folded = fold([read, audit])
    assert folded.parameters == {"s0_household": 1, "s0_org": 2, "s1_household": 3}
    assert folded.sql == (
        "WITH c0 AS (SELECT a FROM t WHERE h = %(s0_household)s AND o = %(s0_org)s), "
        "c1 AS (INSERT INTO audit (h) VALUES (%(s1_household)s)) "
        "SELECT json_build_array((SELECT json_agg(c0) FROM c0))::text"
    )


def test_a_statements_own_ctes_are_lifted_to_the_top() -> None:
    naming = Statement(
        "WITH record AS (INSERT INTO audit (h, note) VALUES (%(h)s, ')(') RETURNING n), "
        "other AS (SELECT (1)) INSERT INTO named (n) SELECT n FROM record",
        {"h": 1},
    )
    read = Statement("SELECT n FROM named", {})
    folded = fold([naming, read])
    assert folded.sql == (
        "WITH record AS (INSERT INTO audit (h, note) VALUES (%(s0_h)s, ')(') RETURNING n), "
        "other AS (SELECT (1)), c0 AS (INSERT INTO named (n) SELECT n FROM record), "
        "c1 AS (SELECT n FROM named) SELECT json_build_array((SELECT json_agg(c1) FROM c1))::text"
    )
    assert folded.parameters == {"s0_h": 1}
