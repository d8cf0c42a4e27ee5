"""The migration lock: one online run at a time per version table.

Several processes of one application often start together (replicas, workers) and each
migrates at start-up. Without a lock they all read "no revision" and all create the version
table and the first tables, and all but one fail halfway (PostgreSQL:
``duplicate key ... pg_type_typname_nsp_index``, ``relation already exists``). So an online
run first takes a database lock named after its version table, then reads where the
database is: the first process applies the plan, the others wait, then find the database at
the target and do nothing.

How a database locks is its dialect's knowledge (``Dialect.acquire_migration_lock``:
advisory locks, ``GET_LOCK``, ``sp_getapplock``, ``DBMS_LOCK``; on SQLite the run's
transaction begun with ``BEGIN IMMEDIATE``); this module only brackets the run with it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import sqlalchemy as sa

from offline_sql import logs
from offline_sql.errors import DatabaseError

if TYPE_CHECKING:
    from offline_sql.dialect_api.base import Dialect
    from offline_sql.online import OnlineRunner

log = logs.logger()

class LockTimeoutError(DatabaseError):
    """Another process held the migration lock longer than the timeout."""


def lock_name(version_table: str, schema: str | None = None) -> str:
    """The lock's name: every process migrating the same version table uses the same one."""
    return "mig:" + ".".join(part for part in (schema, version_table) if part)


@contextlib.contextmanager
def migration_lock(runner: OnlineRunner, dialect: Dialect, timeout: float) -> Iterator[None]:
    """Hold the migration lock on the runner's connection for the ``with`` block.

    Read the version table inside the block, never before: only then is what it says still
    true when the run starts. A lock that is a transaction (SQLite) keeps the run in it:
    with ``transaction_per_migration`` each revision is a savepoint, so a failure still
    keeps the revisions before it."""
    from offline_sql.db_messages import driver_message, mask

    conn = runner.connection
    name = lock_name(runner.version_table, runner.version_schema)
    try:
        held = dialect.acquire_migration_lock(conn, name, timeout)
    except sa.exc.DBAPIError as exc:
        raise DatabaseError(
            f"cannot take the migration lock {name!r} on {mask(conn.engine.url)}: "
            f"{driver_message(exc)}"
        ) from None
    if not held:
        raise LockTimeoutError(
            f"another process held the migration lock {name!r} on {mask(conn.engine.url)} for "
            f"more than {timeout:g} s: wait for its run to finish and try again, or raise "
            "`migration_lock_timeout` (lock_timeout= in Python)"
        )
    if dialect.migration_lock_is_transaction:
        runner.lock_is_transaction = True
    elif conn.in_transaction():
        conn.commit()  # the lock is the session's; the run draws its own transactions
    log.debug("holding the migration lock %s", name)
    try:
        yield
    except BaseException:
        # The run's own error says more than a failed release; closing the connection
        # releases the lock anyway.
        with contextlib.suppress(sa.exc.DBAPIError):
            _release(runner, dialect, name)
        raise
    _release(runner, dialect, name)


def _release(runner: OnlineRunner, dialect: Dialect, name: str) -> None:
    runner.lock_is_transaction = False
    conn = runner.connection
    if not dialect.migration_lock_is_transaction and conn.in_transaction():
        conn.rollback()  # only reads are left open here: the run committed its changes
    dialect.release_migration_lock(conn, name)
    if conn.in_transaction():
        conn.commit()
