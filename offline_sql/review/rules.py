"""The review rules: one explicit registry, each rule with an id, a severity, a reason and a fix.

Severity policy (documented here because it is a choice):

* ``error``: the statement destroys data outright or will fail as placed: ``drop-table``,
  ``truncate``, ``delete-without-where``, ``non-transactional-in-transaction``.
* ``warning``: probably what was meant but costly or lossy in a way a DBA must plan for:
  ``drop-column``, ``update-without-where``, ``narrowing-type``, the ``pg-*`` locking rules,
  ``mysql-*`` rules, ``missing-downgrade``, ``empty-downgrade``, an ``unparsed`` statement.
* ``info``: worth a line in the report; ``unparsed`` for procedural blocks and statements
  sqlglot only keeps as an opaque ``Command``.

This module holds the mechanism and the rules for every database. Rules that only concern
some databases (marked ``specific``) live with their database (``dialects/postgresql/review.py``,
``dialects/mysql/review.py``); each dialect gives its own in ``Dialect.review_rules`` and the
caller passes them to the review, so this module names no database. Report order: the rules
about data (:data:`DATA_RULES`), then the database's, then :data:`SCRIPT_RULES`
(:func:`in_report_order`). Rules never guess: when the old type of a column is unknown, type
rules skip.
A script silences a rule for its revision with ``mig_allow = ("drop-column",)``; config does
it everywhere with ``review_allow``. Allowed findings stay in the report, marked allowed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from offline_sql.review.before import Fixed, TablesBefore
from offline_sql.review.classify import ClassifiedStatement, node_kind, table_name
from offline_sql.review.rebuild import dropped_tables

if TYPE_CHECKING:
    from sqlglot import exp

    Node = exp.Expression
    StatementCheck = Callable[["StepContext", ClassifiedStatement, exp.Expression], Iterable[str]]
    _T = exp.DataType.Type
else:
    from offline_sql.review.lazy import data_types as _T
    from offline_sql.review.lazy import exp

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")

DDL_CLASSES = frozenset({"create", "alter", "drop"})


@dataclass(frozen=True)
class Hit:
    """What a check found; the review turns it into a Finding with the rule's id and fix."""

    message: str
    statement: int | None = None
    severity: Severity | None = None
    """Overrides the rule's severity for this hit (``unparsed`` blocks are only info)."""


def _fold(name: str) -> str:
    return name.casefold()


@dataclass(frozen=True)
class StepContext:
    """Everything a rule may look at for one revision step. No database name: a rule that
    concerns some databases is ``specific`` and the dialects enable it."""

    revision: str
    direction: str
    has_downgrade: bool
    sqlglot_name: str
    statements: tuple[ClassifiedStatement, ...]
    in_transaction: tuple[bool, ...]
    """Per statement: whether the script runs it inside BEGIN ... COMMIT (as the framer
    placed it)."""
    refused_in_transaction: tuple[bool, ...] = ()
    """Per statement: whether the database refuses it inside a transaction; empty: the
    statements' own ``transactional`` flags."""
    existing_tables: frozenset[str] = frozenset()
    existing_columns: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    empty_downgrade: bool = False
    """A downgrade whose ``downgrade()`` records nothing while ``upgrade()`` records some."""
    before: TablesBefore | None = None
    """The schema before the step as the pipeline tracked it; None: ``existing_tables``
    and ``existing_columns``."""

    @functools.cached_property
    def _before(self) -> TablesBefore:
        if self.before is not None:
            return self.before
        return Fixed(self.existing_tables, self.existing_columns)

    def existed(self, table: str | None) -> bool:
        """Whether ``table`` existed before the step; a qualified name also matches its bare
        name (and the other way round), case-insensitively: erring towards "existed" makes
        the locking rules speak up rather than stay silent."""
        if not table:
            return False
        return self._before.existed(table)

    def old_type(self, table: str | None, column: str) -> exp.DataType | None:
        """The column's type before the step, parsed, when the pipeline told us."""
        if not table:
            return None
        for columns in self._before.columns(table):
            for col, type_sql in columns.items():
                if _fold(col) == _fold(column):
                    return _build_type(type_sql, self.sqlglot_name)
        return None


def _build_type(type_sql: str, sqlglot_name: str) -> exp.DataType | None:
    try:
        return exp.DataType.build(type_sql, dialect=sqlglot_name or None)
    except Exception:  # an unparsable hint is no hint
        return None


Check = Callable[[StepContext], Iterable[Hit]]
Stmt = ClassifiedStatement


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    reason: str
    """Why it matters, one line."""
    fix: str
    """What to do instead, one line."""
    check: Check
    specific: bool = False
    """Database-specific: defined with its database and run only where a dialect gives it
    (``Dialect.review_rules``)."""
    flags_only: bool = False
    """Reads only the step's flags (``has_downgrade``, ``empty_downgrade``), never its
    statements nor the schema: the one kind of rule run again on a cached review."""


def per_statement(check: StatementCheck) -> Check:
    """Run ``check`` on every parsed expression of every lintable statement."""

    def run(step: StepContext) -> Iterator[Hit]:
        for stmt in step.statements:
            if not stmt.lintable:
                continue
            for node in stmt.nodes:
                for message in check(step, stmt, node):
                    yield Hit(message, stmt.index)

    return run


# ---- helpers over parsed nodes --------------------------------------------------------------


def alter_actions(node: exp.Expression) -> list[exp.Expression]:
    if not isinstance(node, exp.Alter):
        return []
    return list(node.args.get("actions") or [])


def type_changes(node: exp.Expression) -> Iterator[tuple[str, exp.DataType, exp.Expression]]:
    """(old column name, new type, action) for each column type change of an ALTER TABLE."""
    for action in alter_actions(node):
        dtype = action.args.get("dtype")
        if isinstance(action, exp.AlterColumn) and isinstance(dtype, exp.DataType):
            yield action.name, dtype, action
        elif isinstance(action, exp.ModifyColumn) and isinstance(action.this, exp.ColumnDef):
            kind = action.this.args.get("kind")
            if isinstance(kind, exp.DataType):
                old_name = action.args.get("rename_from")
                yield (old_name.name if old_name else action.this.name), kind, action


def int_param(dtype: exp.DataType, position: int) -> int | None:
    params = dtype.expressions
    if len(params) <= position:
        return None
    param = params[position]
    value = param.this if isinstance(param, exp.DataTypeParam) else param
    if isinstance(value, exp.Literal) and not value.is_string:
        try:
            return int(value.this)
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class _Ranks:
    """What the type rules know of sqlglot's types (made at first use, see .lazy)."""

    # Keyed by members of sqlglot's exp.DataType.Type (which mypy does not take as a type).
    bounded_text: Mapping[Any, int]
    """Text types with a fixed maximum (the only ones that exist carry it in their name)."""
    length_types: frozenset[Any]
    int_rank: Mapping[Any, int]
    float_rank: Mapping[Any, int]


@functools.cache
def _ranks() -> _Ranks:
    return _Ranks(
        bounded_text={_T.TINYTEXT: 255, _T.MEDIUMTEXT: 16_777_215, _T.LONGTEXT: 4_294_967_295},
        length_types=frozenset({_T.VARCHAR, _T.NVARCHAR, _T.CHAR, _T.NCHAR}),
        int_rank={_T.TINYINT: 1, _T.SMALLINT: 2, _T.MEDIUMINT: 3, _T.INT: 4, _T.BIGINT: 5},
        float_rank={_T.FLOAT: 1, _T.DOUBLE: 2},
    )


def text_length(dtype: exp.DataType) -> int | None:
    """Maximum characters of a text type; None when unbounded (TEXT, VARCHAR(MAX), VARCHAR)."""
    ranks = _ranks()
    if dtype.this in ranks.bounded_text:
        return ranks.bounded_text[dtype.this]
    if dtype.this in ranks.length_types:
        length = int_param(dtype, 0)
        if length is None and not dtype.expressions and dtype.this in {_T.CHAR, _T.NCHAR}:
            return 1
        return length
    return None


def narrowing(old: exp.DataType, new: exp.DataType) -> str | None:
    """How ``new`` holds less than ``old`` (same family only), or None."""
    text = exp.DataType.TEXT_TYPES
    int_rank, float_rank = _ranks().int_rank, _ranks().float_rank
    if old.this in text and new.this in text:
        old_len, new_len = text_length(old), text_length(new)
        if new_len is not None and (old_len is None or new_len < old_len):
            return f"text length {old_len if old_len is not None else 'unbounded'} -> {new_len}"
        return None
    if old.this in int_rank and new.this in int_rank:
        if int_rank[new.this] < int_rank[old.this]:
            return f"integer {old.this.value} -> {new.this.value}"
        return None
    if old.this == _T.DECIMAL and new.this == _T.DECIMAL:
        old_p, old_s = int_param(old, 0), int_param(old, 1) or 0
        new_p, new_s = int_param(new, 0), int_param(new, 1) or 0
        if old_p is None or new_p is None:
            return None
        if new_s < old_s or new_p - new_s < old_p - old_s:
            return f"numeric ({old_p},{old_s}) -> ({new_p},{new_s})"
        return None
    old_rank, new_rank = float_rank.get(old.this), float_rank.get(new.this)
    if old_rank and new_rank and new_rank < old_rank:
        return f"float {old.this.value} -> {new.this.value}"
    return None


# ---- checks ---------------------------------------------------------------------------------


def _created_before(step: StepContext, before: int, table: str) -> bool:
    return any(
        s.klass == "create" and s.target and _fold(s.target) == _fold(table)
        for s in step.statements[:before]
    )


def _drop_table(step: StepContext, stmt: Stmt, node: Node) -> Iterator[str]:
    if stmt.part_of is not None:  # a step of a table rebuild (see .rebuild): rows are kept
        return
    for name in dropped_tables(node):
        if _created_before(step, stmt.index, name) and not step.existed(name):
            continue
        yield f"drops table {name} and all its rows"


def _drop_column(step: StepContext, stmt: Stmt, node: Node) -> Iterator[str]:
    for action in alter_actions(node):
        if isinstance(action, exp.Drop) and node_kind(action) == "COLUMN":
            for column in action.args.get("tables") or []:
                yield f"drops column {stmt.target}.{column.name} and its data"


def _truncate(step: StepContext, stmt: Stmt, node: Node) -> Iterator[str]:
    if isinstance(node, exp.TruncateTable):
        names = ", ".join(table_name(t) for t in node.expressions if isinstance(t, exp.Table))
        yield f"truncates {names}"


def _delete_without_where(step: StepContext, stmt: Stmt, node: Node) -> Iterator[str]:
    if isinstance(node, exp.Delete) and not node.args.get("where"):
        yield f"deletes every row of {stmt.target}"


def _update_without_where(step: StepContext, stmt: Stmt, node: Node) -> Iterator[str]:
    if isinstance(node, exp.Update) and not node.args.get("where"):
        yield f"updates every row of {stmt.target}"


def _narrowing_type(step: StepContext, stmt: Stmt, node: Node) -> Iterator[str]:
    for column, new, _action in type_changes(node):
        old = step.old_type(stmt.target, column)
        how = narrowing(old, new) if old is not None else None
        if how:
            yield f"narrows {stmt.target}.{column}: {how}"


def _non_transactional(step: StepContext) -> Iterator[Hit]:
    refused = step.refused_in_transaction or tuple(
        not s.statement.transactional for s in step.statements
    )
    for stmt in step.statements:
        if refused[stmt.index] and step.in_transaction[stmt.index]:
            yield Hit("must run outside a transaction but is inside BEGIN ... COMMIT", stmt.index)


def _missing_downgrade(step: StepContext) -> Iterator[Hit]:
    if step.direction == "upgrade" and not step.has_downgrade:
        yield Hit(
            f"revision {step.revision} has no way back: its downgrade() is missing, records "
            "nothing or raises NotImplementedError; no rollback script"
        )


def _empty_downgrade(step: StepContext) -> Iterator[Hit]:
    if step.direction == "downgrade" and step.empty_downgrade:
        yield Hit(
            f"downgrade() of revision {step.revision} records nothing although its upgrade() "
            "changes the schema: the version table moves back, the schema keeps the changes"
        )


def _unparsed(step: StepContext) -> Iterator[Hit]:
    for stmt in step.statements:
        if stmt.klass == "bookkeeping":
            continue
        if stmt.parse_error is not None:
            severity: Severity = "info" if stmt.statement.block else "warning"
            yield Hit(f"sqlglot cannot parse it ({stmt.parse_error})", stmt.index, severity)
        elif stmt.opaque:
            yield Hit("sqlglot keeps it only as an opaque command", stmt.index, "info")


DATA_RULES: tuple[Rule, ...] = (
    Rule(
        id="drop-table",
        severity="error",
        reason="dropping a table loses its data for good",
        fix='copy the data first, or accept it with mig_allow = ("drop-table",)',
        check=per_statement(_drop_table),
    ),
    Rule(
        id="drop-column",
        severity="warning",
        reason="dropping a column loses its data, and running code may still read it",
        fix="stop using the column in one release, drop it in the next; accept with mig_allow",
        check=per_statement(_drop_column),
    ),
    Rule(
        id="truncate",
        severity="error",
        reason="TRUNCATE removes every row and cannot be filtered",
        fix='use DELETE ... WHERE, or accept it with mig_allow = ("truncate",)',
        check=per_statement(_truncate),
    ),
    Rule(
        id="delete-without-where",
        severity="error",
        reason="DELETE without WHERE removes every row",
        fix='add a WHERE clause, or accept it with mig_allow = ("delete-without-where",)',
        check=per_statement(_delete_without_where),
    ),
    Rule(
        id="update-without-where",
        severity="warning",
        reason="UPDATE without WHERE rewrites every row in one long transaction",
        fix="add a WHERE clause or batch the update; accept with mig_allow if intended",
        check=per_statement(_update_without_where),
    ),
    Rule(
        id="narrowing-type",
        severity="warning",
        reason="a smaller type truncates or rejects existing values",
        fix="check the largest stored value first and clean the data in an earlier revision",
        check=per_statement(_narrowing_type),
    ),
)
"""What a statement does to the data: reported first."""

SCRIPT_RULES: tuple[Rule, ...] = (
    Rule(
        id="non-transactional-in-transaction",
        severity="error",
        reason="the database refuses this statement inside a transaction: the script will fail",
        fix="give such a statement an op.execute of its own (mig frames one statement outside "
        "the transaction; several in one text stay where they are)",
        check=_non_transactional,
    ),
    Rule(
        id="missing-downgrade",
        severity="warning",
        reason="without downgrade() there is no rollback script",
        fix="write downgrade() in the revision script, or accept it with mig_allow",
        check=_missing_downgrade,
        flags_only=True,
    ),
    Rule(
        id="empty-downgrade",
        severity="warning",
        reason="a downgrade that changes nothing leaves the schema ahead of the version table",
        fix="write downgrade() to undo upgrade(), or accept it with mig_allow if nothing needs "
        "undoing",
        check=_empty_downgrade,
        flags_only=True,
    ),
    Rule(
        id="unparsed",
        severity="warning",
        reason="sqlglot could not parse the statement, so no rule checked it",
        fix="review the statement by hand",
        check=_unparsed,
    ),
)
"""Where a statement runs and what the revision lacks: reported after the database's rules."""

RULES: tuple[Rule, ...] = DATA_RULES + SCRIPT_RULES
"""The rules for every database (the database-specific ones come from the dialects)."""

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}
RULE_IDS: tuple[str, ...] = tuple(RULES_BY_ID)


def in_report_order(specific: Iterable[Rule]) -> tuple[Rule, ...]:
    """Every rule to run for a database whose own rules are ``specific``, in report order."""
    return DATA_RULES + tuple(specific) + SCRIPT_RULES
