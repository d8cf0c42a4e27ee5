"""Policies every dialect shares: foreign-key actions fitted per database, SQLAlchemy warnings
refused, precision loss warned about."""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any

import pytest
import sqlalchemy as sa
from dialect_support import ORIGIN, col, state_of, table, with_origin
from sqlalchemy.dialects import mssql

from offline_sql import operations as ops
from offline_sql.dialect_api.base import PrecisionLossWarning
from offline_sql.dialect_api.registry import NAMES, get_dialect
from offline_sql.errors import RenderError
from offline_sql.state import SchemaState
from offline_sql.statements import Statement


def parents() -> SchemaState:
    return state_of(
        table("parents", col("id", sa.Integer(), False), pk=("id",)),
        table("kids", col("id", sa.Integer(), False), col("parent_id", sa.Integer()), pk=("id",)),
    )


def create_fk(ondelete: str | None = None, onupdate: str | None = None) -> ops.CreateForeignKey:
    op = ops.CreateForeignKey(
        "kids",
        constraint_name="fk_kids_parent",
        referent_table="parents",
        local_cols=("parent_id",),
        remote_cols=("id",),
        ondelete=ondelete,
        onupdate=onupdate,
    )
    with_origin(op)
    return op


def create_table_fk(ondelete: str | None = None, onupdate: str | None = None) -> ops.CreateTable:
    fk = sa.ForeignKey("parents.id", ondelete=ondelete, onupdate=onupdate)
    op = ops.CreateTable(
        "kids2",
        items=(
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("parent_id", sa.Integer, fk),
        ),
    )
    with_origin(op)
    return op


def add_column_fk(ondelete: str | None = None, onupdate: str | None = None) -> ops.AddColumn:
    fk = sa.ForeignKey("parents.id", ondelete=ondelete, onupdate=onupdate, name="fk_kids_other")
    op = ops.AddColumn("kids", column=sa.Column("other_id", sa.Integer, fk))
    with_origin(op)
    return op


BUILDERS = [create_fk, create_table_fk, add_column_fk]

LEFT_OUT = [
    ("mssql", {"ondelete": "RESTRICT"}, "ON DELETE"),
    ("mssql", {"onupdate": "restrict"}, "ON UPDATE"),
    ("oracle", {"ondelete": "RESTRICT"}, "ON DELETE"),
    ("oracle", {"ondelete": "NO ACTION"}, "ON DELETE"),
    ("oracle", {"onupdate": "NO ACTION"}, "ON UPDATE"),
]


def rendered(dialect: str, op: ops.Operation) -> list[Statement]:
    return get_dialect(dialect).render(op, parents())


@pytest.mark.parametrize("build", BUILDERS)
@pytest.mark.parametrize(("dialect", "kw", "clause"), LEFT_OUT)
def test_restrict_without_keyword_is_left_out_with_a_note(
    build: Any, dialect: str, kw: dict[str, str], clause: str
) -> None:
    out = rendered(dialect, build(**kw))
    fk_statements = [s for s in out if "REFERENCES" in s.sql]
    assert fk_statements
    for statement in fk_statements:
        assert clause not in statement.sql
        assert statement.comment is not None
        assert f"{clause} {kw[next(iter(kw))].upper()} left out" in statement.comment


REFUSED = [
    ("oracle", {"onupdate": "CASCADE"}, "ON UPDATE CASCADE"),
    ("oracle", {"onupdate": "SET NULL"}, "ON UPDATE SET NULL"),
    ("oracle", {"ondelete": "SET DEFAULT"}, "ON DELETE SET DEFAULT"),
    ("mysql", {"ondelete": "SET DEFAULT"}, "ON DELETE SET DEFAULT"),
    ("mariadb", {"onupdate": "set  default"}, "ON UPDATE SET DEFAULT"),
]


@pytest.mark.parametrize("build", BUILDERS)
@pytest.mark.parametrize(("dialect", "kw", "what"), REFUSED)
def test_action_without_equivalent_is_a_render_error(
    build: Any, dialect: str, kw: dict[str, str], what: str
) -> None:
    with pytest.raises(RenderError) as info:
        rendered(dialect, build(**kw))
    message = str(info.value)
    assert what in message
    assert ORIGIN.revision in message and f"{ORIGIN.path}:{ORIGIN.line}" in message
    assert "leave" in message


KEPT = [
    ("postgresql", "RESTRICT", "CASCADE"),
    ("sqlite", "SET DEFAULT", "RESTRICT"),
    ("mysql", "RESTRICT", "CASCADE"),
    ("mssql", "SET DEFAULT", "CASCADE"),
    ("oracle", "SET NULL", None),
]


@pytest.mark.parametrize(("dialect", "ondelete", "onupdate"), KEPT)
def test_supported_actions_are_rendered_as_given(
    dialect: str, ondelete: str, onupdate: str | None
) -> None:
    (statement,) = [s for s in rendered(dialect, create_fk(ondelete, onupdate)) if "fk_" in s.sql]
    assert f"ON DELETE {ondelete}" in statement.sql
    if onupdate is not None:
        assert f"ON UPDATE {onupdate}" in statement.sql
    assert statement.comment is None


def test_script_objects_are_not_changed() -> None:
    op = create_table_fk("RESTRICT")
    rendered("mssql", op)
    (column,) = [c for c in op.items if isinstance(c, sa.Column) and c.name == "parent_id"]
    assert next(iter(column.foreign_keys)).ondelete == "RESTRICT"


def test_mysql_keeps_restrict_when_re_adding_a_foreign_key() -> None:
    (statement,) = rendered("mysql", create_fk("RESTRICT", "RESTRICT"))
    assert "ON DELETE RESTRICT ON UPDATE RESTRICT" in statement.sql


# ---- SAWarning policy ----------------------------------------------------------------------


class _Warns(sa.types.UserDefinedType[Any]):
    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        from sqlalchemy import util

        util.warn("this type was changed for the database")
        return "INTEGER"


@pytest.mark.parametrize("dialect", NAMES)
def test_sqlalchemy_warning_is_a_render_error_naming_the_operation(dialect: str) -> None:
    op = with_origin(ops.AddColumn("kids", column=sa.Column("odd", _Warns())))
    with pytest.raises(RenderError) as info:
        get_dialect(dialect).render(op, parents())
    message = str(info.value)
    assert "this type was changed for the database" in message
    assert "op.add_column on table 'kids'" in message
    assert ORIGIN.revision in message


def test_other_warnings_pass_through_unchanged() -> None:
    op = with_origin(
        ops.BulkInsert(
            "kids",
            table=sa.table("kids", sa.column("id", sa.DateTime())),
            rows=[{"id": dt.datetime(2024, 1, 1, 0, 0, 0, 1)}],
        )
    )
    with pytest.warns(PrecisionLossWarning):
        get_dialect("oracle").render(op, parents())


def test_oracle_on_update_never_reaches_sqlalchemy_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(RenderError, match="ON UPDATE CASCADE"):
            rendered("oracle", create_table_fk(onupdate="CASCADE"))


# ---- precision loss --------------------------------------------------------------------------

MICRO = dt.datetime(2024, 2, 29, 23, 59, 58, 123456)
PRECISION = [
    ("mssql", sa.DateTime(), MICRO, True),
    ("mssql", sa.DateTime(), dt.datetime(2024, 1, 1, 0, 0, 0, 3000), False),
    ("mssql", sa.DateTime(), dt.datetime(2024, 1, 1, 0, 0, 0, 124000), True),
    ("mssql", sa.DateTime(), dt.datetime(2024, 1, 1, 0, 0, 0, 127000), False),
    ("mssql", sa.DateTime(), dt.datetime(2024, 1, 1, 0, 0, 0, 120000), False),
    ("mssql", sa.DateTime(timezone=True), MICRO, False),
    ("mssql", mssql.DATETIME2(), MICRO, False),  # type: ignore[no-untyped-call]
    ("mssql", mssql.SMALLDATETIME(), dt.datetime(2024, 1, 1, 0, 0, 5), True),
    ("oracle", sa.DateTime(), MICRO, True),
    ("oracle", sa.DateTime(), dt.datetime(2024, 1, 1, 0, 0, 5), False),
    ("oracle", sa.TIMESTAMP(), MICRO, False),
    ("oracle", sa.DateTime(timezone=True), MICRO, False),
    ("postgresql", sa.DateTime(), MICRO, False),
    ("mysql", sa.DateTime(), MICRO, False),
]


def _insert(type_: Any, value: Any) -> ops.BulkInsert:
    return with_origin(  # type: ignore[return-value]
        ops.BulkInsert("kids", table=sa.table("kids", sa.column("at", type_)), rows=[{"at": value}])
    )


def _execute(type_: Any, value: Any) -> ops.Execute:
    t = sa.table("kids", sa.column("at", type_), sa.column("id", sa.Integer()))
    return with_origin(  # type: ignore[return-value]
        ops.Execute(sqltext=sa.update(t).values(at=value).where(t.c.id == 1))
    )


@pytest.mark.parametrize("build", [_insert, _execute])
@pytest.mark.parametrize(("dialect", "type_", "value", "lost"), PRECISION)
def test_precision_loss_is_warned_naming_the_script_line(
    build: Any, dialect: str, type_: Any, value: dt.datetime, lost: bool
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        get_dialect(dialect).render(build(type_, value), parents())
    found = [w for w in caught if issubclass(w.category, PrecisionLossWarning)]
    assert bool(found) == lost
    if lost:
        assert f"{ORIGIN.path}:{ORIGIN.line}" in str(found[0].message)
        assert "column at" in str(found[0].message)
