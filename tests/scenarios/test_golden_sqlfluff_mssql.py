"""Every golden SQL Server script parses with sqlfluff's T-SQL grammar, batch by batch.

sqlcmd splits a script on ``GO`` lines and runs its own ``:`` commands before SQL Server
sees a batch; each batch is parsed as SQL Server would receive it. Replaces the sqlglot
check for T-SQL (sqlglot kept ``EXEC``, ``DECLARE``, ``IF``, ``THROW`` ... as raw commands
and so accepted ``EXEC('...' + QUOTENAME(@name))``, which SQL Server refuses).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from sqlfluff_support import unparsable

from golden import Scenario, scenarios

CASES = [
    pytest.param(s, id=s.name) for s in scenarios() if s.expected(dialect="mssql").suffix == ".sql"
]
GO = re.compile(r"^[ \t]*GO[ \t]*$", re.I | re.M)
SQLCMD_COMMAND = re.compile(r"^[ \t]*(?::|!!)", re.M)

OPERAND = r"(?:N?'(?:[^']|'')*'|NCHAR\(\d+\))"
CONCATENATED_DEFAULT = re.compile(rf"DEFAULT \(({OPERAND}(?: \+ {OPERAND})+)\)")


def _concat(match: re.Match[str]) -> str:
    return "DEFAULT CONCAT(" + ", ".join(re.findall(OPERAND, match.group(1))) + ")"


SQLFLUFF_GAPS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str], str]] = [
    (
        CONCATENATED_DEFAULT,
        _concat,
        "sqlfluff 4.5's tsql column DEFAULT takes no operator (DEFAULT (1 + 2) is unparsable), "
        "while SQL Server takes any constant expression: a text default with line breaks is "
        "('a' + NCHAR(10) + 'b'). Parsed as the same operands in CONCAT(...).",
    ),
]
"""Valid T-SQL sqlfluff's tsql dialect cannot parse: (what, an equivalent it parses, why).
The batch is parsed with the equivalent in place, so the rest of it is still checked."""


def batches(script: str) -> list[str]:
    """The batches sqlcmd sends: split on ``GO`` lines, its ``:``/``!!`` lines removed,
    batches holding only comments or nothing left out."""
    out = []
    for batch in GO.split(script):
        lines = ["" if SQLCMD_COMMAND.match(line) else line for line in batch.split("\n")]
        text = "\n".join(lines)
        if any(line.strip() and not line.lstrip().startswith("--") for line in lines):
            out.append(text)
    return out


def test_batches_split_like_sqlcmd() -> None:
    script = ":on error exit\nSELECT 1;\nGO\n-- only a note\nGO\nSELECT 'GO';\n go \n"
    assert [b.strip() for b in batches(script)] == ["SELECT 1;", "SELECT 'GO';"]


@pytest.mark.parametrize("scenario", CASES)
def test_every_golden_batch_parses_with_sqlfluff(scenario: Scenario) -> None:
    failures = []
    for batch in batches(scenario.expected_text("mssql")):
        for pattern, equivalent, _why in SQLFLUFF_GAPS:
            batch = pattern.sub(equivalent, batch)
        found = unparsable(batch, "tsql")
        if found:
            failures.append(f"{batch.strip()[:300]}\n  -> {found[:3]}")
    assert not failures, "\n\n".join(failures)


def test_the_gaps_are_real() -> None:
    """Each gap is unparsable as written and parses once rewritten."""
    batch = "CREATE TABLE t (s VARCHAR(9) NOT NULL DEFAULT ('a' + NCHAR(10) + N'b'));"
    assert unparsable(batch, "tsql")
    for pattern, equivalent, _why in SQLFLUFF_GAPS:
        batch = pattern.sub(equivalent, batch)
    assert unparsable(batch, "tsql") == []


def test_the_old_exec_of_an_expression_is_caught() -> None:
    """The check would have caught issue 13's bug: EXEC(...) takes literals and variables."""
    old = (
        "DECLARE @name sysname;\nSELECT @name = name FROM sys.key_constraints;\n"
        "IF @name IS NOT NULL EXEC('ALTER TABLE t DROP CONSTRAINT ' + QUOTENAME(@name));\n"
    )
    assert unparsable(old, "tsql")
