"""Raw SQL through the whole pipeline: ``op.execute`` keeps the replayed state current where
mig can follow it, and hides the table (generation fails, naming both scripts and the way
out) where it cannot. Scripts are applied with the real clients."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from databases import ScratchDatabase
from helpers import Rev, make_project
from reflection import snapshot

from offline_sql.cli import cli

CREATE = Rev(
    "x1",
    None,
    "create t",
    upgrade="""\
op.create_table(
    "t",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(20), nullable=False, server_default="n"),
)
op.bulk_insert(
    sa.table("t", sa.column("id"), sa.column("name")),
    [{"id": 1, "name": "one"}, {"id": 2, "name": "two"}],
)""",
)


def raw(rev: str, down: str, *statements: str) -> Rev:
    body = "\n".join(f"op.execute({sql!r})" for sql in statements)
    return Rev(rev, down, f"raw sql {rev}", upgrade=body)


def alter(rev: str, down: str, body: str) -> Rev:
    return Rev(rev, down, f"alter {rev}", upgrade=body)


def mig(root: Path, history: tuple[Rev, ...], dialect: str, *args: str) -> Result:
    config = make_project(root / "project", history, settings={"script_location": "migrations"})
    return CliRunner().invoke(cli, ["-c", str(config), "--dialect", dialect, *args])


def script(root: Path, history: tuple[Rev, ...], dialect: str) -> str:
    result = mig(root, history, dialect, "upgrade", "base:head", "--sql")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


# ---- state kept current ------------------------------------------------------------------

MARIADB_ADDS = (
    CREATE,
    raw(
        "x2",
        "x1",
        "ALTER TABLE t ADD COLUMN x INT NOT NULL DEFAULT 5 COMMENT 'the x'",
        "ALTER TABLE t ADD COLUMN y VARCHAR(10)",
        "UPDATE t SET y = 'why'",
        "ALTER TABLE t MODIFY name VARCHAR(30) NOT NULL DEFAULT 'm'",
    ),
    alter(
        "x3",
        "x2",
        'op.alter_column("t", "x", type_=sa.BigInteger)\n'
        'op.alter_column("t", "y", nullable=False, server_default="")\n'
        'op.alter_column("t", "name", type_=sa.String(40))',
    ),
)


@pytest.fixture
def mariadb_columns(
    mariadb_database: ScratchDatabase, tmp_path: Path
) -> dict[str, dict[str, object]]:
    assert not any("existing_" in rev.upgrade for rev in MARIADB_ADDS)  # the alters give no hint
    text = script(tmp_path, MARIADB_ADDS, "mariadb")  # and mig needs none: exit 0, no warning
    mariadb_database.apply_script(text)
    columns: dict[str, dict[str, object]] = snapshot(mariadb_database.engine())["tables"]["t"][
        "columns"
    ]
    return columns


@pytest.mark.mysql
@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("x", {"type": "BIGINT(20)", "nullable": False, "default": "5", "comment": "the x"}),
        ("y", {"type": "VARCHAR(10)", "nullable": False, "default": "''", "comment": None}),
        ("name", {"type": "VARCHAR(40)", "nullable": False, "default": "'m'", "comment": None}),
    ],
)
def test_raw_add_and_modify_keep_the_state_for_hintless_alters_on_mariadb(
    mariadb_columns: dict[str, dict[str, object]], column: str, expected: dict[str, object]
) -> None:
    found = {key: mariadb_columns[column][key] for key in expected}
    assert found == expected


SQLITE_ADDS = (
    CREATE,
    raw(
        "x2",
        "x1",
        "ALTER TABLE t ADD COLUMN x INTEGER NOT NULL DEFAULT 5",
        "ALTER TABLE t ADD COLUMN z INTEGER GENERATED ALWAYS AS (id * 3) VIRTUAL",
        "UPDATE t SET x = id + 40",
    ),
    alter("x3", "x2", 'op.alter_column("t", "name", type_=sa.String(40))'),
)


def test_sqlite_rebuild_keeps_raw_columns_and_their_values(
    sqlite_database: ScratchDatabase, tmp_path: Path
) -> None:
    text = script(tmp_path, SQLITE_ADDS, "sqlite")
    assert "CREATE TABLE _mig_old_t" in text
    sqlite_database.apply_script(text)
    with sqlite_database.engine().connect() as connection:
        rows = connection.exec_driver_sql("SELECT id, name, x, z FROM t ORDER BY id").all()
        ddl = connection.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 't'").scalar()
    assert rows == [(1, "one", 41, 3), (2, "two", 42, 6)]
    assert "VARCHAR(40)" in str(ddl) and "GENERATED ALWAYS AS (id * 3)" in str(ddl)


# ---- state the raw SQL hid ---------------------------------------------------------------

HIDDEN = {
    "unparseable": "ALTER TABLE t FROBNICATE name",
    "collation the state cannot hold": "ALTER TABLE t ADD COLUMN c VARCHAR(5) COLLATE utf8mb4_bin",
    "inline reference": "ALTER TABLE t ADD COLUMN p INT REFERENCES t(id)",
}


def hidden_history(sql: str, body: str) -> tuple[Rev, ...]:
    return (CREATE, raw("x2", "x1", sql), alter("x3", "x2", body))


@pytest.mark.parametrize("sql", list(HIDDEN.values()), ids=list(HIDDEN))
@pytest.mark.parametrize("dialect", ["mariadb", "mysql", "sqlite"])
def test_hidden_table_fails_generation_naming_both_scripts(
    tmp_path: Path, sql: str, dialect: str
) -> None:
    history = hidden_history(sql, 'op.alter_column("t", "name", type_=sa.String(40))')
    result = mig(tmp_path, history, dialect, "upgrade", "base:head", "--sql")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("mig: error: ") and result.stderr.count("\n") == 1
    versions = tmp_path / "project" / "migrations" / "versions"
    assert f"{versions / history[2].filename}:" in result.stderr
    assert f"raw SQL in revision x2 ({versions / history[1].filename}:" in result.stderr
    if dialect != "sqlite":
        assert "existing_nullable=..., existing_server_default=..." in result.stderr


@pytest.mark.mysql
def test_hints_are_the_way_out_for_a_hidden_table(
    mariadb_database: ScratchDatabase, tmp_path: Path
) -> None:
    history = hidden_history(
        HIDDEN["collation the state cannot hold"],
        'op.alter_column("t", "name", type_=sa.String(40),'
        ' existing_nullable=False, existing_server_default="n", existing_comment="")',
    )
    text = script(tmp_path, history, "mariadb")
    mariadb_database.apply_script(text)
    name = snapshot(mariadb_database.engine())["tables"]["t"]["columns"]["name"]
    assert (name["type"], name["nullable"], name["default"]) == ("VARCHAR(40)", False, "'n'")
