"""Bulk inserts are split into statements a server accepts.

MySQL/MariaDB refuse a statement over ``max_allowed_packet`` (MariaDB: 16 MiB): 200,000
rows in one INSERT were 21 MB, "server has gone away" and an empty table. The dialect flag
``bulk_insert_bytes`` bounds each multi-row INSERT; SQL Server's ``bulk_insert_rows`` (1000
rows a VALUES list) goes through the same code. The MariaDB tests apply the script with the
``mariadb`` client and read every row back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from databases import ScratchDatabase
from helpers import Rev, make_project

from offline_sql import operations as ops
from offline_sql.cli import cli
from offline_sql.dialect_api.registry import get_dialect
from offline_sql.state import SchemaState

MYSQL = type(get_dialect("mysql"))
"""MySQL's dialect class (MariaDB's subclasses it): the byte limit is set on it."""

ITEMS = sa.table("items", sa.column("id", sa.Integer()), sa.column("label", sa.String(200)))


def rows(count: int) -> list[dict[str, Any]]:
    """Rows with labels of varying length, a quote and non-ASCII text among them."""
    return [{"id": n, "label": f"item {n} é'{'x' * (n % 97)}"} for n in range(1, count + 1)]


def inserts(dialect: str, count: int) -> list[str]:
    op = ops.BulkInsert("items", table=ITEMS, rows=rows(count))
    return [s.sql for s in get_dialect(dialect).render(op, SchemaState())]


@pytest.mark.parametrize("dialect", ["mysql", "mariadb"])
def test_each_statement_stays_within_the_byte_limit(
    monkeypatch: pytest.MonkeyPatch, dialect: str
) -> None:
    monkeypatch.setattr(MYSQL, "bulk_insert_bytes", 10_000)
    statements = inserts(dialect, 3000)
    assert len(statements) > 10
    assert all(len(sql.encode("utf-8")) <= 10_000 for sql in statements)
    assert all(sql.startswith("INSERT INTO items (id, label) VALUES ") for sql in statements)
    assert sum(sql.count("'item ") for sql in statements) == 3000


def test_the_default_limit_is_well_under_a_mebibyte() -> None:
    limit = MYSQL.bulk_insert_bytes
    assert limit is not None and limit <= 512 * 1024
    statements = inserts("mariadb", 6000)
    assert len(statements) > 1
    assert all(len(sql.encode("utf-8")) <= limit for sql in statements)


def test_a_row_longer_than_the_limit_gets_a_statement_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(MYSQL, "bulk_insert_bytes", 200)
    op = ops.BulkInsert("items", table=ITEMS, rows=[{"id": 1, "label": "y" * 500}, *rows(3)])
    statements = [s.sql for s in get_dialect("mysql").render(op, SchemaState())]
    assert statements[0] == f"INSERT INTO items (id, label) VALUES (1, '{'y' * 500}')"
    assert all(len(sql.encode("utf-8")) <= 200 for sql in statements[1:])
    assert sum(sql.count("'item ") for sql in statements) == 3


def test_sql_server_still_takes_a_thousand_rows_a_statement() -> None:
    statements = inserts("mssql", 2500)
    assert [sql.count("'item ") for sql in statements] == [1000, 1000, 500]


def test_dialects_without_a_limit_keep_one_statement() -> None:
    assert len(inserts("postgresql", 3000)) == 1


# ---- the mariadb client ------------------------------------------------------------------------

SCRIPT_BODY = """op.create_table(
    "items",
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("label", sa.String(200), nullable=False),
)
items = sa.table("items", sa.column("id", sa.Integer), sa.column("label", sa.String(200)))
op.bulk_insert(
    items,
    [{{"id": n, "label": f"item {{n}} é'{{'x' * (n % 97)}}"}} for n in range(1, {count} + 1)],
)"""


def script(tmp_path: Path, count: int) -> str:
    make_project(
        tmp_path,
        [Rev("a1", None, "load items", upgrade=SCRIPT_BODY.format(count=count))],
        settings={"script_location": "migrations", "dialect": "mariadb", "cache": False},
    )
    args = ["-c", str(tmp_path / "mig.toml"), "upgrade", "head", "--sql"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout_bytes.decode("utf-8")


def loaded(database: ScratchDatabase) -> list[dict[str, Any]]:
    with database.engine().connect() as connection:
        found = connection.execute(sa.text("SELECT id, label FROM items ORDER BY id"))
        return [dict(row._mapping) for row in found]


@pytest.mark.mysql
def test_a_bulk_insert_split_by_a_small_limit_applies_completely(
    tmp_path: Path, mariadb_database: ScratchDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(MYSQL, "bulk_insert_bytes", 20_000)
    text = script(tmp_path, 4000)
    assert text.count("INSERT INTO items") > 10
    mariadb_database.apply_script(text)
    assert loaded(mariadb_database) == rows(4000)


@pytest.mark.mysql
def test_a_bulk_insert_over_the_default_limit_applies_completely(
    tmp_path: Path, mariadb_database: ScratchDatabase
) -> None:
    text = script(tmp_path, 8000)
    assert text.count("INSERT INTO items") >= 2
    mariadb_database.apply_script(text)
    assert loaded(mariadb_database) == rows(8000)
