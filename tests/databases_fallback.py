"""TEMPORARY stand-in for tests/databases.py (being written by another engineer).

Fresh throwaway PostgreSQL / MariaDB / SQLite databases per test, with ``.url`` and
``.engine()``. Unreachable servers skip the test unless ``MIG_REQUIRE_DATABASES`` is set.
Delete once tests/databases.py lands.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MARIADB_ADMIN = "mysql+pymysql://root@127.0.0.1:3306/"

ALL = ("sqlite", "postgresql", "mariadb")
TRANSACTIONAL = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Database:
    kind: str
    url: str

    def engine(self) -> sa.Engine:
        return sa.create_engine(self.url)


def _unavailable(kind: str, exc: Exception) -> None:
    if os.environ.get("MIG_REQUIRE_DATABASES"):
        raise exc
    pytest.skip(f"{kind} server unavailable: {exc}")


def _server(kind: str, admin_url: str, url_base: str, drop: str) -> Iterator[Database]:
    name = f"mig_t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    except sa.exc.OperationalError as exc:
        admin.dispose()
        _unavailable(kind, exc)
    try:
        yield Database(kind, url_base + name)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(drop.format(name=name))
        admin.dispose()


@pytest.fixture
def postgresql() -> Iterator[Database]:
    yield from _server(
        "postgresql",
        PG_ADMIN,
        "postgresql+psycopg://postgres@127.0.0.1:5432/",
        "DROP DATABASE {name} WITH (FORCE)",
    )


@pytest.fixture
def mariadb() -> Iterator[Database]:
    yield from _server(
        "mariadb", MARIADB_ADMIN, "mysql+pymysql://root@127.0.0.1:3306/", "DROP DATABASE {name}"
    )


@pytest.fixture
def sqlite(tmp_path: Path) -> Database:
    return Database("sqlite", f"sqlite:///{tmp_path / 'test.db'}")
