"""SQL Server scripts keep the vendor's documented rules (issue 13; issue 11 for sqlcmd).

``tests/support/mssql_rules.py`` writes each rule down from Microsoft's documentation; here every
golden SQL Server script is held to all of them, each rule is shown to flag the output mig
wrote before (so it can fail), and the renderings behind each rule are checked case by case.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
import sqlalchemy as sa
from dialect_support import col, sqls, state_of, table, with_origin
from mssql_rules import (
    RULES,
    concatenation_limits,
    description_schemas,
    exec_arguments,
    foreign_key_types,
    identity_inserts,
    session_settings,
    sqlcmd_lines,
)

from golden import scenarios
from offline_sql import operations as ops
from offline_sql.dialect_api.registry import get_dialect
from offline_sql.dialects.mssql.dialect import CodePageWarning
from offline_sql.errors import RenderError
from offline_sql.frame import FramedStep, FrameOptions, frame_script
from offline_sql.state import SchemaState
from offline_sql.table_state import ForeignKeyState

GOLDEN = [s for s in scenarios() if s.expected("mssql").suffix == ".sql"]


@pytest.mark.parametrize("rule", sorted(RULES))
@pytest.mark.parametrize("scenario", GOLDEN, ids=[s.name for s in GOLDEN])
def test_golden_scripts_keep_the_rule(scenario: Any, rule: str) -> None:
    assert RULES[rule](scenario.expected_text("mssql")) == []


def render(op: ops.Operation, state: SchemaState | None = None) -> list[str]:
    return sqls(get_dialect("mssql").render(with_origin(op), state or SchemaState()))


def script_of(*statements: str) -> str:
    """Statements as the framer lays them out (``;`` and a ``GO`` line after each)."""
    return "".join(f"{s};\nGO\n" for s in statements)


# ---- rule 1: EXEC (...) takes literals and variables ----------------------------------------

OLD_DROP = (
    "DECLARE @name sysname;\n"
    "SELECT @name = dc.name FROM sys.default_constraints AS dc WHERE dc.name = N'x';\n"
    "IF @name IS NOT NULL EXEC('ALTER TABLE products DROP CONSTRAINT ' + QUOTENAME(@name));\n"
)


def test_rule_1_flags_the_old_exec_of_quotename() -> None:
    assert exec_arguments(OLD_DROP)
    assert exec_arguments("EXEC(N'SELECT 1' + @tail + 'x''y');") == []


def test_rule_1_default_lookup_runs_sp_executesql() -> None:
    state = state_of(table("t", col("c", sa.Integer(), server_default="1")))
    [drop] = render(ops.AlterColumn("t", column_name="c", server_default=None), state)
    assert "EXEC sp_executesql @sql;" in drop
    assert "SET @sql = N'ALTER TABLE t DROP CONSTRAINT ' + QUOTENAME(@name);" in drop
    assert exec_arguments(drop) == []


# ---- rule 2: IDENTITY_INSERT ---------------------------------------------------------------

OLD_BATCH_ALTER = script_of(
    "CREATE TABLE members (\n\tid INTEGER NOT NULL IDENTITY, \n\thandle VARCHAR(30) NOT NULL, "
    "\n\tPRIMARY KEY (id)\n)",
    "INSERT INTO members (id, handle) VALUES (1, 'ada'), (2, 'bob')",
)


def test_rule_2_flags_explicit_identity_values_without_identity_insert() -> None:
    assert identity_inserts(OLD_BATCH_ALTER)
    wrong_way = OLD_BATCH_ALTER.replace(
        "INSERT INTO members (id, handle) VALUES (1, 'ada'), (2, 'bob')",
        "SET IDENTITY_INSERT members ON;\nINSERT INTO members (handle) VALUES ('ada')",
    )
    assert any("Msg 545" in v for v in identity_inserts(wrong_way))


def members(**id_kw: Any) -> ops.CreateTable:
    return ops.CreateTable(
        "members",
        items=(
            sa.Column("id", sa.Integer(), primary_key=True, **id_kw),
            sa.Column("handle", sa.String(30)),
        ),
    )


def inserted(create: ops.CreateTable, rows: list[dict[str, Any]], multi: bool = True) -> str:
    state = SchemaState()
    created = render(create, state)
    state.apply(create)
    target = sa.table("members", sa.column("id", sa.Integer()), sa.column("handle", sa.String()))
    insert = ops.BulkInsert("members", table=target, rows=rows, multiinsert=multi)
    return script_of(*created, *render(insert, state))


def test_identity_insert_only_around_rows_naming_the_identity_column() -> None:
    script = inserted(members(), [{"id": 5, "handle": "a"}, {"handle": "b"}])
    assert script.count("SET IDENTITY_INSERT members ON;") == 1
    assert "SET IDENTITY_INSERT members ON;\nINSERT INTO members (id, handle)" in script
    assert identity_inserts(script) == []


def test_no_identity_insert_without_an_identity_column() -> None:
    script = inserted(members(autoincrement=False), [{"id": 5, "handle": "a"}])
    assert "IDENTITY_INSERT" not in script
    assert identity_inserts(script) == []


def test_identity_column_made_by_sa_identity() -> None:
    create = ops.CreateTable(
        "members",
        items=(
            sa.Column("no", sa.Integer(), primary_key=True, autoincrement=False),
            sa.Column("id", sa.Integer(), sa.Identity(start=10)),
            sa.Column("handle", sa.String(30)),
        ),
    )
    script = inserted(create, [{"id": 5, "handle": "a"}])
    assert "SET IDENTITY_INSERT members ON" in script
    assert identity_inserts(script) == []


def test_unknown_table_asks_the_server_which_column_is_identity() -> None:
    target = sa.table("legacy", sa.column("id", sa.Integer()), sa.column("v", sa.String()))
    [sql] = render(ops.BulkInsert("legacy", table=target, rows=[{"id": 1, "v": "x"}]))
    test = (
        "IF EXISTS (SELECT 1 FROM sys.identity_columns WHERE object_id = "
        "OBJECT_ID(N'[legacy]') AND name IN (N'id', N'v')) "
    )
    assert sql.startswith(f"{test}SET IDENTITY_INSERT legacy ON;\nINSERT INTO legacy")
    assert sql.endswith(f";\n{test}SET IDENTITY_INSERT legacy OFF")


# ---- rule 3: foreign keys between columns of one type --------------------------------------

OLD_RETYPE = script_of(
    "CREATE TABLE users (\n\tid INTEGER NOT NULL, \n\tPRIMARY KEY (id)\n)",
    "CREATE TABLE orders (\n\tid INTEGER NOT NULL, \n\tuser_id INTEGER NOT NULL, \n"
    "\tPRIMARY KEY (id), \n"
    "\tCONSTRAINT fk_orders_user FOREIGN KEY(user_id) REFERENCES users (id)\n)",
    "ALTER TABLE orders DROP CONSTRAINT fk_orders_user",
    "ALTER TABLE users ALTER COLUMN id BIGINT NOT NULL",
    "ALTER TABLE orders ADD CONSTRAINT fk_orders_user FOREIGN KEY(user_id) REFERENCES users (id)",
)


def test_rule_3_flags_the_old_foreign_key_re_added_between_two_types() -> None:
    assert foreign_key_types(OLD_RETYPE)
    fixed = OLD_RETYPE.replace(
        "ALTER TABLE orders ADD",
        "ALTER TABLE orders ALTER COLUMN user_id BIGINT NOT NULL;\nGO\nALTER TABLE orders ADD",
    )
    assert foreign_key_types(fixed) == []


def keyed(child_type: sa.types.TypeEngine[Any]) -> SchemaState:
    users = table("users", col("id", sa.Integer(), False), pk=("id",))
    orders = table(
        "orders",
        col("id", sa.Integer(), False),
        col("user_id", child_type, False),
        pk=("id",),
        fks=(ForeignKeyState("fk_orders_user", ("user_id",), None, "users", ("id",)),),
    )
    return state_of(users, orders)


@pytest.mark.parametrize(
    ("table_name", "column"), [("users", "id"), ("orders", "user_id")], ids=["key", "referencing"]
)
def test_retyped_key_with_foreign_keys_of_the_old_type_is_refused(
    table_name: str, column: str
) -> None:
    op = ops.AlterColumn(table_name, column_name=column, type_=sa.BigInteger())
    with pytest.raises(RenderError) as caught:
        render(op, keyed(sa.Integer()))
    message = str(caught.value)
    assert "foreign key fk_orders_user pairs it with" in message
    assert "drop the foreign key first (op.drop_constraint)" in message
    assert "\n" not in message


def test_foreign_key_is_re_added_when_both_sides_match() -> None:
    op = ops.AlterColumn("users", column_name="id", type_=sa.BigInteger())
    out = render(op, keyed(sa.BigInteger()))
    assert out[-1].startswith("ALTER TABLE orders ADD CONSTRAINT fk_orders_user")


# ---- rule 4: long concatenations are nvarchar(max) -----------------------------------------


def old_pieces(text: str) -> str:
    """How mig wrote a text with line breaks before: pieces joined with +, nothing (max)."""
    return "(" + " + NCHAR(10) + ".join(f"'{p}'" for p in text.split("\n")) + ")"


def test_rule_4_flags_the_old_long_concatenation() -> None:
    text = "a" * 3000 + "\n" + "b" * 3000
    assert concatenation_limits(f"INSERT INTO t (c) VALUES ({old_pieces(text)});")
    assert concatenation_limits(f"INSERT INTO t (c) VALUES ({old_pieces('a' + chr(10))});") == []


@pytest.mark.parametrize(
    "text",
    [
        "a" * 3000 + "\n" + "b" * 3000,
        "\n" * 4001,
        "$(" * 2001,
        "é" * 4000 + "\r",
        "🎉" * 2000 + "\n",
    ],
    ids=["two-pieces", "only-breaks", "dollar-parens", "n-literal", "surrogates"],
)
def test_long_texts_in_pieces_start_with_a_max_operand(text: str) -> None:
    literal = get_dialect("mssql").literal(text, sa.UnicodeText())
    assert literal.startswith("(CAST(") and " AS nvarchar(max)) + " in literal
    assert concatenation_limits(literal) == []
    assert sqlcmd_lines(literal) == []


def test_short_texts_in_pieces_stay_plain() -> None:
    text = "a" * 3998 + "\n"
    assert not get_dialect("mssql").literal(text, sa.UnicodeText()).startswith("(CAST(")


# ---- rule 5: preamble, description schemas, sqlcmd lines -----------------------------------

OLD_PREAMBLE = ":on error exit\nSET XACT_ABORT ON\n\nBEGIN TRANSACTION;\nGO\n"


def test_rule_5_flags_the_old_preamble() -> None:
    found = session_settings(OLD_PREAMBLE)
    assert "SET QUOTED_IDENTIFIER ON" in found and "SET ANSI_NULLS ON" in found
    assert any("NOEXEC" in v for v in found)


def test_preamble_keeps_the_rule() -> None:
    dialect = get_dialect("mssql")
    step = FramedStep("a1", "m", "upgrade", (), ("a1",), [], [])
    script = frame_script(dialect, [step], FrameOptions(title="upgrade base -> a1"))
    assert session_settings(script) == []
    assert sqlcmd_lines(script) == []


OLD_DESCRIPTION = (
    "EXEC sp_addextendedproperty @name = N'MS_Description', @value = N'x', "
    "@level0type = N'SCHEMA', @level0name = N'dbo', @level1type = N'TABLE', @level1name = N't';"
)


def test_rule_5_flags_the_old_dbo_description() -> None:
    assert description_schemas(OLD_DESCRIPTION)
    assert description_schemas(OLD_DESCRIPTION, frozenset({"dbo"})) == []


def test_description_names_the_tables_schema() -> None:
    op = ops.CreateTableComment("t", comment="x", schema="sales", existing_comment=None)
    [sql] = render(op)
    assert "@level0name = N'sales'" in sql and "SCHEMA_NAME()" not in sql
    assert description_schemas(sql, frozenset({"sales"})) == []


def test_long_description_is_refused() -> None:
    op = ops.CreateTableComment("t", comment="x" * 3751, existing_comment=None)
    with pytest.raises(RenderError, match="description longer than 3750"):
        render(op)


OLD_COMMENT = (
    "EXEC sp_addextendedproperty @name = N'MS_Description', "
    "@value = N'state\nGO\n!! rm -rf /\n$(SQLCMDPASSWORD)', @level0type = N'SCHEMA';"
)


def test_rule_5_flags_the_old_raw_comment() -> None:
    found = sqlcmd_lines(OLD_COMMENT)
    assert len(found) == 3  # GO, !! and $(


@pytest.mark.parametrize(
    "comment", ["state\nGO\n!! rm -rf /", "$(SQLCMDPASSWORD)", "a\r\n:r evil.sql\r\nEXIT"]
)
def test_comments_never_make_a_sqlcmd_line(comment: str) -> None:
    op = ops.CreateTableComment("t", comment=comment, existing_comment=None)
    [sql] = render(op)
    assert sqlcmd_lines(script_of(sql)) == []
    assert "@value = @mig_value" in sql


@pytest.mark.parametrize(
    "op",
    [
        ops.AddColumn("t", column=sa.Column("a\nGO\nb", sa.Integer())),
        ops.AddColumn("t", column=sa.Column("x$(SQLCMDPASSWORD)", sa.Integer())),
        ops.RenameTable("t", new_table_name="u\n!! echo pwned"),
        ops.Execute("UPDATE t SET a = 1\nGO\nDROP TABLE t"),
        ops.Execute("SELECT '$(SQLCMDPASSWORD)'"),
        ops.CreateCheckConstraint("ck", "t", "a > 0\n!! evil"),
    ],
    ids=["name-go", "name-variable", "rename-shell", "raw-go", "raw-variable", "check-command"],
)
def test_what_literals_cannot_rewrite_is_refused_in_one_line(op: ops.Operation) -> None:
    with pytest.raises(RenderError) as caught:
        render(op)
    message = str(caught.value)
    assert "sqlcmd" in message and "\n" not in message.rstrip("\n")


@pytest.mark.parametrize("name", ["go", "GO", "ed", "exit", "quit", "reset"])
def test_names_spelled_like_sqlcmd_commands_are_quoted(name: str) -> None:
    create = ops.CreateTable("t", items=(sa.Column(name, sa.Integer()),))
    [sql] = render(create)
    assert f"\t[{name}] INTEGER" in sql
    assert sqlcmd_lines(script_of(sql)) == []


def test_text_outside_the_code_page_for_varchar_warns() -> None:
    target = sa.table(
        "t",
        sa.column("v", sa.String(20)),
        sa.column("n", sa.Unicode(20)),
        sa.column("u", sa.String(20, collation="Latin1_General_100_CI_AS_SC_UTF8")),
    )
    op = ops.BulkInsert("t", table=target, rows=[{"v": "漢字", "n": "漢字", "u": "漢字"}])
    with pytest.warns(CodePageWarning, match=r"column v \(VARCHAR\(20\)\).*sa.Unicode") as caught:
        render(op)
    assert len(caught) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        render(ops.BulkInsert("t", table=target, rows=[{"v": "café €", "n": "漢字"}]))
