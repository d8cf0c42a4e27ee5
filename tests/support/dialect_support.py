"""Helpers for the MySQL/MariaDB, SQL Server and Oracle rendering tests.

Schema states are built by hand here (small, explicit), so a rendering test says exactly
which table it starts from. MariaDB application tests create a fresh database, apply SQL
with the ``mariadb`` client and reflect the result with SQLAlchemy.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from offline_sql.dialect_api.base import Dialect
from offline_sql.operations import Operation, Origin
from offline_sql.state import SchemaState
from offline_sql.statements import Statement
from offline_sql.table_state import (
    ColumnState,
    ForeignKeyState,
    IndexState,
    PrimaryKeyState,
    TableState,
    UniqueState,
)

ORIGIN = Origin("versions/ae10_add.py", 12, "ae10")

IDENTIFIERS = ("name", "Name", "select", "my col", "Ünï", "order", "x1", "a$b", "with'q", 'd"q')
"""Names every dialect quotes differently (case, reserved words, spaces, non-ASCII, quotes):
what a template of compiled SQL must fill in exactly as compiling would."""


def col(name: str, type_: Any, nullable: bool = True, **kw: Any) -> ColumnState:
    return ColumnState(name, type_, nullable=nullable, **kw)


def table(
    name: str,
    *columns: ColumnState,
    pk: tuple[str, ...] = (),
    fks: tuple[ForeignKeyState, ...] = (),
    indexes: tuple[IndexState, ...] = (),
    uniques: tuple[UniqueState, ...] = (),
    schema: str | None = None,
) -> TableState:
    return TableState(
        name,
        schema=schema,
        columns={c.name: c for c in columns},
        primary_key=PrimaryKeyState(f"{name}_pkey", pk) if pk else None,
        foreign_keys=list(fks),
        uniques=list(uniques),
        indexes={i.name: i for i in indexes},
    )


def state_of(*tables: TableState) -> SchemaState:
    state = SchemaState()
    for t in tables:
        state.tables[t.key] = t
    return state


def with_origin(op: Operation) -> Operation:
    op.origin = ORIGIN
    return op


def sqls(statements: list[Statement]) -> list[str]:
    return [s.sql for s in statements]


def script(dialect: Dialect, statements: list[Statement]) -> str:
    """Statements joined with the dialect's terminator (blocks framing is the framer's)."""
    return "".join(f"{s.sql}{dialect.terminator}\n" for s in statements)


@dataclass
class MariaDB:
    """A fresh database on the local MariaDB server."""

    name: str
    engine: sa.Engine

    def apply(self, sql: str) -> None:
        """Apply SQL text with the ``mariadb`` client, as a DBA would."""
        subprocess.run(
            ["mariadb", "-uroot", "-h127.0.0.1", "--default-character-set=utf8mb4", self.name],
            input=sql.encode(),
            check=True,
            capture_output=True,
        )

    def inspector(self) -> sa.Inspector:
        return sa.inspect(self.engine)

    def column(self, table: str, name: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.text(
                    "SELECT COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, COLUMN_COMMENT "
                    "FROM information_schema.COLUMNS "
                    "WHERE TABLE_SCHEMA = :db AND TABLE_NAME = :t AND COLUMN_NAME = :c"
                ),
                {"db": self.name, "t": table, "c": name},
            ).one()
        return {
            "type": row[0],
            "nullable": row[1] == "YES",
            "default": row[2],
            "extra": row[3],
            "comment": row[4],
        }


def _server_up() -> bool:
    if shutil.which("mariadb") is None:
        return False
    try:
        probe = sa.create_engine("mysql+pymysql://root@127.0.0.1:3306/")
        with probe.connect():
            pass
        probe.dispose()
    except sa.exc.OperationalError:
        return False
    return True


@pytest.fixture
def mariadb() -> Iterator[MariaDB]:
    if not _server_up():
        pytest.skip("no MariaDB server on 127.0.0.1:3306")
    name = f"mig_render_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine("mysql+pymysql://root@127.0.0.1:3306/")
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
    engine = sa.create_engine(f"mysql+pymysql://root@127.0.0.1:3306/{name}?charset=utf8mb4")
    try:
        yield MariaDB(name, engine)
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP DATABASE {name}"))
        admin.dispose()
