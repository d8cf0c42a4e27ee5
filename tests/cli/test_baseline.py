"""Baselines: deterministic JSON, written from a reflected database or the models, read back
into a SchemaState that agrees with what was recorded."""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from helpers import make_project

from offline_sql.autogen import compare, state_from_metadata
from offline_sql.baseline import BASELINE_FILE, load_baseline
from offline_sql.baseline_command import baseline_json, reflect_state, write_baseline
from offline_sql.config import Config, load_config
from offline_sql.errors import ConfigError, DatabaseError, OutputError
from offline_sql.schema_items import RawType

SCHEMA = """
CREATE TABLE users (
    id INTEGER NOT NULL PRIMARY KEY,
    name VARCHAR(50) NOT NULL DEFAULT 'anon',
    score NUMERIC(10, 2),
    CONSTRAINT uq_users_name UNIQUE (name)
);
CREATE TABLE posts (
    id INTEGER NOT NULL PRIMARY KEY,
    user_id INTEGER NOT NULL,
    body TEXT,
    CONSTRAINT fk_posts_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_posts_user ON posts (user_id);
CREATE TABLE mig_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);
"""


@pytest.fixture
def database(tmp_path: Path) -> str:
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as connection:
        connection.executescript(SCHEMA)
    connection.close()
    return f"sqlite:///{path}"


def sqlite_project(root: Path, url: str, target: str | None = None) -> Config:
    settings: dict[str, str] = {"script_location": "migrations", "url": url}
    if target is not None:
        settings["target_metadata"] = target
    return load_config(make_project(root, (), settings=dict(settings)))


def reflected(url: str) -> sa.MetaData:
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    with engine.connect() as connection:
        metadata.reflect(connection)
    engine.dispose()
    metadata.remove(metadata.tables["mig_version"])
    return metadata


def test_database_baseline_reads_back_as_what_reflection_says(
    tmp_path: Path, database: str
) -> None:
    config = sqlite_project(tmp_path / "project", database)
    path = write_baseline(config, "database")
    assert path == config.script_location / BASELINE_FILE
    state = load_baseline(config.script_location)
    assert state is not None
    assert sorted(state.tables) == [(None, "posts"), (None, "users")]
    assert compare(reflected(database), state, "sqlite") == []
    users = state.tables[(None, "users")]
    assert list(users.columns) == ["id", "name", "score"]
    assert users.columns["name"].nullable is False
    posts = state.tables[(None, "posts")]
    assert [(fk.name, fk.referent_table, fk.ondelete) for fk in posts.foreign_keys] == [
        ("fk_posts_user", "users", "CASCADE")
    ]
    assert list(posts.indexes) == ["ix_posts_user"]


def test_json_is_deterministic(tmp_path: Path, database: str) -> None:
    first = baseline_json(reflect_state(database), "sqlite", "database")
    second = baseline_json(reflect_state(database), "sqlite", "database")
    assert first == second
    assert first.endswith("}\n")
    document = json.loads(first)
    assert (document["format"], document["version"], document["dialect"]) == (
        "mig-baseline",
        1,
        "sqlite",
    )
    assert json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n" == first


def test_types_record_sqlalchemy_form_and_compiled_text(database: str) -> None:
    document = json.loads(baseline_json(reflect_state(database), "sqlite", "database"))
    users = next(t for t in document["tables"] if t["name"] == "users")
    types = {c["name"]: c["type"] for c in users["columns"]}
    assert types["name"] == {"sqlalchemy": "sa.String(length=50)", "compiled": "VARCHAR(50)"}
    assert types["score"]["compiled"] == "NUMERIC(10, 2)"


def test_unknown_sqlalchemy_form_falls_back_to_the_recorded_text(tmp_path: Path) -> None:
    state = state_from_metadata(_models())
    text = baseline_json(state, "postgresql", "models")
    document = json.loads(text)
    document["tables"][0]["columns"][1]["type"]["sqlalchemy"] = "__import__('os').getcwd()"
    location = tmp_path / "migrations"
    location.mkdir()
    (location / BASELINE_FILE).write_text(json.dumps(document), encoding="utf-8")
    loaded = load_baseline(location)
    assert loaded is not None
    column = loaded.tables[(None, "things")].columns["label"]
    assert isinstance(column.type, RawType) and column.type.spec == "VARCHAR(30)"


def _models() -> sa.MetaData:
    metadata = sa.MetaData()
    sa.Table(
        "things",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("label", sa.String(30), server_default="it's", comment="ünï"),
        sa.Index("ix_things_lower", sa.text("lower(label)")),
    )
    return metadata


@pytest.fixture
def models_module(tmp_path: Path) -> Iterator[str]:
    name = f"baseline_models_{tmp_path.name.replace('-', '_')}"
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / f"{name}.py").write_text(
        "import sqlalchemy as sa\n"
        "metadata = sa.MetaData()\n"
        "sa.Table('things', metadata, sa.Column('id', sa.Integer, primary_key=True),\n"
        "         sa.Column('label', sa.String(30), server_default=\"it's\"))\n",
        encoding="utf-8",
    )
    yield name
    sys.modules.pop(name, None)


def test_models_baseline(tmp_path: Path, models_module: str) -> None:
    config = sqlite_project(tmp_path / "project", "sqlite:///app.db", f"{models_module}:metadata")
    write_baseline(config, "models")
    state = load_baseline(config.script_location)
    assert state is not None
    from offline_sql.autogen import load_target_metadata

    assert compare(load_target_metadata(config), state, "sqlite") == []


def test_baseline_is_written_once(tmp_path: Path, database: str) -> None:
    config = sqlite_project(tmp_path / "project", database)
    write_baseline(config, "database")
    with pytest.raises(OutputError, match="already exists"):
        write_baseline(config, "database")


def test_no_baseline_is_none(tmp_path: Path) -> None:
    assert load_baseline(tmp_path) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not a readable baseline"),
        ('{"format": "other"}', "not a mig baseline"),
        ('{"format": "mig-baseline", "version": 99}', "version 99 is not supported"),
        ('{"format": "mig-baseline", "version": 1, "dialect": "sqlite"}', "invalid baseline"),
        (
            '{"format": "mig-baseline", "version": 1, "dialect": "db2", "tables": []}',
            "baseline.json: unknown dialect 'db2'",
        ),
    ],
)
def test_broken_baseline_is_a_config_error(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / BASELINE_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_baseline(tmp_path)


def test_unreachable_database_is_one_error_line(tmp_path: Path) -> None:
    """A database that refuses the connection is a DatabaseError naming the URL, not the
    driver's traceback."""
    url = f"sqlite:///{tmp_path / 'no such folder' / 'app.db'}"
    config = sqlite_project(tmp_path / "project", url)
    with pytest.raises(DatabaseError, match=r"cannot connect to sqlite:///.*unable to open"):
        write_baseline(config, "database")
    assert not (config.script_location / BASELINE_FILE).exists()


def test_database_source_needs_a_url(tmp_path: Path) -> None:
    config = sqlite_project(tmp_path / "project", "sqlite:///app.db")
    without = Config(**{**config.__dict__, "url": None, "dialect": "sqlite"})
    with pytest.raises(ConfigError, match="no `url`"):
        write_baseline(without, "database")
