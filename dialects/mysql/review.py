"""The review rules about MySQL and MariaDB: DDL commits implicitly, and an ENUM change
that is not an append rebuilds the table. :class:`~offline_sql.dialects.mysql.dialect.MySQLDialect`
(and MariaDB's) enables them through ``review_rules``; the mechanism and the rules for every
database are in ``offline_sql/review/rules.py``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from offline_sql.review.rules import (
    DDL_CLASSES,
    Hit,
    Rule,
    StepContext,
    Stmt,
    per_statement,
    type_changes,
)

if TYPE_CHECKING:
    from sqlglot import exp

    from offline_sql.review.rules import Node

    _T = exp.DataType.Type
else:
    # sqlglot at first use: see offline_sql/review/lazy.py.
    from offline_sql.review.lazy import data_types as _T
    from offline_sql.review.lazy import exp


def _enum_values(dtype: exp.DataType) -> list[str] | None:
    if dtype.this != _T.ENUM:
        return None
    return [str(v.this) for v in dtype.expressions if isinstance(v, exp.Literal)]


def _mysql_enum(step: StepContext, stmt: Stmt, node: Node) -> Iterator[str]:
    for column, new, _action in type_changes(node):
        new_values = _enum_values(new)
        old = step.old_type(stmt.target, column)
        old_values = _enum_values(old) if old is not None else None
        if new_values is None or old_values is None or new_values[: len(old_values)] == old_values:
            continue
        removed = [v for v in old_values if v not in new_values]
        if removed:
            yield f"ENUM {stmt.target}.{column} removes {', '.join(map(repr, removed))}"
        else:
            yield f"ENUM {stmt.target}.{column} reorders its values"


def _ddl_with_dml(step: StepContext) -> Iterator[Hit]:
    ddl = [s for s in step.statements if s.klass in DDL_CLASSES]
    data = [s for s in step.statements if s.klass == "data"]
    if ddl and data:
        yield Hit(
            f"{len(ddl)} DDL and {len(data)} data statement(s) in one revision; "
            "each DDL commits implicitly, so a failure leaves it half-applied",
            data[0].index,
        )


RULES: tuple[Rule, ...] = (
    Rule(
        id="mysql-ddl-with-dml",
        severity="warning",
        reason="MySQL DDL commits implicitly, so data changes next to it cannot roll back with it",
        fix="move the data change into a revision of its own",
        check=_ddl_with_dml,
        specific=True,
    ),
    Rule(
        id="mysql-enum-reorder",
        severity="warning",
        reason="removing or reordering ENUM values rebuilds the table and can change stored values",
        fix="only append new values at the end of the list",
        check=per_statement(_mysql_enum),
        specific=True,
    ),
)
"""MySQL's and MariaDB's rules, in report order."""
