"""The base dialect: capability flags (each documented where declared) and default renderings.

A database module subclasses :class:`Dialect`, sets the flags that differ and overrides only
the renderings it must. The core calls only what is declared here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlalchemy.engine import Dialect as SADialect

    from offline_sql.operations import Operation
    from offline_sql.state import SchemaState
    from offline_sql.statements import Statement


class Dialect:
    name: ClassVar[str] = ""
    """The name users give to ``--dialect`` and in config."""

    sqlalchemy_url: ClassVar[str] = ""
    """URL whose SQLAlchemy dialect compiles our constructs; no DBAPI driver is imported."""

    transactional_ddl: ClassVar[bool] = True
    """DDL takes part in transactions: the script can be atomic (BEGIN ... COMMIT)."""

    begin_statement: ClassVar[str | None] = "BEGIN"
    """Statement that opens a transaction in the client; None when DDL is not transactional."""

    commit_statement: ClassVar[str | None] = "COMMIT"
    """Statement that commits it."""

    terminator: ClassVar[str] = ";"
    """Ends each plain statement."""

    batch_separator: ClassVar[str | None] = None
    """A client batch separator on a line of its own after each batch (SQL Server ``GO``)."""

    block_terminator: ClassVar[str | None] = None
    """Ends a procedural block on a line of its own (SQL*Plus ``/``)."""

    max_identifier_length: ClassVar[int] = 63
    """Longest identifier the database accepts; longer generated names are an error."""

    client_name: ClassVar[str] = ""
    """The database's own command-line client, named in the script header."""

    apply_hint: ClassVar[str] = ""
    """How a DBA applies a script with that client; ``{file}`` is the script's name."""

    comment_prefix: ClassVar[str] = "-- "
    """Starts a one-line SQL comment."""

    version_num_length: ClassVar[int] = 32
    """Width of the version table's ``version_num`` column."""

    sqlglot_name: ClassVar[str] = ""
    """sqlglot's name for the dialect, for parsing what we emit and raw SQL from scripts."""

    client_preamble: ClassVar[tuple[str, ...]] = ()
    """Client directives at the top of a script (``\\set ON_ERROR_STOP on``, ``.bail on``,
    ``WHENEVER SQLERROR EXIT``); omitted with ``--no-preamble``."""

    non_transactional_note: ClassVar[str] = ""
    """Header note for databases whose DDL commits implicitly (empty when DDL is transactional)."""

    # ---- compiling --------------------------------------------------------------------

    def sa_dialect(self) -> SADialect:
        """The SQLAlchemy dialect (paramstyle ``named`` so ``%`` is never doubled),
        with our literal renderer installed. Cached per instance."""
        raise NotImplementedError

    def compile(self, element: Any) -> str:
        """Compile a SQLAlchemy construct to SQL text with literal values, no terminator."""
        raise NotImplementedError

    def literal(self, value: Any, type_: sa.types.TypeEngine[Any] | None = None) -> str:
        """Render one Python value as a SQL literal that reads back byte for byte."""
        raise NotImplementedError

    # ---- operations -------------------------------------------------------------------

    def render(self, op: Operation, state: SchemaState) -> list[Statement]:
        """Statements for one operation. ``state`` is the schema *before* the operation;
        the caller applies the operation to it afterwards."""
        raise NotImplementedError

    # ---- version table ----------------------------------------------------------------

    def create_version_table(self, table: str, schema: str | None) -> list[Statement]:
        """Create the version table if it does not exist (primary key on version_num)."""
        raise NotImplementedError

    def insert_version(self, table: str, schema: str | None, revision: str) -> Statement:
        raise NotImplementedError

    def update_version(
        self, table: str, schema: str | None, old: str, new: str
    ) -> Statement:
        raise NotImplementedError

    def delete_version(self, table: str, schema: str | None, revision: str) -> Statement:
        raise NotImplementedError
