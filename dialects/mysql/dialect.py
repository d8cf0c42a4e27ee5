"""MySQL and MariaDB: DDL commits implicitly, and a column change restates the whole column.

``ALTER TABLE ... MODIFY`` replaces the column definition, so every ALTER COLUMN here is
written from the column as the schema state knows it (see ``dialect_api/existing.py``): a
type change keeps NOT NULL, the default, AUTO_INCREMENT and the comment. Constraints are
dropped by kind, and dropping the only index a foreign key uses is rendered so the server
accepts it (errno 1553 otherwise).

Version guard: a prepared statement reads the version table into ``@mig_found`` (``base``
when ``information_schema`` has no such table), then the check fails with a message naming
the revisions found and expected. MariaDB prepares ``SIGNAL``: ``ERROR 1644 (45000): mig:
the database is at revision <found>, expected <expected>``. MySQL refuses ``SIGNAL`` as a
prepared statement, so its guard sets the boolean ``sql_warnings`` to itself when the
revisions match and to the message otherwise, which the server refuses with ``ERROR 1231
(42000): Variable 'sql_warnings' can't be set to the value of 'mig: the database is at
revision <found>, expected <expected>'`` (up to 200 characters of it); either way the
client stops. Both are verified with the mariadb client (tests/per_database/test_guards.py).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa

from offline_sql import operations as ops
from offline_sql import progress
from offline_sql.client_commands import ClientCommand, ClientSyntax
from offline_sql.dialect_api import constructs as r
from offline_sql.dialect_api import existing, locks
from offline_sql.dialect_api.base import (
    NO_REVISION,
    REVISION_SEPARATOR,
    Dialect,
    expected_revisions,
    guard_message_parts,
)
from offline_sql.dialect_api.registry import url_backend
from offline_sql.errors import RenderError
from offline_sql.state import SchemaState
from offline_sql.statements import Statement
from offline_sql.table_state import ColumnState, ForeignKeyState, TableState

from . import indexes as mysql_indexes
from .literals import MySQLLiterals
from .names import InnoDBForeignKeyNames

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect as SADialect

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

_PREFIX_ONLY_TYPE = re.compile(r"^(TINY|MEDIUM|LONG)?(TEXT|BLOB)\b")
"""Types MySQL indexes only with a prefix length (``mysql_length``)."""

_FK_LENGTH = re.compile(r"(?:(?<=CHAR)|(?<=BINARY))\(\d+\)")
"""A string length, which may differ between a foreign key's two sides (InnoDB: "the
length of string types need not be the same"; integer size and sign must)."""

_RESTATED = ("type", "nullable", "server_default", "comment", "autoincrement")
"""What MODIFY must be told again. The comment too: MODIFY without COMMENT drops it, so a
column the state does not know needs ``existing_comment`` (``""`` when it has none; None
means "not given" in ``alter_column``). Likewise MODIFY without AUTO_INCREMENT drops it: an
integer column the state does not know needs ``existing_autoincrement``."""


class MySQLDialect(Dialect):
    name = "mysql"
    sqlalchemy_url = "mysql://"
    literals = MySQLLiterals

    def assume_server(self, sa_dialect: SADialect) -> None:
        """What SQLAlchemy 2.1 assumes without a connection, spelled so 2.0 compiles the same:
        expression defaults as ``DEFAULT (expr)`` and no ``CAST(... AS FLOAT)`` (2.0 derives both
        from ``server_version_info``: MySQL 8.0.13, MariaDB 10.2.1; with none it writes
        ``DEFAULT uuid()``, which MySQL rejects), and MariaDB's native ``UUID`` type (10.7+),
        which 2.0 does not know (it would write ``CHAR(32)``)."""
        is_mariadb = bool(getattr(sa_dialect, "is_mariadb", False))
        sa_dialect.server_version_info = (10, 2, 1) if is_mariadb else (8, 0, 13)
        sa_dialect.supports_native_uuid = is_mariadb

    transactional_ddl = False
    marks_blocks_in_progress = True
    begin_statement = None
    commit_statement = None
    max_identifier_length = 64
    client_name = "mysql"
    apply_hint = "mysql --default-character-set=utf8mb4 DBNAME < {file}"
    sqlglot_name = "mysql"
    sqlalchemy_package = "mysql"
    client_syntax = ClientSyntax(
        commands=(
            ClientCommand(
                r"\\",
                "the mysql/mariadb client runs a backslash outside quotes as a command "
                "(\\! runs a shell command, \\. reads a file)",
                "anywhere",
            ),
            ClientCommand(
                r"(?i)\s*(?:\?|charset|clear|connect|delimiter|edit|ego|exit|go|help|nopager"
                r"|notee|nowarning|pager|print|prompt|quit|rehash|source|status|system|tee"
                r"|warnings)(?![\w(])",
                "the mysql/mariadb client runs it as a named command where a statement starts "
                "(system runs a shell command, source reads a file)",
                "statement_start",
            ),
        ),
        backslash_escapes=True,
        hash_comments=True,
        dash_comment_needs_space=True,
    )
    """The client reads ``\\`` outside quotes and comments as a command anywhere, and its named
    commands (``system``, ``source``, ``delimiter``...) where a statement starts (after a
    ``;``, even on the same line). ``use`` is left out: the server's ``USE`` does the same."""
    default_driver = "pymysql"
    driver_extras: ClassVar[Mapping[str, str]] = {"pymysql": "mysql"}
    review_rules_at = "offline_sql.dialects.mysql.review:RULES"
    """DDL commits implicitly (data changes beside it cannot roll back with it), and ENUM
    value changes rebuild the table."""
    non_transactional_note = (
        "MySQL commits each DDL statement on its own: if a statement fails, the statements "
        "before it stay applied, the version table names the last revision that completed "
        "and marks the failed one half-applied; see the resume notes below."
    )

    foreign_key_ondelete_actions = frozenset({"RESTRICT", "CASCADE", "SET NULL", "NO ACTION"})
    """No ``SET DEFAULT``: InnoDB does not implement it (MySQL rejects the table definition;
    MariaDB 10.11 accepts it and silently keeps no action, see
    tests/per_database/test_render_mysql.py)."""
    foreign_key_onupdate_actions = foreign_key_ondelete_actions
    drop_index_names_table = True
    foreign_key_namer = InnoDBForeignKeyNames()
    bulk_insert_bytes = 262_144
    """256 KiB: a statement over the server's ``max_allowed_packet`` fails ("server has gone
    away", MariaDB 16 MiB by default, MySQL 64 MiB, older servers 1 MiB or 4 MiB) and the
    rows are lost; statements this size load quickly and pass every default."""

    drop_check_keyword: ClassVar[str] = "CONSTRAINT"
    """How ``ALTER TABLE`` drops a CHECK constraint: ``DROP CONSTRAINT`` (MySQL 8.0.19+ and
    MariaDB alike; MySQL's own ``DROP CHECK`` is a syntax error on MariaDB, so the MySQL
    scripts could not be applied by the MariaDB client the tests have)."""

    drop_if_exists: ClassVar[bool] = False
    """``DROP INDEX/FOREIGN KEY/CONSTRAINT IF EXISTS`` and ``CREATE INDEX IF NOT EXISTS``
    are accepted (MariaDB); elsewhere the state must know whether the object exists."""

    functional_key_parts: ClassVar[bool] = True
    """An index key part may be an expression, in parentheses of its own (MySQL 8.0.13+:
    ``CREATE INDEX ix ON t ((lower(name)))``); MariaDB has none, see ``mysql_indexes``."""

    guard_variable: ClassVar[str] = "sql_warnings"
    """A harmless boolean session variable that a failed guard tries to set to its message
    (MySQL refuses ``SIGNAL`` as a prepared statement); set to itself when the guard passes."""

    # ---- the migration lock ---------------------------------------------------------

    _LOCK_NAME = "CONCAT('mig:', SHA1(CONCAT(DATABASE(), '.', :name)))"
    """``GET_LOCK`` names are server-wide and at most 64 characters: the database's name is
    added and the whole hashed, so two databases on one server never wait for each other."""

    def acquire_migration_lock(self, connection: Connection, name: str, timeout: float) -> bool:
        """``GET_LOCK(name, seconds)``, which waits itself (whole seconds); 1 means held. The
        lock belongs to the session, so the commits between revisions keep it."""
        query = sa.text(f"SELECT GET_LOCK({self._LOCK_NAME}, :timeout)")
        held = connection.execute(query, {"name": name, "timeout": locks.whole_seconds(timeout)})
        return held.scalar() == 1

    def release_migration_lock(self, connection: Connection, name: str) -> None:
        """``RELEASE_LOCK`` of the same name."""
        connection.execute(sa.text(f"SELECT RELEASE_LOCK({self._LOCK_NAME})"), {"name": name})

    # ---- version guard ----------------------------------------------------------------

    def guard_statements(
        self, table: str, schema: str | None, expected: tuple[str, ...]
    ) -> list[Statement]:
        """Read the version table into ``@mig_found`` (a prepared statement, so a database
        without the table reads as base instead of failing), then :meth:`guard_failure`.
        Aggregated and compared as binary strings: code point order, case-sensitive."""
        versions = self.table_name(schema, table)
        separator = self.text_literal(REVISION_SEPARATOR)
        read = (
            "SET @mig_found = (SELECT COALESCE(GROUP_CONCAT(version_num ORDER BY "
            f"CAST(version_num AS BINARY) SEPARATOR {separator}), "
            f"{self.text_literal(NO_REVISION)}) FROM {versions}"
        )
        base = f"SET @mig_found = {self.text_literal(NO_REVISION)}"
        if self.marks_blocks_in_progress:
            # Marker rows apart: @mig_half holds the revisions left half-applied, or NULL.
            marker = self.text_literal(progress.MARKER_PREFIX + "%")
            start = len(progress.MARKER_PREFIX) + 1
            read += (
                f" WHERE version_num NOT LIKE {marker}), @mig_half = (SELECT GROUP_CONCAT("
                f"SUBSTRING(version_num, {start}) ORDER BY CAST(version_num AS BINARY) "
                f"SEPARATOR {separator}) FROM {versions} WHERE version_num LIKE {marker})"
            )
            base += ", @mig_half = NULL"
        else:
            read += ")"
        where = self.text_literal(schema) if schema is not None else "DATABASE()"
        exists = (
            "EXISTS(SELECT 1 FROM information_schema.tables "
            f"WHERE table_schema = {where} AND table_name = {self.text_literal(table)})"
        )
        reading = [
            Statement(
                f"SET @mig_guard = IF({exists}, {self.text_literal(read)}, "
                f"{self.text_literal(base)})",
                kind="guard",
                table=table,
                comment=self.guard_comment(expected),
            ),
            *self.prepared("@mig_guard", table),
        ]
        return reading + self.guard_failure(expected, table)

    def prepared(self, variable: str, table: str) -> list[Statement]:
        """PREPARE, EXECUTE and DEALLOCATE the statement held in ``variable``."""
        return [
            Statement(f"PREPARE mig_guard FROM {variable}", kind="guard", table=table),
            Statement("EXECUTE mig_guard", kind="guard", table=table),
            Statement("DEALLOCATE PREPARE mig_guard", kind="guard", table=table),
        ]

    def guard_matches(self, expected: tuple[str, ...]) -> str:
        """SQL that is true when ``@mig_found`` holds exactly the expected revisions."""
        want = self.literal(expected_revisions(expected), sa.String())
        matches = f"CAST(@mig_found AS BINARY) = CAST({want} AS BINARY)"
        return f"@mig_half IS NULL AND {matches}" if self.marks_blocks_in_progress else matches

    def guard_message(self, expected: tuple[str, ...]) -> str:
        """SQL for ``mig: the database is at revision <found>, expected <expected>``."""
        before, after = guard_message_parts(expected)
        found = f"CONCAT({self.text_literal(before)}, @mig_found, {self.text_literal(after)})"
        if not self.marks_blocks_in_progress:
            return found
        before, after = progress.half_applied_parts()
        half = f"CONCAT({self.text_literal(before)}, @mig_half, {self.text_literal(after)})"
        return f"IF(@mig_half IS NULL, {found}, {half})"

    def guard_failure(self, expected: tuple[str, ...], table: str) -> list[Statement]:
        """MySQL: set :attr:`guard_variable` to itself when the revisions match, else to the
        message, which the server refuses with ``ERROR 1231 (42000): Variable
        'sql_warnings' can't be set to the value of 'mig: the database is at revision
        <found>, expected <expected>'`` (the value is shown up to 200 characters)."""
        variable = f"@@SESSION.{self.guard_variable}"
        keep = f"IF({variable}, 'ON', 'OFF')"
        sql = (
            f"SET {variable} = IF({self.guard_matches(expected)}, {keep}, "
            f"{self.guard_message(expected)})"
        )
        return [Statement(sql, kind="guard", table=table)]

    # ---- columns ----------------------------------------------------------------------

    def column_spec(
        self, column: ColumnState, auto_increment: bool, table_name: str = "_restated"
    ) -> str:
        """``name type [NOT] NULL [DEFAULT ..] [AUTO_INCREMENT] [COMMENT ..]`` as CREATE
        TABLE would spell it (SQLAlchemy's own column DDL, on a throwaway table named
        ``table_name`` so SQLAlchemy's messages name the real table)."""
        default = column.server_default
        if isinstance(default, sa.DefaultClause):
            default = default.arg
        args: list[Any] = [column.computed._copy()] if column.computed is not None else []
        col: sa.Column[Any] = sa.Column(
            column.name,
            column.type,
            *args,
            nullable=column.nullable,
            server_default=sa.DefaultClause(default) if default is not None else None,
            comment=column.comment or None,
            primary_key=auto_increment,
            autoincrement=auto_increment,
        )
        sa.Table(table_name, sa.MetaData(), col)
        return self.ddl(sa.schema.CreateColumn(col))

    def render_alter_column(self, op: ops.AlterColumn, state: SchemaState) -> list[Statement]:
        """``ALTER COLUMN SET/DROP DEFAULT`` when only a literal default changes, else
        ``MODIFY``/``CHANGE`` restating the whole column."""
        prefix = f"{self.alter_table(op)} ALTER COLUMN {self.quote(op.column_name)}"
        others = (op.type_, op.nullable, op.new_column_name, op.comment, op.autoincrement)
        if all(v is ops.UNSET for v in others) and op.server_default is not ops.UNSET:
            if op.server_default is None or op.server_default is False:
                return [self.statement(f"{prefix} DROP DEFAULT", op)]
            if isinstance(op.server_default, str):
                default = self.default_sql(op, op.server_default)
                return [self.statement(f"{prefix} SET DEFAULT {default}", op)]
        if all(v is ops.UNSET for v in (*others, op.server_default)):
            return []
        before = existing.current_column(op, state, _RESTATED, self.same_type)
        after = existing.altered(before, op)
        if op.autoincrement is ops.UNSET:
            auto = existing.is_auto_increment(state.get(op.schema, op.table_name), before)
        else:
            auto = bool(op.autoincrement)
        if auto and not self.counts_itself(after.type):
            raise self.auto_increment_refusal(op, after)
        spec = self.column_spec(after, auto, op.table_name)
        if after.name != op.column_name:
            sql = f"{self.alter_table(op)} CHANGE COLUMN {self.quote(op.column_name)} {spec}"
        else:
            sql = f"{self.alter_table(op)} MODIFY COLUMN {spec}"
        modify = [self.statement(sql, op)]
        unknown = isinstance(before.type, sa.types.NullType)  # hints without existing_type
        if op.type_ is ops.UNSET or (not unknown and self.same_type(before.type, after.type)):
            return modify
        return self.around_foreign_keys(op, state, after, modify)

    def counts_itself(self, type_: sa.types.TypeEngine[Any]) -> bool:
        """Whether a column of ``type_`` can be AUTO_INCREMENT: an integer (the server
        refuses ``DECIMAL`` and strings with errno 1063, "Incorrect column specifier", and
        SQLAlchemy writes AUTO_INCREMENT on nothing else). Variants resolved as compiled."""
        variant = type_._variant_mapping.get(self.sa_dialect().name, type_)
        return isinstance(variant, sa.Integer)

    def auto_increment_refusal(self, op: ops.AlterColumn, after: ColumnState) -> RenderError:
        """A type change of an AUTO_INCREMENT column to a type that cannot count itself.

        MODIFY restates the column, and without AUTO_INCREMENT the server drops it silently
        (so does Alembic's ``MODIFY id TEXT NOT NULL``): rows inserted without the column
        would then fail, or get ``''`` under a lenient ``sql_mode``. The script must say
        ``autoincrement=False`` to drop it knowingly."""
        table = f"{op.schema}.{op.table_name}" if op.schema else op.table_name
        column = f"column '{table}.{op.column_name}'"
        new_type = self.type_sql(after.type)
        if op.autoincrement is not ops.UNSET:
            return RenderError(
                f"{r.describe(op)}: autoincrement=True on {column} of type {new_type}, and "
                f"{self.name} numbers only integer columns (AUTO_INCREMENT); keep an integer "
                "type or drop autoincrement=True"
            )
        return RenderError(
            f"{r.describe(op)}: {column} is AUTO_INCREMENT, and its new type {new_type} "
            f"cannot be ({self.name} numbers only integer columns); pass autoincrement=False "
            f"to drop AUTO_INCREMENT with the type change (inserts must then give "
            f"{op.column_name} a value), or keep an integer type"
        )

    def around_foreign_keys(
        self, op: ops.AlterColumn, state: SchemaState, after: ColumnState, modify: list[Statement]
    ) -> list[Statement]:
        """The server refuses to change the type of a column a foreign key uses, on either
        side (errno 1832/1833): drop the keys the state knows first and add them back after,
        when the two sides' types still agree; otherwise say how to change both."""
        key = (op.schema, op.table_name)
        users = _foreign_keys_using(state, key, op.column_name)
        if not users:
            return modify
        before: list[Statement] = []
        again: list[Statement] = []
        for table, fk in users:
            if fk.name is None:
                raise RenderError(
                    f"{r.describe(op)}: column {op.column_name!r} is used by an unnamed "
                    f"foreign key on {table.name}{fk.columns}, and {self.name} refuses to "
                    "change its type while the key exists; drop the foreign key first "
                    "(op.drop_constraint with its name), alter the columns, then "
                    "op.create_foreign_key again"
                )
            moved = _renamed(fk, table.key, key, op.column_name, after.name)
            self.check_matching_sides(op, state, table, moved, key, after)
            note = (
                f"foreign key {fk.name} uses the column whose type changes: dropped and "
                "re-added around the change"
            )
            sql = f"{self.alter_table_of(table)} DROP FOREIGN KEY {self.quote(fk.name)}"
            before.append(Statement(sql, table=table.name, comment=note))
            origin = _table_op(table, op.origin)
            again += self.add_constraint(origin, _foreign_key(moved), moved.columns)
        return before + modify + again

    def check_matching_sides(
        self,
        op: ops.AlterColumn,
        state: SchemaState,
        table: TableState,
        fk: ForeignKeyState,
        changed: tuple[str | None, str],
        after: ColumnState,
    ) -> None:
        """A foreign key can be added back only when each column pair has the same type
        (string lengths aside); where only one side changes, the script must change the
        other too, with the key dropped in between (a RenderError names the way out)."""

        def type_of(table_key: tuple[str | None, str], name: str) -> Any:
            if table_key == changed and name == after.name:
                return after.type
            column = state.column(table_key, name)
            return None if column is None else column.type

        referent = (fk.referent_schema, fk.referent_table)
        for local, remote in zip(fk.columns, fk.referent_columns, strict=False):
            mine, theirs = type_of(table.key, local), type_of(referent, remote)
            if mine is None or theirs is None:
                continue
            if _FK_LENGTH.sub("", self.type_sql(mine)) == _FK_LENGTH.sub("", self.type_sql(theirs)):
                continue
            raise RenderError(
                f"{r.describe(op)}: foreign key {fk.name} joins {table.name}.{local} "
                f"({self.type_sql(mine)}) and {fk.referent_table}.{remote} "
                f"({self.type_sql(theirs)}) after this change, and {self.name} refuses to "
                "change a column type while a foreign key uses it; drop the key "
                f"(op.drop_constraint({fk.name!r}, {table.name!r}, type_='foreignkey')), "
                "alter both columns, then op.create_foreign_key again"
            )

    # ---- tables -----------------------------------------------------------------------

    def render_rename_table(self, op: ops.RenameTable, state: SchemaState) -> list[Statement]:
        new = self.table_name(op.schema, op.new_table_name)
        sql = f"RENAME TABLE {self.table_name(op.schema, op.table_name)} TO {new}"
        return [self.statement(sql, op)]

    def render_create_table(self, op: ops.CreateTable, state: SchemaState) -> list[Statement]:
        for item in op.items:
            if isinstance(item, sa.Index):
                elements = r._pending(item) or list(item.expressions)
                names = [e for e in elements if isinstance(e, str)]
                types = {c.name: c.type for c in op.items if isinstance(c, sa.Column)}
                self.check_prefix_lengths(op, names, types, dict(item.dialect_kwargs))
                for element in elements:
                    self.key_part(op, r.index_element(element, None))
        return super().render_create_table(op, state)

    # ---- indexes ----------------------------------------------------------------------

    def key_part(self, op: ops.Operation | None, element: Any) -> Any:
        """An index element as this database accepts it (``mysql_indexes.key_part``), or a
        RenderError where expressions cannot be indexed."""
        if self.functional_key_parts or not mysql_indexes.is_functional(element):
            return mysql_indexes.key_part(element)
        where = f"{r.describe(op)}: " if op is not None else ""
        raise RenderError(
            f"{where}an index on the expression {mysql_indexes.element_sql(element)!r} is not "
            f"supported on {self.name}; add a generated column holding it "
            "(sa.Column(..., sa.Computed(...))) and index that column"
        )

    def index_statements(self, table: sa.Table) -> list[Statement]:
        """``CREATE INDEX`` for each index of a new table (by name), expressions written as
        key parts this database accepts."""
        out: list[Statement] = []
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            elements = [e.name if isinstance(e, sa.Column) else e for e in index.expressions]
            if any(mysql_indexes.is_functional(e) for e in elements):
                names = [e for e in elements if isinstance(e, str)]
                parts = [self.key_part(None, e) for e in elements]
                kw = dict(index.dialect_kwargs)
                index = sa.Index(index.name, *parts, unique=bool(index.unique), **kw)
                index._set_parent(r.table_with_columns(table.schema, table.name, names))
            out.append(Statement(self.ddl(sa.schema.CreateIndex(index)), table=table.name))
        return out

    def check_prefix_lengths(
        self,
        op: ops.Operation,
        names: list[str],
        types: dict[str, Any],
        kw: dict[str, Any],
    ) -> None:
        """TEXT/BLOB columns are indexed by a prefix: ``mysql_length`` must say how long
        (``mariadb_length`` for SQLAlchemy's ``mariadb://`` dialect, which reads only that)."""
        keyword = f"{self.sa_dialect().name}_length"
        length = kw.get(keyword)
        for name in names:
            type_ = types.get(name)
            if type_ is None or not _PREFIX_ONLY_TYPE.match(self.type_sql(type_)):
                continue
            given = length.get(name) if isinstance(length, dict) else length
            if given is None:
                raise RenderError(
                    f"{r.describe(op)}: column {name!r} is {self.type_sql(type_)}, which "
                    f"{self.name} indexes only by a prefix; add {keyword}={{{name!r}: 191}} "
                    "(or another length) to the index"
                )

    def render_create_index(self, op: ops.CreateIndex, state: SchemaState) -> list[Statement]:
        table = state.get(op.schema, op.table_name)
        if table is not None:
            names = [c for c in op.columns if isinstance(c, str)]
            types = {n: c.type for n, c in table.columns.items()}
            self.check_prefix_lengths(op, names, types, dict(op.kw))
        if op.if_not_exists and not self.drop_if_exists:
            if table is None or table.unknown_since or (op.index_name or "") in table.indexes:
                raise self.unsupported(
                    op, "CREATE INDEX IF NOT EXISTS", "drop if_not_exists=True from the call"
                )
            op = _replace(op, if_not_exists=False)
        parts = tuple(self.key_part(op, r.index_element(c, table)) for c in op.columns)
        return super().render_create_index(_replace(op, columns=parts), state)

    def render_drop_index(self, op: ops.DropIndex, state: SchemaState) -> list[Statement]:
        table = state.get(op.schema, op.table_name) if op.table_name else None
        if table is None:
            table = r.find_index_table(state, op.schema, op.index_name)
        if op.if_exists and not self.drop_if_exists:
            if table is None or op.index_name not in table.indexes:
                raise self.unsupported(
                    op, "DROP INDEX IF EXISTS", "drop if_exists=True from the call"
                )
            op = _replace(op, if_exists=False)
        drop = super().render_drop_index(op, state)
        if table is None:
            return drop
        return self.keep_foreign_keys(op, state, table, op.index_name, drop)

    def keep_foreign_keys(
        self,
        op: ops.Operation,
        state: SchemaState,
        table: TableState,
        index_name: str,
        drop: list[Statement],
    ) -> list[Statement]:
        """MySQL refuses to drop the only index a foreign key uses (errno 1553): drop the
        foreign key first and add it back after, when it lets the index go its own way.
        When the same step drops the table later, the index goes with it: nothing is
        written but a comment saying so."""
        blockers = _foreign_keys_needing(table, index_name)
        if not blockers:
            return drop
        if table.key in state.dropped_later:
            keys = ", ".join(fk.name or f"({', '.join(fk.columns)})" for fk in blockers)
            note = (
                f"index {index_name} is not dropped here: it is the only index of foreign key "
                f"{keys}, which {self.name} refuses to drop on its own, and DROP TABLE "
                f"{table.name} later in this revision drops both"
            )
            return [Statement("", kind="note", table=table.name, comment=note)]
        before: list[Statement] = []
        after: list[Statement] = []
        for fk in blockers:
            if fk.name is None:
                raise RenderError(
                    f"{r.describe(op)}: index {index_name!r} is the only index of an unnamed "
                    f"foreign key on {table.name}{fk.columns}, and {self.name} refuses to drop "
                    "it; drop the foreign key first (op.drop_constraint with its name)"
                )
            note = f"foreign key {fk.name} needs an index: dropped and re-added around the drop"
            sql = f"{self.alter_table_of(table)} DROP FOREIGN KEY {self.quote(fk.name)}"
            before.append(Statement(sql, table=table.name, comment=note))
            after += self.add_constraint(_table_op(table, op.origin), _foreign_key(fk), fk.columns)
        return before + drop + after

    def alter_table_of(self, table: TableState) -> str:
        return f"ALTER TABLE {self.table_name(table.schema, table.name)}"

    # ---- constraints ------------------------------------------------------------------

    def render_drop_constraint(self, op: ops.DropConstraint, state: SchemaState) -> list[Statement]:
        kind = self.constraint_type(op, state)
        table = state.get(op.schema, op.table_name)
        if kind is None:
            raise RenderError(
                f"{r.describe(op)}: {self.name} drops constraints by kind and "
                f"{op.constraint_name!r} is not in the schema replayed from the migrations; "
                "pass type_='foreignkey', 'unique', 'primary' or 'check'"
            )
        name = self.quote(op.constraint_name)
        exists = ""
        if op.if_exists:
            if self.drop_if_exists and kind != "primary":
                exists = " IF EXISTS"
            elif r.lookup_constraint_type(table, op.constraint_name) is None:
                raise self.unsupported(
                    op, "dropping a constraint IF EXISTS", "drop if_exists=True from the call"
                )
        clause = {
            "foreignkey": f"DROP FOREIGN KEY{exists} {name}",
            "unique": f"DROP INDEX{exists} {name}",
            "primary": "DROP PRIMARY KEY",
            "check": f"DROP {self.drop_check_keyword}{exists} {name}",
        }[kind]
        drop = [self.statement(f"{self.alter_table(op)} {clause}", op)]
        if kind == "unique" and table is not None:
            return self.keep_foreign_keys(op, state, table, op.constraint_name, drop)
        return drop


class MariaDBDialect(MySQLDialect):
    name = "mariadb"
    sqlalchemy_url = "mariadb://"
    client_name = "mariadb"
    apply_hint = "mariadb --default-character-set=utf8mb4 DBNAME < {file}"
    non_transactional_note = (
        "MariaDB commits each DDL statement on its own: if a statement fails, the statements "
        "before it stay applied, the version table names the last revision that completed "
        "and marks the failed one half-applied; see the resume notes below."
    )
    drop_if_exists = True
    functional_key_parts = False
    column_if_exists = True

    def assume_server(self, sa_dialect: SADialect) -> None:
        """A MariaDB server, whichever URL built the dialect: SQLAlchemy's ``mysql://`` dialect
        (named ``"mysql"``) switches to MariaDB's quoting and types on connecting to one, as
        here; its ``mariadb://`` dialect is MariaDB's from the start. Then MySQL's
        assumptions."""
        sa_dialect._set_mariadb(True, (10, 2, 1))  # type: ignore[attr-defined]
        super().assume_server(sa_dialect)

    def script_url(self) -> str:
        """``mysql://``, as online through the usual ``mysql+pymysql://`` URL to a MariaDB
        server: scripts see ``dialect.name == "mysql"`` and type variants keyed ``"mysql"``
        apply (``Text().with_variant(mysql.LONGTEXT(), "mysql")`` is LONGTEXT). A configured
        ``mariadb://`` URL is SQLAlchemy's MariaDB-only mode: ``"mariadb"``, as online."""
        url = self.configured_url
        if url is not None and url_backend(url) == "mariadb":
            return "mariadb://"
        return "mysql://"

    def guard_failure(self, expected: tuple[str, ...], table: str) -> list[Statement]:
        """MariaDB runs ``SIGNAL`` as a prepared statement: ``ERROR 1644 (45000): mig: the
        database is at revision <found>, expected <expected>`` (``QUOTE`` escapes the
        message); ``DO 0`` when the revisions match."""
        signal = "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = "
        sql = (
            f"SET @mig_guard = IF({self.guard_matches(expected)}, 'DO 0', "
            f"CONCAT({self.literal(signal, sa.String())}, QUOTE({self.guard_message(expected)})))"
        )
        return [Statement(sql, kind="guard", table=table), *self.prepared("@mig_guard", table)]


def _replace(op: Any, **changes: Any) -> Any:
    """A copy of an operation with some fields changed (operations are plain dataclasses)."""
    return dataclasses.replace(op, **changes)


def _covers(index_columns: tuple[str, ...], fk_columns: tuple[str, ...]) -> bool:
    """An index serves a foreign key when the key's columns lead it, in order."""
    return index_columns[: len(fk_columns)] == fk_columns


def _foreign_keys_needing(table: TableState, index_name: str) -> list[ForeignKeyState]:
    """Foreign keys for which ``index_name`` is the only covering index in the state."""
    indexes = {name: ix.columns for name, ix in table.indexes.items()}
    indexes.update({u.name: u.columns for u in table.uniques if u.name})
    if index_name not in indexes:
        return []
    others = [cols for name, cols in indexes.items() if name != index_name]
    if table.primary_key is not None:
        others.append(table.primary_key.columns)
    return [
        fk
        for fk in table.foreign_keys
        if _covers(indexes[index_name], fk.columns)
        and not any(_covers(cols, fk.columns) for cols in others)
    ]


def _foreign_keys_using(
    state: SchemaState, key: tuple[str | None, str], column: str
) -> list[tuple[TableState, ForeignKeyState]]:
    """(table, foreign key) of every key the state knows with ``column`` of table ``key``
    on either side."""
    found: list[tuple[TableState, ForeignKeyState]] = []
    for table in state.tables.values():
        for fk in table.foreign_keys:
            local = table.key == key and column in fk.columns
            remote = (fk.referent_schema, fk.referent_table) == key and column in (
                fk.referent_columns
            )
            if local or remote:
                found.append((table, fk))
    return found


def _renamed(
    fk: ForeignKeyState,
    fk_table: tuple[str | None, str],
    key: tuple[str | None, str],
    old: str,
    new: str,
) -> ForeignKeyState:
    """The foreign key with column ``old`` of table ``key`` renamed ``new`` on either side."""

    def swap(names: tuple[str, ...], here: tuple[str | None, str]) -> tuple[str, ...]:
        return tuple(new if here == key and n == old else n for n in names)

    referent = (fk.referent_schema, fk.referent_table)
    return dataclasses.replace(
        fk,
        columns=swap(fk.columns, fk_table),
        referent_columns=swap(fk.referent_columns, referent),
    )


def _table_op(table: TableState, origin: ops.Origin | None) -> ops.TableOperation:
    return ops.TableOperation(table.name, schema=table.schema, origin=origin)


def _foreign_key(fk: ForeignKeyState) -> sa.ForeignKeyConstraint:
    ref_schema = f"{fk.referent_schema}." if fk.referent_schema else ""
    return sa.ForeignKeyConstraint(
        list(fk.columns),
        [f"{ref_schema}{fk.referent_table}.{c}" for c in fk.referent_columns],
        name=fk.name,
        onupdate=fk.onupdate,
        ondelete=fk.ondelete,
        deferrable=fk.deferrable,
        initially=fk.initially,
        match=fk.match,
    )
