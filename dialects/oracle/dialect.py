"""Oracle: scripts for SQL*Plus, DDL that commits on its own, PL/SQL blocks ended by ``/``.

``ALTER TABLE ... MODIFY`` changes only what it names, but naming NULL/NOT NULL when the
column already is so fails (ORA-01442/ORA-01451), so nullability is written only when the
schema state says it changes. Oracle stores ``''`` as NULL: inserting it into a NOT NULL
column is warned about at generation time. Identifiers are limited to 128 bytes (12.2 and
later; 30 before 12.2), and a longer name is an error here rather than ORA-00972 there.

Precision: SQLAlchemy maps ``sa.DateTime`` to ``DATE``, which keeps whole seconds: a
``bulk_insert``/``execute`` value with microseconds is rounded by the server, so mig warns
(:class:`~offline_sql.dialect_api.base.PrecisionLossWarning`, naming the script and line). Use
``sa.TIMESTAMP`` or ``sqlalchemy.dialects.oracle.TIMESTAMP`` to keep microseconds.
``sa.DateTime(timezone=True)`` becomes ``TIMESTAMP WITH TIME ZONE`` here (SQLAlchemy would
write ``DATE`` and lose the offset and the fraction).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects.oracle.base import OracleTypeCompiler

from offline_sql import operations as ops
from offline_sql.client_commands import ClientCommand, ClientSyntax
from offline_sql.dialect_api import constructs as r
from offline_sql.dialect_api import locks
from offline_sql.dialect_api.base import (
    NO_REVISION,
    REVISION_SEPARATOR,
    Dialect,
    expected_revisions,
    guard_message_parts,
)
from offline_sql.errors import RenderError
from offline_sql.state import SchemaState
from offline_sql.statements import Statement

from . import keys as oracle_keys
from . import sqlplus as oracle_sqlplus
from . import types as oracle_types
from .literals import OracleLiterals, oracle_json_in_blob

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.engine import Dialect as SADialect


SQLPLUS_COMMANDS: tuple[tuple[str, int], ...] = (
    ("ACCEPT", 3),
    ("APPEND", 1),
    ("ARCHIVE", 7),
    ("ATTRIBUTE", 4),
    ("BREAK", 3),
    ("BTITLE", 3),
    ("CHANGE", 1),
    ("CLEAR", 2),
    ("COLUMN", 3),
    ("COMPUTE", 4),
    ("CONNECT", 4),
    ("COPY", 4),
    ("DEFINE", 3),
    ("DEL", 3),
    ("DESCRIBE", 4),
    ("DISCONNECT", 4),
    ("EDIT", 2),
    ("EXECUTE", 4),
    ("EXIT", 3),
    ("GET", 3),
    ("HELP", 4),
    ("HOST", 2),
    ("INPUT", 1),
    ("LIST", 1),
    ("PASSWORD", 5),
    ("PAUSE", 3),
    ("PRINT", 3),
    ("PROMPT", 3),
    ("QUIT", 4),
    ("RECOVER", 7),
    ("REMARK", 3),
    ("REPFOOTER", 4),
    ("REPHEADER", 4),
    ("RUN", 1),
    ("SAVE", 3),
    ("SET", 3),
    ("SHOW", 3),
    ("SHUTDOWN", 8),
    ("SPOOL", 3),
    ("START", 3),
    ("STARTUP", 7),
    ("STORE", 5),
    ("TIMING", 4),
    ("TTITLE", 3),
    ("UNDEFINE", 5),
    ("VARIABLE", 3),
    ("WHENEVER", 8),
    ("XQUERY", 6),
)
"""SQL*Plus commands and the shortest abbreviation of each it accepts."""


class EmptyStringWarning(UserWarning):
    """Oracle reads ``''`` as NULL, which a NOT NULL column refuses."""


class _OracleTypes(OracleTypeCompiler):
    """Booleans as ``NUMBER(1)``: portable to every Oracle before 23ai's BOOLEAN."""

    def visit_boolean(self, type_: Any, **kw: Any) -> str:
        return "NUMBER(1)"

    def visit_datetime(self, type_: Any, **kw: Any) -> str:
        """``DATE`` for a naive ``sa.DateTime`` (as SQLAlchemy), but ``TIMESTAMP WITH TIME
        ZONE`` when it has ``timezone=True``: ``DATE`` would drop the offset silently."""
        if getattr(type_, "timezone", False):
            return "TIMESTAMP WITH TIME ZONE"
        return str(self.visit_DATE(type_, **kw))

    def visit_JSON(self, type_: Any, **kw: Any) -> str:
        """SQLAlchemy 2.1's spelling (BLOB before 21c, else JSON), written here because 2.0's
        Oracle type compiler has no JSON at all: the same DDL on both versions."""
        return "BLOB" if oracle_json_in_blob(type_, self.dialect) else "JSON"


class OracleDialect(Dialect):
    name = "oracle"
    sqlalchemy_url = "oracle://"
    literals = OracleLiterals

    def assume_server(self, sa_dialect: SADialect) -> None:
        """Oracle 19c, the long-term release: no native BOOLEAN or JSON type (23ai/21c have
        them), identity columns and OFFSET/FETCH available."""
        sa_dialect.server_version_info = (19, 0)
        sa_dialect.supports_native_boolean = False
        sa_dialect._supports_oracle_json = False  # type: ignore[attr-defined]
        sa_dialect.supports_identity_columns = True
        sa_dialect._supports_offset_fetch = True  # type: ignore[attr-defined]

    transactional_ddl = False
    begin_statement = None
    commit_statement = None
    revision_commit_statement = "COMMIT"
    block_terminator = "/"
    max_identifier_length = 128
    """128 bytes since Oracle 12.2 (``COMPATIBLE`` >= 12.2); 30 on older databases."""
    client_name = "SQL*Plus"
    apply_hint = "NLS_LANG=.AL32UTF8 sqlplus -L user@db @{file}"
    """``NLS_LANG`` names the script's encoding (UTF-8): without it SQL*Plus reads the bytes
    in the client's default character set and non-ASCII names and data arrive changed."""
    client_preamble = (
        "WHENEVER SQLERROR EXIT FAILURE ROLLBACK",
        "WHENEVER OSERROR EXIT FAILURE ROLLBACK",
        "SET DEFINE OFF",
        "SET SQLBLANKLINES ON",
    )
    """``EXIT FAILURE``, not ``EXIT SQL.SQLCODE``: the process status keeps only the error
    number modulo 256, so ORA-01536 or ORA-12800 would exit 0 and read as success."""
    client_epilogue = ("EXIT SUCCESS",)
    """Without it ``sqlplus user@db @file`` waits at its prompt once the script is done. Every
    block ends with ``COMMIT``, so nothing is left for EXIT's own implicit commit."""
    client_syntax = ClientSyntax(
        commands=(
            ClientCommand(r"\s*/\s*$", "SQL*Plus runs the statement buffer at a '/' line"),
            ClientCommand(r"\s*\.\s*$", "SQL*Plus ends the block at a '.' line"),
            ClientCommand(r"\s*#", "SQL*Plus runs a line starting with '#' as its own command"),
            ClientCommand(
                r"(?i)\s*(?:@|!|\$|(?:" + "|".join(sorted({
                    f[:k] for f, m in SQLPLUS_COMMANDS for k in range(m, len(f) + 1)
                }, key=lambda w: (-len(w), w))) + r")(?![\w$#]))",
                "SQL*Plus runs it as its own command where a statement starts (HOST and ! run "
                "a shell command, @ and START read a file)",
                "statement_start",
            ),
        ),
        quotes_hide_commands=False,
        line_end_semicolon_ends_statement=True,
    )
    """SQL*Plus reads every line, inside literals too: ``/`` and ``.`` lines, ``#`` (its
    prefix for commands inside a statement), its commands where a statement starts, and a
    ``;`` ending any line of a plain statement as its end."""
    sqlglot_name = "oracle"
    sqlalchemy_package = "oracle"
    foreign_key_ondelete_actions = frozenset({"CASCADE", "SET NULL"})
    """Oracle's only ``ON DELETE`` actions; leaving it out refuses the delete (no keyword)."""
    foreign_key_onupdate_actions = frozenset()
    """Oracle has no ``ON UPDATE`` clause: a referenced key is never updated in cascade."""
    insert_all_columns: ClassVar[int] = 999
    """Most target columns all the INTO clauses of one multitable INSERT may name."""
    non_transactional_note = (
        "Oracle commits each DDL statement on its own: if a statement fails, the statements "
        "before it stay applied and the version table names the last revision that completed. "
        "Finish or undo the failed revision's remaining statements by hand, then apply the "
        "blocks after it."
    )

    # ---- the migration lock ---------------------------------------------------------

    _LOCK_BLOCK = (
        "DECLARE handle VARCHAR2(128); BEGIN "
        "DBMS_LOCK.ALLOCATE_UNIQUE_AUTONOMOUS(:name || '@' || "
        "SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA'), handle); "
        ":result := DBMS_LOCK.{call}; END;"
    )
    """``DBMS_LOCK`` names are instance-wide: the schema is added. The autonomous
    ``ALLOCATE_UNIQUE`` (12.2) does not commit the caller's transaction. Needs
    ``GRANT EXECUTE ON DBMS_LOCK`` for the migrating user."""

    def acquire_migration_lock(self, connection: Connection, name: str, timeout: float) -> bool:
        """``DBMS_LOCK.REQUEST`` in exclusive mode, waiting ``timeout`` seconds and kept across
        commits (``release_on_commit => FALSE``); 0 means granted, 4 already held by us."""
        block = self._LOCK_BLOCK.format(call="REQUEST(handle, DBMS_LOCK.X_MODE, :timeout, FALSE)")
        out = sa.bindparam("result", type_=sa.Integer, isoutparam=True)
        query = sa.text(block).bindparams(out)
        held = connection.execute(query, {"name": name, "timeout": locks.whole_seconds(timeout)})
        # SQLAlchemy sets out_parameters on the result of a statement with out binds.
        return held.out_parameters["result"] in (0, 4)  # type: ignore[attr-defined]

    def release_migration_lock(self, connection: Connection, name: str) -> None:
        """``DBMS_LOCK.RELEASE`` of the same handle."""
        out = sa.bindparam("result", type_=sa.Integer, isoutparam=True)
        block = self._LOCK_BLOCK.format(call="RELEASE(handle)")
        connection.execute(sa.text(block).bindparams(out), {"name": name})

    def sa_dialect(self) -> SADialect:
        """SQLAlchemy's Oracle dialect with booleans as NUMBER(1) (no server to ask)."""
        dialect = super().sa_dialect()
        if not isinstance(dialect.type_compiler_instance, _OracleTypes):
            dialect.supports_native_boolean = False
            dialect.type_compiler_instance = _OracleTypes(dialect)
        return dialect

    def compile(self, element: Any) -> str:
        """Compiled with the adjusted SQLAlchemy dialect (see :meth:`sa_dialect`)."""
        self.sa_dialect()
        return super().compile(element)

    def render(self, op: ops.Operation, state: SchemaState) -> list[Statement]:
        """Long identifiers, and names with a line break (a quoted name would carry it into
        the script, where the next line could read as a SQL*Plus command), are refused
        before anything is rendered; so are LOB columns in an index or key. Every line of the
        result is laid out for SQL*Plus (:func:`oracle_sqlplus.lay_out`)."""
        for name in _identifiers(op):
            if len(name.encode()) > self.max_identifier_length:
                raise RenderError(
                    f"{r.describe(op)}: identifier {name!r} is {len(name.encode())} bytes, "
                    f"longer than Oracle's {self.max_identifier_length}; choose a shorter name"
                )
            if "\n" in name or "\r" in name:
                raise self.unsupported(
                    op, f"the name {name!r}, which holds a line break,", "choose a name without one"
                )
        oracle_keys.refuse_lob_keys(self, op, state)
        return self.laid_out(op, super().render(op, state))

    def laid_out(self, op: ops.Operation | None, statements: list[Statement]) -> list[Statement]:
        """``statements`` with every line SQL*Plus could not read whole wrapped between
        tokens; a line with nowhere to cut is a RenderError naming the operation."""
        out: list[Statement] = []
        for stmt in statements:
            try:
                sql = oracle_sqlplus.lay_out(stmt.sql)
            except oracle_sqlplus.LayoutError as exc:
                where = f"{r.describe(op)}: " if op is not None else ""
                raise RenderError(f"{where}SQL*Plus reads a script line by line: {exc}") from exc
            out.append(stmt if sql is stmt.sql else dataclasses.replace(stmt, sql=sql))
        return out

    # ---- columns ----------------------------------------------------------------------

    def render_add_column(self, op: ops.AddColumn, state: SchemaState) -> list[Statement]:
        """Oracle adds a column with ``ADD``, not ``ADD COLUMN``."""
        out = super().render_add_column(op, state)
        head = f"{self.alter_table(op)} ADD COLUMN "
        first = out[0]
        assert first.sql.startswith(head)
        sql = f"{self.alter_table(op)} ADD {first.sql[len(head) :]}"
        return [Statement(sql, table=first.table), *out[1:]]

    def render_alter_column(self, op: ops.AlterColumn, state: SchemaState) -> list[Statement]:
        """One ``MODIFY (...)`` for type, default and a real nullability change; then the
        comment and the rename. A nullability the migrations do not know gets a guarded
        ``MODIFY`` of its own: ORA-01442/01451 fail the whole statement, so ignoring them
        in a shared one would silently drop the type and default change too."""
        if op.autoincrement is not ops.UNSET:
            raise self.unsupported(
                op, "changing autoincrement", "use an identity column in a new column"
            )
        parts: list[str] = []
        kept_type: str | None = None
        if op.type_ is not ops.UNSET:
            kept_type = oracle_types.type_change(self, op, state)
            if kept_type is None:
                parts.append(self.type_sql(op.type_))
        if op.server_default is not ops.UNSET:
            default = op.server_default
            none = default is None or default is False
            parts.append("DEFAULT " + ("NULL" if none else self.default_sql(op, default)))
        guarded: str | None = None
        if op.nullable is not ops.UNSET:
            null = "NULL" if op.nullable else "NOT NULL"
            known = self.known_nullable(op, state)
            if known is None:
                guarded = null
            elif known != bool(op.nullable):
                parts.append(null)
        modify = f"{self.alter_table(op)} MODIFY ({self.quote(op.column_name)} "
        out: list[Statement] = []
        if kept_type is not None and not parts:
            out.append(oracle_types.note_statement(self, op, kept_type))
        if parts:
            out.append(self.statement(f"{modify}{' '.join(parts)})", op, comment=kept_type))
        if guarded is not None:
            out.append(self.modify_ignoring_same_nullability(f"{modify}{guarded})", op))
        if op.comment is not ops.UNSET:
            out += self.column_comment_statements(op, op.column_name, op.comment)
        if op.new_column_name is not ops.UNSET and op.new_column_name != op.column_name:
            out.append(self.statement(self.rename_column_sql(op, op.new_column_name), op))
        return out

    @staticmethod
    def known_nullable(op: ops.AlterColumn, state: SchemaState) -> bool | None:
        table = state.get(op.schema, op.table_name)
        if table is not None and table.unknown_since is None and op.column_name in table.columns:
            return table.columns[op.column_name].nullable
        return None if op.existing_nullable is ops.UNSET else bool(op.existing_nullable)

    def modify_ignoring_same_nullability(self, sql: str, op: ops.Operation) -> Statement:
        """Nullability not known: run the MODIFY and accept "already (NOT) NULL"."""
        block = (
            "BEGIN\n"
            f"  EXECUTE IMMEDIATE {self.literal(sql, sa.String())};\n"
            "EXCEPTION\n"
            "  WHEN OTHERS THEN\n"
            "    IF SQLCODE NOT IN (-1442, -1451) THEN RAISE; END IF;\n"
            "END;"
        )
        note = "nullability unknown to the migrations: ORA-01442/01451 (already so) ignored"
        return self.statement(block, op, block=True, comment=note)

    def column_comment_statements(
        self, op: ops.TableOperation, column: str, comment: str | None
    ) -> list[Statement]:
        """``COMMENT ON COLUMN``; Oracle removes a comment by setting it to ``''``."""
        target = f"{self.table_name(op.schema, op.table_name)}.{self.quote(column)}"
        return [self.comment_on("COLUMN", target, comment, op.table_name)]

    def table_comment_statements(
        self, op: ops.TableOperation, comment: str | None
    ) -> list[Statement]:
        target = self.table_name(op.schema, op.table_name)
        return [self.comment_on("TABLE", target, comment, op.table_name)]

    def comment_statements(self, table: sa.Table) -> list[Statement]:
        """The comments of a new table, table first, then columns in order."""
        name = self.table_name(table.schema, table.name)
        out: list[Statement] = []
        if table.comment is not None:
            out.append(self.comment_on("TABLE", name, table.comment, table.name))
        for column in table.columns:
            if column.comment is not None:
                target = f"{name}.{self.quote(column.name)}"
                out.append(self.comment_on("COLUMN", target, column.comment, table.name))
        return out

    def comment_on(self, kind: str, target: str, comment: str | None, table: str) -> Statement:
        """``COMMENT ON <kind> <target> IS '...'``. ``COMMENT ON`` takes only a plain string
        literal (ORA-01780), so a comment our literals build with ``CHR(10)``/``CHR(13)``/
        ``CHR(38)`` or ``||`` runs through ``EXECUTE IMMEDIATE`` of a string built the same
        way: no line break ever stands inside a literal of the script."""
        text = comment if comment is not None else ""
        literal = self.literal(text, sa.String())
        if literal.startswith("'"):
            return Statement(f"COMMENT ON {kind} {target} IS {literal}", table=table)
        inner = f"COMMENT ON {kind} {target} IS '" + text.replace("'", "''") + "'"
        block = f"BEGIN\n  EXECUTE IMMEDIATE {self.literal(inner, sa.String())};\nEND;"
        note = "COMMENT ON takes a plain literal only (ORA-01780): built with CHR() and run"
        return Statement(block, table=table, block=True, comment=note)

    # ---- data -------------------------------------------------------------------------

    def render_bulk_insert(self, op: ops.BulkInsert, state: SchemaState) -> list[Statement]:
        self.warn_empty_strings(op, state)
        return super().render_bulk_insert(op, state)

    def insert_statements(
        self, op: ops.BulkInsert, table: sa.TableClause, rows: list[dict[str, Any]]
    ) -> list[str]:
        """``INSERT ALL INTO ... SELECT * FROM dual`` for several rows, else one INSERT.
        One INSERT ALL names at most :attr:`insert_all_columns` target columns in all."""
        singles: list[str] = []
        for row in rows:
            singles += super().insert_statements(_single(op), table, [row])
        if not op.multiinsert or len(singles) < 2:
            return singles
        widest = max(len(row) for row in rows) or 1
        per_statement = max(1, self.insert_all_columns // widest)
        out: list[str] = []
        for start in range(0, len(singles), per_statement):
            chunk = singles[start : start + per_statement]
            if len(chunk) == 1:
                out += chunk
                continue
            intos = "\n".join("  " + sql.removeprefix("INSERT ") for sql in chunk)
            out.append(f"INSERT ALL\n{intos}\nSELECT * FROM dual")
        return out

    def warn_empty_strings(self, op: ops.BulkInsert, state: SchemaState) -> None:
        known = state.get(op.schema, op.table_name)
        not_null = {n for n, c in known.columns.items() if not c.nullable} if known else set()
        if op.table is not None:
            not_null |= {c.name for c in op.table.c if isinstance(c, sa.Column) and not c.nullable}
        for index, row in enumerate(op.rows):
            for name, value in row.items():
                if value == "" and name in not_null:
                    where = str(op.origin) if op.origin else "bulk_insert"
                    warnings.warn(
                        f"{where}: row {index} puts '' in NOT NULL column "
                        f"{op.table_name}.{name}; Oracle stores '' as NULL and will refuse it",
                        EmptyStringWarning,
                        stacklevel=2,
                    )

    def precision_loss(self, value: Any, type_: sa.types.TypeEngine[Any]) -> str | None:
        """``DATE`` (what ``sa.DateTime`` becomes) keeps whole seconds."""
        fraction = isinstance(value, dt.datetime) and value.microsecond
        if fraction and self.type_sql(type_).upper() == "DATE":
            return "DATE (what sa.DateTime becomes) keeps whole seconds; use sa.TIMESTAMP"
        return None

    # ---- version table ----------------------------------------------------------------

    def create_version_table(self, table: str, schema: str | None) -> list[Statement]:
        """A PL/SQL block that creates the table and ignores ORA-00955 (name in use)."""
        create = " ".join(
            self.ddl(sa.schema.CreateTable(self.version_table(table, schema))).split()
        )
        block = (
            "BEGIN\n"
            f"  EXECUTE IMMEDIATE {self.literal(create, sa.String())};\n"
            "EXCEPTION\n"
            "  WHEN OTHERS THEN\n"
            "    IF SQLCODE != -955 THEN RAISE; END IF;\n"
            "END;"
        )
        return self.laid_out(None, [Statement(block, kind="version", table=table, block=True)])

    def guard_statements(
        self, table: str, schema: str | None, expected: tuple[str, ...]
    ) -> list[Statement]:
        """A PL/SQL block: read the version table with ``EXECUTE IMMEDIATE`` (a missing
        table, ORA-00942, reads as base instead of failing to compile), compare, and
        ``RAISE_APPLICATION_ERROR(-20001, ...)`` on a mismatch; ``WHENEVER SQLERROR EXIT``
        stops SQL*Plus. ``LISTAGG`` orders by ``NLSSORT(..., 'NLS_SORT=BINARY')``: code point
        order whatever the session's NLS_SORT. Needs Oracle 11.2 or later (``LISTAGG``)."""
        base = self.text_literal(NO_REVISION)
        read = (
            f"SELECT LISTAGG(version_num, {self.text_literal(REVISION_SEPARATOR)}) WITHIN GROUP "
            "(ORDER BY NLSSORT(version_num, 'NLS_SORT=BINARY')) "
            f"FROM {self.table_name(schema, table)}"
        )
        before, after = guard_message_parts(expected)
        want = self.text_literal(expected_revisions(expected))
        block = "\n".join(
            (
                "DECLARE",
                "  mig_found VARCHAR2(4000);",
                "BEGIN",
                "  BEGIN",
                f"    EXECUTE IMMEDIATE {self.text_literal(read)} INTO mig_found;",
                "  EXCEPTION",
                "    WHEN OTHERS THEN",
                "      IF SQLCODE != -942 THEN RAISE; END IF;",
                "  END;",
                f"  IF NVL(mig_found, {base}) <> {want} THEN",
                "    RAISE_APPLICATION_ERROR(-20001, "
                f"{self.text_literal(before)} || NVL(mig_found, {base}) || "
                f"{self.text_literal(after)});",
                "  END IF;",
                "END;",
            )
        )
        comment = self.guard_comment(expected)
        guard = Statement(block, kind="guard", table=table, block=True, comment=comment)
        return self.laid_out(None, [guard])


def _single(op: ops.BulkInsert) -> ops.BulkInsert:
    """The same operation, one row per INSERT (the base class's shape)."""
    return dataclasses.replace(op, multiinsert=False)


def _identifiers(op: ops.Operation) -> Iterator[str]:
    """Every name an operation gives to an object it creates or renames."""
    for attr in (
        "table_name",
        "new_table_name",
        "column_name",
        "new_column_name",
        "index_name",
        "constraint_name",
    ):
        value = getattr(op, attr, None)
        if isinstance(value, str):
            yield value
    if isinstance(op, ops.AddColumn):
        yield op.column.name
    if isinstance(op, ops.CreateTable):
        for item in op.items:
            name = getattr(item, "name", None)
            if isinstance(name, str):
                yield name
