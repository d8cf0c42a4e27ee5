"""Values bound into raw SQL reach the database byte for byte, offline and online.

SQLAlchemy turns ``\\:`` into ``:`` in a ``text()`` clause after putting the bound values
in, so a value holding ``\\:`` lost its backslash in both modes. A revision inserts such
values with ``sa.text(...).bindparams(...)`` and with ``op.execute(sql, parameters)``; the
offline script applied by the database's own client and an online run must both store
exactly the values given.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from databases import ScratchDatabase
from offline_online import cli_script, online_config, write_project

from offline_sql import migrate
from offline_sql.dialect_api.literals import LiteralError
from offline_sql.dialect_api.registry import get_dialect

VALUES = [
    "C:\\new\\:dir",
    "\\:starts",
    "ends \\:",
    "a\\:b :c \\::d",
    "\\\\:double",
    ":plain :colon",
]

BODY = "\n".join(
    [
        '    paths = op.create_table("paths", sa.Column("id", sa.Integer, primary_key=True),'
        ' sa.Column("p", sa.Text))',
        *(
            f'    op.execute(sa.text("INSERT INTO paths (id, p) VALUES ({index}, :v)")'
            f".bindparams(v={value!r}))"
            for index, value in enumerate(VALUES, 1)
        ),
        *(
            f'    op.execute("INSERT INTO paths (id, p) VALUES ({100 + index}, :v)",'
            f" {{'v': {value!r}}})"
            for index, value in enumerate(VALUES, 1)
        ),
        # The escape in the statement's own text still means a colon.
        '    op.execute(sa.text("INSERT INTO paths (id, p) VALUES (200, \'\\\\:x\')"))',
    ]
)

EXPECTED = {
    **dict(enumerate(VALUES, 1)),
    **{100 + index: value for index, value in enumerate(VALUES, 1)},
    200: ":x",
}


def stored(database: ScratchDatabase) -> dict[int, str]:
    with database.engine().connect() as connection:
        rows = connection.execute(sa.text("SELECT id, p FROM paths"))
        return {int(row[0]): row[1] for row in rows}


@pytest.mark.parametrize("name", ["postgresql", "mariadb", "mysql", "sqlite"])
def test_compiled_text_keeps_the_backslash_of_a_bound_value(name: str) -> None:
    dialect = get_dialect(name)
    value = "C:\\new\\:dir"
    sql = dialect.compile(sa.text("SELECT :v, '\\:x'").bindparams(v=value))
    assert sql == "SELECT " + dialect.literal(value, sa.Text()) + ", ':x'"


def test_nul_in_sql_text_is_refused() -> None:
    with pytest.raises(LiteralError, match="NUL"):
        get_dialect("postgresql").compile(sa.text("SELECT '\x00', :v").bindparams(v=1))


@pytest.mark.parametrize("mode", ["offline", "online"])
def test_bound_values_with_escaped_colons_are_stored_exactly(
    any_database: ScratchDatabase, tmp_path: Path, mode: str
) -> None:
    config = write_project(tmp_path / "project", [("b0000000001", BODY)])
    if mode == "offline":
        any_database.apply_script(
            cli_script(config, any_database.dialect, "upgrade", "base:head")
        )
    else:
        migrate.upgrade(online_config(config, any_database), "head")
    assert stored(any_database) == EXPECTED

