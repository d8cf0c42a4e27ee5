"""Finding, parsing and validating the project configuration (``mig.toml`` or ``[tool.mig]``).

Every error names the file and the key so the user can fix it without reading mig's code.
Precedence, lowest first: the config file, then ``MIG_URL`` / ``MIG_DIALECT``, then the
command line's ``--dialect``. SQLAlchemy is not imported here: ``mig --help`` and the
browsing commands load the config too.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from offline_sql import simple_toml
from offline_sql.errors import ConfigError, UsageError
from offline_sql.records import field, record
from offline_sql.script.index import DEFAULT_CACHE_DIR_NAME

TYPE_CHECKING = False  # not typing's: importing it costs a memo-answered run 3 ms
if TYPE_CHECKING:
    from typing import Any

CONFIG_FILE = "mig.toml"
PYPROJECT_FILE = "pyproject.toml"
TEMPLATE_FILE = "script.py.tmpl"
BASELINE_FILE = "baseline.json"
"""A project's recorded starting schema, inside ``script_location`` (see offline_sql.baseline)."""
"""A project's own revision template, inside ``script_location``."""
ALEMBIC_INI = "alembic.ini"
"""An Alembic project's configuration file; the same as ``config_ini.ALEMBIC_INI``, named here
so that finding a ``mig.toml`` does not import the ini reader (and ``configparser``)."""

ENV_URL = "MIG_URL"
ENV_DIALECT = "MIG_DIALECT"

_TIMEOUT = re.compile(r"^\d+\s*(us|ms|s|min|h|d)?$")
"""PostgreSQL's interval units for lock_timeout / statement_timeout."""


@record
class Config:
    """The effective configuration of one project, paths already absolute."""

    script_location: Path
    """Folder holding ``versions/`` (and optionally ``script.py.tmpl``)."""
    config_file: Path
    """The file the settings came from (``mig.toml`` or ``pyproject.toml``)."""
    dialect: str | None = None
    """The effective dialect: ``dialect`` as configured/overridden, else derived from ``url``."""
    url: str | None = None
    """Database URL for online mode; relative SQLite paths are resolved against the config file."""
    version_table: str = "mig_version"
    version_table_schema: str | None = None
    target_metadata: str | None = None
    """``module:attribute`` of the application's MetaData, for schema comparison."""
    transaction_per_migration: bool = False
    postgresql_lock_timeout: str | None = None
    postgresql_statement_timeout: str | None = None
    review_allow: tuple[str, ...] = ()
    """Review rule ids allowed project-wide."""
    x_arguments: tuple[str, ...] = ()
    """``-x key=value`` of the command line, for scripts' ``context.get_x_argument()``
    (part of the step cache's key through this record's ``repr``)."""
    ini_section: str | None = None
    """The ``alembic.ini`` section the settings came from (None for ``mig.toml``)."""
    version_locations: tuple[Path, ...] = ()
    """Folders of revision scripts when not just ``<script_location>/versions``."""
    prepend_sys_path: tuple[Path, ...] = ()
    """Folders put first on ``sys.path`` while scripts are imported and run (Alembic's)."""
    file_template: str | None = None
    """Alembic's ``file_template`` for new revision files (``%(rev)s_%(slug)s``)."""
    migration_lock_timeout: float = 300.0
    """Seconds an online run waits for another process's run to release the database's
    migration lock before giving up (``offline_sql/locking.py``)."""
    cache_dir: Path | None = None
    """Where the header index and the step cache live (default
    ``<script_location>/.mig_cache``); None (``cache = false``, ``--no-cache``) disables both."""
    tag: str | None = None
    """``upgrade --tag``: an arbitrary string scripts read as
    ``op.get_context().get_tag_argument()`` (Alembic's ``context.get_tag_argument()``)."""
    dialect_error: str | None = field(default=None, repr=False)
    """Why ``MIG_DIALECT`` names no dialect: raised by :meth:`require_dialect`, so commands
    that need no dialect (heads, history, revision...) still work with a stale variable."""

    @property
    def versions_dir(self) -> Path:
        """Where new revisions go: the first version location, else ``versions/``."""
        if self.version_locations:
            return self.version_locations[0]
        return self.script_location / "versions"

    @property
    def versions_dirs(self) -> tuple[Path, ...]:
        """Every folder of revision scripts."""
        return self.version_locations or (self.script_location / "versions",)

    @property
    def template_path(self) -> Path:
        return self.script_location / TEMPLATE_FILE

    @property
    def dialect_name(self) -> str:
        """The effective dialect; an error naming every way to set one when there is none."""
        return self.require_dialect()

    def require_dialect(self) -> str:
        """The dialect, or an error telling every way to give one."""
        if self.dialect_error is not None:
            raise ConfigError(self.dialect_error)
        if self.dialect is None:
            raise ConfigError(
                f"{self.config_file}: no dialect: set `dialect` or `url`, "
                f"export {ENV_DIALECT}, or pass --dialect"
            )
        return self.dialect


# ---- key schema -------------------------------------------------------------------------


def _is_str(value: object) -> bool:
    return isinstance(value, str)


def _is_bool(value: object) -> bool:
    return isinstance(value, bool)


def _is_seconds(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


def _is_str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


_KEYS: dict[str, tuple[Callable[[object], bool], str]] = {
    "script_location": (_is_str, "a string (a folder path)"),
    "dialect": (_is_str, "a string"),
    "url": (_is_str, "a string"),
    "version_table": (_is_str, "a string"),
    "version_table_schema": (_is_str, "a string"),
    "target_metadata": (_is_str, "a string like 'package.module:metadata'"),
    "transaction_per_migration": (_is_bool, "true or false"),
    "postgresql_lock_timeout": (_is_str, "a string like '5s'"),
    "postgresql_statement_timeout": (_is_str, "a string like '5s'"),
    "review_allow": (_is_str_list, "a list of rule id strings"),
    "cache_dir": (_is_str, "a string (a folder path)"),
    "cache": (_is_bool, "true or false"),
    "version_locations": (_is_str_list, "a list of folder paths"),
    "prepend_sys_path": (_is_str_list, "a list of folder paths"),
    "file_template": (_is_str, "a string like '%(rev)s_%(slug)s'"),
    "migration_lock_timeout": (_is_seconds, "a number of seconds, 0 or more"),
}
"""Every key mig accepts -> (type check, how to describe the expected type)."""


# ---- discovery --------------------------------------------------------------------------


def has_tool_mig(pyproject: Path) -> bool:
    """Whether ``pyproject`` configures mig (has a ``[tool.mig]`` table)."""
    data = _parse_toml(pyproject)
    tool = data.get("tool")
    return isinstance(tool, dict) and "mig" in tool


def find_config_file(start: Path) -> Path:
    """The first ``mig.toml``, or ``pyproject.toml`` with ``[tool.mig]``, from ``start`` upwards;
    in a folder with neither, its ``alembic.ini`` (an Alembic project mig runs as it is)."""
    start = start.resolve()
    for folder in (start, *start.parents):
        mig_toml = folder / CONFIG_FILE
        pyproject = folder / PYPROJECT_FILE
        pyproject_used = pyproject.is_file() and has_tool_mig(pyproject)
        if mig_toml.is_file():
            if pyproject_used:
                raise ConfigError(
                    f"{mig_toml} and [tool.mig] in {pyproject} both configure mig: keep one"
                )
            return mig_toml
        if pyproject_used:
            return pyproject
        if (folder / ALEMBIC_INI).is_file():
            return folder / ALEMBIC_INI
    raise ConfigError(
        f"no {CONFIG_FILE}, [tool.mig] in {PYPROJECT_FILE} or {ALEMBIC_INI} found in {start} "
        "or its parents: run `mig init` or pass -c/--config FILE"
    )


# ---- parsing ----------------------------------------------------------------------------

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def _parse_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    simple = simple_toml.loads(text)
    if simple is not None:  # most configurations: tomllib (with typing) not imported
        return simple
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        data: dict[str, Any] = tomllib.loads(text)
        return data
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _TOML_POSITION.search(message)
        if found is None:
            raise ConfigError(f"{path}: invalid TOML: {message}") from None
        line = found.group(1)
        reason = message[: found.start()]
        raise ConfigError(f"{path}:{line}: invalid TOML: {reason}") from None
    except ValueError:  # int() past Python's limit on digits; its own message names sys.*
        raise ConfigError(
            f"{path}: invalid TOML: a number has more digits than Python reads (4,300): shorten it"
        ) from None


def _section(path: Path) -> tuple[dict[str, Any], str]:
    """The mig settings in ``path`` and how to name their location in messages."""
    data = _parse_toml(path)
    if path.name != PYPROJECT_FILE:
        return data, str(path)
    tool = data.get("tool")
    section = tool.get("mig") if isinstance(tool, dict) else None
    if section is None:
        raise ConfigError(f"{path}: no [tool.mig] table: run `mig init` or add one")
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [tool.mig] must be a table")
    return section, f"{path} [tool.mig]"


def _check_keys(settings: Mapping[str, Any], where: str) -> None:
    for key, value in settings.items():
        if key not in _KEYS:
            import difflib  # an error's hint only: not imported by every run

            close = difflib.get_close_matches(key, list(_KEYS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"{where}: unknown key {key!r}{hint}; valid keys: {', '.join(_KEYS)}")
        check, expected = _KEYS[key]
        if not check(value):
            raise ConfigError(f"{where}: key {key!r} must be {expected}, got {value!r}")
    for key in ("postgresql_lock_timeout", "postgresql_statement_timeout"):
        value = settings.get(key)
        if value is not None and not _TIMEOUT.match(value):
            raise ConfigError(
                f"{where}: key {key!r} must be a duration like '5s' or '500ms', got {value!r}"
            )
    for key in ("version_table", "script_location"):
        if settings.get(key) == "":
            raise ConfigError(f"{where}: key {key!r} must not be empty")


def _check_dialect(name: str, origin: str) -> str:
    """The registry name of ``name`` (aliases such as ``postgres`` or ``sqlserver`` and a
    ``+driver`` suffix accepted), or an error naming where it came from."""
    from offline_sql.dialect_api.registry import NAMES, canonical_name

    found = canonical_name(name)
    if found is None:
        import difflib  # an error's hint only: not imported by every run

        close = difflib.get_close_matches(name, NAMES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(
            f"{origin}: unknown dialect {name!r}{hint}; choose one of {', '.join(NAMES)}"
        )
    return found


def _dialect_of_url(url: str, origin: str) -> str:
    from offline_sql.dialect_api.registry import dialect_name_from_url

    try:
        return dialect_name_from_url(url)
    except UsageError as exc:
        raise ConfigError(f"{origin}: {exc}") from None


def _resolve_url(url: str, base: Path) -> str:
    """A file database's relative path is relative to the config file (the dialects know
    which URLs name a file)."""
    from offline_sql.dialect_api.registry import resolve_file_url

    return resolve_file_url(url, base)


def load_config(
    config_file: Path | str | None = None,
    *,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
    dialect: str | None = None,
    section: str = "alembic",
) -> Config:
    """Load the effective configuration.

    ``config_file`` (from ``-c``) skips discovery; otherwise the search starts at ``cwd``
    (default: the working directory). ``environ`` defaults to ``os.environ``; ``dialect``
    is the command line's ``--dialect`` and wins over everything. ``section`` is the
    ``alembic.ini`` section to read (Alembic's ``-n/--name``) when the file is an ini file.
    """
    env = os.environ if environ is None else environ
    if config_file is None:
        path = find_config_file(cwd if cwd is not None else Path.cwd())
    else:
        path = Path(config_file)
        if cwd is not None and not path.is_absolute():
            path = cwd / path
        if not path.is_file():
            raise ConfigError(
                f"config file {path} does not exist: run `mig init` or fix -c/--config"
            )
        path = path.resolve()
    ini_section: str | None = None
    if path.suffix == ".ini":
        from offline_sql.config_ini import read_ini, warn_ignored

        found = read_ini(path, section)
        settings, where, ini_section = found.settings, f"{path} [{section}]", section
        warn_ignored(path, found.ignored)
    else:
        settings, where = _section(path)
    _check_keys(settings, where)
    base = path.parent

    url: str | None = settings.get("url")
    url_origin = f"{where}: key 'url'"
    if env.get(ENV_URL):
        url, url_origin = env[ENV_URL], f"environment {ENV_URL}"
    if url is not None:
        url = _resolve_url(url, base)

    name: str | None = settings.get("dialect")
    if name is not None:
        name = _check_dialect(name, f"{where}: key 'dialect'")
    dialect_error: str | None = None
    if env.get(ENV_DIALECT):
        try:
            name = _check_dialect(env[ENV_DIALECT], f"environment {ENV_DIALECT}")
        except ConfigError as exc:  # an error only for commands that need a dialect
            name, dialect_error = None, str(exc)
    if dialect is not None:
        name, dialect_error = _check_dialect(dialect, "--dialect"), None
    if name is None and url is not None and dialect_error is None:
        name = _dialect_of_url(url, url_origin)

    script_location = (base / settings.get("script_location", "migrations")).resolve()
    cache_dir = settings.get("cache_dir")
    return Config(
        script_location=script_location,
        config_file=path,
        dialect=name,
        dialect_error=dialect_error,
        url=url,
        version_table=settings.get("version_table", "mig_version"),
        version_table_schema=settings.get("version_table_schema"),
        target_metadata=settings.get("target_metadata"),
        transaction_per_migration=settings.get("transaction_per_migration", False),
        postgresql_lock_timeout=settings.get("postgresql_lock_timeout"),
        postgresql_statement_timeout=settings.get("postgresql_statement_timeout"),
        review_allow=tuple(settings.get("review_allow", ())),
        ini_section=ini_section,
        version_locations=tuple(
            (base / folder).resolve() for folder in settings.get("version_locations", ())
        ),
        prepend_sys_path=tuple(
            (base / folder).resolve() for folder in settings.get("prepend_sys_path", ())
        ),
        file_template=settings.get("file_template"),
        migration_lock_timeout=float(settings.get("migration_lock_timeout", 300.0)),
        cache_dir=(
            None
            if settings.get("cache", True) is False
            else script_location / DEFAULT_CACHE_DIR_NAME
            if cache_dir is None
            else (base / cache_dir).resolve()
        ),
    )
