"""Everything database-specific: one module per database, one registry.

The core asks a :class:`~offline_sql.dialects.base.Dialect` for flags and renderings and
never compares database names. Modules are imported on first use so that ``mig --help``
and the browsing commands do not pay for SQLAlchemy.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING

from offline_sql.errors import UsageError

if TYPE_CHECKING:
    from offline_sql.dialects.base import Dialect

REGISTRY: dict[str, str] = {
    "postgresql": "offline_sql.dialects.postgresql.dialect:PostgreSQLDialect",
    "mysql": "offline_sql.dialects.mysql.dialect:MySQLDialect",
    "mariadb": "offline_sql.dialects.mysql.dialect:MariaDBDialect",
    "sqlite": "offline_sql.dialects.sqlite.dialect:SQLiteDialect",
    "mssql": "offline_sql.dialects.mssql.dialect:MSSQLDialect",
    "oracle": "offline_sql.dialects.oracle.dialect:OracleDialect",
}
"""Dialect name (as given to ``--dialect`` and in config) -> "module:class"."""

NAMES: tuple[str, ...] = tuple(REGISTRY)

ALIASES: dict[str, str] = {
    "postgres": "postgresql",
    "pg": "postgresql",
    "pgsql": "postgresql",
    "sqlserver": "mssql",
    "sql-server": "mssql",
    "sqlite3": "sqlite",
}
"""Other spellings users type for a dialect -> its name in :data:`REGISTRY`. A
SQLAlchemy-style ``name+driver`` (``postgresql+psycopg``) is accepted too: the driver
does not change the SQL, so it is dropped (:func:`canonical_name`)."""


def canonical_name(name: str) -> str | None:
    """The registry name for ``name`` as a user may spell it (any case, an alias, a
    ``+driver`` suffix), or None when it names no dialect."""
    spelled = name.strip().lower().split("+", 1)[0]
    spelled = ALIASES.get(spelled, spelled)
    return spelled if spelled in REGISTRY else None


def get_dialect(name: str, url: str | None = None) -> Dialect:
    """Return a fresh dialect instance for ``name`` (one of :data:`NAMES` or an alias);
    ``url`` is the project's configured database URL, if any (see ``Dialect.script_url``)."""
    try:
        target = REGISTRY[canonical_name(name) or name]
    except KeyError:
        raise UsageError(f"unknown dialect {name!r}: choose one of {', '.join(NAMES)}") from None
    module_name, _, class_name = target.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    dialect: Dialect = cls()
    dialect.configured_url = url
    return dialect


URL_ALIASES: dict[str, str] = {"postgres": "postgresql"}
"""URL backends spelled otherwise than the dialect name (``postgres://`` as Heroku writes it)."""

FILE_URL_BACKENDS: frozenset[str] = frozenset({"sqlite"})
"""URL backends whose database is a file named by the URL's path (``sqlite:///app.db``)."""


def url_backend(url: str) -> str:
    """The backend of a URL, lower-cased, without driver and with aliases resolved:
    ``postgres+psycopg://...`` -> ``postgresql``. Not checked against :data:`NAMES`."""
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    return URL_ALIASES.get(scheme, scheme)


def dialect_name_from_url(url: str) -> str:
    """Map a SQLAlchemy URL ("postgresql+psycopg://...") to a dialect name."""
    scheme = url_backend(url)
    if scheme not in REGISTRY:
        raise UsageError(
            f"cannot tell the dialect of URL scheme {scheme!r}: use one of {', '.join(NAMES)}"
        )
    return scheme


def resolve_file_url(url: str, base: Path) -> str:
    """Make the relative file path of a file database's URL absolute against ``base``;
    other URLs, absolute paths and in-memory databases are unchanged.

    ``sqlite:///app.db`` in a config file means "next to the config file", not "wherever
    mig happens to be run from". Plain string work: no SQLAlchemy import.
    """
    scheme, sep, rest = url.partition(":///")
    if not sep or url_backend(url) not in FILE_URL_BACKENDS:
        return url
    path, qmark, query = rest.partition("?")
    if not path or path == ":memory:" or path.startswith("/") or Path(path).is_absolute():
        return url
    return f"{scheme}:///{(base / path).resolve().as_posix()}{qmark}{query}"
