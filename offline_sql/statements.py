"""A rendered SQL statement: the unit that framing, review, output and online mode share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

StatementKind = Literal["ddl", "dml", "version", "guard", "client", "transaction", "note"]
"""``ddl`` schema change; ``dml`` data change from bulk_insert/execute; ``version`` version-table
bookkeeping; ``guard`` a check that the database is at the expected revision; ``client`` a
client directive (``\\set ON_ERROR_STOP on``, ``.bail on``) that only the offline script carries;
``transaction`` BEGIN/COMMIT placed by the framer; ``note`` no SQL at all, only its comment:
an operation that needs no statement here, and why (never executed)."""


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement, without its terminator; the framer adds ``;``, ``/`` or ``GO``.

    Slotted: a run keeps every statement until the end (a failed generation writes
    nothing), half a dozen a revision, and a ``__dict__`` each doubled their size."""

    sql: str
    kind: StatementKind = "ddl"
    table: str | None = None
    """The main table the statement touches, when there is one (for review and messages)."""
    transactional: bool = True
    """False for statements the database refuses inside a transaction
    (PostgreSQL ``CREATE INDEX CONCURRENTLY``); the framer places them outside it."""
    block: bool = False
    """A procedural block (PL/SQL, T-SQL batch, PostgreSQL DO): Oracle ends it with ``/``."""
    comment: str | None = None
    """A one-line note the framer prints above the statement (why it is placed or shaped so)."""
    online: bool = True
    """False for statements that only make sense in a script given to a client."""

    def __post_init__(self) -> None:
        # Texts stay plain ``str``: a SQLAlchemy ``quoted_name`` (a ``str`` subclass a table
        # name often is) would make unpickling a cached statement import SQLAlchemy, which a
        # run answered from the step cache otherwise never does.
        for name in ("sql", "table", "comment"):
            value = getattr(self, name)
            if value is not None and type(value) is not str:
                object.__setattr__(self, name, str(value))


# Pickled as a plain tuple in field order: a warm run unpickles every cached statement, and
# the dataclass default (a ``fields()`` walk per statement) was a tenth of its time. Set
# after the class: Python 3.10's ``dataclass(slots=True)`` replaces methods of these names.
def _statement_state(self: Statement) -> tuple[Any, ...]:
    return (
        self.sql,
        self.kind,
        self.table,
        self.transactional,
        self.block,
        self.comment,
        self.online,
    )


def _set_statement_state(self: Statement, state: tuple[Any, ...]) -> None:
    set_ = object.__setattr__
    (sql, kind, table, transactional, block, comment, online) = state
    set_(self, "sql", sql)
    set_(self, "kind", kind)
    set_(self, "table", table)
    set_(self, "transactional", transactional)
    set_(self, "block", block)
    set_(self, "comment", comment)
    set_(self, "online", online)


setattr(Statement, "__getstate__", _statement_state)  # noqa: B010 (not a method to mypy)
setattr(Statement, "__setstate__", _set_statement_state)  # noqa: B010
