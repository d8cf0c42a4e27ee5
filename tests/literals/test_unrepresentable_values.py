"""Values a database cannot hold are refused when the script is generated, in one line.

An integer beyond its column's range (or, on SQLite, beyond 64 bits) and a PostgreSQL enum
label over 63 UTF-8 bytes used to reach the script and fail (or be rounded) when the DBA
applied it. Now ``mig upgrade --sql`` stops with ``mig: error: <operation> at <file>:<line>
(revision <rev>): ...`` naming the value, the type and what to do, and writes nothing.
The values just inside the limits are applied with the database's own client.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from databases import ScratchDatabase
from offline_online import cli_script, write_project

from offline_sql.cli import cli

REVISION = "u0000000001"


def generate(config: Path, dialect: str) -> tuple[int, str, str]:
    args = ["-c", str(config), "--dialect", dialect, "upgrade", "head", "--sql"]
    result = CliRunner().invoke(cli, args)
    return result.exit_code, result.stdout, result.stderr


def assert_refused(config: Path, dialect: str, *fragments: str) -> None:
    code, out, err = generate(config, dialect)
    assert code == 1, out
    assert out == ""
    assert err.startswith("mig: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for fragment in (REVISION, *fragments):
        assert fragment in err, err


BIG = (
    '    t = op.create_table("counts", sa.Column("id", sa.Integer, primary_key=True),'
    ' sa.Column("n", sa.{type}))\n'
    '    op.bulk_insert(t, [{{"id": 1, "n": {value}}}])'
)


WIDER = "use a wider column type"


@pytest.mark.parametrize(
    ("dialect", "type_", "value", "way_out"),
    [
        ("postgresql", "BigInteger", 2**63, WIDER),
        ("mariadb", "BigInteger", -(2**63) - 1, WIDER),
        ("mysql", "Integer", 2**31, WIDER),
        ("sqlite", "BigInteger", 2**63, "store the number as text"),
        ("mssql", "SmallInteger", 2**15, WIDER),
    ],
)
def test_integer_out_of_range_is_one_line_naming_revision_value_and_type(
    tmp_path: Path, dialect: str, type_: str, value: int, way_out: str
) -> None:
    config = write_project(tmp_path, [(REVISION, BIG.format(type=type_, value=value))])
    spelled = {"BigInteger": "BIGINT", "Integer": "INTEGER", "SmallInteger": "SMALLINT"}[type_]
    assert_refused(
        config, dialect, "op.bulk_insert", f"integer {value}", f"column of type {spelled}", way_out
    )


def test_integer_in_raw_sql_parameters_is_refused(tmp_path: Path) -> None:
    body = '    op.execute("INSERT INTO t VALUES (:n)", {"n": 2**64})'
    config = write_project(tmp_path, [(REVISION, body)])
    assert_refused(config, "sqlite", "op.execute", f"integer {2**64}", "REAL")


LABEL = '    op.create_table("moods", sa.Column("m", sa.Enum({labels}, name="mood")))'


def test_enum_label_over_63_bytes_is_refused(tmp_path: Path) -> None:
    """32 characters, 64 bytes: PostgreSQL counts bytes."""
    label = "é" * 32
    config = write_project(tmp_path, [(REVISION, LABEL.format(labels=repr(label)))])
    assert_refused(config, "postgresql", "op.create_table", "64 bytes", "63 bytes", label)


def test_enum_label_added_by_alter_column_is_checked(tmp_path: Path) -> None:
    body = (
        '    op.create_table("moods", sa.Column("m", sa.String(10)))\n'
        '    op.alter_column("moods", "m", type_=sa.Enum("ok", "x" * 64, name="mood"))'
    )
    config = write_project(tmp_path, [(REVISION, body)])
    assert_refused(config, "postgresql", "op.alter_column", "64 bytes")


@pytest.mark.parametrize("dialect", ["mariadb", "sqlite"])
def test_enum_labels_are_a_postgresql_limit(tmp_path: Path, dialect: str) -> None:
    config = write_project(tmp_path, [(REVISION, LABEL.format(labels=repr("é" * 32)))])
    code, _, err = generate(config, dialect)
    assert code == 0, err


@pytest.mark.postgresql
def test_enum_label_of_63_bytes_applies(
    postgresql_database: ScratchDatabase, tmp_path: Path
) -> None:
    label = "é" * 31 + "a"
    body = LABEL.format(labels=repr(label)) + '\n    op.execute("INSERT INTO moods VALUES (' + (
        repr(label) + ')")'
    )
    config = write_project(tmp_path, [(REVISION, body)])
    postgresql_database.apply_script(cli_script(config, "postgresql", "upgrade", "base:head"))
    with postgresql_database.engine().connect() as connection:
        stored = connection.execute(sa.text("SELECT m::text FROM moods")).scalar_one()
    assert stored == label
