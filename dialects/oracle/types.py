"""Oracle column type changes that ``ALTER TABLE ... MODIFY`` cannot make on a table with rows.

Oracle SQL Reference, ``ALTER TABLE`` (modify_col_properties): the precision or scale of a
``NUMBER`` column can be decreased only while the column holds no value (ORA-01440), and a
column cannot change between a LOB and another type (ORA-22858 VARCHAR2 -> CLOB, ORA-22859
back). A migration script cannot know whether the table is empty, so:

* an integer type changed to another integer type the existing column already holds
  (``sa.Integer``, ``NUMBER(38)``, to ``sa.BigInteger``, ``NUMBER(19)``) keeps its type: every
  value of the new type fits, and the MODIFY would fail on the first row (a note says so);
* any other decrease of precision or scale, or a change to or from a LOB, is refused at
  generation with the add / copy / drop / rename steps to write instead.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from offline_sql import operations as ops
from offline_sql.state import SchemaState
from offline_sql.statements import Statement

if TYPE_CHECKING:
    from .dialect import OracleDialect

_NUMBER = re.compile(r"^(?:NUMBER|NUMERIC|DECIMAL|DEC)(?:\((\d+|\*)(?:,\s*(-?\d+))?\))?$")
_INTEGER = frozenset({"INTEGER", "INT", "SMALLINT"})
"""Oracle's names for ``NUMBER(38)`` (precision 38, scale 0)."""
LOB_TYPES = frozenset({"CLOB", "NCLOB", "BLOB", "BFILE"})

Digits = tuple[float, int]
"""(digits before the decimal point, digits after it) a NUMBER column keeps."""


def number_digits(type_sql: str) -> Digits | None:
    """What a NUMBER-family column holds, or None for any other type. ``NUMBER`` without a
    precision holds any number (infinite digits both sides)."""
    spelled = type_sql.upper().replace(" ", "")
    if spelled in _INTEGER:
        return (38.0, 0)
    found = _NUMBER.match(spelled)
    if found is None:
        return None
    precision, scale = found.group(1), found.group(2)
    if precision is None or precision == "*":
        return (float("inf"), 0) if scale == "0" else (float("inf"), 10**6)
    p, s = int(precision), int(scale or 0)
    return (float(p - s), s)


def is_lob(type_sql: str) -> bool:
    return type_sql.upper().split("(")[0].strip() in LOB_TYPES


def old_type(op: ops.AlterColumn, state: SchemaState) -> Any:
    """The column's type before the change: the replayed state's, else ``existing_type``."""
    table = state.get(op.schema, op.table_name)
    if table is not None and table.unknown_since is None and op.column_name in table.columns:
        return table.columns[op.column_name].type
    return None if op.existing_type is ops.UNSET else op.existing_type


def type_change(dialect: OracleDialect, op: ops.AlterColumn, state: SchemaState) -> str | None:
    """None when ``MODIFY`` may write the new type; a note when the type is left as it is
    (an integer widening the column already holds). Raises a RenderError for a change Oracle
    refuses on a column with rows."""
    before = old_type(op, state)
    if before is None:
        return None
    old_sql, new_sql = dialect.type_sql(before), dialect.type_sql(op.type_)
    column = op.column_name
    if is_lob(old_sql) != is_lob(new_sql):
        raise dialect.unsupported(
            op,
            f"changing column {column!r} from {old_sql} to {new_sql} with MODIFY "
            f"(Oracle refuses to change a column to or from a LOB, ORA-22858/ORA-22859)",
            f"add a {new_sql} column (op.add_column), copy the values into it "
            f"(op.execute('UPDATE {op.table_name} SET <new> = {column}')), drop {column!r} "
            "(op.drop_column) and rename the new column (op.alter_column(new_column_name=...))",
        )
    old_digits, new_digits = number_digits(old_sql), number_digits(new_sql)
    if old_digits is None or new_digits is None:
        return None
    if new_digits[0] >= old_digits[0] and new_digits[1] >= old_digits[1]:
        return None
    if isinstance(op.type_, sa.Integer) and old_digits[1] == 0 and old_digits[0] >= new_digits[0]:
        return (
            f"{column}: type left as {old_sql}, which already holds every {new_sql} value "
            "(MODIFY to a smaller precision fails on a column with rows, ORA-01440)"
        )
    raise dialect.unsupported(
        op,
        f"narrowing column {column!r} from {old_sql} to {new_sql} "
        "(Oracle refuses to decrease a NUMBER's precision or scale on a column holding "
        "values, ORA-01440)",
        f"add a {new_sql} column (op.add_column), copy the values into it "
        f"(op.execute('UPDATE {op.table_name} SET <new> = {column}')), drop {column!r} "
        "(op.drop_column) and rename the new column (op.alter_column(new_column_name=...)), "
        "or keep the wider type",
    )


def note_statement(dialect: OracleDialect, op: ops.AlterColumn, note: str) -> Statement:
    """A comment line alone in the script, where the type was the only change."""
    return Statement("", kind="note", table=op.table_name, comment=note)


__all__ = ["LOB_TYPES", "is_lob", "note_statement", "number_digits", "type_change"]
