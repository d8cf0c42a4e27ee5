"""MySQL/MariaDB: a type change of an AUTO_INCREMENT column away from an integer (issue 12, F4).

CKAN 008 runs ``op.alter_column('revision', 'id', type_=sa.UnicodeText)`` on an
auto-increment INTEGER primary key. MODIFY restates the column; the server refuses
AUTO_INCREMENT on anything but a number (errno 1063) and drops it silently when MODIFY omits
it, as Alembic's ``MODIFY id TEXT NOT NULL`` does. mig refuses the change in one line naming
the real table and column, until the script says ``autoincrement=False``; then the offline
script, applied with the ``mariadb`` client, builds what online mode builds.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from databases import scratch_database
from offline_online import cli_script, online_config, write_project
from reflection import diff, snapshot

from offline_sql import migrate
from offline_sql.cli import cli

CREATE = """\
op.create_table(
    "revision",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("n", sa.Integer),
)
op.bulk_insert(sa.table("revision", sa.column("n", sa.Integer)), [{"n": 1}, {"n": 2}])
"""


def project(root: Path, alter: str) -> Path:
    return write_project(root, [("a1", "    " + CREATE.replace("\n", "\n    ")), ("b2", alter)])


@pytest.mark.parametrize("dialect", ["mysql", "mariadb"])
@pytest.mark.parametrize(
    ("alter", "says"),
    [
        (
            "    op.alter_column('revision', 'id', type_=sa.UnicodeText, server_default=None)\n",
            "column 'revision.id' is AUTO_INCREMENT, and its new type TEXT cannot be "
            "({dialect} numbers only integer columns); pass autoincrement=False to drop "
            "AUTO_INCREMENT with the type change (inserts must then give id a value), or keep "
            "an integer type",
        ),
        (
            "    op.alter_column('revision', 'id', type_=sa.String(36), autoincrement=True)\n",
            "autoincrement=True on column 'revision.id' of type VARCHAR(36), and {dialect} "
            "numbers only integer columns (AUTO_INCREMENT); keep an integer type or drop "
            "autoincrement=True",
        ),
    ],
    ids=["implicit", "explicit"],
)
def test_retyping_an_auto_increment_column_is_one_line_naming_the_table(
    tmp_path: Path, dialect: str, alter: str, says: str
) -> None:
    config = project(tmp_path / "project", alter)
    args = ["-c", str(config), "--dialect", dialect, "upgrade", "head", "--sql"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("mig: error: op.alter_column on table 'revision' at ")
    assert "(revision b2): " + says.format(dialect=dialect) in lines[0]
    assert "_restated" not in result.stderr
    assert result.stdout == ""


@pytest.mark.mysql
def test_autoincrement_false_drops_it_offline_as_online(tmp_path: Path) -> None:
    alter = (
        "    op.alter_column('revision', 'id', type_=sa.String(36), autoincrement=False)\n"
        "    op.execute(\"UPDATE revision SET id = CONCAT('r-', id)\")\n"
    )
    config = project(tmp_path / "project", alter)
    with (
        scratch_database("mariadb", tmp_path) as offline,
        scratch_database("mariadb", tmp_path) as online,
    ):
        offline.apply_script(cli_script(config, "mariadb", "upgrade", "head"))
        migrate.upgrade(online_config(config, online), "head")
        assert diff(snapshot(offline.engine()), snapshot(online.engine())) == []
        with offline.engine().connect() as connection:
            create = connection.exec_driver_sql("SHOW CREATE TABLE revision").one()[1]
            rows = connection.execute(sa.text("SELECT id, n FROM revision ORDER BY n")).all()
        assert "AUTO_INCREMENT" not in create.upper().split("ENGINE")[0], create
        assert "`id` varchar(36) NOT NULL" in create, create
        assert [tuple(r) for r in rows] == [("r-1", 1), ("r-2", 2)]


@pytest.mark.mysql
def test_integer_widening_keeps_auto_increment(tmp_path: Path) -> None:
    alter = "    op.alter_column('revision', 'id', type_=sa.BigInteger)\n"
    config = project(tmp_path / "project", alter)
    with scratch_database("mariadb", tmp_path) as offline:
        offline.apply_script(cli_script(config, "mariadb", "upgrade", "head"))
        with offline.engine().connect() as connection:
            create = connection.exec_driver_sql("SHOW CREATE TABLE revision").one()[1]
        assert "`id` bigint(20) NOT NULL AUTO_INCREMENT" in create, create
