"""One longer history that mixes what the golden scenarios show one at a time: renames back
and forth, a table dropped and created again under its name in one step, raw DDL the replay
parses, batch alters, enums, constraints and indexes. The cached and the uncached runs must
agree on every dialect, on the state at every revision, on a downgrade and on ranges.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import Rev, make_project
from stepcache_helpers import Imports, count_imports, describe_state, mig, scratch_folder

from golden import DIALECTS

HISTORY = [
    Rev(
        "s01",
        None,
        "users and posts",
        upgrade='op.create_table("users", sa.Column("id", sa.Integer, primary_key=True),\n'
        '    sa.Column("name", sa.String(50), nullable=False),\n'
        '    sa.Column("status", sa.Enum("new", "old", name="user_status"), nullable=False,\n'
        '        server_default="new"))\n'
        'op.create_table("posts", sa.Column("id", sa.Integer, primary_key=True),\n'
        '    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", name="fk_posts_user")),\n'
        '    sa.Column("title", sa.String(100)))\n'
        'op.create_index("ix_posts_title", "posts", ["title"])',
        downgrade='op.drop_table("posts")\nop.drop_table("users")',
    ),
    Rev(
        "s02",
        "s01",
        "rename users",
        upgrade='op.rename_table("users", "accounts")',
        downgrade='op.rename_table("accounts", "users")',
    ),
    Rev(
        "s03",
        "s02",
        "rename name",
        upgrade='op.alter_column("accounts", "name", new_column_name="full_name")',
        downgrade='op.alter_column("accounts", "full_name", new_column_name="name")',
    ),
    Rev(
        "s04",
        "s03",
        "raw audit table",
        upgrade='op.execute("CREATE TABLE audit (id INTEGER PRIMARY KEY, note VARCHAR(20))")',
        downgrade='op.execute("DROP TABLE audit")',
    ),
    Rev(
        "s05",
        "s04",
        "posts again",
        upgrade='op.drop_index("ix_posts_title", table_name="posts")\n'
        'op.drop_table("posts")\n'
        'op.create_table("posts", sa.Column("id", sa.Integer, primary_key=True),\n'
        '    sa.Column("body", sa.Text, nullable=False))',
        downgrade='op.drop_table("posts")\n'
        'op.create_table("posts", sa.Column("id", sa.Integer, primary_key=True),\n'
        '    sa.Column("user_id", sa.Integer,\n'
        '        sa.ForeignKey("accounts.id", name="fk_posts_user")),\n'
        '    sa.Column("title", sa.String(100)))\n'
        'op.create_index("ix_posts_title", "posts", ["title"])',
    ),
    Rev(
        "s06",
        "s05",
        "batch accounts",
        upgrade='with op.batch_alter_table("accounts") as batch:\n'
        '    batch.add_column(sa.Column("email", sa.String(120), nullable=True))\n'
        '    batch.alter_column("full_name", type_=sa.String(80))\n'
        '    batch.create_unique_constraint("uq_accounts_email", ["email"])',
        downgrade='with op.batch_alter_table("accounts") as batch:\n'
        '    batch.drop_constraint("uq_accounts_email", type_="unique")\n'
        '    batch.alter_column("full_name", type_=sa.String(50))\n'
        '    batch.drop_column("email")',
    ),
    Rev(
        "s07",
        "s06",
        "checks and defaults",
        upgrade='op.add_column("audit", sa.Column("level", sa.Integer, nullable=False,\n'
        '    server_default="1"))\n'
        'op.create_check_constraint("ck_audit_level", "audit", "level > 0")\n'
        'op.create_index("ix_audit_level", "audit", ["level"], unique=False)',
        downgrade='op.drop_index("ix_audit_level", table_name="audit")\n'
        'op.drop_constraint("ck_audit_level", "audit", type_="check")\n'
        'op.drop_column("audit", "level")',
    ),
    Rev(
        "s08",
        "s07",
        "names back",
        upgrade='op.drop_table("audit")\nop.rename_table("accounts", "users")',
        downgrade='op.rename_table("users", "accounts")\n'
        'op.create_table("audit", sa.Column("id", sa.Integer, primary_key=True),\n'
        '    sa.Column("note", sa.String(20)))',
    ),
    Rev(
        "s09",
        "s08",
        "short lived",
        upgrade='op.create_table("scratch", sa.Column("id", sa.Integer, primary_key=True))\n'
        'op.bulk_insert(sa.table("scratch", sa.column("id", sa.Integer)), [{"id": 1}])\n'
        'op.drop_table("scratch")\n'
        'op.alter_column("users", "status", existing_type=sa.Enum("new", "old",\n'
        '    name="user_status"), nullable=True)',
        downgrade='op.alter_column("users", "status", existing_type=sa.Enum("new", "old",\n'
        '    name="user_status"), nullable=False)',
    ),
]


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Path]:
    yield from scratch_folder(tmp_path)


@pytest.fixture
def imports(monkeypatch: pytest.MonkeyPatch) -> Imports:
    return count_imports(monkeypatch)


COMMANDS = (
    ("upgrade", "base:head", "--sql"),
    ("upgrade", "s04:head", "--sql"),
    ("upgrade", "s02:s07", "--sql"),
    ("upgrade", "s04:head", "--sql", "--strict"),
    ("downgrade", "head:base", "--sql"),
    ("downgrade", "s07:s03", "--sql"),
)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_command_prints_the_same_cold_warm_and_uncached(
    scratch: Path, imports: Imports, dialect: str
) -> None:
    make_project(scratch, HISTORY, settings={"script_location": "migrations", "dialect": dialect})
    for args in COMMANDS:
        cold = mig(scratch, *args)
        imports.take()
        warm = mig(scratch, *args)
        ran_warm = imports.take()
        uncached = mig(scratch, *args, no_cache=True)
        assert cold == warm == uncached, args
        if cold.exit_code == 0 and "--strict" not in args:  # a review runs what it reviews
            assert ran_warm == [], args


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_folded_state_equals_the_replayed_state_at_every_revision(
    scratch: Path, imports: Imports, dialect: str
) -> None:
    from offline_sql.config import load_config
    from offline_sql.project import Project, replay_state
    from offline_sql.records import replace

    config_file = make_project(
        scratch, HISTORY, settings={"script_location": "migrations", "dialect": dialect}
    )
    config = load_config(config_file)
    cached = Project.load(config)
    uncached = Project.load(replace(config, cache_dir=None))
    targets = [(rev.id,) for rev in HISTORY]

    def state(project: Any, heads: tuple[str, ...]) -> tuple[Any, ...]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return describe_state(replay_state(project, heads))

    state(cached, targets[-1])
    assert len(imports.take()) == len(HISTORY)
    for heads in targets:
        warm = state(cached, heads)
        assert imports.take() == [], heads
        assert warm == state(uncached, heads), heads
        imports.take()
