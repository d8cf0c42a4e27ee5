"""Config discovery, validation messages and precedence (file < environment < --dialect)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import make_project

from offline_sql.config import find_config_file, load_config
from offline_sql.dialect_api.registry import resolve_file_url
from offline_sql.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# ---- discovery --------------------------------------------------------------------------


def test_finds_mig_toml_in_a_parent(tmp_path: Path) -> None:
    config = make_project(tmp_path)
    deep = tmp_path / "src" / "app"
    deep.mkdir(parents=True)
    assert find_config_file(deep) == config.resolve()


def test_finds_pyproject_with_tool_mig(tmp_path: Path) -> None:
    config = make_project(tmp_path, pyproject=True)
    assert find_config_file(tmp_path) == config.resolve()
    assert load_config(cwd=tmp_path).config_file == config.resolve()


def test_skips_pyproject_without_tool_mig(tmp_path: Path) -> None:
    config = make_project(tmp_path)
    inner = tmp_path / "pkg"
    write(inner / "pyproject.toml", '[project]\nname = "pkg"\n')
    assert find_config_file(inner) == config.resolve()


def test_mig_toml_and_tool_mig_in_one_folder_is_an_error(tmp_path: Path) -> None:
    make_project(tmp_path, pyproject=True)
    write(tmp_path / "mig.toml", 'script_location = "migrations"\n')
    with pytest.raises(ConfigError, match="both configure mig"):
        find_config_file(tmp_path)


def test_no_config_suggests_init(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="run `mig init`"):
        load_config(cwd=tmp_path)


def test_explicit_file_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml does not exist"):
        load_config(tmp_path / "nope.toml")


def test_explicit_pyproject_without_tool_mig(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n')
    with pytest.raises(ConfigError, match=r"no \[tool.mig\] table"):
        load_config(path)


# ---- values -----------------------------------------------------------------------------


def test_defaults_and_paths_relative_to_the_config_file(tmp_path: Path) -> None:
    config_path = make_project(tmp_path, settings={"script_location": "db/migs"})
    config = load_config(config_path)
    assert config.script_location == (tmp_path / "db" / "migs").resolve()
    assert config.versions_dir == config.script_location / "versions"
    assert config.version_table == "mig_version"
    assert config.version_table_schema is None
    assert config.transaction_per_migration is False
    assert config.review_allow == ()
    assert config.dialect is None
    assert config.cache_dir == config.script_location / ".mig_cache"


def test_every_key_is_read(tmp_path: Path) -> None:
    settings: dict[str, str | bool | list[str]] = {
        "script_location": "m",
        "dialect": "postgresql",
        "url": "postgresql://localhost/app",
        "version_table": "versions",
        "version_table_schema": "meta",
        "target_metadata": "app.models:metadata",
        "transaction_per_migration": True,
        "postgresql_lock_timeout": "5s",
        "postgresql_statement_timeout": "500ms",
        "review_allow": ["drop-table"],
        "cache_dir": ".cache",
    }
    config = load_config(make_project(tmp_path, settings=settings))
    assert config.dialect == "postgresql"
    assert config.url == "postgresql://localhost/app"
    assert config.version_table == "versions"
    assert config.version_table_schema == "meta"
    assert config.target_metadata == "app.models:metadata"
    assert config.transaction_per_migration is True
    assert config.postgresql_lock_timeout == "5s"
    assert config.postgresql_statement_timeout == "500ms"
    assert config.review_allow == ("drop-table",)
    assert config.cache_dir == (tmp_path / ".cache").resolve()


@pytest.mark.parametrize(
    ("url", "dialect"),
    [
        ("postgresql+psycopg://u@h/db", "postgresql"),
        ("postgres://u@h/db", "postgresql"),
        ("mysql+pymysql://root@h/db", "mysql"),
        ("mariadb://root@h/db", "mariadb"),
        ("sqlite:///app.db", "sqlite"),
        ("mssql+pyodbc://h/db", "mssql"),
        ("oracle://h/db", "oracle"),
    ],
)
def test_dialect_derived_from_url(tmp_path: Path, url: str, dialect: str) -> None:
    config = load_config(make_project(tmp_path, settings={"url": url}))
    assert config.dialect == dialect
    assert config.dialect_name == dialect


def test_no_dialect_at_all_names_every_way_out(tmp_path: Path) -> None:
    config = load_config(make_project(tmp_path, settings={"script_location": "m"}))
    with pytest.raises(ConfigError, match=r"MIG_DIALECT.*--dialect"):
        config.require_dialect()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///app.db", "sqlite:///{base}/app.db"),
        ("sqlite:///data/app.db?mode=ro", "sqlite:///{base}/data/app.db?mode=ro"),
        ("sqlite+pysqlite:///app.db", "sqlite+pysqlite:///{base}/app.db"),
        ("sqlite:////abs/app.db", "sqlite:////abs/app.db"),
        ("sqlite:///:memory:", "sqlite:///:memory:"),
        ("sqlite://", "sqlite://"),
        ("postgresql:///app", "postgresql:///app"),
    ],
)
def test_sqlite_paths_resolve_against_the_config_folder(
    tmp_path: Path, url: str, expected: str
) -> None:
    base = tmp_path.resolve().as_posix()
    assert resolve_file_url(url, tmp_path) == expected.format(base=base)


# ---- errors name the file and the key ---------------------------------------------------


def test_unknown_key_suggests_a_close_match(tmp_path: Path) -> None:
    path = write(tmp_path / "mig.toml", 'script_locaton = "migrations"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message
    assert "'script_locaton'" in message
    assert "did you mean 'script_location'" in message


def test_unknown_key_in_pyproject_names_the_table(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", '[tool.mig]\nurll = "sqlite://"\n')
    with pytest.raises(ConfigError, match=r"pyproject.toml \[tool.mig\]: unknown key 'urll'"):
        load_config(path)


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("script_location = 3", "script_location"),
        ('transaction_per_migration = "yes"', "transaction_per_migration"),
        ('review_allow = "drop-table"', "review_allow"),
        ("review_allow = [1]", "review_allow"),
        ("dialect = true", "dialect"),
        ('postgresql_lock_timeout = "soon"', "postgresql_lock_timeout"),
        ('version_table = ""', "version_table"),
    ],
)
def test_wrong_type_names_file_and_key(tmp_path: Path, line: str, key: str) -> None:
    path = write(tmp_path / "mig.toml", line + "\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value)
    assert f"key {key!r} must " in str(info.value)


def test_unknown_dialect_lists_the_valid_ones(tmp_path: Path) -> None:
    path = write(tmp_path / "mig.toml", 'dialect = "postgress"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "key 'dialect'" in message
    assert "did you mean 'postgresql'" in message
    assert "postgresql, mysql, mariadb, sqlite, mssql, oracle" in message


def test_url_of_unknown_database(tmp_path: Path) -> None:
    path = write(tmp_path / "mig.toml", 'url = "db2://host/db"\n')
    with pytest.raises(ConfigError, match=r"key 'url'.*'db2'"):
        load_config(path)


def test_bad_toml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "mig.toml", 'script_location = "m"\nurl = \n')
    with pytest.raises(ConfigError, match=rf"{path}:2: invalid TOML"):
        load_config(path)


def test_an_integer_past_python_s_limit_is_invalid_toml_not_a_traceback(tmp_path: Path) -> None:
    """tomllib raises a plain ValueError for an integer of more than 4,300 digits."""
    path = write(tmp_path / "mig.toml", 'script_location = "m"\ntimeout = ' + "9" * 5000 + "\n")
    with pytest.raises(ConfigError, match=rf"{path}: invalid TOML: a number has more digits"):
        load_config(path)


# ---- precedence -------------------------------------------------------------------------


@pytest.fixture
def pg_project(tmp_path: Path) -> Path:
    return make_project(tmp_path, settings={"dialect": "postgresql", "url": "sqlite:///a.db"})


def test_config_file_dialect(pg_project: Path) -> None:
    assert load_config(pg_project, environ={}).dialect == "postgresql"


def test_environment_beats_config(pg_project: Path) -> None:
    environ = {"MIG_DIALECT": "mysql", "MIG_URL": "mysql://root@h/db"}
    config = load_config(pg_project, environ=environ)
    assert config.dialect == "mysql"
    assert config.url == "mysql://root@h/db"


def test_command_line_beats_environment(pg_project: Path) -> None:
    config = load_config(pg_project, environ={"MIG_DIALECT": "mysql"}, dialect="oracle")
    assert config.dialect == "oracle"


def test_environment_url_decides_dialect_when_none_configured(tmp_path: Path) -> None:
    path = make_project(tmp_path)
    config = load_config(path, environ={"MIG_URL": "mariadb://root@h/db"})
    assert config.dialect == "mariadb"


def test_bad_environment_dialect_names_the_variable(pg_project: Path) -> None:
    """The error comes when a dialect is needed (heads or revision need none), and the
    configured dialect is not silently used instead of the one the variable meant."""
    config = load_config(pg_project, environ={"MIG_DIALECT": "db2"})
    assert config.dialect is None
    with pytest.raises(ConfigError, match="environment MIG_DIALECT: unknown dialect 'db2'"):
        config.require_dialect()


@pytest.mark.parametrize(
    ("spelled", "expected"),
    [
        ("postgres", "postgresql"),
        ("pg", "postgresql"),
        ("PostgreSQL", "postgresql"),
        ("postgresql+psycopg", "postgresql"),
        ("sqlserver", "mssql"),
        ("mssql+pyodbc", "mssql"),
        ("mariadb", "mariadb"),
        ("sqlite3", "sqlite"),
    ],
)
def test_dialect_aliases_everywhere(pg_project: Path, spelled: str, expected: str) -> None:
    assert load_config(pg_project, environ={"MIG_DIALECT": spelled}).dialect == expected
    assert load_config(pg_project, dialect=spelled).dialect == expected


def test_process_environment_is_the_default(
    pg_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIG_DIALECT", "sqlite")
    assert load_config(pg_project).dialect == "sqlite"
