"""LOB columns in an index or a key, refused when the script is generated.

Oracle SQL Reference (``CREATE INDEX``, constraints): a column of a LOB type (``CLOB``,
``NCLOB``, ``BLOB``; ``sa.Text`` and JSON stored as a BLOB become one) cannot be indexed
(ORA-02327) nor be part of a unique or primary key (ORA-02329). The script would stop on
the server half-way through a revision; here the user learns it with the way out.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from offline_sql import operations as ops
from offline_sql.dialect_api import constructs as r
from offline_sql.state import SchemaState

from .types import is_lob

if TYPE_CHECKING:
    from .dialect import OracleDialect

KeyedColumns = tuple[str, str, list[tuple[str, Any]]]
"""(what, its name, [(column, type)]) for one index or key."""


def refuse_lob_keys(dialect: OracleDialect, op: ops.Operation, state: SchemaState) -> None:
    """A RenderError naming the revision, the index or key, the column and the way out
    when ``op`` would index a LOB column or make it part of a key."""
    for what, name, columns in _keyed_columns(op, state):
        for column, type_ in columns:
            type_sql = dialect.type_sql(type_)
            if not is_lob(type_sql):
                continue
            raise dialect.unsupported(
                op,
                f"{what} {name!r} on column {column!r}, which is {type_sql} here (Oracle "
                "cannot index a LOB column or make it part of a key, ORA-02327/ORA-02329),",
                f"leave {column!r} out of the {what}, give it a bounded type "
                "(sa.String(n) is VARCHAR2), or index the searched part through an "
                "expression or an Oracle Text index written with op.execute",
            )


def _keyed_columns(op: ops.Operation, state: SchemaState) -> Iterator[KeyedColumns]:
    if isinstance(op, ops.CreateTable):
        yield from _of_table(r.table_for_create(op))
    elif isinstance(op, ops.AddColumn):
        yield from _of_table(r.column_for_add(op).table)
    elif isinstance(op, (ops.CreateIndex, ops.CreateUniqueConstraint, ops.CreatePrimaryKey)):
        known = state.get(op.schema, op.table_name)
        if known is None:
            return
        names = [c for c in op.columns if isinstance(c, str) and c in known.columns]
        typed = [(c, known.columns[c].type) for c in names]
        if isinstance(op, ops.CreateIndex):
            yield "index", op.index_name or "", typed
        elif isinstance(op, ops.CreateUniqueConstraint):
            yield "unique constraint", op.constraint_name or "", typed
        else:
            yield "primary key", op.constraint_name or "", typed


def _of_table(table: sa.Table) -> Iterator[KeyedColumns]:
    for index in sorted(table.indexes, key=lambda i: str(i.name)):
        columns = [(c.name, c.type) for c in index.expressions if isinstance(c, sa.Column)]
        yield "index", str(index.name or ""), columns
    for constraint in table.constraints:
        if isinstance(constraint, (sa.UniqueConstraint, sa.PrimaryKeyConstraint)):
            primary = isinstance(constraint, sa.PrimaryKeyConstraint)
            what = "primary key" if primary else "unique constraint"
            columns = [(c.name, c.type) for c in constraint.columns]
            yield what, str(constraint.name or ""), columns
