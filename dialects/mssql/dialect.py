"""SQL Server: transactional DDL run by ``sqlcmd``, defaults as named constraints.

``ALTER COLUMN`` restates type and nullability (from the schema state, as on MySQL). A
default is a constraint with a name the server may have invented, so changing or dropping
one, and dropping a column that has one, first looks the name up in
``sys.default_constraints`` in a small T-SQL batch. Renames use ``sp_rename`` and comments
are ``MS_Description`` extended properties.

A type change restates the column; what SQL Server refuses to alter under an index, a key,
a CHECK/UNIQUE constraint or a default is dropped first and re-created after, from the
schema state (``dialects/mssql/dependents.py``); ``DROP COLUMN`` drops them first too.

Precision: SQLAlchemy maps ``sa.DateTime`` to ``DATETIME``, which keeps time in steps of
1/300 s (.000, .003, .007): a ``bulk_insert``/``execute`` value finer than that is rounded
by the server, so mig warns (:class:`~offline_sql.dialect_api.base.PrecisionLossWarning`,
naming the script and line). Use ``sqlalchemy.dialects.mssql.DATETIME2`` to keep
microseconds (``sa.DateTime(timezone=True)`` is ``DATETIMEOFFSET``, which keeps them too).
Text outside code page 1252 for a ``VARCHAR`` column warns too (:class:`CodePageWarning`).

``sqlcmd`` reads the script first: no statement may hold a line it would run as a command or
a ``$(`` it would substitute (``dialects/mssql/sqlcmd.py``); literals are written so they
never do (``dialect_api/literals.py``), anything else that would is refused.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa

from offline_sql import operations as ops
from offline_sql.client_commands import ClientCommand, ClientSyntax
from offline_sql.dialect_api import constructs as r
from offline_sql.dialect_api import existing, locks
from offline_sql.dialect_api.base import (
    NO_REVISION,
    REVISION_SEPARATOR,
    Dialect,
    PrecisionLossWarning,
    expected_revisions,
    guard_message_parts,
)
from offline_sql.dialect_api.literals import LiteralError
from offline_sql.errors import RenderError
from offline_sql.state import SchemaState
from offline_sql.statements import Statement
from offline_sql.table_state import ForeignKeyState, PrimaryKeyState, TableState

from . import dependents, sqlcmd
from .literals import MSSQLLiterals

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.engine import Dialect as SADialect

    from offline_sql.operations import Operation


class CodePageWarning(PrecisionLossWarning):
    """Text goes into a ``VARCHAR``/``CHAR``/``TEXT`` column with characters outside code page
    1252 (the ``Latin1_General`` collations'): SQL Server stores ``?`` for them, silently."""


SQLCMD_MODE_CHECK = (
    "IF N'$(__IsSqlCmdEnabled)' NOT LIKE N'True' BEGIN RAISERROR(N'mig: run this script with "
    "sqlcmd (or SSMS in SQLCMD mode): nothing was changed', 16, 1); SET NOEXEC ON; END"
)
"""Outside SQLCMD mode (SSMS's default) ``$(...)`` is not substituted and the ``:`` lines are
errors: the script then compiles without running anything (``NOEXEC``) instead of running
the batches that do parse. The pattern SSDT's publish scripts use."""


def nstr(text: str) -> str:
    """A Unicode string literal (``N'...'``), for names and property values."""
    return "N'" + text.replace("'", "''") + "'"


class MSSQLDialect(Dialect):
    name = "mssql"
    sqlalchemy_url = "mssql://"
    literals = MSSQLLiterals

    def assume_server(self, sa_dialect: SADialect) -> None:
        """SQL Server 2019: without a connection SQLAlchemy would assume a pre-2008 server
        (TIME compiled as DATETIME, no multi-row VALUES)."""
        sa_dialect.server_version_info = (15, 0)
        sa_dialect._setup_version_attributes()  # type: ignore[attr-defined]
        sa_dialect._supports_nvarchar_max = True  # type: ignore[attr-defined]

    transactional_ddl = True
    begin_statement = "BEGIN TRANSACTION"
    commit_statement = "COMMIT"
    batch_separator = "GO"
    max_identifier_length = 128
    client_name = "sqlcmd"
    apply_hint = "sqlcmd -b -I -i {file}"
    client_preamble = (
        ":on error exit",
        ':setvar __IsSqlCmdEnabled "True"',
        "GO",
        SQLCMD_MODE_CHECK,
        "GO",
        "SET XACT_ABORT ON",
        "SET QUOTED_IDENTIFIER ON",
        "SET ANSI_NULLS ON",
    )
    """``:on error exit`` stops at the first error; the SQLCMD-mode check (see
    :data:`SQLCMD_MODE_CHECK`); ``XACT_ABORT`` rolls the transaction back on any run-time
    error; ``QUOTED_IDENTIFIER`` and ``ANSI_NULLS`` ON are what indexes on computed columns,
    filtered indexes and indexed views require (sqlcmd starts with QUOTED_IDENTIFIER off)."""
    client_syntax = ClientSyntax(
        commands=(
            ClientCommand(
                r"\s*(?::|!!)",
                "sqlcmd runs it as a sqlcmd command (:!! and !! run a shell command, :r reads "
                "a file)",
            ),
            ClientCommand(r"(?i)\s*GO\b", "sqlcmd ends the batch there (GO n repeats it)"),
            ClientCommand(
                r"(?i)\s*(?:EXIT|QUIT|RESET|ED)\s*(?:\(.*)?$",
                "sqlcmd runs it as a sqlcmd command (EXIT, QUIT, RESET, ED)",
            ),
            ClientCommand(
                r"\$\(", "sqlcmd replaces $(name) with a scripting variable", "anywhere"
            ),
        ),
        quotes_hide_commands=False,
    )
    """sqlcmd reads its commands, ``GO`` and ``$(var)`` on every line, inside literals too."""
    sqlglot_name = "tsql"
    sqlalchemy_package = "mssql"

    foreign_key_ondelete_actions = frozenset({"NO ACTION", "CASCADE", "SET NULL", "SET DEFAULT"})
    """T-SQL has no ``RESTRICT`` (``NO ACTION``, the default, refuses the delete too)."""
    foreign_key_onupdate_actions = foreign_key_ondelete_actions
    drop_index_names_table = True

    default_schema: ClassVar[str] = "dbo"
    """Schema SQLAlchemy's comment DDL is told about (mig writes descriptions itself, with
    ``SCHEMA_NAME()``, the applying user's default schema, when the script names none)."""

    max_description: ClassVar[int] = 3750
    """Longest description (UTF-16 code units): an extended property value is a
    ``sql_variant`` of at most 7,500 bytes."""

    bulk_insert_rows = 1000

    # ---- the migration lock ---------------------------------------------------------

    def acquire_migration_lock(self, connection: Connection, name: str, timeout: float) -> bool:
        """``sp_getapplock`` with ``@LockOwner = 'Session'`` (kept across the run's commits),
        waiting ``@LockTimeout`` milliseconds; a return code of 0 or more means held.
        Application locks are per database, so the name is enough."""
        query = sa.text(
            "SET NOCOUNT ON; DECLARE @result int; "
            "EXEC @result = sp_getapplock @Resource = :name, @LockMode = 'Exclusive', "
            "@LockOwner = 'Session', @LockTimeout = :timeout; SELECT @result"
        )
        held = connection.execute(query, {"name": name, "timeout": locks.milliseconds(timeout)})
        result = held.scalar()
        return result is not None and int(result) >= 0

    def release_migration_lock(self, connection: Connection, name: str) -> None:
        """``sp_releaseapplock`` of the same resource."""
        query = "EXEC sp_releaseapplock @Resource = :name, @LockOwner = 'Session'"
        connection.execute(sa.text(query), {"name": name})

    """Most rows SQL Server accepts in one ``VALUES`` list."""

    def sa_dialect(self) -> SADialect:
        """SQLAlchemy's dialect, told the default schema (its comment DDL needs it), quoting
        names spelled like a sqlcmd command (see ``dialects/mssql/sqlcmd.py``)."""
        dialect = super().sa_dialect()
        if dialect.default_schema_name is None:
            dialect.default_schema_name = self.default_schema
            preparer = dialect.identifier_preparer
            preparer.reserved_words = preparer.reserved_words | sqlcmd.COMMAND_WORDS
        return dialect

    def render(self, op: Operation, state: SchemaState) -> list[Statement]:
        """Every statement is checked for text sqlcmd would take as its own (a command
        line, ``$(``): what literals cannot rewrite (names, raw SQL) is refused."""
        out = super().render(op, state)
        for statement in out:
            found = sqlcmd.hazard(statement.sql, statement.comment)
            if found is not None:
                raise RenderError(
                    f"{r.describe(op)}: {found}; sqlcmd reads the script before SQL Server "
                    "does: rename the object, or split the raw SQL so no line starts with a "
                    "sqlcmd command and no '$(' appears (write '$' + '(' in a string)"
                )
        return out

    def compile(self, element: Any) -> str:
        """Compiled with the adjusted SQLAlchemy dialect (see :meth:`sa_dialect`)."""
        self.sa_dialect()
        return super().compile(element)

    binary_collation: ClassVar[str] = "Latin1_General_BIN2"
    """Code point order and exact comparison, whatever the database's collation."""

    # ---- version guard ----------------------------------------------------------------

    def guard_statements(
        self, table: str, schema: str | None, expected: tuple[str, ...]
    ) -> list[Statement]:
        """One T-SQL batch: read the version table when ``OBJECT_ID`` finds it (a database
        never migrated reads as base; deferred name resolution compiles the batch), compare,
        ``THROW 50000`` on a mismatch: under ``SET XACT_ABORT ON`` (the preamble) THROW ends
        the batch and dooms the transaction, and ``:on error exit`` stops sqlcmd. THROW's
        message is never a format string (``%`` stays as it is), unlike ``RAISERROR``'s,
        which also ignores XACT_ABORT. The statement before THROW ends with ``;`` as THROW
        requires. Needs SQL Server 2017 or later (``STRING_AGG``)."""
        versions = self.table_name(schema, table)
        target = nstr(f"{schema}.{table}" if schema else table)
        before, after = guard_message_parts(expected)
        binary = self.binary_collation
        sql = "\n".join(
            (
                f"DECLARE @mig_found nvarchar(max) = {nstr(NO_REVISION)};",
                f"IF OBJECT_ID({target}, N'U') IS NOT NULL",
                "BEGIN",
                f"  SET @mig_found = COALESCE((SELECT STRING_AGG(version_num, "
                f"{nstr(REVISION_SEPARATOR)}) WITHIN GROUP (ORDER BY version_num COLLATE {binary})"
                f" FROM {versions}), {nstr(NO_REVISION)});",
                "END;",
                f"IF @mig_found COLLATE {binary} <> {nstr(expected_revisions(expected))}",
                "BEGIN",
                f"  DECLARE @mig_message nvarchar(2048) = CONCAT({nstr(before)}, @mig_found, "
                f"{nstr(after)});",
                "  THROW 50000, @mig_message, 1;",
                "END;",
            )
        )
        comment = self.guard_comment(expected)
        return [Statement(sql, kind="guard", table=table, block=True, comment=comment)]

    # ---- helpers ----------------------------------------------------------------------

    def object_name(self, schema: str | None, table: str, column: str | None = None) -> str:
        """``schema.table[.column]`` as ``sp_rename`` and ``OBJECT_ID`` read it."""
        parts = [p for p in (schema, table, column) if p is not None]
        return nstr(".".join(self.quote_brackets(p) for p in parts))

    @staticmethod
    def quote_brackets(name: str) -> str:
        return "[" + name.replace("]", "]]") + "]"

    def drop_default_constraint(
        self, op: ops.TableOperation, column: str, comment: str | None = None
    ) -> Statement:
        """Drop whatever default constraint the column has, looked up by the server."""
        target = self.object_name(op.schema, op.table_name)
        lookup = (
            "SELECT @name = dc.name FROM sys.default_constraints AS dc "
            "JOIN sys.columns AS c ON c.object_id = dc.parent_object_id "
            "AND c.column_id = dc.parent_column_id "
            f"WHERE dc.parent_object_id = OBJECT_ID({target}) AND c.name = {nstr(column)}"
        )
        return self.drop_looked_up(op, lookup, comment)

    def drop_looked_up(self, op: ops.TableOperation, lookup: str, comment: str | None) -> Statement:
        """A batch dropping the constraint whose name ``lookup`` (a ``SELECT @name = ...``)
        finds, if any: a name the server invented is known only to the server. ``EXEC (...)``
        takes only variables and literals, so the statement is built in a variable and run
        with ``sp_executesql``."""
        alter = nstr(self.alter_table(op) + " DROP CONSTRAINT ")
        sql = (
            "DECLARE @name sysname, @sql nvarchar(max);\n"
            f"{lookup};\n"
            "IF @name IS NOT NULL\n"
            "BEGIN\n"
            f"  SET @sql = {alter} + QUOTENAME(@name);\n"
            "  EXEC sp_executesql @sql;\n"
            "END"
        )
        return self.statement(sql, op, block=True, comment=comment)

    def may_have_default(self, state: SchemaState, op: ops.TableOperation, column: str) -> bool:
        table = self.known_table(state, op)
        if table is None or column not in table.columns:
            return True
        return table.columns[column].server_default is not None

    def extended_property(
        self,
        proc: str,
        schema: str | None,
        table: str,
        column: str | None,
        value: str | None,
    ) -> str:
        """``EXEC sp_add/update/dropextendedproperty`` for ``MS_Description``.

        A procedure's arguments are constants or variables only, so the applying user's
        default schema (``SCHEMA_NAME()``, where an unqualified table is) and a value written
        in pieces (line breaks, ``$(``: see ``dialect_api/literals.py``) are set in variables
        first."""
        declare: list[str] = []
        args = [f"@name = {nstr('MS_Description')}"]
        if value is not None:
            if len(value.encode("utf-16-le")) // 2 > self.max_description:
                raise LiteralError(
                    f"a description longer than {self.max_description} characters is not "
                    "supported on mssql; SQL Server keeps at most 7,500 bytes in an extended "
                    "property: shorten it"
                )
            literal = self.literal(value, sa.Unicode())
            if literal.startswith("("):
                declare.append(f"@mig_value nvarchar({self.max_description}) = {literal}")
                literal = "@mig_value"
            elif not literal.startswith("N"):
                literal = "N" + literal
            args.append(f"@value = {literal}")
        if schema is None:
            declare.append("@mig_schema sysname = SCHEMA_NAME()")
        args += [
            f"@level0type = {nstr('SCHEMA')}",
            f"@level0name = {'@mig_schema' if schema is None else nstr(schema)}",
            f"@level1type = {nstr('TABLE')}",
            f"@level1name = {nstr(table)}",
        ]
        if column is not None:
            args += [f"@level2type = {nstr('COLUMN')}", f"@level2name = {nstr(column)}"]
        sql = f"EXEC {proc} " + ", ".join(args)
        return f"DECLARE {', '.join(declare)};\n{sql}" if declare else sql

    def comment_change(
        self,
        op: ops.TableOperation,
        column: str | None,
        old: str | Any | None,
        new: str | None,
    ) -> list[Statement]:
        """Add, update or drop a description, as the comment known before requires."""
        if old is ops.UNSET:
            where = f"column {column!r}" if column else f"table {op.table_name!r}"
            raise RenderError(
                f"{r.describe(op)}: {where} is not in the schema replayed from the migrations, "
                "and SQL Server adds and updates a comment differently; pass existing_comment="
            )
        if old is None and new is None:
            return []
        proc = {
            (True, False): "sp_addextendedproperty",
            (False, False): "sp_updateextendedproperty",
            (False, True): "sp_dropextendedproperty",
        }[(old is None, new is None)]
        sql = self.extended_property(proc, op.schema, op.table_name, column, new)
        return [self.statement(sql, op)]

    def comment_statements(self, table: sa.Table) -> list[Statement]:
        """Descriptions of a new table and its columns, with ``N'...'`` values (SQLAlchemy's
        own DDL writes them as ``'...'``, which loses characters outside the code page)."""
        out: list[Statement] = []
        if table.comment is not None:
            sql = self.extended_property(
                "sp_addextendedproperty", table.schema, table.name, None, table.comment
            )
            out.append(Statement(sql, table=table.name))
        for column in table.columns:
            if column.comment is not None:
                sql = self.extended_property(
                    "sp_addextendedproperty",
                    table.schema,
                    table.name,
                    column.name,
                    column.comment,
                )
                out.append(Statement(sql, table=table.name))
        return out

    def column_comment_statements(
        self, op: ops.TableOperation, column: str, comment: str | None
    ) -> list[Statement]:
        """The description of a column just added (``add_column``): nothing to replace."""
        if comment is None:
            return []
        sql = self.extended_property(
            "sp_addextendedproperty", op.schema, op.table_name, column, comment
        )
        return [self.statement(sql, op)]

    # ---- columns ----------------------------------------------------------------------

    def render_add_column(self, op: ops.AddColumn, state: SchemaState) -> list[Statement]:
        """T-SQL adds a column with ``ADD``, not ``ADD COLUMN``."""
        out = super().render_add_column(op, state)
        first = out[0]
        head = f"{self.alter_table(op)} ADD COLUMN "
        assert first.sql.startswith(head)
        sql = f"{self.alter_table(op)} ADD {first.sql[len(head) :]}"
        return [Statement(sql, table=first.table), *out[1:]]

    def render_drop_column(self, op: ops.DropColumn, state: SchemaState) -> list[Statement]:
        """Indexes and constraints on the column go first (SQL Server refuses to drop a
        column they use; the schema state drops them with the column), then its default."""
        out: list[Statement] = []
        table = self.known_table(state, op)
        if table is not None and op.column_name in table.columns:
            found = dependents.find(state.tables, table, op.column_name, None)
            if found.primary_key is not None or found.referencing:
                raise self.unsupported(
                    op,
                    f"dropping column {op.column_name!r} of the primary key or of a key "
                    "other tables reference",
                    "drop those foreign keys and the key first (op.drop_constraint), then "
                    "create the ones you want after the drop",
                )
            note = f"SQL Server refuses to drop a column in use: {op.column_name} is"
            out += self.drop_dependents(op, state, table, found, note)
        if self.may_have_default(state, op, op.column_name):
            note = "a column with a default cannot be dropped before its default constraint"
            out.append(self.drop_default_constraint(op, op.column_name, note))
        return out + super().render_drop_column(op, state)

    def render_alter_column(self, op: ops.AlterColumn, state: SchemaState) -> list[Statement]:
        """Type/nullability restated around what SQL Server forbids the column to be part
        of (see ``dialects/mssql/dependents.py``): those indexes, constraints and the
        default are dropped first and re-created after; then the comment, the rename last."""
        if op.autoincrement is not ops.UNSET:
            raise self.unsupported(
                op,
                "changing IDENTITY with ALTER COLUMN",
                "add a new IDENTITY column, copy the data and drop the old one",
            )
        before_all: list[Statement] = []
        alter: list[Statement] = []
        after_all: list[Statement] = []
        column = self.quote(op.column_name)
        drop_default = op.server_default is not ops.UNSET and self.may_have_default(
            state, op, op.column_name
        )
        restore_default: Any = None
        if op.type_ is not ops.UNSET or op.nullable is not ops.UNSET:
            before = existing.current_column(op, state, ("type", "nullable"), self.same_type)
            after = existing.altered(before, op)
            change = dependents.Change(
                self.type_sql(before.type),
                self.type_sql(after.type),
                before.nullable,
                after.nullable,
            )
            null = "NULL" if after.nullable else "NOT NULL"
            sql = f"{self.alter_table(op)} ALTER COLUMN {column} {change.after_type} {null}"
            table = self.known_table(state, op)
            if table is not None and op.column_name in table.columns:
                found = dependents.find(state.tables, table, op.column_name, change)
                if change.after_type.upper().endswith("(MAX)") and (found.indexes or found.uniques):
                    raise self.unsupported(
                        op,
                        f"{change.after_type} for a column in an index or unique constraint",
                        "drop the index or constraint first (SQL Server cannot index a (max) "
                        "column) or choose a length",
                    )
                self.refuse_mismatched_keys(op, state, table, found, change)
                why = f"SQL Server cannot alter a column in use: {op.column_name} is"
                before_all += self.drop_dependents(op, state, table, found, why)
                after_all = self.create_dependents(op, state, table, found)
                if before.server_default is not None and not change.keeps_default:
                    drop_default = True
                    restore_default = before.server_default
            alter.append(self.statement(sql, op))
        if drop_default:
            retyped = "SQL Server cannot change the type of a column with a default: re-created"
            note = retyped if op.server_default is ops.UNSET else None
            before_all.append(self.drop_default_constraint(op, op.column_name, note))
        if op.server_default is not ops.UNSET:
            restore_default = op.server_default
        if restore_default is not None and restore_default is not False:
            alter.append(self.add_default(op, restore_default))
        out = before_all + alter + after_all
        if op.comment is not ops.UNSET:
            out += self.comment_change(
                op, op.column_name, self.known_comment(op, state), op.comment
            )
        if op.new_column_name is not ops.UNSET and op.new_column_name != op.column_name:
            target = self.object_name(op.schema, op.table_name, op.column_name)
            sql = f"EXEC sp_rename {target}, {nstr(op.new_column_name)}, 'COLUMN'"
            out.append(self.statement(sql, op))
        return out

    def refuse_mismatched_keys(
        self,
        op: ops.AlterColumn,
        state: SchemaState,
        table: TableState,
        found: dependents.Dependents,
        change: dependents.Change,
    ) -> None:
        """A foreign key dropped around the change is re-created right after it: SQL Server
        refuses that (Msg 1778, or 1753 for another length or scale) unless the columns on
        both sides then have the same type. One ALTER sees one side only, so a key whose
        other side differs is refused with the way to write it."""
        pairs: list[tuple[ForeignKeyState, TableState, str]] = []
        for other, fk in found.referencing:
            for local, remote in zip(fk.columns, fk.referent_columns, strict=False):
                if remote == op.column_name and local in other.columns:
                    pairs.append((fk, other, local))
        for fk in found.foreign_keys:
            referent = state.get(fk.referent_schema, fk.referent_table)
            if referent is None or referent.unknown_since is not None:
                continue
            for local, remote in zip(fk.columns, fk.referent_columns, strict=False):
                if local == op.column_name and remote in referent.columns:
                    pairs.append((fk, referent, remote))
        for fk, other, name in pairs:
            other_type = self.type_sql(other.columns[name].type)
            if " ".join(other_type.upper().split()) != " ".join(change.after_type.upper().split()):
                raise self.unsupported(
                    op,
                    f"changing {table.name}.{op.column_name} to {change.after_type} while "
                    f"foreign key {fk.name or '(unnamed)'} pairs it with {other.name}.{name} "
                    f"({other_type})",
                    "SQL Server re-creates a foreign key only between columns of the same "
                    "type and size (Msg 1778): drop the foreign key first (op.drop_constraint), "
                    "change the columns on both sides, then create it again "
                    "(op.create_foreign_key)",
                )

    @staticmethod
    def known_table(state: SchemaState, op: ops.TableOperation) -> TableState | None:
        """The table as the replayed state knows it; None when raw SQL made it unknown."""
        table = state.get(op.schema, op.table_name)
        return table if table is not None and table.unknown_since is None else None

    def drop_dependents(
        self,
        op: ops.TableOperation,
        state: SchemaState,
        table: TableState,
        found: dependents.Dependents,
        why: str,
    ) -> list[Statement]:
        """DROP statements for ``found``, the referencing foreign keys first, each with a
        note saying why. Unnamed objects are an error (only the primary key is looked up)."""
        metadata = sa.MetaData()
        sa_table = state.to_table(table.key, metadata)
        out: list[Statement] = []

        def named(kind: str, name: str | None) -> str:
            if name is None:
                raise self.unsupported(
                    op,
                    f"dropping an unnamed {kind} on {table.name} for column "
                    f"{getattr(op, 'column_name', '')!r}",
                    "name the constraint or index where it is created (or set a naming "
                    "convention on the MetaData), so it can be dropped and re-created",
                )
            return name

        for other, fk in found.referencing:
            name = named("foreign key", fk.name)
            sql = f"ALTER TABLE {self.table_name(other.schema, other.name)} DROP CONSTRAINT "
            note = f"{why} in the key that foreign key {name} references"
            out.append(Statement(sql + self.quote(name), table=other.name, comment=note))
        for kind, items in (
            ("foreign key", found.foreign_keys),
            ("check constraint", found.checks),
            ("unique constraint", found.uniques),
        ):
            for item in items:
                name = named(kind, item.name)
                sql = f"{self.alter_table(op)} DROP CONSTRAINT {self.quote(name)}"
                out.append(self.statement(sql, op, comment=f"{why} in {kind} {name}"))
        for index in found.indexes:
            drop = sa.schema.DropIndex(_index(sa_table, index.name))
            out.append(self.statement(self.ddl(drop), op, comment=f"{why} in index {index.name}"))
        if found.primary_key is not None:
            out.append(self.drop_primary_key(op, found.primary_key, f"{why} in the primary key"))
        return out

    def drop_primary_key(
        self, op: ops.TableOperation, key: PrimaryKeyState, note: str
    ) -> Statement:
        """By name, or looked up in ``sys.key_constraints`` (a table has one primary key)."""
        if key.name is not None:
            sql = f"{self.alter_table(op)} DROP CONSTRAINT {self.quote(key.name)}"
            return self.statement(sql, op, comment=note)
        target = self.object_name(op.schema, op.table_name)
        lookup = (
            "SELECT @name = name FROM sys.key_constraints "
            f"WHERE parent_object_id = OBJECT_ID({target}) AND type = 'PK'"
        )
        return self.drop_looked_up(op, lookup, note)

    def create_dependents(
        self,
        op: ops.TableOperation,
        state: SchemaState,
        table: TableState,
        found: dependents.Dependents,
    ) -> list[Statement]:
        """What :meth:`drop_dependents` dropped, re-created as the state knows it, in the
        reverse order: the primary key, indexes, constraints, then the foreign keys."""
        metadata = sa.MetaData()
        sa_table = state.to_table(table.key, metadata)
        out: list[Statement] = []
        if found.primary_key is not None and sa_table.primary_key.columns:
            add = sa.schema.AddConstraint(sa_table.primary_key)
            out.append(self.statement(self.ddl(add), op))
        for index in found.indexes:
            create = sa.schema.CreateIndex(_index(sa_table, index.name))
            out.append(self.statement(self.ddl(create), op))
        names = {c.name for c in found.uniques} | {c.name for c in found.checks}
        names |= {fk.name for fk in found.foreign_keys}
        kinds = (sa.UniqueConstraint, sa.CheckConstraint, sa.ForeignKeyConstraint)
        for kind in kinds:
            for constraint in sorted(sa_table.constraints, key=lambda c: str(c.name)):
                if isinstance(constraint, kind) and constraint.name in names:
                    add = sa.schema.AddConstraint(constraint)
                    out.append(self.statement(self.ddl(add), op))
        for other, fk in found.referencing:
            other_table = sa_table if other is table else state.to_table(other.key, metadata)
            for constraint in other_table.foreign_key_constraints:
                if constraint.name == fk.name:
                    add = sa.schema.AddConstraint(constraint)
                    out.append(Statement(self.ddl(add), table=other.name))
        return out

    def add_default(self, op: ops.AlterColumn, default: Any) -> Statement:
        name = f"DF_{op.table_name}_{op.column_name}"
        if len(name) > self.max_identifier_length:
            raise self.unsupported(
                op,
                f"a default constraint name longer than {self.max_identifier_length}",
                "shorten the table or column name",
            )
        sql = (
            f"{self.alter_table(op)} ADD CONSTRAINT {self.quote(name)} "
            f"DEFAULT {self.default_sql(op, default)} FOR {self.quote(op.column_name)}"
        )
        return self.statement(sql, op)

    def known_comment(self, op: ops.AlterColumn, state: SchemaState) -> Any:
        table = self.known_table(state, op)
        if table is not None and op.column_name in table.columns:
            return table.columns[op.column_name].comment
        return op.existing_comment

    # ---- tables -----------------------------------------------------------------------

    def render_rename_table(self, op: ops.RenameTable, state: SchemaState) -> list[Statement]:
        target = self.object_name(op.schema, op.table_name)
        return [self.statement(f"EXEC sp_rename {target}, {nstr(op.new_table_name)}", op)]

    def render_create_table_comment(
        self, op: ops.CreateTableComment, state: SchemaState
    ) -> list[Statement]:
        return self.comment_change(op, None, self.table_comment(op, state), op.comment)

    def render_drop_table_comment(
        self, op: ops.DropTableComment, state: SchemaState
    ) -> list[Statement]:
        return self.comment_change(op, None, self.table_comment(op, state), None)

    def table_comment(
        self, op: ops.CreateTableComment | ops.DropTableComment, state: SchemaState
    ) -> Any:
        table = self.known_table(state, op)
        return table.comment if table is not None else op.existing_comment

    # ---- data -------------------------------------------------------------------------

    def insert_groups(
        self, op: ops.BulkInsert, rows: list[dict[str, Any]]
    ) -> list[list[dict[str, Any]]]:
        """The rows of each INSERT, in order: at most :attr:`bulk_insert_rows` in one
        ``VALUES`` list, and one row per INSERT unless all rows name the same columns."""
        size = self.bulk_insert_rows or len(rows) or 1
        if op.multiinsert and len({tuple(sorted(row)) for row in rows}) == 1:
            return [rows[start : start + size] for start in range(0, len(rows), size)]
        return [[row] for row in rows]

    def insert_statements(
        self, op: ops.BulkInsert, table: sa.TableClause, rows: list[dict[str, Any]]
    ) -> list[str]:
        """One INSERT per group of :meth:`insert_groups`."""
        out: list[str] = []
        for group in self.insert_groups(op, rows):
            out += super().insert_statements(op, table, group)
        return out

    def render_bulk_insert(self, op: ops.BulkInsert, state: SchemaState) -> list[Statement]:
        """An INSERT naming the table's IDENTITY column runs between ``SET IDENTITY_INSERT
        ... ON`` and ``OFF`` (without it SQL Server refuses explicit values, Msg 544; with it
        an INSERT that does not name the column fails, Msg 545). The replayed state says
        which column is IDENTITY, as SQLAlchemy's DDL made it; for a table it does not know,
        ``sys.identity_columns`` is asked when the script runs."""
        out = super().render_bulk_insert(op, state)
        groups = self.insert_groups(op, [dict(row) for row in op.rows])
        table = self.known_table(state, op)
        identity = identity_column(state, table) if table is not None else None
        target = self.table_name(op.schema, op.table_name)
        wrapped: list[Statement] = []
        for statement, group in zip(out, groups, strict=True):
            names = sorted(group[0])
            if table is not None and identity not in names:
                wrapped.append(statement)
                continue
            test = ""
            note = f"explicit values for IDENTITY column {identity}"
            if table is None:
                listed = ", ".join(nstr(name) for name in names)
                test = (
                    "IF EXISTS (SELECT 1 FROM sys.identity_columns WHERE object_id = "
                    f"OBJECT_ID({self.object_name(op.schema, op.table_name)}) "
                    f"AND name IN ({listed})) "
                )
                note = "explicit values, if one of these columns is IDENTITY"
            sql = (
                f"{test}SET IDENTITY_INSERT {target} ON;\n{statement.sql};\n"
                f"{test}SET IDENTITY_INSERT {target} OFF"
            )
            wrapped.append(
                Statement(sql, kind=statement.kind, table=statement.table, comment=note)
            )
        return wrapped

    def warn_precision_loss(
        self, op: Operation, values: Iterable[tuple[str, Any, sa.types.TypeEngine[Any]]]
    ) -> None:
        """Rounded values (see :meth:`precision_loss`), and a :class:`CodePageWarning` for
        text a ``VARCHAR`` column cannot hold."""
        values = list(values)
        super().warn_precision_loss(op, values)
        where = str(op.origin) if op.origin is not None else r.describe(op)
        for name, value, type_ in values:
            if not isinstance(value, str) or isinstance(type_, sa.types.NullType):
                continue
            spelled = self.type_sql(type_).upper()
            code_page = dependents.type_name(spelled) in ("VARCHAR", "CHAR", "TEXT")
            if code_page and "UTF8" not in spelled and not fits_code_page(value):
                if not _utf8(value):
                    continue  # a lone surrogate: the script is refused for it, one error line
                warnings.warn(
                    f"{where}: {value[:40]!r} for column {name} ({spelled}) has characters "
                    "outside code page 1252, which SQL Server stores as '?' unless the "
                    "column's collation is UTF-8: use sa.Unicode/sa.UnicodeText (NVARCHAR)",
                    CodePageWarning,
                    stacklevel=2,
                )

    def precision_loss(self, value: Any, type_: sa.types.TypeEngine[Any]) -> str | None:
        """``DATETIME`` keeps 1/300 s (milliseconds ending in 0, 3 or 7 stay as written),
        ``SMALLDATETIME`` whole minutes."""
        if not isinstance(value, dt.datetime):
            return None
        spelled = self.type_sql(type_).upper()
        if spelled == "SMALLDATETIME" and (value.second or value.microsecond):
            return "SMALLDATETIME keeps whole minutes; use mssql.DATETIME2"
        exact = value.microsecond % 1000 == 0 and (value.microsecond // 1000) % 10 in (0, 3, 7)
        if spelled == "DATETIME" and not exact:
            return (
                "DATETIME (what sa.DateTime becomes) keeps steps of 1/300 s; "
                "use mssql.DATETIME2 to keep microseconds"
            )
        return None

    # ---- version table ----------------------------------------------------------------

    def create_version_table(self, table: str, schema: str | None) -> list[Statement]:
        """``IF OBJECT_ID(...) IS NULL CREATE TABLE``: T-SQL has no IF NOT EXISTS here."""
        create = self.ddl(sa.schema.CreateTable(self.version_table(table, schema)))
        target = nstr(f"{schema}.{table}" if schema else table)
        sql = f"IF OBJECT_ID({target}, N'U') IS NULL\n{create}"
        return [Statement(sql, kind="version", table=table)]


def identity_column(state: SchemaState, table: TableState) -> str | None:
    """The column SQLAlchemy's DDL makes IDENTITY (``MSDDLCompiler.get_column_specification``):
    one with ``sa.Identity``, ``autoincrement=True``, or the table's autoincrement column
    (a lone integer primary key) unless a ``Sequence`` feeds it."""
    sa_table = state.to_table(table.key, sa.MetaData())
    auto = sa_table._autoincrement_column
    for column in sa_table.columns:
        fed = isinstance(column.default, sa.Sequence) and not column.default.optional
        if column.computed is None and (
            column.identity is not None
            or ((column is auto or column.autoincrement is True) and not fed)
        ):
            return column.name
    return None


CODE_PAGE_UNDEFINED = frozenset("\x81\x8d\x8f\x90\x9d")
"""Bytes code page 1252 leaves undefined; Windows (and SQL Server) keep them as they are."""


def _utf8(text: str) -> bool:
    """Whether ``text`` can be written at all (a lone surrogate cannot)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def fits_code_page(text: str) -> bool:
    """Whether every character of ``text`` has a place in code page 1252."""
    kept = "".join(char for char in text if char not in CODE_PAGE_UNDEFINED)
    try:
        kept.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _index(table: sa.Table, name: str) -> sa.Index:
    """The index ``name`` of a table built from the schema state."""
    for index in table.indexes:
        if index.name == name:
            return index
    raise KeyError(name)
