"""``alembic.ini`` (and ``env.py``, read with ast) as mig's configuration."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import Rev, write_revisions
from stepcache_helpers import mig, ok

from offline_sql.config import find_config_file, load_config
from offline_sql.config_ini import IniWarning
from offline_sql.errors import ConfigError

ENV_PY = """
from logging.config import fileConfig
from alembic import context
from myapp.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online():
    context.configure(
        connection=None,
        target_metadata=target_metadata,
        version_table="schema_history",
        version_table_schema="ops",
        compare_type=True,
        transaction_per_migration=True,
    )
"""


def write_ini(root: Path, body: str, name: str = "alembic.ini") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "migrations" / "versions").mkdir(parents=True, exist_ok=True)
    path = root / name
    path.write_text(body)
    return path


def test_ini_settings_and_here(tmp_path: Path) -> None:
    ini = write_ini(
        tmp_path,
        "[alembic]\nscript_location = %(here)s/migrations\nprepend_sys_path = . lib\n"
        "sqlalchemy.url = sqlite:///app.db\nfile_template = %%(rev)s_%%(slug)s\n",
    )
    config = load_config(ini, environ={})
    assert config.script_location == (tmp_path / "migrations").resolve()
    assert config.version_table == "alembic_version"
    assert config.dialect == "sqlite" and config.url is not None and "app.db" in config.url
    assert config.prepend_sys_path == (tmp_path.resolve(), (tmp_path / "lib").resolve())
    assert config.file_template == "%(rev)s_%(slug)s"
    assert config.ini_section == "alembic"


def test_found_without_mig_toml_and_mig_toml_wins(tmp_path: Path) -> None:
    ini = write_ini(tmp_path, "[alembic]\nscript_location = migrations\n")
    (tmp_path / "sub").mkdir()
    assert find_config_file(tmp_path / "sub") == ini.resolve()
    (tmp_path / "mig.toml").write_text('script_location = "migrations"\n')
    assert find_config_file(tmp_path).name == "mig.toml"


def test_section_name_selects_the_ini_section(tmp_path: Path) -> None:
    ini = write_ini(
        tmp_path,
        "[alembic]\nscript_location = migrations\n"
        "[reporting]\nscript_location = migrations\nsqlalchemy.url = sqlite:///reporting.db\n",
    )
    assert load_config(ini, environ={}).url is None
    other = load_config(ini, environ={}, section="reporting")
    assert other.url is not None and "reporting.db" in other.url
    with pytest.raises(ConfigError, match=r"no \[nope\] section"):
        load_config(ini, environ={}, section="nope")


def test_env_py_settings_are_read_without_running_it(tmp_path: Path) -> None:
    ini = write_ini(tmp_path, "[alembic]\nscript_location = migrations\n")
    (tmp_path / "migrations" / "env.py").write_text(ENV_PY)  # importing it would fail
    config = load_config(ini, environ={})
    assert config.target_metadata == "myapp.models:Base.metadata"
    assert config.version_table == "schema_history"
    assert config.version_table_schema == "ops"
    assert config.transaction_per_migration is True


def test_ignored_settings_are_named_in_one_warning(tmp_path: Path) -> None:
    ini = write_ini(
        tmp_path,
        "[alembic]\nscript_location = migrations\nsourceless = true\n"
        "sqlalchemy.url = driver://user:pass@localhost/dbname\n"
        "[post_write_hooks]\nhooks = black\n",
    )
    with pytest.warns(IniWarning) as caught:
        config = load_config(ini, environ={})
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "sourceless" in message and "sqlalchemy.url" in message and "post_write_hooks" in message
    assert config.url is None


def test_cli_prints_the_ignored_settings_on_stderr(tmp_path: Path) -> None:
    write_ini(tmp_path, "[alembic]\nscript_location = migrations\nsourceless = true\n")
    outcome = mig(tmp_path, "--dialect", "sqlite", "heads")
    assert outcome.exit_code == 0, outcome.stderr
    assert len(outcome.warnings) == 1 and "ignores sourceless" in outcome.warnings[0]


def test_package_resource_location_is_refused(tmp_path: Path) -> None:
    ini = write_ini(tmp_path, "[alembic]\nscript_location = myapp:migrations\n")
    with pytest.raises(ConfigError, match="package resource"):
        load_config(ini, environ={})


def test_version_locations_prepend_sys_path_and_file_template(tmp_path: Path) -> None:
    write_ini(
        tmp_path,
        "[alembic]\nscript_location = migrations\n"
        "version_locations = %(here)s/migrations/versions %(here)s/more\n"
        "prepend_sys_path = .\nfile_template = %%(slug)s_%%(rev)s\n",
    )
    (tmp_path / "helper_i15ini.py").write_text("TABLE = 'from_helper'\n")
    write_revisions(
        tmp_path / "more",
        [
            Rev(
                "b2",
                "a1",
                "second",
                prelude="import helper_i15ini\n",
                upgrade="op.create_table(helper_i15ini.TABLE, sa.Column('id', sa.Integer))",
            )
        ],
    )
    write_revisions(tmp_path / "migrations" / "versions", [Rev("a1", None, "first")])
    sql = ok(mig(tmp_path, "--dialect", "sqlite", "upgrade", "head", "--sql"))
    assert "CREATE TABLE from_helper" in sql and "alembic_version" in sql
    ok(mig(tmp_path, "revision", "-m", "Third One", "--rev-id", "c3"))
    assert (tmp_path / "migrations" / "versions" / "third_one_c3.py").is_file()
