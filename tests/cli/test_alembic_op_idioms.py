"""The op API as real Alembic scripts use it (issue 15 item 3), offline as Alembic's ``--sql``.

One Alembic-style script uses the idioms: ``batch_op`` methods with the table implied
(``f``, ``execute``, indexes, constraints, ``alter_column``), a custom operation declared as in
Alembic's cookbook (``from alembic.operations import Operations, MigrateOperation``) and run by
``op.<name>`` and ``op.invoke``, ``op.get_context().autocommit_block()`` and PostgreSQL's
``op.create_exclude_constraint``. mig writes it for PostgreSQL, SQLite and MariaDB; each
database's client applies the script and the schema is checked; Alembic itself runs the same
file unchanged (online on SQLite, offline for PostgreSQL: the same order as mig's).
"""

from __future__ import annotations

import inspect
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from databases import ScratchDatabase

from offline_sql.batch import BatchOperations
from offline_sql.cli import cli

SCRIPT = '''"""idioms

Revision ID: a1b2c3d4e5f6
Revises:
"""
import sqlalchemy as sa
from alembic import op
from alembic.operations import MigrateOperation, Operations

revision = "a1b2c3d4e5f6"
down_revision = None
branch_labels = None
depends_on = None


@Operations.register_operation("create_note_table")
class CreateNoteTableOp(MigrateOperation):
    def __init__(self, name):
        self.name = name

    @classmethod
    def create_note_table(cls, operations, name):
        return operations.invoke(cls(name))


@Operations.implementation_for(CreateNoteTableOp)
def create_note_table(operations, operation):
    operations.execute(f"CREATE TABLE {operation.name} (id INTEGER PRIMARY KEY, body VARCHAR(40))")


def upgrade():
    op.create_table("parent", sa.Column("id", sa.Integer, primary_key=True))
    op.create_table(
        "t",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(20)),
        sa.Column("lo", sa.Integer),
        sa.Column("hi", sa.Integer),
    )
    with op.batch_alter_table("t") as batch_op:
        batch_op.add_column(sa.Column("parent_id", sa.Integer))
        batch_op.create_index(batch_op.f("ix_t_name"), ["name"])
        batch_op.create_unique_constraint("uq_t_lo", ["lo"])
        batch_op.create_foreign_key("fk_t_parent", "parent", ["parent_id"], ["id"])
        batch_op.create_check_constraint("ck_t_range", "lo <= hi")
        batch_op.alter_column("name", existing_type=sa.String(20), nullable=False)
        batch_op.execute("INSERT INTO parent (id) VALUES (1)")
    op.create_note_table("note")
    op.invoke(CreateNoteTableOp("note2"))
    with op.get_context().autocommit_block():
        op.execute("INSERT INTO parent (id) VALUES (2)")
        op.create_index("ix_t_lo_hi", "t", ["lo", "hi"])
    if op.get_context().dialect.name == "postgresql":
        op.create_exclude_constraint("ex_t_hi", "t", ("hi", "="), using="btree")


def downgrade():
    pass
'''


def _project(root: Path, script: str = SCRIPT) -> Path:
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (versions / "a1b2c3d4e5f6_idioms.py").write_text(script, encoding="utf-8")
    config = root / "mig.toml"
    config.write_text('script_location = "migrations"\nurl = "sqlite:///app.db"\n')
    return config


def _mig(config: Path, dialect: str) -> Result:
    return CliRunner().invoke(
        cli, ["-c", str(config), "--dialect", dialect, "upgrade", "head", "--sql"]
    )


def _sql(tmp_path: Path, dialect: str) -> str:
    result = _mig(_project(tmp_path), dialect)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("--")]


def _after(lines: list[str], first: str, then: str) -> bool:
    return lines.index(first) < lines.index(then)


# ---- offline output -------------------------------------------------------------------------


def test_postgresql_output(tmp_path: Path) -> None:
    lines = _lines(_sql(tmp_path, "postgresql"))
    # batch_op.execute runs where Alembic runs it: before the block's operations.
    assert _after(
        lines, "INSERT INTO parent (id) VALUES (1);", "ALTER TABLE t ADD COLUMN parent_id INTEGER;"
    )
    assert "CREATE INDEX ix_t_name ON t (name);" in lines
    assert (
        "ALTER TABLE t ADD CONSTRAINT fk_t_parent FOREIGN KEY(parent_id) REFERENCES parent (id);"
        in lines
    )
    assert "ALTER TABLE t ALTER COLUMN name SET NOT NULL;" in lines
    # The custom operation, called by name and through invoke.
    assert "CREATE TABLE note (id INTEGER PRIMARY KEY, body VARCHAR(40));" in lines
    assert "CREATE TABLE note2 (id INTEGER PRIMARY KEY, body VARCHAR(40));" in lines
    # autocommit_block: its statements between one COMMIT and one BEGIN, as Alembic writes it.
    at = lines.index("INSERT INTO parent (id) VALUES (2);")
    assert lines[at - 1 : at + 3] == [
        "COMMIT;",
        "INSERT INTO parent (id) VALUES (2);",
        "CREATE INDEX ix_t_lo_hi ON t (lo, hi);",
        "BEGIN;",
    ]
    assert "ALTER TABLE t ADD CONSTRAINT ex_t_hi EXCLUDE USING btree (hi WITH =);" in lines
    assert lines[-1] == "COMMIT;"


def test_sqlite_output(tmp_path: Path) -> None:
    lines = _lines(_sql(tmp_path, "sqlite"))
    at = lines.index("INSERT INTO parent (id) VALUES (2);")
    assert lines[at - 1] == "COMMIT;" and lines[at + 2] == "BEGIN;"
    fk = "CONSTRAINT fk_t_parent FOREIGN KEY(parent_id) REFERENCES parent (id)"
    assert any(line.strip() == fk for line in lines)  # the rebuilt table has it
    assert _after(
        lines, "INSERT INTO parent (id) VALUES (1);", "DROP TABLE t;"
    )  # before the rebuild
    assert not any("EXCLUDE" in line for line in lines)


def test_mariadb_output(tmp_path: Path) -> None:
    lines = _lines(_sql(tmp_path, "mariadb"))
    # DDL is not transactional: no transaction to leave.
    assert "COMMIT;" not in lines and "BEGIN;" not in lines
    assert _after(
        lines,
        "CREATE TABLE note2 (id INTEGER PRIMARY KEY, body VARCHAR(40));",
        "INSERT INTO parent (id) VALUES (2);",
    )
    assert "CREATE INDEX ix_t_lo_hi ON t (lo, hi);" in lines


# ---- applied by each database's client ----------------------------------------------------


def _check_schema(engine: sa.Engine) -> None:
    inspector = sa.inspect(engine)
    assert {"parent", "t", "note", "note2"} <= set(inspector.get_table_names())
    columns = {c["name"]: c for c in inspector.get_columns("t")}
    assert "parent_id" in columns and columns["name"]["nullable"] is False
    assert {"ix_t_name", "ix_t_lo_hi"} <= {ix["name"] for ix in inspector.get_indexes("t")}
    assert [fk["name"] for fk in inspector.get_foreign_keys("t")] == ["fk_t_parent"]
    assert "ck_t_range" in {c["name"] for c in inspector.get_check_constraints("t")}
    with engine.connect() as connection:
        ids = connection.execute(sa.text("SELECT id FROM parent ORDER BY id")).scalars().all()
    assert ids == [1, 2]


@pytest.mark.postgresql
def test_postgresql_applies(tmp_path: Path, postgresql_database: ScratchDatabase) -> None:
    postgresql_database.apply_script(_sql(tmp_path, "postgresql"))
    engine = postgresql_database.engine()
    _check_schema(engine)
    with engine.connect() as connection:
        kinds = (
            connection.execute(sa.text("SELECT conname FROM pg_constraint WHERE contype = 'x'"))
            .scalars()
            .all()
        )
    assert kinds == ["ex_t_hi"]


def test_sqlite_applies(tmp_path: Path, sqlite_database: ScratchDatabase) -> None:
    sqlite_database.apply_script(_sql(tmp_path, "sqlite"))
    _check_schema(sqlite_database.engine())


@pytest.mark.mysql
def test_mariadb_applies(tmp_path: Path, mariadb_database: ScratchDatabase) -> None:
    mariadb_database.apply_script(_sql(tmp_path, "mariadb"))
    _check_schema(mariadb_database.engine())


# ---- one clear line for what cannot be done --------------------------------------------------


def _refused(tmp_path: Path, body: str, dialect: str = "sqlite") -> str:
    script = SCRIPT.replace("def upgrade():\n", f"def upgrade():\n{body}\n    return\n", 1)
    result = _mig(_project(tmp_path, script), dialect)
    assert result.exit_code == 1, result.stdout
    assert result.stderr.count("\n") == 1
    return result.stderr


@pytest.mark.parametrize("dialect", ["sqlite", "mariadb"])
@pytest.mark.parametrize("in_batch", [False, True], ids=["op", "batch_op"])
def test_exclude_constraint_elsewhere_is_refused(
    tmp_path: Path, dialect: str, in_batch: bool
) -> None:
    create = '    op.create_table("parent", sa.Column("id", sa.Integer))\n'
    if in_batch:  # a SQLite rebuild must not leave it out
        body = (
            '    with op.batch_alter_table("parent") as batch_op:\n'
            '        batch_op.create_unique_constraint("uq", ["id"])\n'
            '        batch_op.create_exclude_constraint("ex", ("id", "="))'
        )
    else:
        body = '    op.create_exclude_constraint("ex", "parent", ("id", "="))'
    message = _refused(tmp_path, create + body, dialect)
    assert "a1b2c3d4e5f6_idioms.py:" in message
    assert f"EXCLUDE constraint is not supported on {dialect}" in message
    assert "op.get_context().dialect.name" in message


def test_run_async_is_refused(tmp_path: Path) -> None:
    message = _refused(tmp_path, "    op.run_async(print)", "postgresql")
    assert "a1b2c3d4e5f6_idioms.py:" in message and "op.run_async is not supported" in message


def test_batch_op_takes_no_schema(tmp_path: Path) -> None:
    body = (
        '    with op.batch_alter_table("t") as batch_op:\n'
        '        batch_op.create_index("ix", ["a"], schema="s")'
    )
    message = _refused(tmp_path, body, "postgresql")
    assert "batch_op.create_index() takes no schema=" in message


def test_invoke_without_an_implementation_is_refused(tmp_path: Path) -> None:
    body = "    class Lonely(MigrateOperation):\n        pass\n    op.invoke(Lonely())"
    message = _refused(tmp_path, body, "postgresql")
    assert "no implementation" in message and "Operations.implementation_for(Lonely)" in message


# ---- Alembic's batch_op, and Alembic on the same file -------------------------------------


def test_batch_op_has_every_method_of_alembics() -> None:
    alembic = pytest.importorskip("alembic.operations")
    internal = {"batch_alter_table", "context", "create_module_class_proxy", "impl"}
    internal |= {"migration_context", "schema_obj"}
    theirs = {n for n in dir(alembic.BatchOperations) if not n.startswith("_")} - internal
    assert theirs <= set(dir(BatchOperations))
    for name in sorted(theirs):
        ours = inspect.signature(getattr(BatchOperations, name)).parameters
        if any(p.kind is p.VAR_KEYWORD for p in ours.values()):
            continue
        wanted = inspect.signature(getattr(alembic.BatchOperations, name)).parameters
        missing = [
            p
            for p in wanted
            if p not in ours and p not in ("inline_references", "inline_primary_key")
        ]
        assert not missing, f"batch_op.{name} lacks {missing}"


def _alembic(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "alembic", *args],
        cwd=cwd,
        text=True,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_alembic_runs_the_same_script(tmp_path: Path) -> None:
    pytest.importorskip("alembic")
    _alembic(tmp_path, "init", "migrations")
    ini = tmp_path / "alembic.ini"
    default = "sqlalchemy.url = driver://user:pass@localhost/dbname"
    ini.write_text(ini.read_text().replace(default, "sqlalchemy.url = sqlite:///app.db"))
    (tmp_path / "migrations" / "versions" / "a1b2c3d4e5f6_idioms.py").write_text(SCRIPT)
    _alembic(tmp_path, "upgrade", "head")
    with sqlite3.connect(tmp_path / "app.db") as connection:
        tables = {
            r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        ids = [r[0] for r in connection.execute("SELECT id FROM parent ORDER BY id")]
    assert {"parent", "t", "note", "note2"} <= tables and ids == [1, 2]

    ini.write_text(ini.read_text().replace("sqlite:///app.db", "postgresql+psycopg://u@h/db"))
    theirs = _lines(_alembic(tmp_path, "upgrade", "head", "--sql"))
    ours = _lines(_sql(tmp_path / "mig", "postgresql"))
    shared = [
        "INSERT INTO parent (id) VALUES (1);",
        "ALTER TABLE t ADD COLUMN parent_id INTEGER;",
        "CREATE TABLE note (id INTEGER PRIMARY KEY, body VARCHAR(40));",
        "CREATE TABLE note2 (id INTEGER PRIMARY KEY, body VARCHAR(40));",
        "INSERT INTO parent (id) VALUES (2);",
        "CREATE INDEX ix_t_lo_hi ON t (lo, hi);",
        "ALTER TABLE t ADD CONSTRAINT ex_t_hi EXCLUDE USING btree (hi WITH =);",
    ]
    for lines in (theirs, ours):
        assert [lines.index(s) for s in shared] == sorted(lines.index(s) for s in shared)
    for lines in (theirs, ours):  # Alembic leaves the transaction the same way
        at = lines.index("INSERT INTO parent (id) VALUES (2);")
        assert (lines[at - 1], lines[at + 2]) == ("COMMIT;", "BEGIN;")


# ---- online: mig applies it itself ------------------------------------------------------------


def _online(tmp_path: Path, database: ScratchDatabase) -> None:
    config = _project(tmp_path)
    url = database.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(cli, ["-c", str(config), "upgrade", "head"], env={"MIG_URL": url})
    assert result.exit_code == 0, result.stderr
    _check_schema(database.engine())


def test_sqlite_online(tmp_path: Path, sqlite_database: ScratchDatabase) -> None:
    _online(tmp_path, sqlite_database)


@pytest.mark.postgresql
def test_postgresql_online(tmp_path: Path, postgresql_database: ScratchDatabase) -> None:
    _online(tmp_path, postgresql_database)
