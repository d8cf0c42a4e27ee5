"""PostgreSQL: transactional DDL, named enum types, ``CREATE INDEX CONCURRENTLY``.

What differs from the base: enum types are schema objects of their own (created before the
first column using them, dropped after the last table using them), and concurrent index
builds refuse to run inside a transaction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql.named_types import CreateEnumType, DropEnumType

from offline_sql import operations as ops
from offline_sql.dialects.base import (
    NO_REVISION,
    REVISION_SEPARATOR,
    Dialect,
    expected_revisions,
    guard_message_parts,
)
from offline_sql.state import SchemaState
from offline_sql.statements import Statement

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
    transactional_ddl = True
    begin_statement = "BEGIN"
    commit_statement = "COMMIT"
    max_identifier_length = 63
    client_name = "psql"
    apply_hint = "psql -X -v ON_ERROR_STOP=1 -f {file}"
    client_preamble: ClassVar[tuple[str, ...]] = ("\\set ON_ERROR_STOP on",)
    sqlglot_name = "postgres"
    column_if_exists = True

    # ---- enum types -------------------------------------------------------------------

    def create_enums(self, types: Iterable[Any], state: SchemaState, table: str) -> list[Statement]:
        """``CREATE TYPE ... AS ENUM`` for each named enum the state does not have yet."""
        out: list[Statement] = []
        seen: set[EnumKey] = set(state.enums)
        for type_ in types:
            enum = named_enum(type_)
            if enum is None or enum_key(enum) in seen:
                continue
            seen.add(enum_key(enum))
            out.append(Statement(self.ddl(CreateEnumType(enum)), table=table))
        return out

    def unused_enums_after_drop(self, op: ops.DropTable, state: SchemaState) -> list[EnumKey]:
        """Enum types of the dropped table that no other table of the state uses."""
        dropped = state.get(op.schema, op.table_name)
        if dropped is None:
            return []
        mine = {k for c in dropped.columns.values() if (k := self._key(c.type)) is not None}
        others = {
            k
            for t in state.tables.values()
            if t.key != dropped.key
            for c in t.columns.values()
            if (k := self._key(c.type)) is not None
        }
        return sorted((mine - others) & set(state.enums), key=lambda k: (k[0] or "", k[1]))

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
        text = sa.String()
        body = "\n".join(
            (
                "DECLARE",
                f"  mig_found text := {self.literal(NO_REVISION, text)};",
                "BEGIN",
                f"  IF to_regclass({self.literal(name, text)}) IS NOT NULL THEN",
                "    SELECT coalesce(string_agg(version_num, "
                f'{self.literal(REVISION_SEPARATOR, text)} ORDER BY version_num COLLATE "C"), '
                f"{self.literal(NO_REVISION, text)})",
                f"      INTO mig_found FROM {name};",
                "  END IF;",
                f"  IF mig_found <> {self.literal(expected_revisions(expected), text)} THEN",
                "    RAISE EXCEPTION USING MESSAGE = "
                f"{self.literal(before, text)} || mig_found || {self.literal(after, text)};",
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

    def render_create_table(self, op: ops.CreateTable, state: SchemaState) -> list[Statement]:
        types = [i.type for i in op.items if isinstance(i, sa.Column)]
        return self.create_enums(types, state, op.table_name) + super().render_create_table(
            op, state
        )

    def render_drop_table(self, op: ops.DropTable, state: SchemaState) -> list[Statement]:
        out = super().render_drop_table(op, state)
        for schema, name in self.unused_enums_after_drop(op, state):
            enum = sa.Enum(name=name, schema=schema)
            out.append(Statement(self.ddl(DropEnumType(enum)), table=op.table_name))
        return out

    def render_add_column(self, op: ops.AddColumn, state: SchemaState) -> list[Statement]:
        enums = self.create_enums([op.column.type], state, op.table_name)
        return enums + super().render_add_column(op, state)

    def render_alter_column(self, op: ops.AlterColumn, state: SchemaState) -> list[Statement]:
        """A change to an enum type not yet created creates it first, and converts the
        values through text (``USING col::text::type``) unless the script said how."""
        if op.type_ is ops.UNSET or named_enum(op.type_) is None:
            return super().render_alter_column(op, state)
        enums = self.create_enums([op.type_], state, op.table_name)
        if op.postgresql_using is None:
            enum = named_enum(op.type_)
            assert enum is not None
            using = f"{self.quote(op.column_name)}::text::{self.type_sql(enum)}"
            op = _with_using(op, using)
        return enums + super().render_alter_column(op, state)

    def render_create_index(self, op: ops.CreateIndex, state: SchemaState) -> list[Statement]:
        return [self._concurrently(s, op.kw) for s in super().render_create_index(op, state)]

    def render_drop_index(self, op: ops.DropIndex, state: SchemaState) -> list[Statement]:
        return [self._concurrently(s, op.kw) for s in super().render_drop_index(op, state)]

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


def _with_using(op: ops.AlterColumn, using: str) -> ops.AlterColumn:
    """A copy of ``op`` with ``postgresql_using`` set (operations are never mutated)."""
    return dataclasses.replace(op, postgresql_using=using)
