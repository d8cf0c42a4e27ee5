"""The migration lock on real databases: processes that start together all succeed, and
exactly one of them applies the revisions (issue 17: 4 processes on a fresh PostgreSQL
database failed in 2 of 3 rounds with ``duplicate key ... pg_type_typname_nsp_index``)."""

from __future__ import annotations

import multiprocessing
import time
import types
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from databases import DIALECTS, DialectName, scratch_database
from helpers import Rev, make_project

import offline_sql
from offline_sql import api, locking, online
from offline_sql.config import load_config
from offline_sql.dialect_api.registry import get_dialect

PROCESSES = 8
ROUNDS = 10

HISTORY = (
    Rev(
        "a1",
        message="accounts",
        upgrade=(
            'op.create_table("accounts", sa.Column("id", sa.Integer, primary_key=True),'
            ' sa.Column("name", sa.String(50), nullable=False))'
        ),
        downgrade='op.drop_table("accounts")',
    ),
    Rev(
        "b2",
        "a1",
        message="email",
        upgrade=(
            'op.add_column("accounts", sa.Column("email", sa.String(100)))\n'
            'op.create_index("ix_accounts_email", "accounts", ["email"])'
        ),
        downgrade='op.drop_column("accounts", "email")',
    ),
)


def project(root: Path, dialect: DialectName, **more: Any) -> Path:
    settings: dict[str, Any] = {"script_location": "migrations", "dialect": dialect, "cache": False}
    return make_project(root, HISTORY, settings={**settings, **more})


def _start_up(config: str, url: str, start: Any, results: Any) -> None:
    """One application process: wait for the others, then migrate as at start-up."""
    start.wait()
    try:
        migrated = offline_sql.upgrade("head", config=config, url=url, lock_timeout=120)
        results.put(("ok", migrated.changed))
    except BaseException as exc:  # reported to the parent, which fails the test
        results.put(("error", f"{type(exc).__name__}: {exc}"))


def start_together(config: Path, url: str) -> list[tuple[str, object]]:
    context = multiprocessing.get_context("fork")
    start = context.Event()
    results = context.Queue()
    workers = [
        context.Process(target=_start_up, args=(str(config), url, start, results))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    start.set()
    outcomes = [results.get(timeout=180) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    return outcomes


@pytest.mark.parametrize("dialect", DIALECTS)
def test_processes_starting_together_all_succeed_and_one_applies(
    dialect: DialectName, tmp_path: Path
) -> None:
    config = project(tmp_path / "app", dialect)
    for round_ in range(ROUNDS):
        with scratch_database(dialect, tmp_path) as database:
            url = database.url.render_as_string(hide_password=False)
            outcomes = start_together(config, url)
            errors = [detail for status, detail in outcomes if status != "ok"]
            assert not errors, f"round {round_}: {errors}"
            applied = [changed for _, changed in outcomes if changed]
            assert len(applied) == 1, f"round {round_}: {outcomes}"
            assert offline_sql.current(config=config, url=url).at_head


def test_sqlite_per_migration_keeps_the_lock_between_revisions(tmp_path: Path) -> None:
    """SQLite's lock is the run's transaction: with transaction_per_migration each revision
    is a savepoint in it, so no other process gets in between two revisions."""
    config = project(tmp_path / "app", "sqlite", transaction_per_migration=True)
    for round_ in range(3):
        with scratch_database("sqlite", tmp_path) as database:
            url = database.url.render_as_string(hide_password=False)
            outcomes = start_together(config, url)
            assert [status for status, _ in outcomes] == ["ok"] * PROCESSES, outcomes
            assert sum(1 for _, changed in outcomes if changed) == 1, f"round {round_}"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_held_lock_makes_the_run_wait_then_give_up(dialect: DialectName, tmp_path: Path) -> None:
    config = project(tmp_path / "app", dialect)
    with scratch_database(dialect, tmp_path) as database:
        url = database.url.render_as_string(hide_password=False)
        holder = online.make_engine(url)
        try:
            with holder.connect() as conn:
                assert get_dialect(dialect).acquire_migration_lock(
                    conn, locking.lock_name("mig_version"), 1
                )
                started = time.monotonic()
                with pytest.raises(locking.LockTimeoutError, match="migration_lock_timeout"):
                    offline_sql.upgrade(config=config, url=url, lock_timeout=1)
                assert time.monotonic() - started >= 0.9
                get_dialect(dialect).release_migration_lock(conn, locking.lock_name("mig_version"))
                if conn.in_transaction():
                    conn.commit()
            assert offline_sql.upgrade(config=config, url=url, lock_timeout=1).changed
        finally:
            holder.dispose()


def test_the_command_line_takes_the_lock_too(tmp_path: Path) -> None:
    """``mig upgrade`` (migrate._online) waits the configured ``migration_lock_timeout``."""
    from offline_sql import migrate

    root = tmp_path / "app"
    settings: dict[str, Any] = {
        "script_location": "migrations",
        "url": "sqlite:///app.db",
        "cache": False,
        "migration_lock_timeout": 0,
    }
    config = load_config(make_project(root, HISTORY, settings=settings))
    assert config.migration_lock_timeout == 0
    holder = sa.create_engine(f"sqlite:///{root / 'app.db'}")
    try:
        with holder.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            with pytest.raises(locking.LockTimeoutError, match="for more than 0 s"):
                migrate.upgrade(config, "head")
            conn.rollback()
    finally:
        holder.dispose()
    migrate.upgrade(config, "head")
    assert api.current(config=config).at_head


def test_the_lock_names_its_version_table() -> None:
    assert locking.lock_name("mig_version") == "mig:mig_version"
    assert locking.lock_name("versions", "audit") == "mig:audit.versions"


@pytest.mark.parametrize("literal", ["-1", '"5s"', "true"])
def test_the_timeout_key_is_checked(tmp_path: Path, literal: str) -> None:
    from offline_sql.errors import ConfigError

    config = tmp_path / "mig.toml"
    config.write_text(f"migration_lock_timeout = {literal}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="'migration_lock_timeout' must be a number of seconds"):
        load_config(config)


class Recording:
    """A stand-in connection for databases without a server here: records what the dialect
    asks and answers like the server would when the lock is free."""

    def __init__(self, answer: object) -> None:
        self.answer = answer
        self.calls: list[tuple[str, dict[str, object]]] = []

    def execute(self, query: Any, params: dict[str, object]) -> Any:
        self.calls.append((str(query), params))
        answer = self.answer
        return types.SimpleNamespace(scalar=lambda: answer, out_parameters={"result": answer})


@pytest.mark.parametrize(
    ("dialect", "answer", "acquire", "release", "timeout"),
    [
        ("mssql", 0, "sp_getapplock", "sp_releaseapplock", 1500),
        ("oracle", 0, "DBMS_LOCK.REQUEST(handle, DBMS_LOCK.X_MODE", "DBMS_LOCK.RELEASE", 2),
        ("mysql", 1, "GET_LOCK(", "RELEASE_LOCK(", 2),
    ],
)
def test_the_lock_statements_of_each_database(
    dialect: str, answer: int, acquire: str, release: str, timeout: int
) -> None:
    conn = Recording(answer)
    d = get_dialect(dialect)
    assert d.acquire_migration_lock(conn, "mig:mig_version", 1.5)  # type: ignore[arg-type]
    d.release_migration_lock(conn, "mig:mig_version")  # type: ignore[arg-type]
    (taken, params), (given, _) = conn.calls
    assert acquire in taken and release in given
    assert params == {"name": "mig:mig_version", "timeout": timeout}
    assert not d.migration_lock_is_transaction


@pytest.mark.parametrize(("dialect", "answer"), [("mssql", -1), ("oracle", 1), ("mysql", 0)])
def test_a_lock_the_database_did_not_grant_is_a_timeout(dialect: str, answer: int) -> None:
    conn = Recording(answer)
    assert not get_dialect(dialect).acquire_migration_lock(conn, "mig:v", 0)  # type: ignore[arg-type]
