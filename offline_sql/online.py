"""Online mode: run rendered Statements on a live database.

Offline and online share everything up to the rendered :class:`Statement`; this module is
the only place that talks to a DBAPI driver. It owns three jobs:

- :func:`connect` builds an engine from a URL, picking the driver mig supports and turning
  a missing driver or a refused connection into one actionable line;
- :class:`OnlineRunner` executes Statements verbatim (no parameter interpolation, so ``%``
  and ``:name`` in literals reach the server untouched), checks version-table bookkeeping
  and draws transaction boundaries per run or per revision;
- :func:`current_heads` reads the version table (``mig current`` is
  :func:`offline_sql.migrate.current`).

Driver knowledge (which DBAPI module a plain URL gets, which ``mig[...]`` extra installs it,
how an engine must be adjusted so DDL is transactional) is asked of the URL's dialect
(:attr:`~offline_sql.dialect_api.base.Dialect.default_driver`, ``driver_extras``,
``prepare_engine``): this module names no database.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.engine.url import URL

from offline_sql import logs
from offline_sql.db_messages import driver_message, mask
from offline_sql.dialect_api.registry import REGISTRY, get_dialect, url_backend
from offline_sql.errors import ConfigError, DatabaseError, MissingDriverError, UsageError
from offline_sql.frame import describe_heads
from offline_sql.generate import plan_steps, progress_statements, version_statements
from offline_sql.project import Project, record_operations, start_chain, thawed, with_cache
from offline_sql.statements import Statement

if TYPE_CHECKING:
    from offline_sql.config import Config
    from offline_sql.dialect_api.base import Dialect
    from offline_sql.operations import Operation

log = logs.logger()
"""Online progress ("upgrade a1 -> b2: add email"); the CLI shows it on stderr."""

# ---- connecting ---------------------------------------------------------------------------


def url_dialect(url: str | URL) -> Dialect | None:
    """The dialect of the URL's backend (aliases resolved); None for a backend mig has no
    dialect for, which SQLAlchemy may still know."""
    name = url_backend(url if isinstance(url, str) else url.drivername)
    return get_dialect(name) if name in REGISTRY else None


def normalize_url(url: str | URL) -> URL:
    """Parse ``url``: resolve a backend alias to SQLAlchemy's name and name the driver mig
    supports when the URL names none."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError as exc:
        raise UsageError(f"invalid database URL {mask(url)!r}: {exc}") from None
    backend, _, driver = parsed.drivername.partition("+")
    dialect = url_dialect(parsed)
    if dialect is not None:
        backend = make_url(dialect.sqlalchemy_url).drivername
        driver = driver or dialect.default_driver or ""
    return parsed.set(drivername=f"{backend}+{driver}" if driver else backend)


def _missing_driver(url: URL, exc: ImportError) -> MissingDriverError:
    backend, _, driver = url.drivername.partition("+")
    module = exc.name or driver or backend
    dialect = url_dialect(url)
    extra = dialect.driver_extras.get(driver) if dialect is not None else None
    how = f"pip install 'mig[{extra}]'" if extra else f"pip install {module}"
    return MissingDriverError(
        f"the {driver or 'default'} driver for {backend} is not installed "
        f"(cannot import {module!r}) for {mask(url)}: {how}"
    )


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """Create the engine for ``url`` (no connection is opened yet).

    Raises :class:`MissingDriverError` naming the extra to install when SQLAlchemy cannot
    import the DBAPI module."""
    parsed = normalize_url(url)
    try:
        engine = sa.create_engine(parsed, **kwargs)
    except ImportError as exc:
        raise _missing_driver(parsed, exc) from None
    except sa.exc.ArgumentError as exc:
        raise UsageError(f"invalid database URL {mask(parsed)!r}: {exc}") from None
    dialect = url_dialect(parsed)
    if dialect is not None:
        dialect.prepare_engine(engine)
    return engine


@contextlib.contextmanager
def connect(url: str | URL, **kwargs: Any) -> Iterator[Connection]:
    """Yield an open Connection to ``url``; the engine is disposed afterwards.

    A refused connection becomes :class:`DatabaseError` with the masked URL and the
    driver's message."""
    engine = make_engine(url, **kwargs)
    try:
        with open_connection(engine) as conn:
            yield conn
    finally:
        engine.dispose()


def open_connection(engine: Engine) -> Connection:
    """``engine.connect()``, a refusal turned into :class:`DatabaseError`."""
    try:
        return engine.connect()
    except sa.exc.DBAPIError as exc:
        raise DatabaseError(
            f"cannot connect to {mask(engine.url)}: {driver_message(exc)}"
        ) from None


# ---- the version table --------------------------------------------------------------------


def current_heads(conn: Connection, table: str, schema: str | None = None) -> tuple[str, ...]:
    """The revisions in the version table, sorted; empty when the table does not exist.

    A database Alembic manages, read with another version table configured, is refused: it
    would look empty and every migration would run again."""
    inspector = sa.inspect(conn)
    if not inspector.has_table(table, schema=schema):
        from offline_sql.config_ini import ALEMBIC_VERSION_TABLE

        if table != ALEMBIC_VERSION_TABLE and inspector.has_table(
            ALEMBIC_VERSION_TABLE, schema=schema
        ):
            raise ConfigError(
                f"the database has Alembic's version table {ALEMBIC_VERSION_TABLE} and no "
                f'{table}: set version_table = "{ALEMBIC_VERSION_TABLE}" in the config (or '
                "run with -c alembic.ini) so mig continues from Alembic's revision"
            )
        return ()
    version_table = sa.table(table, sa.column("version_num"), schema=schema)
    query = sa.select(version_table.c.version_num).order_by(version_table.c.version_num)
    return tuple(str(row[0]) for row in conn.execute(query))


def _verb(sql: str) -> str:
    """The statement's first keyword, upper-cased (``INSERT``, ``UPDATE`` ...)."""
    match = re.match(r"\s*([A-Za-z]+)", sql)
    return match.group(1).upper() if match else ""


def first_line(sql: str) -> str:
    """The first non-blank line of a statement, for messages."""
    for line in sql.splitlines():
        if line.strip():
            return line.strip()
    return ""


SKIPPED_KINDS: frozenset[str] = frozenset({"client", "transaction", "note"})
"""Statement kinds only a script carries: client directives, and the framer's BEGIN/COMMIT
(the runner draws transaction boundaries itself)."""


# ---- running ------------------------------------------------------------------------------


class OnlineRunner:
    """Execute Statements on one Connection with mig's transaction and version rules.

    Use as a context manager around the whole run and :meth:`revision` around each
    revision::

        with OnlineRunner(conn, transactional_ddl=d.transactional_ddl) as runner:
            with runner.revision("ae10"):
                runner.execute(stmt, revision="ae10")

    Transactions: with ``per_migration`` each revision commits on its own, otherwise the
    whole run is one transaction. A failure rolls back the open transaction and re-raises,
    so a transactional database stays at the previous revision (per_migration) or where the
    run started. When DDL is not transactional (MySQL, MariaDB: every DDL commits), each
    revision commits anyway: the version row is then always written right after the
    revision's changes, and the database says where it stopped.
    """

    def __init__(
        self,
        connection: Connection,
        *,
        transactional_ddl: bool,
        per_migration: bool = False,
        version_table: str,
        version_schema: str | None = None,
        engine: Engine | None = None,
        owns_connection: bool = True,
    ) -> None:
        self.connection = connection
        self.owns_connection = owns_connection
        """False for a caller's connection (``offline_sql.api``): :meth:`close` leaves it open."""
        self.lock_is_transaction = False
        """Set by ``offline_sql.locking`` when the migration lock is the open transaction
        (SQLite): the run then stays in it instead of starting its own, and each revision of
        a per-migration run is a savepoint in it."""
        self.engine = engine
        """The engine :meth:`close` disposes, when the runner made it (:func:`open_runner`)."""
        self.transactional_ddl = transactional_ddl
        self.per_migration = per_migration or not transactional_ddl
        self.version_table = version_table
        self.version_schema = version_schema

    def close(self) -> None:
        """Roll back anything still open, close the connection and the engine it owns."""
        self._rollback()
        if self.owns_connection:
            self.connection.close()
        if self.engine is not None:
            self.engine.dispose()

    # transactions ------------------------------------------------------------------------

    def _begin(self) -> None:
        if self.connection.in_transaction():
            if self.lock_is_transaction:
                return
            # SQLAlchemy autobegins on any read (current_heads before the run): close it.
            self.connection.commit()
        self.connection.begin()

    def _commit(self) -> None:
        if self.connection.in_transaction():
            self.connection.commit()

    def _rollback(self) -> None:
        if self.connection.in_transaction():
            self.connection.rollback()

    def __enter__(self) -> OnlineRunner:
        if not self.per_migration:
            self._begin()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None or (self.lock_is_transaction and self.per_migration):
            # Under a transaction lock each revision was a savepoint (see revision()): the
            # ones before a failure are kept, as their own commits would have kept them.
            self._commit()
        else:
            self._rollback()

    @contextlib.contextmanager
    def revision(self, revision: str) -> Iterator[None]:
        """Bracket one revision's statements: its own transaction when per migration."""
        if not self.per_migration:
            yield
            return
        if self.lock_is_transaction and self.connection.in_transaction():
            # The run must stay inside the lock's transaction: a savepoint per revision.
            with self.connection.begin_nested():
                yield
            return
        self._begin()
        try:
            yield
        except BaseException:
            self._rollback()
            raise
        self._commit()

    # statements --------------------------------------------------------------------------

    def current_heads(self) -> tuple[str, ...]:
        """The revisions the version table holds right now (inside the open transaction)."""
        return current_heads(self.connection, self.version_table, self.version_schema)

    def purge_versions(self) -> None:
        """Delete every row of the version table (``stamp --purge``), in the open
        transaction; the table exists (created, if need be, just before)."""
        table = sa.table(self.version_table, sa.column("version_num"), schema=self.version_schema)
        self.connection.execute(sa.delete(table))

    def execute(
        self, statement: Statement, *, revision: str, expected: Sequence[str] | None = None
    ) -> None:
        """Run one Statement verbatim; skip it when it only belongs in a script.

        ``expected`` (for ``version`` statements) are the revisions the version table
        should hold before the statement, quoted when it matches no row."""
        if not statement.online or statement.kind in SKIPPED_KINDS:
            return
        if statement.kind == "version":
            self._execute_version(statement, revision, expected)
        elif not statement.transactional:
            self._execute_outside_transaction(statement, revision)
        else:
            self._run(statement, revision)

    def _run(self, statement: Statement, revision: str) -> sa.CursorResult[Any]:
        log.debug("  %s", first_line(statement.sql))  # mig -v
        try:
            return self.connection.execution_options(no_parameters=True).exec_driver_sql(
                statement.sql
            )
        except sa.exc.DBAPIError as exc:
            raise DatabaseError(
                f"revision {revision}: statement failed: {first_line(statement.sql)}: "
                f"{driver_message(exc)}"
            ) from None

    def _execute_outside_transaction(self, statement: Statement, revision: str) -> None:
        """Commit what is open, run the statement in autocommit, then reopen.

        The database refuses these inside a transaction (``CREATE INDEX CONCURRENTLY``);
        what ran before is committed, so a later failure rolls back only to here."""
        was_open = self.connection.in_transaction()
        self._commit()
        level = self.connection.get_isolation_level()
        self.connection.execution_options(isolation_level="AUTOCOMMIT")
        try:
            self._run(statement, revision)
        finally:
            self._commit()
            self.connection.execution_options(isolation_level=level)
        if was_open:
            self._begin()

    def _execute_version(
        self, statement: Statement, revision: str, expected: Sequence[str] | None
    ) -> None:
        """Version bookkeeping: a change that matches no row means the database is not
        where the plan thinks it is; an INSERT of a present revision likewise (checked for
        a revision's own row, given with ``expected``; the "in progress" row of a revision
        being downgraded is inserted while the revision's row is there)."""
        verb = _verb(statement.sql)
        if verb not in ("INSERT", "UPDATE", "DELETE"):
            self._run(statement, revision)  # creating the version table
            return
        before = self.current_heads()
        wanted = list(expected) if expected is not None else [f"the state before {revision}"]
        if verb == "INSERT" and expected is not None and revision in before:
            raise DatabaseError(f"revision {revision}: {_mismatch(wanted, before)}")
        result = self._run(statement, revision)
        if verb != "INSERT" and result.rowcount == 0:
            raise DatabaseError(f"revision {revision}: {_mismatch(wanted, before)}")


def _mismatch(expected: Sequence[str], found: Sequence[str]) -> str:
    want = ", ".join(expected) if expected else "no revision"
    have = ", ".join(found) if found else "no revision"
    return f"database is not at the expected revision: expected {want}, found {have}"


def open_runner(url: str | URL, dialect: Dialect, config: Config) -> OnlineRunner:
    """Connect to ``url`` and return a runner set up from the dialect and the config.

    The caller closes it (:meth:`OnlineRunner.close`)."""
    if not url:
        raise UsageError(
            f"{config.config_file}: online mode needs a database: set `url` or export MIG_URL, "
            "or pass --sql to write a script instead"
        )
    reached = url_dialect(url)
    if reached is not None and reached.sqlalchemy_package != dialect.sqlalchemy_package:
        # The SQL is rendered for ``dialect``; another database would half-apply it.
        raise UsageError(
            f"{config.config_file}: the dialect is {dialect.name} but the URL {mask(url)} is a "
            f"{reached.name} database: make `dialect` (or MIG_DIALECT, --dialect) and `url` "
            "(or MIG_URL) name the same database"
        )
    engine = make_engine(url)
    try:
        conn = open_connection(engine)
    except DatabaseError:
        engine.dispose()
        raise
    return OnlineRunner(
        conn,
        transactional_ddl=dialect.transactional_ddl,
        per_migration=config.transaction_per_migration,
        version_table=config.version_table,
        version_schema=config.version_table_schema,
        engine=engine,
    )


# ---------------------------------------------------------------------------------------
# Applying a command's plan


def run_command(config: Config, command: str, target: str, *, purge: bool = False) -> None:
    """Run ``command`` up to ``target`` on the configured database."""
    from offline_sql.locking import migration_lock

    project = Project.load(config)
    runner = open_runner(config.url or "", project.dialect, config)
    try:
        with migration_lock(runner, project.dialect, config.migration_lock_timeout):
            _run_online(project, runner, command, target, purge=purge)
    finally:
        runner.close()


def _run_online(
    project: Project, runner: OnlineRunner, command: str, target: str, *, purge: bool = False
) -> None:
    """Apply the plan on a live connection, rendering each operation as it is recorded.
    ``purge`` (stamp only) plans from an empty version table and empties it in the same
    transaction as the stamp, so a failed stamp leaves the rows as they were."""
    from offline_sql.graph import parse_range

    start_target, end_target = parse_range(target)
    if start_target is not None:
        raise UsageError(
            f"online {command} takes a target, not a range ({target!r}): the database says "
            "where it is; ranges FROM:TO are for --sql"
        )
    graph, dialect = project.graph, project.dialect
    current = () if purge else runner.current_heads()
    refuse_half_applied(current)
    unknown = [rev for rev in current if rev not in graph.revisions]
    if unknown:
        raise UsageError(
            f"the database is at revision {', '.join(unknown)}, which this project's history "
            "does not have: check the branch you are on, or `mig stamp` the database"
        )
    end = graph.resolve(end_target, start=current)
    steps = plan_steps(project, command, current, end)
    if not steps:
        log.info("nothing to do: the database is at %s", describe_heads(current))
        return
    state = with_cache(project, lambda cache: thawed(start_chain(project, steps, current, cache)))
    cfg = project.config
    from offline_sql.script.imports import script_run

    scripted = [graph.revisions[step.revision] for step in steps if step.run_script]
    with runner, script_run(cfg, scripted):
        if not current and command != "downgrade":
            for stmt in dialect.create_version_table(cfg.version_table, cfg.version_table_schema):
                runner.execute(stmt, revision="base")
        if purge:
            runner.purge_versions()
        for step in steps:
            with runner.revision(step.revision):
                header = graph.revisions[step.revision]
                log.info(
                    "%s %s -> %s: %s",
                    command,
                    describe_heads(step.heads_before),
                    describe_heads(step.heads_after),
                    header.message,
                )
                markers = progress_statements(project, step) if step.run_script else ()
                marked: list[Statement] = []
                if step.run_script:

                    def apply(
                        op: Operation,
                        revision: str = step.revision,
                        markers: tuple[Statement, ...] = markers,
                        marked: list[Statement] = marked,
                    ) -> None:
                        for stmt in dialect.render(op, state):
                            if markers and not marked:  # the row before the first statement
                                marked.append(markers[0])
                                runner.execute(markers[0], revision=revision)
                            runner.execute(stmt, revision=revision)
                        state.apply(op)

                    record_operations(
                        header,
                        step.direction,
                        dialect,
                        sink=apply,
                        offline=False,
                        bind=runner.connection,
                    )
                if marked:
                    runner.execute(markers[1], revision=step.revision)
                for stmt in version_statements(project, step):
                    runner.execute(stmt, revision=step.revision, expected=step.heads_before)


def refuse_half_applied(rows: Sequence[str]) -> None:
    """Stop online mode on a database a block was left half-applied in: starting it again
    would run its first statements twice (see ``offline_sql/progress.py``)."""
    from offline_sql import progress
    from offline_sql.errors import DatabaseError

    half = progress.marked_revisions(rows)
    if half:
        raise DatabaseError(
            f"{progress.half_applied_message(half)} (at the top of the script, and in "
            "docs/dialects.md): finish or undo the block by hand and delete its "
            f"'{progress.MARKER_PREFIX}<revision>' row from the version table"
        )
