"""Throwaway real databases for tests, and scripts applied the way a DBA applies them.

Fixtures (imported into ``tests/conftest.py``):

``postgresql_database``, ``mariadb_database``, ``sqlite_database``
    A fresh, empty database with a random name (``mig_test_<hex>``), dropped afterwards.
``any_database``
    The same, parametrized over the three (test ids ``postgresql``, ``mariadb``, ``sqlite``).

Each yields a :class:`ScratchDatabase`: ``.url`` (SQLAlchemy URL of the new database),
``.name``, ``.dialect`` (``"postgresql"`` | ``"mariadb"`` | ``"sqlite"``), ``.engine()`` and
``.apply_script(path_or_sql)``, which runs the database's own command-line client on the
script (``psql -X -v ON_ERROR_STOP=1``, ``mariadb --default-character-set=utf8mb4``,
``sqlite3 -bail``) and raises :class:`ScriptFailed` with its output when the client fails.
For two databases in one test (offline script versus online run), use
:func:`scratch_database` directly.

Servers come from ``MIG_TEST_POSTGRESQL_URL`` and ``MIG_TEST_MYSQL_URL`` (a URL whose user
may create databases). An unreachable server skips the test with the reason, or fails it
when ``MIG_REQUIRE_DATABASES=1`` (CI). SQLite always runs, in a file under ``tmp_path``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

DialectName = Literal["postgresql", "mariadb", "sqlite"]
DIALECTS: tuple[DialectName, ...] = ("postgresql", "mariadb", "sqlite")

DEFAULT_URLS: dict[str, str] = {
    "MIG_TEST_POSTGRESQL_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    "MIG_TEST_MYSQL_URL": "mysql+pymysql://root@127.0.0.1:3306/mysql",
}
CLIENT_TIMEOUT = 120
"""Seconds a client may take to apply one script."""


class ScriptFailed(AssertionError):
    """The database's client rejected a script; the message carries its whole output."""


@dataclass
class ScratchDatabase:
    """One throwaway database (see the module docstring)."""

    dialect: DialectName
    name: str
    url: sa.URL
    _engine: sa.Engine | None = field(default=None, repr=False)

    def engine(self) -> sa.Engine:
        """A SQLAlchemy engine on the database (one per database, disposed at teardown;
        no pooling, so nothing keeps the database busy when it is dropped)."""
        if self._engine is None:
            self._engine = sa.create_engine(self.url, poolclass=NullPool)
        return self._engine

    def apply_script(self, script: str | os.PathLike[str]) -> subprocess.CompletedProcess[str]:
        """Run the database's own client on ``script``: a path (``Path``/``PathLike``) is
        applied as is; a ``str`` is SQL text, written to a UTF-8 file first."""
        if isinstance(script, str):
            with tempfile.NamedTemporaryFile(
                "w", encoding="utf-8", suffix=".sql", delete=False, newline=""
            ) as handle:
                handle.write(script)
            try:
                return self.apply_script(Path(handle.name))
            finally:
                os.unlink(handle.name)
        return _run_client(self._client_command(Path(script)), Path(script))

    def _client_command(self, path: Path) -> tuple[list[str], bool]:
        """(argv, whether the script goes to stdin) for this database's client."""
        url = self.url
        if self.dialect == "postgresql":
            argv = ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-q", "-f", str(path)]
            argv += ["-d", self.name, "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432)]
            return [*argv, "-U", url.username or "postgres"], False
        if self.dialect == "mariadb":
            client = shutil.which("mariadb") or "mysql"
            argv = [client, "--default-character-set=utf8mb4", "-h", url.host or "127.0.0.1"]
            argv += ["-P", str(url.port or 3306), "-u", url.username or "root"]
            if url.password:
                argv.append(f"--password={url.password}")
            return [*argv, self.name], True
        return ["sqlite3", "-bail", str(url.database)], True

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def reset(self) -> None:
        """Make the database empty again, much faster than a new one (PostgreSQL's
        CREATE DATABASE costs a checkpoint): PostgreSQL recreates the ``public`` schema
        (tables, sequences and enum types go with it), MariaDB the database, SQLite loses
        its file."""
        self.dispose()
        if self.dialect == "sqlite":
            Path(str(self.url.database)).unlink(missing_ok=True)
            return
        statements = _RESET[self.dialect]
        admin = sa.create_engine(
            self.url if self.dialect == "postgresql" else _admin_url(self.dialect),
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
        )
        try:
            with admin.connect() as connection:
                for statement in statements:
                    connection.exec_driver_sql(statement.format(name=self.name))
        finally:
            admin.dispose()


def _run_client(command: tuple[list[str], bool], path: Path) -> subprocess.CompletedProcess[str]:
    argv, stdin = command
    environment = dict(os.environ)
    if argv[0] == "psql":
        environment.pop("PGOPTIONS", None)  # the server's defaults, as a DBA gets them
    with contextlib.ExitStack() as stack:
        source = stack.enter_context(path.open("rb")) if stdin else subprocess.DEVNULL
        result = subprocess.run(
            argv,
            stdin=source,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=CLIENT_TIMEOUT,
            env=environment,
            check=False,
        )
    if result.returncode != 0:
        redirect = f" < {path}" if stdin else ""
        raise ScriptFailed(
            f"{' '.join(argv)}{redirect} exited with {result.returncode}\n"
            f"--- stdout ---\n{result.stdout}--- stderr ---\n{result.stderr}"
        )
    return result


# ---- servers ---------------------------------------------------------------------------------


def _admin_url(dialect: DialectName) -> sa.URL:
    variable = "MIG_TEST_POSTGRESQL_URL" if dialect == "postgresql" else "MIG_TEST_MYSQL_URL"
    return sa.make_url(os.environ.get(variable) or DEFAULT_URLS[variable])


@functools.cache
def _unreachable(dialect: DialectName) -> str | None:
    """Why the server cannot be used, or None; asked once per test session."""
    url = _admin_url(dialect)
    connect_args = {"connect_timeout": 3}
    try:
        engine = sa.create_engine(url, poolclass=NullPool, connect_args=connect_args)
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        engine.dispose()
    except Exception as error:  # any driver or network failure means "unreachable"
        return f"{dialect} server at {url.render_as_string()} unreachable: {error}".splitlines()[0]
    client = "psql" if dialect == "postgresql" else "mariadb"
    if shutil.which(client) is None and not (client == "mariadb" and shutil.which("mysql")):
        return f"{client} client not installed"
    return None


def _require(dialect: DialectName) -> None:
    reason = _unreachable(dialect)
    if reason is None:
        return
    if os.environ.get("MIG_REQUIRE_DATABASES") == "1":
        pytest.fail(f"MIG_REQUIRE_DATABASES=1 but {reason}")
    pytest.skip(reason)


_CREATE: dict[str, str] = {
    # template0: template1 may carry another encoding or objects someone added to it.
    "postgresql": "CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0",
    # utf8mb4 stores every Unicode character (utf8mb3 stops at U+FFFF); utf8mb4_bin compares
    # bytes, so equality and unique keys neither fold case/accents nor ignore trailing spaces
    # and tests see exactly what was stored.
    "mariadb": "CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
}
_DROP: dict[str, str] = {
    "postgresql": "DROP DATABASE IF EXISTS {name} WITH (FORCE)",
    "mariadb": "DROP DATABASE IF EXISTS {name}",
}
_RESET: dict[str, tuple[str, ...]] = {
    "postgresql": ("DROP SCHEMA public CASCADE", "CREATE SCHEMA public"),
    "mariadb": (_DROP["mariadb"], _CREATE["mariadb"]),
}


@contextlib.contextmanager
def scratch_database(dialect: DialectName, tmp_dir: Path) -> Iterator[ScratchDatabase]:
    """A fresh database of ``dialect`` for the ``with`` block, dropped afterwards
    (skips or fails the calling test when its server is unreachable; see module docs).
    ``tmp_dir`` holds the SQLite file."""
    name = f"mig_test_{uuid.uuid4().hex[:16]}"
    if dialect == "sqlite":
        database = ScratchDatabase("sqlite", name, sa.make_url(f"sqlite:///{tmp_dir / name}.db"))
        try:
            yield database
        finally:
            database.dispose()
        return
    _require(dialect)
    admin_url = _admin_url(dialect)
    admin = sa.create_engine(admin_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    url = admin_url.set(database=name)
    if dialect == "mariadb":
        url = url.update_query_dict({"charset": "utf8mb4"})
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(_CREATE[dialect].format(name=name))
        database = ScratchDatabase(dialect, name, url)
        try:
            yield database
        finally:
            database.dispose()
            with admin.connect() as connection:
                connection.exec_driver_sql(_DROP[dialect].format(name=name))
    finally:
        admin.dispose()


# ---- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def postgresql_database(tmp_path: Path) -> Iterator[ScratchDatabase]:
    with scratch_database("postgresql", tmp_path) as database:
        yield database


@pytest.fixture
def mariadb_database(tmp_path: Path) -> Iterator[ScratchDatabase]:
    with scratch_database("mariadb", tmp_path) as database:
        yield database


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[ScratchDatabase]:
    with scratch_database("sqlite", tmp_path) as database:
        yield database


_MARKS = {"postgresql": pytest.mark.postgresql, "mariadb": pytest.mark.mysql}


@pytest.fixture(
    params=[pytest.param(name, marks=_MARKS.get(name, ()), id=name) for name in DIALECTS]
)
def any_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ScratchDatabase]:
    """Each of PostgreSQL, MariaDB and SQLite in turn."""
    with scratch_database(request.param, tmp_path) as database:
        yield database


class DatabasePool:
    """Empty databases for many cases in a row, reused instead of created each time.

    ``take(dialect, count)`` returns ``count`` empty databases of ``dialect``: the ones an
    earlier call returned are :meth:`ScratchDatabase.reset` first, so a caller must be done
    with them. ``close()`` drops them all. Use it from a module-scoped fixture."""

    def __init__(self, tmp_dir: Path) -> None:
        self.tmp_dir = tmp_dir
        self._stack = contextlib.ExitStack()
        self._databases: dict[DialectName, list[ScratchDatabase]] = {d: [] for d in DIALECTS}
        self._used: dict[DialectName, int] = dict.fromkeys(DIALECTS, 0)

    def take(self, dialect: DialectName, count: int) -> list[ScratchDatabase]:
        databases = self._databases[dialect]
        for database in databases[: min(count, self._used[dialect])]:
            database.reset()
        while len(databases) < count:
            databases.append(self._stack.enter_context(scratch_database(dialect, self.tmp_dir)))
        self._used[dialect] = max(self._used[dialect], count)
        return databases[:count]

    def close(self) -> None:
        self._stack.close()
