"""SQLite: native ALTER where SQLite has one, a table rebuild everywhere else.

Native: ADD COLUMN (when SQLite allows the column), RENAME COLUMN, RENAME TO, DROP COLUMN
(when nothing else depends on the column), indexes. Everything else rebuilds the table from
the schema state (:mod:`offline_sql.dialects.sqlite.rebuild`); a ``batch_alter_table``
block rebuilds once for all its operations. Comments are dropped: SQLite has none.

The output needs SQLite 3.35.0 or later (``DROP COLUMN``); tested with 3.40.1.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.elements import TextClause

from offline_sql import operations as ops
from offline_sql.client_commands import ClientCommand, ClientSyntax
from offline_sql.dialect_api import constructs as r
from offline_sql.dialect_api import locks
from offline_sql.dialect_api import outside_transaction as ot
from offline_sql.dialect_api.base import (
    NO_REVISION,
    REVISION_SEPARATOR,
    Dialect,
    expected_revisions,
    guard_message_parts,
)
from offline_sql.errors import RenderError
from offline_sql.replay import name_batch_constraints
from offline_sql.state import SchemaState
from offline_sql.statements import Statement

from . import rebuild as sqlite_rebuild
from .literals import SQLiteLiterals

_CONSTANT = re.compile(
    r"""^\s*(NULL|TRUE|FALSE|[-+]?\d+(\.\d*)?([eE][-+]?\d+)?|'([^']|'')*'|[xX]'[0-9a-fA-F]*')\s*$""",
    re.S,
)
"""Defaults ``ADD COLUMN`` accepts: literals only (no CURRENT_TIMESTAMP, no expression)."""

_BEGIN_KEY = "offline_sql.begin"
"""``Connection.info`` key: the statement that begins a transaction while the migration lock
is wanted (``BEGIN IMMEDIATE``), read by :meth:`SQLiteDialect.prepare_engine`'s listener."""
_BUSY_KEY = "offline_sql.busy_timeout"
"""``Connection.info`` key: the busy timeout to restore when the lock is released."""


def constant_default(default: Any) -> bool:
    """Whether a server default is a constant SQLite accepts in ``ADD COLUMN``."""
    if isinstance(default, sa.DefaultClause):
        default = default.arg
    if isinstance(default, str):
        return True
    if isinstance(default, TextClause):
        return bool(_CONSTANT.match(default.text))
    return False


def mentions(sqltext: str, column: str) -> bool:
    """Whether a CHECK's SQL names ``column`` (as a word, quoted or not)."""
    return (
        re.search(rf"(?<![\w\"]){re.escape(column)}(?![\w\"])|\"{re.escape(column)}\"", sqltext)
        is not None
    )


class SQLiteDialect(Dialect):
    name = "sqlite"
    sqlalchemy_url = "sqlite://"
    literals = SQLiteLiterals
    transactional_ddl = True
    begin_statement = "BEGIN"
    commit_statement = "COMMIT"
    max_identifier_length = 1024
    client_name = "sqlite3"
    apply_hint = "sqlite3 -bail app.db < {file}"
    client_preamble: ClassVar[tuple[str, ...]] = (".bail on",)
    client_syntax = ClientSyntax(
        commands=(
            ClientCommand(
                r"\.",
                "sqlite3 runs a line starting with '.' as a dot-command (.shell and .system run "
                "a shell command, .read reads a file)",
            ),
            ClientCommand(
                r"(?i)\s*(?:/|go)\s*$",
                "sqlite3 ends the statement at a line holding only '/' or 'go'",
            ),
        ),
    )
    """sqlite3 reads a line starting (in its first column) with ``.`` as a dot-command and a
    line of only ``/`` or ``go`` as the end of a statement, both outside quotes."""
    sqlglot_name = "sqlite"
    sqlalchemy_package = "sqlite"
    names_unnamed_constraints = False
    swaps_type_checks = False
    refused_in_transaction = (ot.Refusal("VACUUM", ot.command("VACUUM")),)
    """SQLite: "cannot VACUUM from within a transaction"."""

    minimum_version: ClassVar[tuple[int, int, int]] = (3, 35, 0)
    """Oldest SQLite that accepts every statement we emit (``ALTER TABLE ... DROP COLUMN``)."""

    guard_table: ClassVar[str] = "mig_guard"
    """Temporary table whose CHECK constraint stops ``sqlite3 -bail`` when a guard fails."""

    transactional_drivers: ClassVar[frozenset[str]] = frozenset({"pysqlite"})
    """SQLAlchemy drivers (on the standard ``sqlite3`` module) :meth:`prepare_engine` fixes."""

    # ---- online mode ------------------------------------------------------------------

    def prepare_engine(self, engine: Engine) -> None:
        """Make pysqlite's transactions cover DDL.

        pysqlite opens transactions itself, only before DML, so DDL runs in autocommit and a
        failed run cannot be rolled back. SQLAlchemy's documented recipe: put the driver in
        autocommit (``isolation_level = None``) and emit ``BEGIN`` whenever SQLAlchemy begins.
        """
        if engine.dialect.driver not in self.transactional_drivers:
            return

        @event.listens_for(engine, "connect")
        def _autocommit(dbapi_connection: Any, connection_record: Any) -> None:
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
                conn.exec_driver_sql(conn.info.get(_BEGIN_KEY, "BEGIN"))

    # ---- the migration lock ---------------------------------------------------------

    migration_lock_is_transaction = True

    def acquire_migration_lock(self, connection: Connection, name: str, timeout: float) -> bool:
        """``BEGIN IMMEDIATE``: the write lock on the whole database file, taken at the start
        of the run's one transaction, waiting ``PRAGMA busy_timeout`` (the timeout) for a
        writer to finish. SQLite has no lock outliving a transaction, so the run is that
        transaction. On an engine :meth:`prepare_engine` set up, the ``begin`` listener
        emits it; on another (an application's engine, pysqlite opening transactions
        itself, only before DML) it is executed here, and the driver leaves it open."""
        if connection.in_transaction():
            connection.commit()
        raw: Any = connection.connection.driver_connection
        previous = raw.execute("PRAGMA busy_timeout").fetchone()[0]
        raw.execute(f"PRAGMA busy_timeout = {locks.milliseconds(timeout)}")
        connection.info[_BUSY_KEY] = previous
        connection.info[_BEGIN_KEY] = "BEGIN IMMEDIATE"
        try:
            connection.begin()
            if not raw.in_transaction:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
        except sa.exc.OperationalError as exc:
            if connection.in_transaction():
                connection.rollback()
            self.release_migration_lock(connection, name)
            if "locked" in str(exc.orig) or "busy" in str(exc.orig):
                return False
            raise
        return True

    def release_migration_lock(self, connection: Connection, name: str) -> None:
        """End what is left of the run's transaction (nothing to do, or a read after it) and
        put the connection's busy timeout back."""
        if connection.in_transaction():
            connection.rollback()
        connection.info.pop(_BEGIN_KEY, None)
        previous = connection.info.pop(_BUSY_KEY, None)
        if previous is not None:
            raw: Any = connection.connection.driver_connection
            raw.execute(f"PRAGMA busy_timeout = {int(previous)}")

    # ---- version guard ----------------------------------------------------------------

    def guard_statements(
        self, table: str, schema: str | None, expected: tuple[str, ...]
    ) -> list[Statement]:
        """SQLite has no procedural code and no error with a computed message, so:

        1. (a range not from base) ``CREATE TABLE IF NOT EXISTS`` the version table, so a
           database never migrated reads as base rather than "no such table"; a failed
           guard rolls it back with the transaction;
        2. a ``SELECT`` that prints ``mig: the database is at revision <found>, expected
           <expected>`` only on a mismatch;
        3. a temporary table whose CHECK constraint, named after the expected revisions,
           refuses the found ones: ``CHECK constraint failed: mig: expected the database at
           revision <expected>``, and ``sqlite3 -bail`` stops; dropped when it passes.
        """
        want = self.text_literal(expected_revisions(expected))
        before, after = guard_message_parts(expected)
        versions = self.table_name(schema, table)
        found = (
            f"COALESCE((SELECT group_concat(version_num, {self.text_literal(REVISION_SEPARATOR)})"
            f" FROM (SELECT version_num FROM {versions} ORDER BY version_num COLLATE BINARY)),"
            f" {self.text_literal(NO_REVISION)})"
        )
        guard = self.quote(self.guard_table)
        check = self.quote(f"mig: expected the database at revision {expected_revisions(expected)}")
        out = (
            [dataclasses.replace(s, kind="guard") for s in self.create_version_table(table, schema)]
            if expected
            else []
        )
        out += [
            Statement(
                f"SELECT {self.text_literal(before)} || found || {self.text_literal(after)}"
                f" FROM (SELECT {found} AS found) WHERE found <> {want}",
                kind="guard",
                table=table,
            ),
            Statement(
                f"CREATE TEMP TABLE {guard}"
                f" (found TEXT, CONSTRAINT {check} CHECK (found = {want}))",
                kind="guard",
            ),
            Statement(
                f"INSERT INTO temp.{guard} (found) SELECT {found}", kind="guard", table=table
            ),
            Statement(f"DROP TABLE temp.{guard}", kind="guard"),
        ]
        return [dataclasses.replace(out[0], comment=self.guard_comment(expected)), *out[1:]]

    # ---- what SQLite's ALTER can do ---------------------------------------------------

    def native_add_column(self, op: ops.AddColumn, state: SchemaState) -> bool:
        """SQLite's ADD COLUMN rules: no PRIMARY KEY/UNIQUE, no constraint added after,
        NOT NULL only with a constant non-NULL default, only constant defaults."""
        col = op.column
        if col.primary_key or col.unique or col.foreign_keys or col.constraints:
            return False
        if col.computed is not None or col.identity is not None:
            return False
        default = col.server_default
        if default is None:
            return bool(col.nullable)
        return constant_default(default)

    def native_drop_column(self, op: ops.DropColumn, state: SchemaState) -> bool:
        """DROP COLUMN fails on a column in the primary key, a unique constraint, an index,
        a foreign key or a CHECK; the state tells (an unknown table is tried natively)."""
        ts = state.get(op.schema, op.table_name)
        if ts is None:
            return True
        name = op.column_name
        col = ts.columns.get(name)
        in_use = (
            (col is not None and col.primary_key)
            or (ts.primary_key is not None and name in ts.primary_key.columns)
            or any(name in u.columns for u in ts.uniques)
            or any(name in fk.columns for fk in ts.foreign_keys)
            or any(name in ix.columns for ix in ts.indexes.values())
            or any(mentions(c.sqltext, name) for c in ts.checks)
        )
        return not in_use

    @staticmethod
    def native_alter_column(op: ops.AlterColumn) -> bool:
        """Only a rename (and comments, which SQLite ignores) is native."""
        changes = (op.nullable, op.type_, op.server_default, op.autoincrement)
        return all(c is ops.UNSET for c in changes)

    def natively(self, op: ops.Operation, state: SchemaState) -> bool:
        """Whether ``op`` renders without a rebuild."""
        checks: dict[type[ops.Operation], Callable[[Any, SchemaState], bool]] = {
            ops.AddColumn: self.native_add_column,
            ops.DropColumn: self.native_drop_column,
            ops.AlterColumn: lambda o, _s: self.native_alter_column(o),
        }
        rebuilt = (
            ops.CreatePrimaryKey,
            ops.CreateUniqueConstraint,
            ops.CreateForeignKey,
            ops.CreateCheckConstraint,
            ops.DropConstraint,
            ops.BatchAlterTable,
        )
        check = checks.get(type(op))
        if check is not None:
            return check(op, state)
        return not isinstance(op, rebuilt)

    # ---- rebuilds ---------------------------------------------------------------------

    def rebuild(
        self, op: ops.TableOperation, inner: tuple[ops.Operation, ...], state: SchemaState
    ) -> list[Statement]:
        """One rebuild of ``op``'s table applying ``inner`` to the state."""
        before = state.get(op.schema, op.table_name)
        if before is None:
            raise RenderError(
                f"{r.describe(op)}: SQLite needs a table rebuild, and table {op.table_name!r} "
                "is not known to the schema state (created outside the migrations?); "
                "create it with op.create_table in an earlier revision, or write the "
                "rebuild yourself with op.execute"
            )
        since = before.unknown_since
        if since is not None:
            raise RenderError(
                f"{r.describe(op)}: SQLite needs a table rebuild, and raw SQL in revision "
                f"{since.revision} ({since.path}:{since.line}) changed table {op.table_name!r} "
                "in a way mig cannot follow, so a rebuild could lose columns or constraints; "
                "write that change with op.* calls, or write this rebuild yourself with op.execute"
            )
        work = state.copy()
        sources = {name: name for name in before.columns}
        for inner_op in inner:
            if isinstance(inner_op, (ops.Execute, ops.BulkInsert)):
                raise self.unsupported(
                    inner_op,
                    "SQL or data inside a batch that SQLite must rebuild",
                    "move op.execute/op.bulk_insert out of the batch_alter_table block",
                )
            if isinstance(inner_op, ops.DropConstraint):
                self.require_known_constraint(inner_op, work)
            if isinstance(inner_op, ops.CreateExcludeConstraint):  # refused, not left out
                self.render_create_exclude_constraint(inner_op, work)
            sources = track_sources(inner_op, sources)
            work.apply(inner_op)
        after = work.get(op.schema, op.table_name)
        if after is None:
            raise RenderError(f"{r.describe(op)}: the operations leave no table to rebuild")
        return sqlite_rebuild.rebuild(self, before, work, after, sources)

    def render_add_column(self, op: ops.AddColumn, state: SchemaState) -> list[Statement]:
        if self.natively(op, state):
            return super().render_add_column(op, state)
        return self.rebuild(op, (op,), state)

    def render_drop_column(self, op: ops.DropColumn, state: SchemaState) -> list[Statement]:
        if self.natively(op, state):
            return super().render_drop_column(op, state)
        return self.rebuild(op, (op,), state)

    def render_alter_column(self, op: ops.AlterColumn, state: SchemaState) -> list[Statement]:
        if not self.natively(op, state):
            return self.rebuild(op, (op,), state)
        if op.new_column_name is ops.UNSET or op.new_column_name == op.column_name:
            return []
        return [self.statement(self.rename_column_sql(op, op.new_column_name), op)]

    def render_create_primary_key(
        self, op: ops.CreatePrimaryKey, state: SchemaState
    ) -> list[Statement]:
        return self.rebuild(op, (op,), state)

    def render_create_unique_constraint(
        self, op: ops.CreateUniqueConstraint, state: SchemaState
    ) -> list[Statement]:
        return self.rebuild(op, (op,), state)

    def render_create_foreign_key(
        self, op: ops.CreateForeignKey, state: SchemaState
    ) -> list[Statement]:
        return self.rebuild(op, (op,), state)

    def render_create_check_constraint(
        self, op: ops.CreateCheckConstraint, state: SchemaState
    ) -> list[Statement]:
        return self.rebuild(op, (op,), state)

    def render_drop_constraint(self, op: ops.DropConstraint, state: SchemaState) -> list[Statement]:
        ts = state.get(op.schema, op.table_name)
        if op.if_exists and ts is not None and self.constraint_type(op, state) is None:
            return []
        return self.rebuild(op, (op,), state)

    def render_batch_alter_table(
        self, op: ops.BatchAlterTable, state: SchemaState
    ) -> list[Statement]:
        """Inner operations natively when all of them can be (and ``recreate`` allows),
        else one rebuild for the whole block. Unnamed constraints the block drops by the
        name its ``naming_convention`` gives them are known by that name first."""
        if op.kw.get("naming_convention"):
            state = state.copy()
            name_batch_constraints(op, state)
        if op.recreate != "always":
            work = state.copy()
            native = True
            for inner in op.operations:
                native = native and self.natively(inner, work)
                work.apply(inner)
            if native:
                return super().render_batch_alter_table(op, state)
        if op.recreate == "never":
            raise self.unsupported(
                op,
                "batch_alter_table(recreate='never') with operations SQLite cannot ALTER",
                "use recreate='auto' so the table is rebuilt",
            )
        return self.rebuild(op, op.operations, state)


def track_sources(op: ops.Operation, sources: dict[str, str]) -> dict[str, str]:
    """Follow renames and drops so each surviving column knows its name before the rebuild."""
    out = dict(sources)
    if isinstance(op, ops.AlterColumn) and op.new_column_name is not ops.UNSET:
        if op.column_name in out:
            out[op.new_column_name] = out.pop(op.column_name)
    elif isinstance(op, ops.DropColumn):
        out.pop(op.column_name, None)
    return out
