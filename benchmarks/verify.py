"""Equal work: both tools' scripts for a range, applied to a real PostgreSQL, give one schema.

Each script goes to its own throwaway database (``mig_bench_<hex>``), applied the way a DBA
applies it (``psql -X -q -v ON_ERROR_STOP=1 -f``). The resulting schemas are read from
``pg_catalog`` as sorted text lines (tables, columns with type, nullability and default,
constraints, indexes, sequences) plus the version table's rows, and compared line by line.
Everything goes through ``psql``, so no database driver is needed. Nothing is normalised: the
two tools create the same version table (``version_num VARCHAR(32)``, primary key
``mig_version_pkc``), so any difference is shown as it is.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
URL_VARIABLE = "MIG_TEST_POSTGRESQL_URL"
"""The server the test suite uses; the benchmark uses the same one."""

VERSION_TABLE = "mig_version"
DIFF_LINES = 40
"""At most this many lines of a schema difference go into the report."""

SCHEMA_QUERY = """
SELECT 'table ' || c.relname
  FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
 WHERE s.nspname = 'public' AND c.relkind IN ('r', 'p')
UNION ALL
SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
       || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE ' NULL' END
       || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace s ON s.oid = c.relnamespace
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE s.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'constraint ' || c.relname || '.' || k.conname || ' ' || pg_get_constraintdef(k.oid)
  FROM pg_constraint k
  JOIN pg_class c ON c.oid = k.conrelid
  JOIN pg_namespace s ON s.oid = c.relnamespace
 WHERE s.nspname = 'public'
UNION ALL
SELECT 'index ' || tablename || '.' || indexname || ' ' || indexdef
  FROM pg_indexes WHERE schemaname = 'public'
UNION ALL
SELECT 'sequence ' || sequence_name || ' ' || data_type
  FROM information_schema.sequences WHERE sequence_schema = 'public'
"""

VERSION_QUERY = f"SELECT 'version ' || version_num FROM {VERSION_TABLE}"


class PostgresFailed(RuntimeError):
    """psql failed; the message carries its output."""


@dataclass(frozen=True)
class Server:
    """Where the throwaway databases are created (``host``, ``port``, ``user``, password)."""

    host: str
    port: int
    user: str
    password: str | None = None
    admin_database: str = "postgres"

    @classmethod
    def from_url(cls, url: str | None = None) -> Server:
        """From a SQLAlchemy-style URL; default :data:`URL_VARIABLE` or :data:`DEFAULT_URL`."""
        parsed = make_url(url or os.environ.get(URL_VARIABLE) or DEFAULT_URL)
        return cls(
            parsed.host or "127.0.0.1",
            parsed.port or 5432,
            parsed.username or "postgres",
            parsed.password,
            parsed.database or "postgres",
        )

    def psql(self, database: str, *args: str) -> str:
        """Run ``psql`` on ``database`` with ``args``; its stdout, or :class:`PostgresFailed`."""
        argv = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.host, "-p", str(self.port)]
        argv += ["-U", self.user, "-d", database, *args]
        environment = {k: v for k, v in os.environ.items() if k != "PGOPTIONS"}
        if self.password:
            environment["PGPASSWORD"] = self.password
        result = subprocess.run(argv, capture_output=True, text=True, env=environment, check=False)
        if result.returncode != 0:
            raise PostgresFailed(f"{' '.join(argv)}: exit {result.returncode}\n{result.stderr}")
        return result.stdout

    def query_lines(self, database: str, sql: str) -> list[str]:
        """The rows of a one-column query, as sorted non-empty lines."""
        out = self.psql(database, "-A", "-t", "-c", sql)
        return sorted(line for line in out.splitlines() if line)

    def version(self) -> str:
        return self.query_lines(self.admin_database, "SHOW server_version")[0]

    @contextlib.contextmanager
    def scratch(self) -> Iterator[str]:
        """A new empty database for the ``with`` block, dropped afterwards."""
        name = f"mig_bench_{uuid.uuid4().hex[:12]}"
        self.psql(self.admin_database, "-c", f"CREATE DATABASE {name} TEMPLATE template0")
        try:
            yield name
        finally:
            self.psql(self.admin_database, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def snapshot(server: Server, database: str) -> list[str]:
    """The schema of ``database`` and its version rows, as sorted text lines."""
    lines = server.query_lines(database, SCHEMA_QUERY)
    exists = server.query_lines(database, f"SELECT to_regclass('{VERSION_TABLE}') IS NOT NULL")
    if exists != ["t"]:
        return [*lines, "no version table"]
    return lines + server.query_lines(database, VERSION_QUERY)


def apply_and_snapshot(server: Server, scripts: list[Path]) -> list[str]:
    """Apply ``scripts`` in order to a new database and return its :func:`snapshot`."""
    with server.scratch() as database:
        for script in scripts:
            server.psql(database, "-f", str(script))
        return snapshot(server, database)


def difference(mig: list[str], alembic: list[str]) -> str | None:
    """None when equal, else the start of a unified diff (``-`` mig, ``+`` Alembic)."""
    if mig == alembic:
        return None
    diff = list(difflib.unified_diff(mig, alembic, "mig", "alembic", lineterm="", n=0))
    more = len(diff) - DIFF_LINES
    shown = diff[:DIFF_LINES] + ([f"... {more} more lines"] if more > 0 else [])
    return "\n".join(shown)


def compare(server: Server, mig: list[Path], alembic: list[Path]) -> str | None:
    """Apply each tool's scripts to its own database; None when the schemas are equal, else
    the difference or the error (never raises for a failing script)."""
    try:
        # One after the other: each script is one transaction holding a few locks per table,
        # and two at once overflow PostgreSQL's default lock table at 1,000 revisions.
        found = {"mig": apply_and_snapshot(server, mig)}
        found["alembic"] = apply_and_snapshot(server, alembic)
    except (PostgresFailed, OSError) as error:
        return f"could not apply: {error}"
    if not any(line.startswith("table ") for line in found["mig"]):
        return "mig's script created no table"
    return difference(found["mig"], found["alembic"])
