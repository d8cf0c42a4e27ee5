"""The Python API for applications that migrate themselves (at start-up, in a deploy task).

::

    import offline_sql

    result = offline_sql.upgrade("head", engine=engine)      # the application's Engine
    offline_sql.current(engine=engine).at_head                # True

Each function finds the project like the command line (``mig.toml`` or ``[tool.mig]`` from
the working directory up) unless given ``config`` (a :class:`~offline_sql.config.Config` or
the path of the file), and reaches the database through, in this order of preference, the
``connection`` or ``engine`` given, a ``url``, or the configured ``url``. The SQL is
rendered for that database (a MariaDB ``dialect`` in the config stays MariaDB over a
``mysql://`` URL).

Online runs take the database's migration lock first (:mod:`offline_sql.locking`), so
several processes starting together are safe: one applies the revisions, the others wait
up to ``lock_timeout`` seconds (default: the config's ``migration_lock_timeout``, 300),
then find the database at the target and change nothing (:attr:`Migrated.changed` is
False). Errors are :class:`~offline_sql.errors.MigError` with the same one-line messages
as the command line.

A ``connection`` given is used as it is: mig commits and rolls back on it while it runs
(start it outside a transaction you want to keep) and leaves it open. An ``engine`` given
lends one connection, returned afterwards; the engine is not disposed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from offline_sql import records

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine
    from sqlalchemy.engine.url import URL

    from offline_sql.config import Config
    from offline_sql.dialect_api.base import Dialect
    from offline_sql.online import OnlineRunner


@dataclass(frozen=True)
class Migrated:
    """What an online ``upgrade``, ``downgrade`` or ``stamp`` did."""

    before: tuple[str, ...]
    """The revisions the version table held when the run started (after the lock was taken)."""
    after: tuple[str, ...]
    """The revisions it holds now."""

    @property
    def changed(self) -> bool:
        """Whether this call moved the database (False when another process had already)."""
        return self.before != self.after


@dataclass(frozen=True)
class Current:
    """Where a database is, as data (``mig current`` prints the same as lines)."""

    revisions: tuple[str, ...]
    """Revision ids in the version table, sorted; empty for a database never migrated."""
    heads: tuple[str, ...]
    """The project's head revisions."""
    half_applied: tuple[str, ...] = ()
    """Revisions a run stopped inside (MySQL, MariaDB): fix them by hand first."""
    unknown: tuple[str, ...] = ()
    """Revisions in the version table that this project's history does not have."""

    @property
    def at_head(self) -> bool:
        """True when the database holds exactly the project's heads and nothing half-done."""
        return not self.half_applied and not self.unknown and set(self.revisions) == set(self.heads)


def upgrade(
    target: str = "head",
    *,
    config: Config | str | os.PathLike[str] | None = None,
    url: str | URL | None = None,
    engine: Engine | None = None,
    connection: Connection | None = None,
    lock_timeout: float | None = None,
) -> Migrated:
    """Upgrade the database to ``target`` (``head``, a revision, ``label@head``, ``+1``)."""
    return _migrate("upgrade", target, config, url, engine, connection, lock_timeout)


def downgrade(
    target: str,
    *,
    config: Config | str | os.PathLike[str] | None = None,
    url: str | URL | None = None,
    engine: Engine | None = None,
    connection: Connection | None = None,
    lock_timeout: float | None = None,
) -> Migrated:
    """Downgrade the database to ``target`` (``base``, a revision, ``-1``)."""
    return _migrate("downgrade", target, config, url, engine, connection, lock_timeout)


def stamp(
    target: str,
    *,
    config: Config | str | os.PathLike[str] | None = None,
    url: str | URL | None = None,
    engine: Engine | None = None,
    connection: Connection | None = None,
    lock_timeout: float | None = None,
) -> Migrated:
    """Set the version table to ``target`` without running any script."""
    return _migrate("stamp", target, config, url, engine, connection, lock_timeout)


def current(
    *,
    config: Config | str | os.PathLike[str] | None = None,
    url: str | URL | None = None,
    engine: Engine | None = None,
    connection: Connection | None = None,
) -> Current:
    """Where the database is, compared with the project's heads."""
    from offline_sql import progress
    from offline_sql.project import Project

    settled = _settle(_config(config), url, engine, connection)
    project = Project.load(settled)
    runner = _runner(settled, project.dialect, url, engine, connection)
    try:
        rows = runner.current_heads()
    finally:
        runner.close()
    revisions = tuple(rev for rev in rows if not progress.is_marker(rev))
    return Current(
        revisions=revisions,
        heads=tuple(project.graph.heads),
        half_applied=tuple(progress.marked_revisions(rows)),
        unknown=tuple(rev for rev in revisions if rev not in project.graph.revisions),
    )


def check(*, config: Config | str | os.PathLike[str] | None = None) -> list[str]:
    """Differences between the models (``target_metadata``) and the migrations at head, one
    line each; empty when they agree. No database is involved."""
    from offline_sql import autogen

    return autogen.check(_config(config))


# ---- plumbing -----------------------------------------------------------------------------


def _config(config: Config | str | os.PathLike[str] | None) -> Config:
    from offline_sql.config import Config, load_config

    if isinstance(config, Config):
        return config
    return load_config(None if config is None else os.fspath(config))


def _settle(
    config: Config,
    url: str | URL | None,
    engine: Engine | None,
    connection: Connection | None,
) -> Config:
    """The config with the database given to the call: its URL, and its dialect unless the
    configured one renders for the same database (MariaDB over a ``mysql://`` URL)."""
    from offline_sql.errors import UsageError
    from offline_sql.online import url_dialect

    offered = (("url", url), ("engine", engine), ("connection", connection))
    given = [name for name, value in offered if value is not None]
    if len(given) > 1:
        raise UsageError(f"pass one of url, engine and connection, not {' and '.join(given)}")
    if connection is not None:
        reached = connection.engine.url
    elif engine is not None:
        reached = engine.url
    elif url is not None:
        reached = url if not isinstance(url, str) else _parsed(url)
    else:
        return config
    dialect = url_dialect(reached)
    name = config.dialect
    if dialect is not None and (name is None or _package(name) != dialect.sqlalchemy_package):
        name = dialect.name
    text = url if isinstance(url, str) else reached.render_as_string(hide_password=url is None)
    return records.replace(config, url=text, dialect=name)


def _parsed(url: str) -> URL:
    from offline_sql.online import normalize_url

    return normalize_url(url)


def _package(dialect_name: str) -> str:
    from offline_sql.dialect_api.registry import get_dialect

    return get_dialect(dialect_name).sqlalchemy_package


def _runner(
    config: Config,
    dialect: Dialect,
    url: str | URL | None,
    engine: Engine | None,
    connection: Connection | None,
) -> OnlineRunner:
    from offline_sql import online

    if connection is None and engine is None:
        return online.open_runner(config.url or "", dialect, config)
    conn = connection
    if conn is None:
        assert engine is not None
        conn = online.open_connection(engine)
    return online.OnlineRunner(
        conn,
        transactional_ddl=dialect.transactional_ddl,
        per_migration=config.transaction_per_migration,
        version_table=config.version_table,
        version_schema=config.version_table_schema,
        owns_connection=connection is None,
    )


def _migrate(
    command: str,
    target: str,
    config: Config | str | os.PathLike[str] | None,
    url: str | URL | None,
    engine: Engine | None,
    connection: Connection | None,
    lock_timeout: float | None,
) -> Migrated:
    from offline_sql import progress
    from offline_sql.locking import migration_lock
    from offline_sql.online import _run_online
    from offline_sql.project import Project

    settled = _settle(_config(config), url, engine, connection)
    project = Project.load(settled)
    runner = _runner(settled, project.dialect, url, engine, connection)
    timeout = settled.migration_lock_timeout if lock_timeout is None else lock_timeout
    try:
        with migration_lock(runner, project.dialect, timeout):
            before = runner.current_heads()
            _run_online(project, runner, command, target)
            after = runner.current_heads()
    finally:
        runner.close()
    return Migrated(
        before=tuple(rev for rev in before if not progress.is_marker(rev)),
        after=tuple(rev for rev in after if not progress.is_marker(rev)),
    )
