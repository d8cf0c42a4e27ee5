"""``existing_*`` hints on every database: optional, and when given and contradicting the
schema replayed from the migrations, one warning naming the script and line; the state wins.

Rendering goes through ``Dialect.render`` (what the pipeline calls), so a database whose
renderer never reads the hints warns exactly like MySQL, whose renderer needs them.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from dialect_support import ORIGIN, col, state_of, table
from helpers import Rev, make_project

from offline_sql import operations as ops
from offline_sql.cli import cli
from offline_sql.dialect_api.existing import AlterColumnHintWarning
from offline_sql.dialect_api.registry import NAMES, get_dialect
from offline_sql.errors import RenderError
from offline_sql.state import SchemaState
from offline_sql.statements import Statement

WHERE = re.escape(str(ORIGIN))


def users() -> SchemaState:
    return state_of(
        table(
            "users",
            col("id", sa.Integer(), nullable=False),
            col("name", sa.String(20), nullable=False, server_default="x"),
            pk=("id",),
        )
    )


MATCHING: dict[str, Any] = {
    "existing_type": sa.String(20),
    "existing_nullable": False,
    "existing_server_default": "x",
}
CONTRADICTING: dict[str, Any] = {
    "existing_type": sa.String(99),
    "existing_nullable": True,
    "existing_server_default": "y",
}


def alter(**hints: Any) -> ops.AlterColumn:
    op = ops.AlterColumn("users", column_name="name", type_=sa.String(40), **hints)
    op.origin = ORIGIN
    return op


def render(dialect: str, op: ops.Operation) -> tuple[list[Statement], list[str]]:
    """The statements and the hint warnings (messages) rendering ``op`` on ``users()``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = get_dialect(dialect).render(op, users())
    others = [w for w in caught if not issubclass(w.category, AlterColumnHintWarning)]
    assert not others, [str(w.message) for w in others]
    return out, [str(w.message) for w in caught]


@pytest.mark.parametrize("hint", sorted(CONTRADICTING))
@pytest.mark.parametrize("dialect", NAMES)
def test_a_contradicting_hint_warns_once_naming_the_line(dialect: str, hint: str) -> None:
    _, messages = render(dialect, alter(**{hint: CONTRADICTING[hint]}))
    assert len(messages) == 1, messages
    assert re.match(rf"{WHERE}: {hint}=.* contradicts the schema", messages[0])
    assert "users.name" in messages[0]


@pytest.mark.parametrize("dialect", NAMES)
def test_a_sql_default_is_shown_as_sql_text(dialect: str) -> None:
    """A warning shows the SQL of a clause object, never ``<TextClause object at 0x...>``."""
    _, messages = render(dialect, alter(existing_server_default=sa.text("now()")))
    assert len(messages) == 1, messages
    assert "existing_server_default=now() contradicts" in messages[0]
    assert "server_default 'x' on users.name" in messages[0]
    assert "object at 0x" not in messages[0]


@pytest.mark.parametrize("dialect", NAMES)
def test_matching_hints_do_not_warn(dialect: str) -> None:
    assert render(dialect, alter(**MATCHING))[1] == []


@pytest.mark.parametrize("dialect", NAMES)
def test_the_state_wins(dialect: str) -> None:
    """Contradicting hints change nothing in the SQL: it is what no hints at all give."""
    expected, _ = render(dialect, alter())
    out, messages = render(dialect, alter(**CONTRADICTING))
    assert [s.sql for s in out] == [s.sql for s in expected]
    assert len(messages) == 3


@pytest.mark.parametrize("dialect", NAMES)
def test_unknown_table_has_nothing_to_contradict(dialect: str) -> None:
    """The hints then describe the column (SQLite, which must rebuild, refuses instead)."""
    op = ops.AlterColumn(
        "ghost", column_name="c", nullable=False, existing_comment="", **CONTRADICTING
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", AlterColumnHintWarning)
        try:
            get_dialect(dialect).render(op, SchemaState())
        except RenderError as error:
            assert "not known to the schema state" in str(error)


@pytest.mark.parametrize("dialect", NAMES)
def test_hint_inside_a_batch_warns_once(dialect: str) -> None:
    """The batch's operations render through Dialect.render again (or one SQLite rebuild):
    either way, one warning per contradicting hint."""
    batch = ops.BatchAlterTable(
        "users",
        operations=(
            alter(existing_nullable=True),
            ops.AlterColumn(
                "users", column_name="name", nullable=True, existing_type=sa.String(40)
            ),
            ops.AlterColumn("users", column_name="name", comment="c", existing_type=sa.String(20)),
        ),
    )
    _, messages = render(dialect, batch)
    assert len(messages) == 2, messages  # the third hint is right after the first retype
    assert "existing_nullable=True" in messages[0] and messages[0].startswith(str(ORIGIN))
    assert "existing_type=String(length=20)" in messages[1]


# ---- through the CLI -------------------------------------------------------------------------

CREATE = (
    'op.create_table("users", sa.Column("id", sa.Integer, primary_key=True),\n'
    '    sa.Column("name", sa.String(20), nullable=False, server_default="x"))'
)
CONTRADICT = (
    'op.alter_column("users", "name", type_=sa.String(40), existing_type=sa.String(99),\n'
    '    existing_nullable=True, existing_server_default="y")'
)
AGREE = (
    'op.alter_column("users", "name", type_=sa.String(40), existing_type=sa.String(20),\n'
    '    existing_nullable=False, existing_server_default="x")'
)


def upgrade(tmp_path: Path, dialect: str, body: str) -> tuple[str, Path]:
    history = (
        Rev("a1", None, "create users", upgrade=CREATE),
        Rev("b2", "a1", "widen name", upgrade=body),
    )
    config = make_project(tmp_path / "project", history)
    result = CliRunner().invoke(
        cli, ["-c", str(config), "--dialect", dialect, "upgrade", "base:head", "--sql"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout
    return result.stderr, config.parent / "migrations" / "versions" / history[1].filename


def upgrade_line(script: Path) -> int:
    lines = script.read_text(encoding="utf-8").splitlines()
    return lines.index("def upgrade() -> None:") + 2


@pytest.mark.parametrize("dialect", NAMES)
def test_cli_prints_one_warning_per_contradicting_hint(tmp_path: Path, dialect: str) -> None:
    stderr, script = upgrade(tmp_path, dialect, CONTRADICT)
    lines = stderr.splitlines()
    assert len(lines) == 3, stderr
    hints = ("existing_type=", "existing_nullable=True", "existing_server_default='y'")
    for line, hint in zip(lines, hints, strict=True):
        assert line.startswith("mig: warning: "), line
        assert f"{script.name}:{upgrade_line(script)} (revision b2)" in line
        assert hint in line and "contradicts" in line


@pytest.mark.parametrize("dialect", NAMES)
def test_cli_is_quiet_when_hints_agree(tmp_path: Path, dialect: str) -> None:
    stderr, _ = upgrade(tmp_path, dialect, AGREE)
    assert stderr == ""
