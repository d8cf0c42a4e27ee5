"""MariaDB: offline scripts see the SQLAlchemy dialect they would see online (issue 12, F2).

Online, the usual URL for a MariaDB server is ``mysql+pymysql://``: SQLAlchemy's dialect is
named ``"mysql"`` (it switches to MariaDB's quoting and types on connecting), so type
variants keyed ``"mysql"`` apply (oslo.db's ``Text().with_variant(mysql.LONGTEXT(),
"mysql")``) and ``op.get_bind().dialect.name == "mysql"`` branches run. Only a
``mariadb+pymysql://`` URL (SQLAlchemy's MariaDB-only mode) names it ``"mariadb"``, and then
neither applies. Offline, ``--dialect mariadb`` gave ``"mariadb"`` whatever the URL: the
columns came out ``TEXT`` (64 KiB) where online gave ``LONGTEXT``.

Each case applies the offline script with the ``mariadb`` client to one database, runs the
same history online (mig's online mode, through the URL a user would configure) into a
second, and has SQLAlchemy itself create the table (``MetaData.create_all`` on a real
connection) in a third; the three are compared by reflection.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from databases import scratch_database
from offline_online import cli_script, write_project
from reflection import diff, snapshot
from sqlalchemy.dialects import mysql

from offline_sql import migrate, records
from offline_sql.config import load_config
from offline_sql.dialect_api.registry import get_dialect

BODY = """\
from sqlalchemy.dialects import mysql

op.create_table(
    "t",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("doc", sa.Text().with_variant(mysql.LONGTEXT(), "mysql")),
    sa.Column("blob", sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql")),
    sa.Column("note", sa.String(20).with_variant(sa.String(40), "mariadb")),
)
if op.get_bind().dialect.name == "mysql":
    op.add_column("t", sa.Column("seen_mysql", sa.Integer))
if op.get_context().dialect.name == "mariadb":
    op.add_column("t", sa.Column("seen_mariadb", sa.Integer))
"""


def table() -> sa.Table:
    """The revision's table as SQLAlchemy creates it online (the branches aside)."""
    return sa.Table(
        "t",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("doc", sa.Text().with_variant(mysql.LONGTEXT(), "mysql")),
        sa.Column("blob", sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql")),
        sa.Column("note", sa.String(20).with_variant(sa.String(40), "mariadb")),
    )


def indented(text: str) -> str:
    return "".join(f"    {line}\n" if line else "\n" for line in text.splitlines())


CASES = [
    pytest.param("mariadb", None, "mysql+pymysql", id="mariadb-no-url"),
    pytest.param("mysql", None, "mysql+pymysql", id="mysql-no-url"),
    pytest.param("mariadb", "mysql+pymysql", "mysql+pymysql", id="mariadb-mysql-url"),
    pytest.param("mariadb", "mariadb+pymysql", "mariadb+pymysql", id="mariadb-mariadb-url"),
]
"""(--dialect, the configured URL's scheme or None, the scheme online runs through: the
configured one, else the usual ``mysql+pymysql``)."""


@pytest.mark.mysql
@pytest.mark.parametrize(("dialect", "configured", "online_scheme"), CASES)
def test_offline_sees_the_dialect_online_sees(
    tmp_path: Path, dialect: str, configured: str | None, online_scheme: str
) -> None:
    with (
        scratch_database("mariadb", tmp_path) as offline,
        scratch_database("mariadb", tmp_path) as online,
        scratch_database("mariadb", tmp_path) as reference,
    ):
        settings = ""
        if configured is not None:
            # Offline never connects: the URL only says which SQLAlchemy dialect to show.
            url = online.url.set(drivername=configured).render_as_string(hide_password=False)
            settings = f"url = {url!r}\n"
        config = write_project(tmp_path / "project", [("a1", indented(BODY))], settings)

        offline.apply_script(cli_script(config, dialect, "upgrade", "head"))

        online_url = online.url.set(drivername=online_scheme)
        loaded = load_config(config, dialect=dialect)
        loaded = records.replace(loaded, url=online_url.render_as_string(hide_password=False))
        migrate.upgrade(loaded, "head")

        engine = sa.create_engine(reference.url.set(drivername=online_scheme))
        try:
            with engine.begin() as connection:
                table().create(connection)
                if connection.dialect.name == "mysql":
                    connection.exec_driver_sql("ALTER TABLE t ADD COLUMN seen_mysql INTEGER")
                else:
                    connection.exec_driver_sql("ALTER TABLE t ADD COLUMN seen_mariadb INTEGER")
        finally:
            engine.dispose()

        offline_schema = snapshot(offline.engine())
        online_schema = snapshot(online.engine())
        assert diff(offline_schema, online_schema, labels=("offline", "online")) == []
        expected = snapshot(reference.engine(), exclude=("mig_version",))
        del offline_schema["tables"]["mig_version"]
        offline_schema["versions"] = None
        assert diff(offline_schema, expected, labels=("offline", "SQLAlchemy online")) == []

        columns = {c["name"]: c["type"] for c in sa.inspect(offline.engine()).get_columns("t")}
        mysql_named = online_scheme.startswith("mysql")
        assert isinstance(columns["doc"], mysql.LONGTEXT) is mysql_named
        assert ("seen_mysql" in columns) is mysql_named
        assert ("seen_mariadb" in columns) is not mysql_named


@pytest.mark.parametrize(
    ("configured", "name"),
    [(None, "mysql"), ("mysql+pymysql://u@h/db", "mysql"), ("mariadb://u@h/db", "mariadb")],
)
def test_mariadb_scripts_see_the_name_of_the_configured_url(
    configured: str | None, name: str
) -> None:
    sa_dialect = get_dialect("mariadb", configured).sa_dialect()
    assert sa_dialect.name == name
    assert sa_dialect.is_mariadb  # type: ignore[attr-defined]
    # MariaDB's own quoting and types either way: BODY is a reserved word only there.
    assert sa_dialect.identifier_preparer.quote("body") == "`body`"
    assert get_dialect("mysql", configured).sa_dialect().identifier_preparer.quote("body") == (
        "body"
    )


def test_mariadb_only_mode_reads_mariadb_length() -> None:
    """SQLAlchemy's ``mariadb://`` dialect reads ``mariadb_length`` and ignores
    ``mysql_length``: the prefix length check asks for the one that will be written."""
    from offline_sql import operations as ops
    from offline_sql.errors import RenderError
    from offline_sql.state import SchemaState

    def notes(**kw: Any) -> ops.CreateTable:
        index = sa.Index("ix_body", "body", **kw)
        return ops.CreateTable("notes", items=(sa.Column("body", sa.Text()), index))

    maria_only = get_dialect("mariadb", "mariadb+pymysql://root@127.0.0.1/db")
    with pytest.raises(RenderError, match=r"add mariadb_length=\{'body': 191\}"):
        maria_only.render(notes(mysql_length={"body": 20}), SchemaState())
    sql = [s.sql for s in maria_only.render(notes(mariadb_length={"body": 20}), SchemaState())]
    assert any("`body`(20)" in s for s in sql), sql
    usual = get_dialect("mariadb")
    sql = [s.sql for s in usual.render(notes(mysql_length={"body": 20}), SchemaState())]
    assert any("`body`(20)" in s for s in sql), sql
