"""Histories as real projects write them (issue 12), applied with the database's own client.

Each case writes a small project, applies its ``--sql`` scripts with ``psql`` / ``mariadb``
/ ``sqlite3`` to one fresh database and runs the same commands online into another; the two
must hold the same schema (reflection), and the schema must do what the migration meant
(a value the new CHECK allows is accepted, an old foreign key is gone ...).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from databases import DIALECTS, DialectName, ScratchDatabase, scratch_database
from helpers import Rev, make_project
from scenario_intent import differences, observe

from offline_sql import migrate, records
from offline_sql.cli import cli
from offline_sql.config import load_config
from offline_sql.dialect_api.registry import NAMES

MARKS = {"postgresql": pytest.mark.postgresql, "mariadb": pytest.mark.mysql}
SETTINGS: dict[str, str | bool | int | Sequence[str]] = {"script_location": "migrations"}


def per_database(*names: DialectName) -> list[object]:
    return [pytest.param(d, id=d, marks=MARKS.get(d, ())) for d in names or DIALECTS]


def project(root: Path, revisions: Sequence[Rev], **settings: str | bool) -> Path:
    return make_project(root, revisions, settings={**SETTINGS, **settings})


def mig(config: Path, dialect: str, *args: str, code: int = 0) -> str:
    """``mig -c CONFIG --dialect D ARGS``, in process; the output (stderr on failure)."""
    result = CliRunner().invoke(cli, ["-c", str(config), "--dialect", dialect, *args])
    assert result.exit_code == code, f"mig {' '.join(args)}: {result.output}{result.stderr}"
    return result.stdout if code == 0 else result.stderr


COMMANDS: dict[str, Callable[..., object]] = {
    "upgrade": migrate.upgrade,
    "downgrade": migrate.downgrade,
}


@dataclasses.dataclass
class Pair:
    offline: ScratchDatabase
    online: ScratchDatabase
    differences: list[str]


class Applied:
    """Context manager: two fresh databases of ``dialect``; ``commands`` applied offline
    (scripts through the client) to the first and online to the second."""

    def __init__(
        self,
        config: Path,
        dialect: DialectName,
        tmp_path: Path,
        commands: Sequence[tuple[str, str]],
    ) -> None:
        self.config, self.dialect, self.tmp_path, self.commands = (
            config,
            dialect,
            tmp_path,
            commands,
        )

    def __enter__(self) -> Pair:
        self._offline = scratch_database(self.dialect, self.tmp_path)
        self._online = scratch_database(self.dialect, self.tmp_path)
        offline = self._offline.__enter__()
        try:
            online = self._online.__enter__()
        except BaseException:
            self._offline.__exit__(None, None, None)
            raise
        try:
            for verb, target in self.commands:
                offline.apply_script(mig(self.config, self.dialect, verb, target, "--sql"))
            loaded = load_config(self.config, dialect=self.dialect)
            url = online.url.render_as_string(hide_password=False)
            online_config = records.replace(loaded, url=url)
            for verb, target in self.commands:
                COMMANDS[verb](online_config, target.rpartition(":")[2])
            found = differences(
                observe(offline.engine(), loaded),
                observe(online.engine(), loaded),
                ("offline", "online"),
            )
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return Pair(offline, online, found)

    def __exit__(self, *exc: object) -> None:
        try:
            self._online.__exit__(None, None, None)
        finally:
            self._offline.__exit__(None, None, None)


def accepts(database: ScratchDatabase, sql: str) -> bool:
    """Whether the database runs ``sql`` (rolled back either way)."""
    with database.engine().connect() as conn:
        try:
            conn.exec_driver_sql(sql)
        except sa.exc.DBAPIError:
            return False
        finally:
            conn.rollback()
    return True


# ---- item 4: raw statements PostgreSQL refuses inside a transaction -----------------------

RAW_CONCURRENTLY = Rev(
    "c1",
    None,
    "concurrent index",
    upgrade="""\
op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("x", sa.Integer))
op.create_table("moods", sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("m", sa.Enum("calm", name="mood")))
op.execute("CREATE INDEX CONCURRENTLY ix_t_x ON t (x)")
op.execute("REINDEX INDEX CONCURRENTLY ix_t_x")
op.execute("ALTER TYPE mood ADD VALUE 'busy'")
op.execute("VACUUM t")""",
    downgrade="""\
op.execute("DROP INDEX CONCURRENTLY ix_t_x")
op.drop_table("moods")
op.execute("DROP TYPE mood")
op.drop_table("t")""",
)


@pytest.mark.postgresql
def test_raw_non_transactional_statements_run_outside_the_transaction(tmp_path: Path) -> None:
    config = project(tmp_path, [RAW_CONCURRENTLY])
    script = mig(config, "postgresql", "upgrade", "base:head", "--sql")
    assert "-- CREATE INDEX CONCURRENTLY cannot run inside a transaction block" in script
    commands = [("upgrade", "base:head"), ("downgrade", "head:base")]
    with Applied(config, "postgresql", tmp_path, commands[:1]) as pair:
        assert pair.differences == []
        assert accepts(pair.offline, "SELECT 1 FROM t WHERE x = 1")
        with pair.offline.engine().connect() as conn:
            names = conn.exec_driver_sql("SELECT indexname FROM pg_indexes WHERE tablename = 't'")
            assert "ix_t_x" in {row[0] for row in names}
            labels = "SELECT enum_range(NULL::mood)::text"
            assert conn.exec_driver_sql(labels).scalar() == "{calm,busy}"
    with Applied(config, "postgresql", tmp_path, commands) as pair:
        assert pair.differences == []
    assert "non-transactional" not in mig(config, "postgresql", "review", "base:head")


@pytest.mark.parametrize("dialect", per_database("sqlite"))
def test_sqlite_vacuum_runs_outside_the_transaction(tmp_path: Path, dialect: DialectName) -> None:
    rev = Rev(
        "v1",
        None,
        "vacuum",
        upgrade='op.create_table("t", sa.Column("id", sa.Integer))\nop.execute("VACUUM")',
    )
    config = project(tmp_path, [rev])
    with Applied(config, dialect, tmp_path, [("upgrade", "base:head")]) as pair:
        assert pair.differences == []


# ---- issue 11: the review reads where the framer placed each statement --------------------


@pytest.mark.postgresql
def test_review_names_a_refused_statement_the_framer_left_inside(tmp_path: Path) -> None:
    """Two CONCURRENTLY statements in one op.execute are one query online (one implicit
    transaction), so mig leaves the text where it is: psql refuses it, and the review,
    reading the framer's placement, says so before a DBA finds out."""
    rev = Rev(
        "m1",
        None,
        "two in one",
        upgrade='op.create_table("t", sa.Column("id", sa.Integer), sa.Column("x", sa.Integer))\n'
        'op.execute("CREATE INDEX CONCURRENTLY ix_a ON t (x); '
        'CREATE INDEX CONCURRENTLY ix_b ON t (id)")\n'
        'op.execute("CREATE INDEX CONCURRENTLY ix_c ON t (x, id)")',
    )
    config = project(tmp_path, [rev])
    args = ["-c", str(config), "--dialect", "postgresql", "review", "base:head"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert "error non-transactional-in-transaction [statement 2]" in result.stdout
    assert "[statement 3]" not in result.stdout
    strict = mig(config, "postgresql", "upgrade", "base:head", "--sql", "--strict", code=1)
    assert "non-transactional-in-transaction" in strict
    script = mig(config, "postgresql", "upgrade", "base:head", "--sql")
    with (
        scratch_database("postgresql", tmp_path) as database,
        pytest.raises(AssertionError, match="cannot run inside a transaction block"),
    ):
        database.apply_script(script)


# ---- item 3: PostgreSQL enum types are dropped when the script says so --------------------

MOOD = 'sa.Enum("calm", "busy", name="mood")'


@pytest.mark.postgresql
def test_enum_type_dropped_by_the_downgrade_only(tmp_path: Path) -> None:
    """Alembic's autogenerated downgrade: drop the table, then ``DROP TYPE``. mig must not
    drop the type with the table first (psql: type "mood" does not exist); a later
    re-upgrade creates it again, and a history that drops only the table keeps it."""
    revisions = [
        Rev(
            "e1",
            None,
            "moods",
            upgrade=f'op.create_table("moods", sa.Column("id", sa.Integer, primary_key=True),'
            f' sa.Column("m", {MOOD}))',
            downgrade='op.drop_table("moods")\nop.execute("DROP TYPE mood")',
        ),
        Rev(
            "e2",
            "e1",
            "column",
            upgrade=f'op.add_column("moods", sa.Column("m2", {MOOD}))',
            downgrade='op.drop_column("moods", "m2")',
        ),
    ]
    config = project(tmp_path, revisions)
    down = mig(config, "postgresql", "downgrade", "e2:base", "--sql")
    assert down.count("DROP TYPE") == 1
    commands = [("upgrade", "base:head"), ("downgrade", "head:base"), ("upgrade", "base:head")]
    with Applied(config, "postgresql", tmp_path, commands) as pair:
        assert pair.differences == []
        assert accepts(pair.offline, "INSERT INTO moods (id, m, m2) VALUES (1, 'calm', 'busy')")
    with Applied(config, "postgresql", tmp_path, [*commands[:1], ("downgrade", "head:e1")]) as pair:
        assert pair.differences == []
        with pair.offline.engine().connect() as conn:
            assert (
                conn.exec_driver_sql("SELECT count(*) FROM pg_type WHERE typname = 'mood'").scalar()
                == 1
            )


# ---- item 1: a type that carries a CHECK ---------------------------------------------------

STATUS_OLD = 'sa.Enum("new", "done", name="ck_status", native_enum=False, create_constraint=True)'
STATUS_NEW = (
    'sa.Enum("new", "done", "held", name="ck_status", native_enum=False, create_constraint=True)'
)
CHECKED_TYPES = [
    Rev(
        "k1",
        None,
        "jobs",
        upgrade=f'op.create_table("jobs", sa.Column("id", sa.Integer, primary_key=True),'
        f' sa.Column("status", {STATUS_OLD}), sa.Column("flag", sa.Integer))',
        downgrade='op.drop_table("jobs")',
    ),
    Rev(
        "k2",
        "k1",
        "a status more, a real boolean",
        upgrade=f'op.alter_column("jobs", "status", type_={STATUS_NEW},'
        f" existing_type={STATUS_OLD})"
        '\nop.alter_column("jobs", "flag",'
        ' type_=sa.Boolean(create_constraint=True, name="ck_flag"),'
        ' existing_type=sa.Integer(), postgresql_using="flag::boolean")',
        downgrade=f'op.alter_column("jobs", "status", type_={STATUS_OLD},'
        f" existing_type={STATUS_NEW})"
        '\nop.alter_column("jobs", "flag", type_=sa.Integer(),'
        ' existing_type=sa.Boolean(create_constraint=True, name="ck_flag"),'
        ' postgresql_using="flag::integer")',
    ),
]


@pytest.mark.parametrize("dialect", per_database())
def test_alter_column_swaps_the_check_its_type_carries(
    tmp_path: Path, dialect: DialectName
) -> None:
    config = project(tmp_path, CHECKED_TYPES)
    with Applied(config, dialect, tmp_path, [("upgrade", "base:head")]) as pair:
        assert pair.differences == []
        for database in (pair.offline, pair.online):
            assert accepts(database, "INSERT INTO jobs (id, status) VALUES (1, 'held')")
            assert not accepts(database, "INSERT INTO jobs (id, status) VALUES (1, 'gone')")
            if dialect != "postgresql":  # a native BOOLEAN there: no CHECK to carry
                assert not accepts(database, "INSERT INTO jobs (id, flag) VALUES (1, 5)")
    commands = [("upgrade", "base:head"), ("downgrade", "head:k1")]
    with Applied(config, dialect, tmp_path, commands) as pair:
        assert pair.differences == []
        assert not accepts(pair.offline, "INSERT INTO jobs (id, status) VALUES (1, 'held')")
        assert accepts(pair.offline, "INSERT INTO jobs (id, status, flag) VALUES (1, 'new', 5)")


def test_an_unnamed_check_of_the_old_type_is_an_error(tmp_path: Path) -> None:
    old = "sa.Boolean(create_constraint=True)"
    revisions = [
        Rev("u1", None, "t", upgrade=f'op.create_table("t", sa.Column("b", {old}))'),
        Rev("u2", "u1", "to int", upgrade='op.alter_column("t", "b", type_=sa.Integer())'),
    ]
    config = project(tmp_path, revisions)
    error = mig(config, "mariadb", "upgrade", "base:head", "--sql", code=1)
    assert "CHECK constraint of column b's old type has no name" in error
    assert error.count("\n") == 1


@pytest.mark.parametrize("dialect", per_database("sqlite"))
def test_sqlite_baseline_check_is_replaced_by_the_new_types(
    tmp_path: Path, dialect: DialectName
) -> None:
    """A baseline keeps a type's CHECK as a table CHECK; the rebuild must not keep it."""
    existing = tmp_path / "existing.db"
    with sa.create_engine(f"sqlite:///{existing}").begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE jobs (id INTEGER PRIMARY KEY, status VARCHAR(4),"
            " CONSTRAINT ck_status CHECK (status IN ('new', 'done')))"
        )
    revision = Rev(
        "b1",
        None,
        "a status more",
        upgrade=f'op.alter_column("jobs", "status", type_={STATUS_NEW},'
        f" existing_type={STATUS_OLD})",
    )
    config = project(tmp_path / "p", [revision], url=f"sqlite:///{existing}")
    mig(config, dialect, "baseline", "--from", "database")
    script = mig(config, dialect, "upgrade", "base:head", "--sql")
    assert script.count("CONSTRAINT ck_status") == 1
    with scratch_database(dialect, tmp_path) as database:
        with database.engine().begin() as conn:
            conn.exec_driver_sql(
                "CREATE TABLE jobs (id INTEGER PRIMARY KEY, status VARCHAR(4),"
                " CONSTRAINT ck_status CHECK (status IN ('new', 'done')))"
            )
        database.apply_script(script)
        assert accepts(database, "INSERT INTO jobs (id, status) VALUES (1, 'held')")
        assert not accepts(database, "INSERT INTO jobs (id, status) VALUES (1, 'gone')")


# ---- item 2: batch naming_convention; dropping a constraint nobody knows ------------------

PARENTS_CHILDREN = Rev(
    "f1",
    None,
    "parents and children",
    upgrade="""\
op.create_table("parents", sa.Column("id", sa.Integer, primary_key=True))
op.create_table(
    "children",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("parents.id")),
)""",
)
CASCADE = Rev(
    "f2",
    "f1",
    "children go with their parent",
    upgrade="""\
convention = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
with op.batch_alter_table("children", naming_convention=convention) as batch_op:
    batch_op.drop_constraint("fk_children_parent_id_parents", type_="foreignkey")
    batch_op.create_foreign_key(
        "fk_children_parent_id_parents", "parents", ["parent_id"], ["id"], ondelete="CASCADE"
    )""",
)


@pytest.mark.parametrize("dialect", per_database("sqlite"))
def test_sqlite_batch_names_unnamed_constraints_by_its_convention(
    tmp_path: Path, dialect: DialectName
) -> None:
    config = project(tmp_path, [PARENTS_CHILDREN, CASCADE])
    with Applied(config, dialect, tmp_path, [("upgrade", "base:head")]) as pair:
        assert pair.differences == []
        for database in (pair.offline, pair.online):
            keys = sa.inspect(database.engine()).get_foreign_keys("children")
            assert [(k["name"], k["options"].get("ondelete")) for k in keys] == [
                ("fk_children_parent_id_parents", "CASCADE")
            ]


UNKNOWN_DROP = Rev(
    "f2",
    "f1",
    "a name nobody gave",
    upgrade='op.drop_constraint("fk_nobody_gave", "children", type_="foreignkey")',
)


@pytest.mark.parametrize("dialect", NAMES)
def test_dropping_a_constraint_the_schema_cannot_have_is_an_error(
    tmp_path: Path, dialect: str
) -> None:
    named = Rev(
        "f1",
        None,
        "named only",
        upgrade='op.create_table("children", sa.Column("id", sa.Integer),'
        ' sa.Column("p", sa.Integer), sa.CheckConstraint("p > 0", name="ck_children_p"),'
        ' sa.PrimaryKeyConstraint("id", name="pk_children"))',
    )
    config = project(tmp_path, [named, UNKNOWN_DROP])
    error = mig(config, dialect, "upgrade", "base:head", "--sql", code=1)
    assert "table children has no constraint 'fk_nobody_gave'" in error
    assert "(it knows: ck_children_p, pk_children)" in error
    assert error.count("\n") == 1


def test_sqlite_refuses_a_name_an_unnamed_constraint_never_had(tmp_path: Path) -> None:
    """SQLite keeps no name for the unnamed foreign key: the drop was a silent no-op (and a
    pointless rebuild); the old foreign key survived beside the new one."""
    config = project(tmp_path, [PARENTS_CHILDREN, UNKNOWN_DROP])
    error = mig(config, "sqlite", "upgrade", "base:head", "--sql", code=1)
    assert "has no constraint 'fk_nobody_gave'" in error


@pytest.mark.postgresql
def test_postgresql_drops_an_unnamed_foreign_key_by_its_generated_name(tmp_path: Path) -> None:
    drop = Rev(
        "f2",
        "f1",
        "by the server's name",
        upgrade='op.drop_constraint("children_parent_id_fkey", "children", type_="foreignkey")',
    )
    config = project(tmp_path, [PARENTS_CHILDREN, drop])
    with Applied(config, "postgresql", tmp_path, [("upgrade", "base:head")]) as pair:
        assert pair.differences == []
        assert sa.inspect(pair.offline.engine()).get_foreign_keys("children") == []
