"""PostgreSQL: transactional DDL, named enum types, ``CREATE INDEX CONCURRENTLY``.

What differs from the base: enum types are schema objects of their own, created before the
first table or column using them unless the state knows them already; as with Alembic they
are dropped only when the script says so (``op.execute("DROP TYPE ...")``), never with a
table or column, so the usual downgrade (``drop_table`` then ``DROP TYPE``) runs as written.
Concurrent index builds and the other statements PostgreSQL refuses inside a transaction
are placed outside it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.dialects.postgresql.named_types import CreateEnumType
from sqlalchemy.sql.compiler import DDLCompiler

from offline_sql import operations as ops
from offline_sql.client_commands import ClientCommand, ClientSyntax
from offline_sql.dialect_api import locks
from offline_sql.dialect_api import outside_transaction as ot
from offline_sql.dialect_api.base import (
    NO_REVISION,
    REVISION_SEPARATOR,
    Dialect,
    expected_revisions,
    guard_message_parts,
)
from offline_sql.state import SchemaState
from offline_sql.statements import Statement

from .literals import PostgreSQLLiterals

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.engine import Dialect as SADialect

EnumKey = tuple[str | None, str]

CONCURRENTLY_NOTE = "CONCURRENTLY cannot run inside a transaction block: placed outside it"


def named_enum(type_: Any) -> sa.Enum | None:
    """The type as a PostgreSQL enum type mig must create, or None."""
    if not isinstance(type_, sa.Enum) or not type_.native_enum or not type_.name:
        return None
    if getattr(type_, "create_type", True) is False:
        return None
    return type_


def enum_key(type_: sa.Enum) -> EnumKey:
    return (type_.schema, str(type_.name))


class PostgreSQLDialect(Dialect):
    name = "postgresql"
    sqlalchemy_url = "postgresql://"
    literals = PostgreSQLLiterals

    def assume_server(self, sa_dialect: SADialect) -> None:
        """Generated columns as SQLAlchemy 2.1 compiles them without a connection (PostgreSQL
        18): ``STORED`` or ``VIRTUAL`` as ``persisted=`` says (mig refuses a missing
        ``persisted=`` before compiling). SQLAlchemy 2.0's PostgreSQL compiler knows no VIRTUAL
        and raises on ``persisted=False``, so the generic spelling is used on both versions."""
        base = sa_dialect.ddl_compiler
        namespace = {"visit_computed_column": DDLCompiler.visit_computed_column}
        sa_dialect.ddl_compiler = type(f"Offline{base.__name__}", (base,), namespace)

    transactional_ddl = True
    begin_statement = "BEGIN"
    commit_statement = "COMMIT"
    max_identifier_length = 63
    enum_label_max_bytes = 63
    client_name = "psql"
    apply_hint = "psql -X -v ON_ERROR_STOP=1 -f {file}"
    client_preamble: ClassVar[tuple[str, ...]] = ("\\set ON_ERROR_STOP on",)
    client_syntax = ClientSyntax(
        commands=(
            ClientCommand(
                r"\\",
                "psql runs a backslash outside quotes as a meta-command (\\! runs a shell "
                "command, \\i reads a file)",
                "anywhere",
            ),
        ),
        dollar_quotes=True,
    )
    """psql reads ``\\`` outside quotes and comments, anywhere on a line, as a meta-command."""
    sqlglot_name = "postgres"
    sqlalchemy_package = "postgresql"
    default_driver = "psycopg"
    driver_extras: ClassVar[Mapping[str, str]] = {"psycopg": "postgresql", "psycopg2": "postgresql"}
    review_rules_at = "offline_sql.dialects.postgresql.review:RULES"
    """PostgreSQL's lock rules: statements that hold ACCESS EXCLUSIVE or SHARE locks while
    they scan or rewrite a table that already has rows."""
    column_if_exists = True
    refused_in_transaction = (
        ot.Refusal("CREATE INDEX CONCURRENTLY", ot.concurrently("Create", "INDEX")),
        ot.Refusal("DROP INDEX CONCURRENTLY", ot.concurrently("Drop", "INDEX")),
        ot.Refusal(
            "REINDEX CONCURRENTLY",
            ot.command("REINDEX", r"\bCONCURRENTLY\b", words=("CONCURRENTLY",)),
        ),
        ot.Refusal("VACUUM", ot.command("VACUUM")),
        ot.Refusal(
            "ALTER TYPE ... ADD VALUE",
            ot.command("ALTER", r"^\s*TYPE\b.*\bADD\s+VALUE\b", words=("TYPE", "ADD", "VALUE")),
        ),
        ot.Refusal("CREATE/DROP DATABASE", ot.created("DATABASE")),
        ot.Refusal("ALTER SYSTEM", ot.command("ALTER", r"^\s*SYSTEM\b", words=("SYSTEM",))),
    )
    """What PostgreSQL refuses inside a transaction block. ``ALTER TYPE ... ADD VALUE`` is
    refused before PostgreSQL 12 and, from 12 on, leaves the new value unusable until the
    transaction commits; mig does not know the server's version, so it always runs it
    outside (which every version accepts, and later statements can use the value)."""

    # ---- the migration lock ---------------------------------------------------------

    def acquire_migration_lock(self, connection: Connection, name: str, timeout: float) -> bool:
        """A session-level advisory lock (``pg_try_advisory_lock``) on a 64-bit key made
        from ``name``; advisory locks are per database, so the name is enough. Polled:
        ``pg_advisory_lock`` waits without a limit unless ``lock_timeout`` is changed,
        which would change it for the run's DDL too."""
        key = locks.int64_key(name)
        query = sa.text("SELECT pg_try_advisory_lock(:key)")
        return locks.poll(lambda: bool(connection.execute(query, {"key": key}).scalar()), timeout)

    def release_migration_lock(self, connection: Connection, name: str) -> None:
        """``pg_advisory_unlock`` of the same key (closing the session would release it too)."""
        query = sa.text("SELECT pg_advisory_unlock(:key)")
        connection.execute(query, {"key": locks.int64_key(name)})

    # ---- enum types -------------------------------------------------------------------

    def create_enums(
        self, op: ops.TableOperation, types: Iterable[Any], state: SchemaState
    ) -> list[Statement]:
        """``CREATE TYPE ... AS ENUM`` for each named enum the state does not have yet."""
        out: list[Statement] = []
        seen: set[EnumKey] = set(state.enums)
        for type_ in types:
            enum = named_enum(type_)
            if enum is None or enum_key(enum) in seen:
                continue
            seen.add(enum_key(enum))
            self.check_enum_labels(op, enum)
            out.append(Statement(self.ddl(CreateEnumType(enum)), table=op.table_name))
        return out

    def check_enum_labels(self, op: ops.TableOperation, enum: sa.Enum) -> None:
        """Refuse a label longer than :attr:`enum_label_max_bytes` (UTF-8 bytes)."""
        limit = self.enum_label_max_bytes
        if limit is None:
            return
        for label in enum.enums:
            size = len(label.encode("utf-8"))
            if size > limit:
                raise self.unsupported(
                    op,
                    f"enum label {label!r} of type {enum.name} ({size} bytes in UTF-8, "
                    f"more than {limit})",
                    f"shorten the label to {limit} bytes ({self.name} counts bytes, not "
                    "characters)",
                )

    @staticmethod
    def _key(type_: Any) -> EnumKey | None:
        enum = named_enum(type_)
        return enum_key(enum) if enum is not None else None

    # ---- version guard and session --------------------------------------------------

    def guard_statements(
        self, table: str, schema: str | None, expected: tuple[str, ...]
    ) -> list[Statement]:
        """One ``DO`` block: read the version table (``to_regclass`` first, so a database
        never migrated reads as base instead of failing on a missing relation), compare,
        ``RAISE EXCEPTION`` on a mismatch. psql stops (ON_ERROR_STOP) and the transaction is
        rolled back. Aggregated with ``COLLATE "C"``: code point order, whatever the locale."""
        name = self.table_name(schema, table)
        before, after = guard_message_parts(expected)
        body = "\n".join(
            (
                "DECLARE",
                f"  mig_found text := {self.text_literal(NO_REVISION)};",
                "BEGIN",
                f"  IF to_regclass({self.text_literal(name)}) IS NOT NULL THEN",
                "    SELECT coalesce(string_agg(version_num, "
                f'{self.text_literal(REVISION_SEPARATOR)} ORDER BY version_num COLLATE "C"), '
                f"{self.text_literal(NO_REVISION)})",
                f"      INTO mig_found FROM {name};",
                "  END IF;",
                f"  IF mig_found <> {self.text_literal(expected_revisions(expected))} THEN",
                "    RAISE EXCEPTION USING MESSAGE = "
                f"{self.text_literal(before)} || mig_found || {self.text_literal(after)};",
                "  END IF;",
                "END",
            )
        )
        sql = f"DO {dollar_quoted(body, 'mig_guard')}"
        comment = self.guard_comment(expected)
        return [Statement(sql, kind="guard", table=table, block=True, comment=comment)]

    def session_settings(
        self, lock_timeout: str | None, statement_timeout: str | None
    ) -> list[Statement]:
        """``SET lock_timeout`` / ``SET statement_timeout`` for the client's session, so a
        migration waiting on a lock gives up instead of queueing every query behind it."""
        settings = (("lock_timeout", lock_timeout), ("statement_timeout", statement_timeout))
        return [
            Statement(f"SET {name} = {self.literal(value, sa.String())}", kind="guard")
            for name, value in settings
            if value is not None
        ]

    # ---- operations -------------------------------------------------------------------

    # ---- generated columns ------------------------------------------------------------

    def check_computed(self, op: ops.Operation, columns: Iterable[sa.Column[Any]]) -> None:
        """``sa.Computed`` must say ``persisted=``: PostgreSQL before 18 has only STORED
        generated columns, and 18 makes one without a keyword VIRTUAL. SQLAlchemy writes no
        keyword offline (PostgreSQL 15 refuses it) and STORED online with a warning; mig
        neither changes the meaning nor lets the choice depend on the server."""
        for column in columns:
            computed = column.computed
            if computed is not None and computed.persisted is None:
                raise self.unsupported(
                    op,
                    f"generated column {column.name!r} without persisted=",
                    "pass persisted=True to sa.Computed (STORED, every version) or "
                    "persisted=False (VIRTUAL, PostgreSQL 18 and later)",
                )

    def render_create_table(self, op: ops.CreateTable, state: SchemaState) -> list[Statement]:
        columns = [i for i in op.items if isinstance(i, sa.Column)]
        self.check_computed(op, columns)
        types = [c.type for c in columns]
        return self.create_enums(op, types, state) + super().render_create_table(op, state)

    def render_add_column(self, op: ops.AddColumn, state: SchemaState) -> list[Statement]:
        self.check_computed(op, [op.column])
        enums = self.create_enums(op, [op.column.type], state)
        return enums + super().render_add_column(op, state)

    def render_alter_column(self, op: ops.AlterColumn, state: SchemaState) -> list[Statement]:
        """A change to an enum type not yet created creates it first, and converts the
        values through text (``USING col::text::type``) unless the script said how.

        When an enum type is involved, a default the state knows is dropped before the
        change and set again after it: PostgreSQL would convert it with the column,
        which fails between enum types and would keep the old type in use. The enum type
        the column used before stays (see the module docstring)."""
        if op.type_ is ops.UNSET:
            return super().render_alter_column(op, state)
        key = (op.schema, op.table_name)
        column = state.column(key, op.column_name)
        old = self._key(column.type) if column is not None else None
        enum = named_enum(op.type_)
        if enum is None and old is None:
            return super().render_alter_column(op, state)
        before: list[Statement] = []
        if enum is not None:
            before += self.create_enums(op, [enum], state)
            if op.postgresql_using is None:
                using = f"{self.quote(op.column_name)}::text::{self.type_sql(enum)}"
                op = dataclasses.replace(op, postgresql_using=using)
        if column is not None and column.server_default is not None:
            drop = f"{self.alter_table(op)} ALTER COLUMN {self.quote(op.column_name)} DROP DEFAULT"
            before.append(self.statement(drop, op))
            if op.server_default is ops.UNSET:
                op = dataclasses.replace(op, server_default=column.server_default)
            elif op.server_default is None or op.server_default is False:
                op = dataclasses.replace(op, server_default=ops.UNSET)
        return before + super().render_alter_column(op, state)

    def render_create_index(self, op: ops.CreateIndex, state: SchemaState) -> list[Statement]:
        return [self._concurrently(s, op.kw) for s in super().render_create_index(op, state)]

    def render_drop_index(self, op: ops.DropIndex, state: SchemaState) -> list[Statement]:
        return [self._concurrently(s, op.kw) for s in super().render_drop_index(op, state)]

    def render_create_exclude_constraint(
        self, op: ops.CreateExcludeConstraint, state: SchemaState
    ) -> list[Statement]:
        """``ALTER TABLE ... ADD CONSTRAINT ... EXCLUDE USING ...``, as Alembic writes it."""
        names = [e[0] for e in op.elements if isinstance(e, tuple) and isinstance(e[0], str)]
        constraint = ExcludeConstraint(*op.elements, name=op.constraint_name, **dict(op.kw))
        return self.add_constraint(op, constraint, tuple(dict.fromkeys(names)))

    @staticmethod
    def _concurrently(statement: Statement, kw: Any) -> Statement:
        if not kw.get("postgresql_concurrently"):
            return statement
        return Statement(
            statement.sql,
            kind=statement.kind,
            table=statement.table,
            transactional=False,
            comment=CONCURRENTLY_NOTE,
        )


def dollar_quoted(body: str, tag: str) -> str:
    """``body`` between ``$tag$`` quotes, with a tag that does not occur in it."""
    candidate, n = tag, 0
    while f"${candidate}$" in body:
        n += 1
        candidate = f"{tag}{n}"
    return f"${candidate}$\n{body}\n${candidate}$"
