"""Parse each rendered statement with sqlglot and say what kind of change it is.

Classification is what the review report counts ("3 alter, 1 data") and what the rules look
at. Parsing happens in the target database's sqlglot dialect, on the exact SQL that will be
written, so the review judges the script the DBA receives, not our intent. sqlglot not
understanding a statement is a fact to report ("unparsed"), never a reason to fail.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from offline_sql.statements import Statement

if TYPE_CHECKING:
    from sqlglot import exp
    from sqlglot.dialects.dialect import Dialect
else:
    from offline_sql.review.lazy import exp

StatementClass = Literal["create", "alter", "drop", "data", "other", "bookkeeping"]
"""``data`` covers INSERT/UPDATE/DELETE/MERGE and TRUNCATE (it removes rows; the report
groups it with data changes). ``bookkeeping`` is version-table, guard and client statements:
counted, never linted."""

CLASSES: tuple[StatementClass, ...] = ("create", "alter", "drop", "data", "other", "bookkeeping")
"""Report order of the classes."""

BOOKKEEPING_KINDS = frozenset({"version", "guard", "client", "note"})
"""``Statement.kind`` values that are mig's own plumbing rather than the revision's change."""


@functools.cache
def _by_node() -> tuple[tuple[type[exp.Expression], StatementClass], ...]:
    """Parsed root node type -> class; first match wins, anything else is ``other``."""
    return (
        (exp.Create, "create"),
        (exp.Alter, "alter"),
        (exp.Comment, "alter"),
        (exp.Drop, "drop"),
        (exp.Insert, "data"),
        (exp.Update, "data"),
        (exp.Delete, "data"),
        (exp.Merge, "data"),
        (exp.TruncateTable, "data"),
    )


_BY_COMMAND: dict[str, StatementClass] = {
    "CREATE": "create",
    "ALTER": "alter",
    "RENAME": "alter",
    "DROP": "drop",
}
"""sqlglot's ``Command`` fallback keeps only the first keyword: classify by it."""

_TABLE_KINDS = frozenset({"TABLE", "VIEW", "MATERIALIZED VIEW"})
"""CREATE/DROP kinds whose ``Table`` nodes really are tables (not an index or type name)."""


@functools.cache
def _bare() -> tuple[type[exp.Condition], type[exp.Alias], type[exp.Identifier]]:
    """Roots sqlglot accepts leniently (``SELEC x`` is an alias) but no database runs as a
    statement."""
    return (exp.Condition, exp.Alias, exp.Identifier)


_BEGIN = re.compile(r"^\s*(BEGIN(\s+(TRANSACTION|TRAN|WORK))?|START\s+TRANSACTION)\s*;?\s*$", re.I)
_END = re.compile(r"^\s*(COMMIT|ROLLBACK|END)(\s+(TRANSACTION|TRAN|WORK))?\s*;?\s*$", re.I)


@dataclass(frozen=True)
class ClassifiedStatement:
    """One statement of a step with what sqlglot made of it."""

    index: int
    """Position in the step's statement list (0-based)."""
    statement: Statement
    klass: StatementClass
    tables: tuple[str, ...]
    """Qualified names (``schema.table``) of the tables touched, sorted, as written."""
    target: str | None
    """The table being changed (ALTER/CREATE INDEX/DROP target), when there is one."""
    nodes: tuple[exp.Expression, ...]
    """Parsed expressions; empty for bookkeeping and unparsable statements."""
    parse_error: str | None = None
    """Why sqlglot could not parse the statement (first line), if it could not."""
    opaque: bool = False
    """sqlglot fell back to a ``Command`` node: parsed, but the rules cannot see inside."""
    part_of: int | None = None
    """For a statement of a table rebuild (see :mod:`.rebuild`): the index of the rebuild's
    first statement. The rebuild is one ``alter`` of its table, counted once."""

    @property
    def lintable(self) -> bool:
        return self.klass != "bookkeeping" and bool(self.nodes)


def table_name(table: exp.Table) -> str:
    """``catalog.schema.table`` with the empty parts left out."""
    return ".".join(part for part in (table.catalog, table.db, table.name) if part)


def node_kind(node: exp.Expression) -> str:
    """The ``kind`` of a CREATE/DROP/ALTER action (``TABLE``, ``INDEX``, ``COLUMN``...),
    upper case, ``""`` when it has none."""
    return str(node.args.get("kind") or "").upper()


def transaction_marker(statement: Statement) -> Literal["begin", "end"] | None:
    """Whether a statement opens or closes a transaction (procedural blocks never do)."""
    if statement.block:
        return None
    if _BEGIN.match(statement.sql):
        return "begin"
    if _END.match(statement.sql):
        return "end"
    return None


@contextmanager
def _quiet_sqlglot() -> Iterator[None]:
    """sqlglot logs a warning for each ``Command`` fallback; we report those as findings."""
    logger = logging.getLogger("sqlglot")

    def drop(record: logging.LogRecord) -> bool:
        return False

    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)


@functools.lru_cache(maxsize=32)
def parse_all(sql: str, read: str | None) -> tuple[exp.Expr | None, ...]:
    """``sqlglot.parse``, kept for the statements parsed last: the review parses each
    statement it classifies, and asks the dialect right before whether the database refuses
    it in a transaction (:mod:`offline_sql.dialect_api.outside_transaction`), which parses the
    same text: once is enough. The trees are only read, never changed. Errors are raised
    again at each call (not kept). A step's statements are what needs keeping: a tree of a
    typical DDL statement holds about 50 KB, and keeping 256 of them (as until stop 26) made
    the review child of a ``-o DIR`` run at N = 1,000 peak at 76 MiB against 64 with 32,
    above its parent (72)."""
    return tuple(_dialect(read).parse(sql))


@functools.cache
def _dialect(read: str | None) -> Dialect:
    """The sqlglot dialect ``read`` names, made once: ``sqlglot.parse(sql, read=name)`` makes
    a new one at every call, and with it a new tokenizer, which a dialect otherwise keeps
    (a third of the parse of a short statement: 0.25 -> 0.17 ms for a revision's typical
    DDL). What it parses is the same: ``sqlglot.parse`` is this call on a fresh dialect."""
    from sqlglot.dialects.dialect import Dialect

    return Dialect.get_or_raise(read)


def parse(sql: str, sqlglot_name: str) -> tuple[tuple[exp.Expression, ...], str | None]:
    """Parsed expressions, or an empty tuple and the first line of sqlglot's complaint."""
    try:
        with _quiet_sqlglot():
            parsed = parse_all(sql, sqlglot_name or None)
    except Exception as error:  # sqlglot raises more than ParseError on odd input
        first_line = (str(error).splitlines() or [type(error).__name__])[0]
        return (), first_line
    nodes = tuple(node for node in parsed if isinstance(node, exp.Expression))
    bare = next((node for node in nodes if isinstance(node, _bare())), None)
    if bare is not None:
        return (), f"read as a bare {type(bare).__name__} expression, not a statement"
    return nodes, None


def _node_class(node: exp.Expression) -> StatementClass:
    if isinstance(node, exp.Command):
        return _BY_COMMAND.get(str(node.this).upper(), "other")
    for node_type, klass in _by_node():
        if isinstance(node, node_type):
            return klass
    return "other"


def target_table(node: exp.Expression) -> str | None:
    """The table a DDL or DML statement changes."""
    if isinstance(node, exp.Create):
        inner = node.this
        if isinstance(inner, exp.Index):
            table = inner.args.get("table")
            return table_name(table) if isinstance(table, exp.Table) else None
        if isinstance(inner, exp.Schema):
            inner = inner.this
        kind = node_kind(node)
        return table_name(inner) if isinstance(inner, exp.Table) and kind in _TABLE_KINDS else None
    if isinstance(node, (exp.Alter, exp.Insert, exp.Update, exp.Delete, exp.Merge)):
        inner = node.this
        if isinstance(inner, exp.Schema):
            inner = inner.this
        return table_name(inner) if isinstance(inner, exp.Table) else None
    if isinstance(node, exp.Drop):
        kind = node_kind(node)
        tables = node.args.get("tables") or []
        if kind in _TABLE_KINDS and tables and isinstance(tables[0], exp.Table):
            return table_name(tables[0])
        on = node.args.get("cluster")
        if isinstance(on, exp.OnProperty) and isinstance(on.this, exp.Table):
            return table_name(on.this)
    if isinstance(node, exp.TruncateTable):
        tables = node.expressions
        return table_name(tables[0]) if tables and isinstance(tables[0], exp.Table) else None
    return None


def _touched(node: exp.Expression) -> set[str]:
    names: set[str] = set()
    target = target_table(node)
    if target:
        names.add(target)
    if isinstance(node, (exp.Create, exp.Drop)):
        kind = node_kind(node)
        if kind not in _TABLE_KINDS:
            return names  # the Table nodes of DROP INDEX / CREATE TYPE are not tables
    for table in node.find_all(exp.Table):
        if table.name and not isinstance(table.parent, exp.Execute):
            names.add(table_name(table))
    return names


def classify(index: int, statement: Statement, sqlglot_name: str) -> ClassifiedStatement:
    """Classify one statement of a step (``index`` is its position in the step)."""
    if statement.kind in BOOKKEEPING_KINDS or transaction_marker(statement):
        tables = (statement.table,) if statement.table else ()
        return ClassifiedStatement(index, statement, "bookkeeping", tables, None, ())
    nodes, error = parse(statement.sql, sqlglot_name)
    if not nodes:
        tables = (statement.table,) if statement.table else ()
        return ClassifiedStatement(
            index, statement, "other", tables, statement.table, (), parse_error=error or "empty"
        )
    klass = _node_class(nodes[0])
    touched: set[str] = set()
    for node in nodes:
        touched |= _touched(node)
    if not touched and statement.table:
        touched.add(statement.table)
    target = next((t for t in map(target_table, nodes) if t), statement.table)
    opaque = any(isinstance(node, exp.Command) for node in nodes)
    return ClassifiedStatement(
        index, statement, klass, tuple(sorted(touched)), target, nodes, opaque=opaque
    )
