"""autogenerate() and check() on a project on disk: replayed history against target_metadata."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from databases import ScratchDatabase
from helpers import BRANCHED, Rev, make_project

from offline_sql.autogen import autogenerate, check, compare, describe, load_target_metadata
from offline_sql.config import Config, load_config
from offline_sql.errors import ConfigError, MultipleHeadsError

CREATE_USERS = """op.create_table(
    "users",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("name", sa.String(length=50), nullable=True),
    sa.PrimaryKeyConstraint("id"),
)"""

MODELS = """
import sqlalchemy as sa

metadata = sa.MetaData()
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("email", sa.String(200), index=True),
)
posts = sa.Table(
    "posts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", name="fk_posts_user")),
)
"""


@pytest.fixture
def module_name(tmp_path: Path) -> Iterator[str]:
    """A models module name unique to the test; forgotten afterwards."""
    name = f"models_{tmp_path.name.replace('-', '_')}"
    yield name
    sys.modules.pop(name, None)


def project(root: Path, module: str, revisions: tuple[Rev, ...]) -> Config:
    config = make_project(
        root,
        revisions,
        settings={
            "script_location": "migrations",
            "dialect": "sqlite",
            "target_metadata": f"{module}:metadata",
        },
    )
    (root / f"{module}.py").write_text(MODELS, encoding="utf-8")
    return load_config(config)


def test_check_lists_differences(tmp_path: Path, module_name: str) -> None:
    config = project(tmp_path, module_name, (Rev("aaa1", None, "users", upgrade=CREATE_USERS),))
    lines = check(config)
    assert any("posts" in line and "add it" in line for line in lines), lines
    assert any("users.name" in line and "VARCHAR(50) -> VARCHAR(120)" in line for line in lines)
    assert any("users.email" in line for line in lines)


def test_autogenerate_then_check_is_clean(tmp_path: Path, module_name: str) -> None:
    config = project(tmp_path, module_name, (Rev("aaa1", None, "users", upgrade=CREATE_USERS),))
    path = autogenerate(config, "sync models", rev_id="bbb2")
    text = path.read_text(encoding="utf-8")
    compile(text, str(path), "exec")
    assert 'down_revision = "aaa1"' in text
    assert "op.create_table(" in text and "op.alter_column(" in text
    assert 'op.drop_table("posts")' in text
    assert check(config) == []


def test_autogenerate_from_empty_history(tmp_path: Path, module_name: str) -> None:
    config = project(tmp_path, module_name, ())
    path = autogenerate(config, "initial", rev_id="aaa1")
    assert "down_revision = None" in path.read_text(encoding="utf-8")
    assert check(config) == []


def test_several_heads_must_be_merged_first(tmp_path: Path, module_name: str) -> None:
    config = project(tmp_path, module_name, BRANCHED)
    with pytest.raises(MultipleHeadsError, match="mig merge heads"):
        check(config)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (None, "no `target_metadata`"),
        ("nomodule_xyz:metadata", "cannot import"),
        ("{module}:missing", "has no attribute"),
        ("{module}:users", "not a sqlalchemy MetaData"),
        ("justamodule", "must look like"),
    ],
)
def test_target_metadata_errors_name_the_key(
    tmp_path: Path, module_name: str, setting: str | None, message: str
) -> None:
    config = project(tmp_path, module_name, ())
    spec = None if setting is None else setting.format(module=module_name)
    broken = Config(**{**config.__dict__, "target_metadata": spec})
    with pytest.raises(ConfigError, match=message):
        load_target_metadata(broken)


@pytest.mark.parametrize("fixture", ["postgresql_database", "sqlite_database"])
def test_round_trip_on_a_real_database(
    tmp_path: Path, module_name: str, fixture: str, request: pytest.FixtureRequest
) -> None:
    """Autogenerate from the replayed history, render the whole upgrade offline, apply it
    with the database's own client, and the reflected database agrees with the models.

    MariaDB is not here yet: its reflection reports display widths (``INTEGER(11)``) and
    the indexes it creates for foreign keys, which reflect_state does not normalize."""
    any_database: ScratchDatabase = request.getfixturevalue(fixture)
    from offline_sql.baseline_command import reflect_state
    from offline_sql.migrate import upgrade

    config = project(tmp_path, module_name, (Rev("aaa1", None, "users", upgrade=CREATE_USERS),))
    config = Config(**{**config.__dict__, "dialect": any_database.dialect})
    autogenerate(config, "sync models", rev_id="bbb2")
    script = upgrade(config, "head", sql=True)
    assert script is not None
    any_database.apply_script(script)
    version = (config.version_table_schema, config.version_table)
    found = reflect_state(any_database.url.render_as_string(hide_password=False))
    found.drop_table(version)
    diffs = compare(load_target_metadata(config), found, any_database.dialect)
    assert [describe(op) for op in diffs] == []
