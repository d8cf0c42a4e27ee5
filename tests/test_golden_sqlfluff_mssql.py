"""Every golden SQL Server script parses with sqlfluff's T-SQL grammar, batch by batch.

sqlcmd splits a script on ``GO`` lines and runs its own ``:`` commands before SQL Server
sees a batch; each batch is parsed as SQL Server would receive it. Replaces the sqlglot
check for T-SQL (sqlglot kept ``EXEC``, ``DECLARE``, ``IF``, ``THROW`` ... as raw commands
and so accepted ``EXEC('...' + QUOTENAME(@name))``, which SQL Server refuses).
"""

from __future__ import annotations

import re

import pytest
from sqlfluff_support import unparsable

from golden import Scenario, scenarios

CASES = [
    pytest.param(s, id=s.name) for s in scenarios() if s.expected(dialect="mssql").suffix == ".sql"
]
GO = re.compile(r"^[ \t]*GO[ \t]*$", re.I | re.M)
SQLCMD_COMMAND = re.compile(r"^[ \t]*(?::|!!)", re.M)

SQLFLUFF_GAPS: dict[str, str] = {}
"""Batch text (a regular expression, matched from its start) -> why sqlfluff's tsql dialect
cannot parse that valid T-SQL. Empty: sqlfluff 4.5 parses every batch mig writes."""


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
        if any(re.match(gap, batch.strip()) for gap in SQLFLUFF_GAPS):
            continue
        found = unparsable(batch, "tsql")
        if found:
            failures.append(f"{batch.strip()[:300]}\n  -> {found[:3]}")
    assert not failures, "\n\n".join(failures)


def test_the_old_exec_of_an_expression_is_caught() -> None:
    """The check would have caught issue 13's bug: EXEC(...) takes literals and variables."""
    old = (
        "DECLARE @name sysname;\nSELECT @name = name FROM sys.key_constraints;\n"
        "IF @name IS NOT NULL EXEC('ALTER TABLE t DROP CONSTRAINT ' + QUOTENAME(@name));\n"
    )
    assert unparsable(old, "tsql")
