"""The Python API (``offline_sql.upgrade`` ...): config, URL, Engine or Connection; results
as data; the same errors as the command line."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from helpers import Rev, make_project
from sqlalchemy.pool import NullPool

import offline_sql
from offline_sql.api import Current, Migrated
from offline_sql.config import load_config
from offline_sql.errors import MigError, UsageError

HISTORY = (
    Rev(
        "a1",
        message="accounts",
        upgrade='op.create_table("accounts", sa.Column("id", sa.Integer, primary_key=True))',
        downgrade='op.drop_table("accounts")',
    ),
    Rev(
        "b2",
        "a1",
        message="email",
        upgrade='op.add_column("accounts", sa.Column("email", sa.String(100)))',
        downgrade='op.drop_column("accounts", "email")',
    ),
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(
        tmp_path / "app",
        HISTORY,
        settings={"script_location": "migrations", "url": "sqlite:///app.db", "cache": False},
    )


def columns(url: str, table: str) -> list[str]:
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        return [column["name"] for column in sa.inspect(engine).get_columns(table)]
    finally:
        engine.dispose()


def test_upgrade_from_the_config_path_then_again_changes_nothing(project: Path) -> None:
    first = offline_sql.upgrade("head", config=project)
    assert first == Migrated(before=(), after=("b2",))
    assert first.changed
    again = offline_sql.upgrade(config=str(project))
    assert again == Migrated(before=("b2",), after=("b2",))
    assert not again.changed
    assert columns(f"sqlite:///{project.parent / 'app.db'}", "accounts") == ["id", "email"]


def test_current_returns_data(project: Path) -> None:
    config = load_config(project)
    assert offline_sql.current(config=config) == Current(revisions=(), heads=("b2",))
    offline_sql.upgrade("a1", config=config)
    now = offline_sql.current(config=config)
    assert now.revisions == ("a1",)
    assert not now.at_head
    offline_sql.upgrade(config=config)
    assert offline_sql.current(config=config).at_head


def test_downgrade_and_stamp(project: Path) -> None:
    offline_sql.upgrade(config=project)
    assert offline_sql.downgrade("a1", config=project) == Migrated(("b2",), ("a1",))
    assert offline_sql.stamp("b2", config=project) == Migrated(("a1",), ("b2",))
    assert offline_sql.stamp("a1", config=project) == Migrated(("b2",), ("a1",))
    assert offline_sql.downgrade("base", config=project).after == ()


def test_a_url_overrides_the_configured_one(project: Path, tmp_path: Path) -> None:
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert offline_sql.upgrade(config=project, url=other).changed
    assert columns(other, "accounts") == ["id", "email"]
    assert not (project.parent / "app.db").exists()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'engine.db'}")
    yield engine
    engine.dispose()


def test_the_applications_engine(project: Path, engine: sa.Engine) -> None:
    assert offline_sql.upgrade(config=project, engine=engine).after == ("b2",)
    assert offline_sql.current(config=project, engine=engine).at_head
    with engine.connect() as conn:  # still usable: mig did not dispose it
        assert conn.execute(sa.text("SELECT version_num FROM mig_version")).scalar() == "b2"


def test_the_applications_connection_stays_open(project: Path, engine: sa.Engine) -> None:
    with engine.connect() as conn:
        assert offline_sql.upgrade(config=project, connection=conn).changed
        assert not conn.closed
        assert offline_sql.current(config=project, connection=conn).revisions == ("b2",)
        assert conn.execute(sa.text("SELECT count(*) FROM accounts")).scalar() == 0


def test_a_failed_revision_on_the_applications_engine_rolls_back(
    project: Path, engine: sa.Engine
) -> None:
    """The application's engine has no transactional-DDL recipe: the lock's transaction
    (SQLite: BEGIN IMMEDIATE) still covers the run's DDL."""
    bad = Rev(
        "c3",
        "b2",
        message="bad",
        upgrade=(
            'op.create_table("t", sa.Column("x", sa.Integer))\n'
            'op.execute("SELECT * FROM missing")'
        ),
    )
    make_project(
        project.parent,
        (*HISTORY, bad),
        settings={"script_location": "migrations", "url": "sqlite:///app.db", "cache": False},
    )
    with pytest.raises(MigError, match="missing"):
        offline_sql.upgrade(config=project, engine=engine)
    assert sa.inspect(engine).get_table_names() == []


def test_one_database_only(project: Path, engine: sa.Engine) -> None:
    with pytest.raises(UsageError, match="url and engine"):
        offline_sql.upgrade(config=project, url="sqlite://", engine=engine)


def test_errors_are_mig_errors(project: Path) -> None:
    with pytest.raises(MigError, match="'zz'"):
        offline_sql.upgrade("zz", config=project)


def test_check_without_a_database(tmp_path: Path) -> None:
    module = f"models_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{module}.py").write_text(
        "import sqlalchemy as sa\nmetadata = sa.MetaData()\n"
        'sa.Table("accounts", metadata, sa.Column("id", sa.Integer, primary_key=True))\n',
        encoding="utf-8",
    )
    config = make_project(
        tmp_path,
        HISTORY[:1],
        settings={
            "script_location": "migrations",
            "dialect": "sqlite",
            "target_metadata": f"{module}:metadata",
        },
    )
    try:
        assert offline_sql.check(config=config) == []
    finally:
        sys.modules.pop(module, None)
