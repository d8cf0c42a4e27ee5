"""Every statement of every golden Oracle script parses with sqlfluff's Oracle dialect.

The script is split the way SQL*Plus splits it (``tests/support/sqlplus_rules.py``: ``;`` at a line
end, ``/`` lines, SQL*Plus commands such as WHENEVER/SET/EXIT left out), and each SQL
statement or PL/SQL block is parsed on its own: zero unparsable units, except the gaps
listed in :data:`SQLFLUFF_GAPS`, each with the reason it is sqlfluff's and not ours. This
replaces the sqlglot check for Oracle, which could read neither PL/SQL nor ``MODIFY``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

import pytest
from sqlfluff.core import FluffConfig, Linter
from sqlplus_rules import read_script

from golden import Scenario, scenarios

ORACLE_GOLDENS = [s for s in scenarios() if s.golden("oracle").exists()]

OPERAND = r"(?:'(?:[^']|'')*'|CHR\(\d+\))"
EXPRESSION_DEFAULT = re.compile(rf"DEFAULT \(({OPERAND}(?: \|\| {OPERAND})+)\)")


def _as_concat(match: re.Match[str]) -> str:
    """The same operands, nested in CONCAT calls sqlfluff reads after DEFAULT."""
    operands = re.findall(OPERAND, match.group(1))
    spelled = operands[0]
    for operand in operands[1:]:
        spelled = f"CONCAT({spelled}, {operand})"
    return f"DEFAULT {spelled}"


SQLFLUFF_GAPS: dict[str, tuple[re.Pattern[str], Callable[[re.Match[str]], str], str]] = {
    "expression-default": (
        EXPRESSION_DEFAULT,
        _as_concat,
        "sqlfluff's Oracle grammar takes only a bare literal or function call after a column's "
        "DEFAULT, while Oracle takes any expression (DEFAULT ('a' || CHR(10) || 'b'), how mig "
        "writes a default with a line break). Parsed with the same operands in CONCAT(...).",
    ),
}
"""name -> (statement pattern, the equivalent sqlfluff reads, why sqlfluff cannot parse the
valid Oracle statement as written)."""


@cache
def linter() -> Linter:
    return Linter(config=FluffConfig(overrides={"dialect": "oracle"}))


def unparsable(sql: str) -> list[str]:
    """The unparsable sections sqlfluff reports for one statement (empty when it parses)."""
    parsed = linter().parse_string(sql + "\n")
    variant = parsed.root_variant()
    tree = variant.tree if variant is not None else None
    if tree is None:
        return ["no parse tree", *(v.desc() for v in parsed.violations)]
    found = [s.raw[:120] for s in tree.recursive_crawl("unparsable")]
    return found + [v.desc() for v in parsed.violations if not found]


def around_gaps(sql: str) -> str:
    """The statement with each known gap spelled as its equivalent."""
    for pattern, equivalent, _why in SQLFLUFF_GAPS.values():
        sql = pattern.sub(equivalent, sql)
    return sql


@pytest.mark.parametrize("scenario", ORACLE_GOLDENS, ids=[s.name for s in ORACLE_GOLDENS])
def test_every_golden_oracle_statement_parses_with_sqlfluff(scenario: Scenario) -> None:
    script = read_script(scenario.expected_text("oracle"))
    assert script.statements
    failures = []
    for unit in script.statements:
        problems = unparsable(around_gaps(unit.text))
        if problems:
            failures.append(f"line {unit.first_line}: {problems}\n{unit.text[:400]}")
    assert failures == []


@pytest.mark.parametrize(
    "sql",
    [
        "COMMENT ON COLUMN t.c IS ('a' || CHR(10) || 'b')",
        "ALTER TABLE t MODIFY (c NUMBER(19)",
        "INSERT INTO t (a) VALUES ('x",
        "CREATE TABLE t (a INTEGER,, b INTEGER)",
    ],
    ids=["comment-expression", "unclosed-parenthesis", "cut-literal", "empty-list-item"],
)
def test_sqlfluff_refuses_what_oracle_refuses(sql: str) -> None:
    """The parser is strict where it matters here (COMMENT ON takes a literal only)."""
    assert unparsable(sql)


def test_sqlfluff_reads_what_oracle_reads() -> None:
    assert not unparsable("COMMENT ON COLUMN t.c IS 'a'")


def test_every_gap_is_still_a_gap() -> None:
    """A gap sqlfluff has closed is removed from the list (kept honest both ways)."""
    statements = [
        unit.text
        for scenario in ORACLE_GOLDENS
        for unit in read_script(scenario.expected_text("oracle")).statements
    ]
    for name, (pattern, _equivalent, _why) in SQLFLUFF_GAPS.items():
        found = [sql for sql in statements if pattern.search(sql)]
        assert found, f"gap {name} matches no golden statement"
        assert any(unparsable(sql) for sql in found), f"sqlfluff parses gap {name} now"
