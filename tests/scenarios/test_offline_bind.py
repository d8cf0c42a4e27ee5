"""The offline bind (issue 15 item 3, docs/corpus.md F3): what scripts do through
``op.get_bind()`` offline.

* ``.engine`` / ``.engine.name`` / ``.engine.dialect`` are the target's;
* DDL through the bind (``metadata.create_all``, ``ENUM.create(checkfirst=True)``,
  ``Enum.drop``) becomes mig's operations, ``checkfirst`` answered from the replayed schema;
* ``bind.execute(text/insert)`` is emitted;
* reflection (``sa.inspect``, ``MetaData.reflect``, ``autoload_with``) is answered from the
  replayed schema, inside the range and below it;
* data reads are refused inside the range (one line naming the script), answered as on
  empty tables (with a warning naming the revision) below it.

Each history is generated with ``--sql`` for PostgreSQL, MariaDB and SQLite and applied with
the database's own client.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from databases import DialectName, ScratchDatabase, scratch_database
from offline_online import cli_script, online_config, write_project
from reflection import diff, snapshot

from offline_sql import migrate
from offline_sql.cli import cli
from offline_sql.config import load_config
from offline_sql.errors import OfflineReadError, OfflineReadWarning

BASE = """\
    op.create_table(
        "t",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("n", sa.Integer),
    )
    op.create_index("ix_t_n", "t", ["n"])"""

THROUGH_BIND = """\
    bind = op.get_bind()
    assert bind.engine.name == bind.engine.dialect.name == op.get_context().dialect.name
    m = sa.MetaData()
    sa.Table("t", m, sa.Column("id", sa.Integer, primary_key=True))  # exists: checkfirst
    u = sa.Table(
        "u",
        m,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("t_id", sa.Integer, sa.ForeignKey("t.id", name="fk_u_t")),
        sa.Column("code", sa.String(10), unique=True),
        sa.Column("k", sa.Integer, index=True),
        comment="users",
    )
    m.create_all(bind)
    bind.execute(sa.text("INSERT INTO t (id, n) VALUES (1, 2)"))
    bind.execute(u.insert(), [{"id": 1, "t_id": 1, "code": "a", "k": 1}])"""

REFLECTS = """\
    insp = sa.inspect(op.get_bind())
    assert insp.has_table("u") and not insp.has_table("nope")
    assert {"t", "u"} <= set(insp.get_table_names())
    columns = [c["name"] for c in insp.get_columns("u")]
    assert columns == ["id", "t_id", "code", "k"], columns
    assert {i["name"] for i in insp.get_indexes("t")} == {"ix_t_n"}
    assert "ix_u_k" in {i["name"] for i in insp.get_indexes("u")}
    fk = insp.get_foreign_keys("u")[0]
    assert (fk["name"], fk["referred_table"], fk["referred_columns"]) == ("fk_u_t", "t", ["id"])
    assert insp.get_pk_constraint("u")["constrained_columns"] == ["id"]
    assert [u["column_names"] for u in insp.get_unique_constraints("u")] == [["code"]]
    table = sa.Table("u", sa.MetaData(), autoload_with=op.get_bind())
    assert isinstance(table.c.code.type, sa.String) and table.c.code.type.length == 10
    meta = sa.MetaData()
    meta.reflect(bind=op.get_bind())
    assert {"t", "u"} <= set(meta.tables)
    if "flag" not in columns:
        op.add_column("u", sa.Column("flag", sa.Integer))
    op.create_table("v", sa.Column("id", sa.Integer, primary_key=True))
    assert sa.inspect(op.get_bind()).has_table("v")  # what the script recorded so far
    if not sa.inspect(op.get_bind()).has_table("t"):
        op.drop_table("u")"""

ENUMS = """\
    from sqlalchemy.dialects import postgresql
    if op.get_bind().engine.name == "postgresql":  # (MySQL would refuse CreateEnumType)
        postgresql.ENUM("a", "b", name="mood").create(op.get_bind(), checkfirst=True)
    sa.Enum("a", "b", name="mood").create(op.get_bind(), checkfirst=True)  # exists: nothing
    op.add_column("u", sa.Column("m", sa.Enum("a", "b", name="mood")))
    op.drop_column("u", "m")
    sa.Enum("a", "b", name="mood").drop(op.get_bind())"""

READS_DATA = """\
    connection = op.get_bind()
    t = sa.Table("t", sa.MetaData(), autoload_with=connection)
    query = sa.select(sa.func.count()).select_from(t).where(t.c.n == sa.null())
    if connection.scalar(query):
        raise Exception("run the online data migrations first")
    op.add_column("t", sa.Column("checked", sa.Integer))"""

AFTER = """\
    op.add_column("t", sa.Column("after", sa.Integer))"""

HISTORY = [
    ("r1", BASE),
    ("r2", THROUGH_BIND),
    ("r3", REFLECTS),
    ("r4", ENUMS),
    ("r5", READS_DATA),
    ("r6", AFTER),
]

DIALECTS = ("postgresql", "mariadb", "sqlite")


def _run(config: Path, dialect: str, *command: str) -> tuple[int, str, str]:
    args = ["-c", str(config), "--dialect", dialect, *command, "--sql"]
    result = CliRunner().invoke(cli, args)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("dialect", DIALECTS)
def test_through_bind_offline_sql(tmp_path: Path, dialect: str) -> None:
    config = write_project(tmp_path, HISTORY[:4])
    script = cli_script(config, dialect, "upgrade", "head")
    for name, times in (("t", 1), ("u", 1), ("v", 1)):  # t not again: checkfirst
        assert len(re.findall(rf"CREATE TABLE [`\"]?{name}[`\"]? \(", script)) == times, name
    assert "INSERT INTO t (id, n) VALUES (1, 2)" in script
    assert "ix_u_k" in script and "fk_u_t" in script
    assert "flag" in script
    if dialect == "postgresql":
        assert script.count("CREATE TYPE mood AS ENUM ('a', 'b')") == 1
        assert script.count("DROP TYPE mood") == 1
        assert script.index("CREATE TYPE mood") < script.index("ADD COLUMN m mood")
    else:
        assert "CREATE TYPE" not in script


@pytest.mark.parametrize("dialect", DIALECTS)
def test_data_read_refused_inside_the_range(tmp_path: Path, dialect: str) -> None:
    config = write_project(tmp_path, HISTORY)
    code, _, stderr = _run(config, dialect, "upgrade", "head")
    assert code == 1
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "r5_step.py:" in lines[0] and "(revision r5)" in lines[0]
    assert "is_offline_mode()" in lines[0]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_data_read_below_the_range_answered_empty(tmp_path: Path, dialect: str) -> None:
    """``r5:head``: r5 is replayed (already applied); its count of NULLs is 0, with a
    warning naming it; r6 is generated against the schema r5 left (with ``checked``)."""
    config = write_project(tmp_path, HISTORY)
    loaded = load_config(config, dialect=dialect)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        script = migrate.upgrade(loaded, "r5:head", sql=True)
    assert "after" in str(script)
    messages = [str(w.message) for w in caught if issubclass(w.category, OfflineReadWarning)]
    assert messages and "(revision r5)" in messages[0] and "empty" in messages[0]


def test_reads_stay_refused_without_replay(tmp_path: Path) -> None:
    """The same read in the range's first revision (``r4:head`` generates r5) is refused."""
    config = write_project(tmp_path, HISTORY)
    loaded = load_config(config, dialect="sqlite")
    with pytest.raises(OfflineReadError, match=r"\(revision r5\)"):
        migrate.upgrade(loaded, "r4:head", sql=True)


@pytest.mark.parametrize(
    "database",
    [
        pytest.param("postgresql", marks=pytest.mark.postgresql),
        pytest.param("mariadb", marks=pytest.mark.mysql),
        "sqlite",
    ],
)
def test_through_bind_applies(
    tmp_path: Path, request: pytest.FixtureRequest, database: str
) -> None:
    """The generated script, r1..r4 then r5:head (r5 applied by hand: its data check is a
    read), applies with the database's client and leaves the schema the scripts say."""
    scratch: ScratchDatabase = request.getfixturevalue(f"{database}_database")
    config = write_project(tmp_path / "p", HISTORY)
    scratch.apply_script(cli_script(config, database, "upgrade", "r4"))
    scratch.apply_script(
        "ALTER TABLE t ADD COLUMN checked INTEGER;\nUPDATE mig_version SET version_num = 'r5';\n"
    )
    scratch.apply_script(cli_script(config, database, "upgrade", "r5:head"))
    inspector = sa.inspect(scratch.engine())
    assert {"t", "u", "v"} <= set(inspector.get_table_names())
    assert [c["name"] for c in inspector.get_columns("u")] == ["id", "t_id", "code", "k", "flag"]
    assert [c["name"] for c in inspector.get_columns("t")] == ["id", "n", "checked", "after"]
    with scratch.engine().connect() as connection:
        assert connection.execute(sa.text("SELECT code FROM u")).scalar() == "a"
    scratch.dispose()


def test_below_range_answer_is_cached_like_the_rest(tmp_path: Path) -> None:
    """A second run (answered from the step cache) gives the same script and warns again."""
    config = write_project(tmp_path, HISTORY)
    loaded = load_config(config, dialect="postgresql")
    runs = []
    for _ in range(2):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            script = migrate.upgrade(loaded, "r5:head", sql=True)
        named = [w for w in caught if "(revision r5)" in str(w.message)]
        runs.append((script, len(named)))
    assert runs[0] == runs[1]
    assert runs[0][1] >= 1


DROPS = """\
    bind = op.get_bind()
    m = sa.MetaData()
    m.reflect(bind=bind, only=["t", "u"])
    sa.Index("ix_t_n", m.tables["t"].c.n).drop(bind)
    m.drop_all(bind)  # u first: it refers to t
    assert sa.inspect(bind).get_table_names() == ["v"]"""


@pytest.mark.parametrize("dialect", DIALECTS)
def test_drops_through_bind(tmp_path: Path, dialect: str) -> None:
    config = write_project(tmp_path, [*HISTORY[:3], ("r4", DROPS)])
    script = cli_script(config, dialect, "upgrade", "r3:head")
    assert "DROP INDEX" in script
    drops = re.findall(r"DROP TABLE [`\"]?(\w+)[`\"]?;", script)
    assert drops == ["u", "t"], drops


def test_downgrade_from_above_a_data_read(tmp_path: Path) -> None:
    """The way down replays the history up to the range's start (r5 included, its read
    answered empty with a warning), then records r6's downgrade()."""
    steps = [*HISTORY[:5], ("r6", AFTER)]
    config = write_project(tmp_path, steps)
    versions = tmp_path / "migrations" / "versions"
    path = versions / "r6_step.py"
    path.write_text(
        path.read_text().replace(
            "def downgrade() -> None:\n    pass",
            'def downgrade() -> None:\n    op.drop_column("t", "after")',
        )
    )
    loaded = load_config(config, dialect="postgresql")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        script = migrate.downgrade(loaded, "r6:r5", sql=True)
    assert "DROP COLUMN after" in str(script)
    assert any("(revision r5)" in str(w.message) for w in caught)


def test_ticket_with_a_downgrade_that_reflects(tmp_path: Path) -> None:
    """``-o DIR`` asks whether each downgrade() records anything before the states are at
    hand: a downgrade that reflects counts as one, and its rollback file renders it."""
    steps = [*HISTORY[:4], ("r5", '    op.add_column("t", sa.Column("z", sa.Integer))')]
    config = write_project(tmp_path, steps)
    path = tmp_path / "migrations" / "versions" / "r5_step.py"
    path.write_text(
        path.read_text().replace(
            "def downgrade() -> None:\n    pass",
            "def downgrade() -> None:\n"
            '    if sa.inspect(op.get_bind()).has_table("t"):\n'
            '        op.drop_column("t", "z")',
        )
    )
    out = tmp_path / "out"
    args = ["-c", str(config), "--dialect", "postgresql", "upgrade", "r4:head", "--sql"]
    result = CliRunner().invoke(cli, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    rollbacks = "".join(p.read_text() for p in out.rglob("*.sql") if "rollback" in str(p))
    assert "DROP COLUMN z" in rollbacks


@pytest.mark.parametrize(
    "database",
    [
        pytest.param("postgresql", marks=pytest.mark.postgresql),
        pytest.param("mariadb", marks=pytest.mark.mysql),
        "sqlite",
    ],
)
def test_through_bind_offline_equals_online(tmp_path: Path, database: DialectName) -> None:
    """r1..r3 (DDL, writes and reflection through the bind) give the same database offline
    (script applied by the client) as online (mig on a real connection, where the bind is the
    connection and reflection reads the catalog). Not r4: online, DDL sent through the real
    connection is not followed by mig's state, so the enum type created through the bind
    is created again by the add_column (a limitation of online mode, not of the bind)."""
    with (
        scratch_database(database, tmp_path) as offline,
        scratch_database(database, tmp_path) as online,
    ):
        config = write_project(tmp_path / "p", HISTORY[:3])
        offline.apply_script(cli_script(config, database, "upgrade", "head"))
        migrate.upgrade(online_config(config, online), "head")
        offline_schema = snapshot(offline.engine())
        online_schema = snapshot(online.engine())
        offline.dispose()
        online.dispose()
        assert diff(offline_schema, online_schema, labels=("offline", "online")) == []
