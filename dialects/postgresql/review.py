"""The review rules about PostgreSQL's locks: which DDL blocks writes or rewrites a table
that already exists, and how to do it without (``NOT VALID``, ``CONCURRENTLY``, a new
column). :class:`~offline_sql.dialects.postgresql.dialect.PostgreSQLDialect` enables them
through ``review_rules``; the mechanism and the rules for every database are in
``offline_sql/review/rules.py``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from offline_sql.review.classify import node_kind
from offline_sql.review.rules import (
    Rule,
    StepContext,
    Stmt,
    alter_actions,
    int_param,
    per_statement,
    text_length,
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


def pg_cheap_type_change(old: exp.DataType, new: exp.DataType) -> bool:
    """PostgreSQL changes these types in the catalog only: no table rewrite, no index rebuild."""
    if old == new:
        return True
    varying = {_T.VARCHAR, _T.TEXT}
    if old.this in varying and new.this == _T.TEXT:
        return True
    if old.this in varying and new.this == _T.VARCHAR:
        old_len, new_len = text_length(old), text_length(new)
        return new_len is None or (old_len is not None and new_len >= old_len)
    if old.this == _T.DECIMAL and new.this == _T.DECIMAL:
        if not new.expressions:
            return True
        old_p, new_p = int_param(old, 0), int_param(new, 0)
        same_scale = (int_param(old, 1) or 0) == (int_param(new, 1) or 0)
        return old_p is not None and new_p is not None and same_scale and new_p >= old_p
    return False


def _column_def_constraints(coldef: exp.ColumnDef) -> list[exp.Expression]:
    return [c.args.get("kind") for c in coldef.args.get("constraints") or [] if c.args.get("kind")]


_VOLATILE_NAMES = frozenset(
    {
        "clock_timestamp",
        "timeofday",
        "random",
        "gen_random_uuid",
        "uuid_generate_v1",
        "uuid_generate_v1mc",
        "uuid_generate_v4",
        "uuidv4",
        "uuidv7",
        "nextval",
    }
)
"""Volatile functions: a default calling one is evaluated per row, rewriting the table.
``now()``/``current_timestamp`` are stable and take the fast path since PostgreSQL 11."""


def _volatile_reason(coldef: exp.ColumnDef, sqlglot_name: str) -> str | None:
    kind = coldef.args.get("kind")
    if isinstance(kind, exp.DataType) and kind.this in {_T.SERIAL, _T.BIGSERIAL, _T.SMALLSERIAL}:
        return f"{kind.this.value} fills every row from a sequence"
    for constraint in _column_def_constraints(coldef):
        if isinstance(constraint, exp.GeneratedAsIdentityColumnConstraint):
            return "an identity column fills every row"
        if isinstance(constraint, exp.DefaultColumnConstraint):
            for node in constraint.walk():
                if isinstance(node, (exp.Rand, exp.Uuid)):
                    return f"default {node.sql(dialect=sqlglot_name or None)} is volatile"
                if isinstance(node, exp.Anonymous) and node.name.lower() in _VOLATILE_NAMES:
                    return f"default {node.name}() is volatile"
    return None


def _pg_index(step: StepContext, stmt: Stmt, node: Node) -> Iterator[str]:
    if not isinstance(node, exp.Create) or node_kind(node) != "INDEX":
        return
    if not node.args.get("concurrently") and step.existed(stmt.target):
        yield f"CREATE INDEX on existing table {stmt.target} blocks writes while it builds"


def _added_constraints(node: Node, kind: type[Node]) -> Iterator[Node]:
    if node.args.get("not_valid"):
        return
    for action in alter_actions(node):
        if isinstance(action, exp.AddConstraint):
            yield from action.find_all(kind)


def _pg_fk(step: StepContext, stmt: Stmt, node: Node) -> Iterator[str]:
    if step.existed(stmt.target):
        for _fk in _added_constraints(node, exp.ForeignKey):
            yield f"FOREIGN KEY on existing table {stmt.target} is validated under lock"


def _pg_check(step: StepContext, stmt: Stmt, node: Node) -> Iterator[str]:
    if step.existed(stmt.target):
        for _check in _added_constraints(node, exp.CheckColumnConstraint):
            yield f"CHECK on existing table {stmt.target} scans it under an exclusive lock"


def _pg_set_not_null(step: StepContext, stmt: Stmt, node: Node) -> Iterator[str]:
    if not step.existed(stmt.target):
        return
    for action in alter_actions(node):
        if isinstance(action, exp.AlterColumn) and action.args.get("allow_null") is False:
            yield f"SET NOT NULL on {stmt.target}.{action.name} scans the table under lock"


def _pg_type_rewrite(step: StepContext, stmt: Stmt, node: Node) -> Iterator[str]:
    if not step.existed(stmt.target):
        return
    for column, new, action in type_changes(node):
        old = step.old_type(stmt.target, column)
        where = f"{stmt.target}.{column}"
        new_sql = new.sql(dialect=step.sqlglot_name or None)
        if action.args.get("using"):
            yield f"type change of {where} to {new_sql} with USING rewrites the table"
        elif old is None:
            if new.this not in {_T.VARCHAR, _T.TEXT}:  # may be cheap: without the old type, skip
                yield f"type change of {where} to {new_sql} rewrites the table (old type unknown)"
        elif not pg_cheap_type_change(old, new):
            old_sql = old.sql(dialect=step.sqlglot_name or None)
            yield f"type change of {where} from {old_sql} to {new_sql} rewrites the table"


def _pg_volatile_default(step: StepContext, stmt: Stmt, node: Node) -> Iterator[str]:
    if not step.existed(stmt.target):
        return
    for action in alter_actions(node):
        if isinstance(action, exp.ColumnDef):
            reason = _volatile_reason(action, step.sqlglot_name)
            if reason:
                yield f"ADD COLUMN {stmt.target}.{action.name}: {reason}, rewriting the table"


RULES: tuple[Rule, ...] = (
    Rule(
        id="pg-index-not-concurrently",
        severity="warning",
        reason="CREATE INDEX takes a SHARE lock: writes to the table wait until it is built",
        fix="op.create_index(..., postgresql_concurrently=True) (mig runs it outside BEGIN)",
        check=per_statement(_pg_index),
        specific=True,
    ),
    Rule(
        id="pg-fk-not-valid",
        severity="warning",
        reason="adding a FOREIGN KEY checks every row while both tables are locked",
        fix="add it NOT VALID (postgresql_not_valid=True), VALIDATE CONSTRAINT in a later revision",
        check=per_statement(_pg_fk),
        specific=True,
    ),
    Rule(
        id="pg-check-not-valid",
        severity="warning",
        reason="adding a CHECK scans the whole table under ACCESS EXCLUSIVE lock",
        fix="add it NOT VALID (postgresql_not_valid=True), VALIDATE CONSTRAINT in a later revision",
        check=per_statement(_pg_check),
        specific=True,
    ),
    Rule(
        id="pg-set-not-null",
        severity="warning",
        reason="SET NOT NULL scans the whole table under ACCESS EXCLUSIVE lock",
        fix="add CHECK (col IS NOT NULL) NOT VALID, validate it, then SET NOT NULL (PG 12+)",
        check=per_statement(_pg_set_not_null),
        specific=True,
    ),
    Rule(
        id="pg-type-rewrite",
        severity="warning",
        reason="this type change rewrites the table and its indexes under ACCESS EXCLUSIVE lock",
        fix="add a new column, backfill it in batches and swap, or plan a maintenance window",
        check=per_statement(_pg_type_rewrite),
        specific=True,
    ),
    Rule(
        id="pg-volatile-default",
        severity="warning",
        reason="ADD COLUMN with a per-row value rewrites the table under ACCESS EXCLUSIVE lock",
        fix="add the column without the default, backfill in batches, then set the default",
        check=per_statement(_pg_volatile_default),
        specific=True,
    ),
)
"""PostgreSQL's rules, in report order."""
