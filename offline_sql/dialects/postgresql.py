"""PostgreSQL: transactional DDL, named enum types, ``CREATE INDEX CONCURRENTLY``.

What differs from the base: enum types are schema objects of their own (created before the
first column using them, dropped after the last table using them), and concurrent index
builds refuse to run inside a transaction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping
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
from offline_sql.state import SchemaState, TableState
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
    sqlalchemy_package = "postgresql"
    default_driver = "psycopg"
    driver_extras: ClassVar[Mapping[str, str]] = {"psycopg": "postgresql", "psycopg2": "postgresql"}
    review_rules = frozenset(
        {
            "pg-index-not-concurrently",
            "pg-fk-not-valid",
            "pg-check-not-valid",
            "pg-set-not-null",
            "pg-type-rewrite",
            "pg-volatile-default",
        }
    )
    """PostgreSQL's lock rules: statements that hold ACCESS EXCLUSIVE or SHARE locks while
    they scan or rewrite a table that already has rows."""
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

    def unused_enums(
        self,
        state: SchemaState,
        key: tuple[str | None, str],
        columns: Collection[str] | None = None,
        new_type: Any = None,
    ) -> list[EnumKey]:
        """Enum types that the ``columns`` of table ``key`` (all of them when None) are the
        last to use in the state, once those columns are gone or of type ``new_type``.

        Only types mig created (``named_enum``) and the state knows: a type made outside
        the migrations or with ``create_type=False`` is the user's to drop."""
        table = state.get(*key)
        if table is None:
            return []

        def going(t: TableState, name: str) -> bool:
            return t.key == table.key and (columns is None or name in columns)

        mine = {
            k
            for name, c in table.columns.items()
            if going(table, name) and (k := self._key(c.type)) is not None
        }
        others = {
            k
            for t in state.tables.values()
            for name, c in t.columns.items()
            if not going(t, name) and (k := self._key(c.type)) is not None
        }
        if (k := self._key(new_type)) is not None:
            others.add(k)
        return sorted((mine - others) & set(state.enums), key=lambda k: (k[0] or "", k[1]))

    def drop_enums(self, keys: Iterable[EnumKey], table: str) -> list[Statement]:
        """``DROP TYPE`` for each enum type, after what used it last."""
        return [
            Statement(self.ddl(DropEnumType(sa.Enum(name=name, schema=schema))), table=table)
            for schema, name in keys
        ]

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
        return self.create_enums(types, state, op.table_name) + super().render_create_table(
            op, state
        )

    def render_drop_table(self, op: ops.DropTable, state: SchemaState) -> list[Statement]:
        unused = self.unused_enums(state, (op.schema, op.table_name))
        return super().render_drop_table(op, state) + self.drop_enums(unused, op.table_name)

    def render_add_column(self, op: ops.AddColumn, state: SchemaState) -> list[Statement]:
        self.check_computed(op, [op.column])
        enums = self.create_enums([op.column.type], state, op.table_name)
        return enums + super().render_add_column(op, state)

    def render_drop_column(self, op: ops.DropColumn, state: SchemaState) -> list[Statement]:
        """The column, then the enum types it was the last to use (as with a table), so
        re-adding the column later (a downgrade then an upgrade) can create them again."""
        unused = self.unused_enums(state, (op.schema, op.table_name), {op.column_name})
        return super().render_drop_column(op, state) + self.drop_enums(unused, op.table_name)

    def render_alter_column(self, op: ops.AlterColumn, state: SchemaState) -> list[Statement]:
        """A change to an enum type not yet created creates it first, and converts the
        values through text (``USING col::text::type``) unless the script said how.

        When an enum type is involved, a default the state knows is dropped before the
        change and set again after it: PostgreSQL would convert it with the column,
        which fails between enum types and would keep the old type in use. The enum type
        the column was the last to use is dropped at the end."""
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
            before += self.create_enums([enum], state, op.table_name)
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
        unused = self.unused_enums(state, key, {op.column_name}, new_type=op.type_)
        altered = super().render_alter_column(op, state)
        return before + altered + self.drop_enums(unused, op.table_name)

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
