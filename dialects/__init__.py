"""Everything database-specific: one module per database, one registry.

The core asks a :class:`~offline_sql.dialects.base.Dialect` for flags and renderings and
never compares database names. Modules are imported on first use so that ``mig --help``
and the browsing commands do not pay for SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from offline_sql.errors import UsageError

if TYPE_CHECKING:
    from offline_sql.dialects.base import Dialect

REGISTRY: dict[str, str] = {
    "postgresql": "offline_sql.dialects.postgresql:PostgreSQLDialect",
    "mysql": "offline_sql.dialects.mysql:MySQLDialect",
    "mariadb": "offline_sql.dialects.mysql:MariaDBDialect",
    "sqlite": "offline_sql.dialects.sqlite:SQLiteDialect",
    "mssql": "offline_sql.dialects.mssql:MSSQLDialect",
    "oracle": "offline_sql.dialects.oracle:OracleDialect",
}
"""Dialect name (as given to ``--dialect`` and in config) -> "module:class"."""

NAMES: tuple[str, ...] = tuple(REGISTRY)


def get_dialect(name: str) -> Dialect:
    """Return a fresh dialect instance for ``name`` (one of :data:`NAMES`)."""
    try:
        target = REGISTRY[name]
    except KeyError:
        raise UsageError(
            f"unknown dialect {name!r}: choose one of {', '.join(NAMES)}"
        ) from None
    module_name, _, class_name = target.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    dialect: Dialect = cls()
    return dialect


def dialect_name_from_url(url: str) -> str:
    """Map a SQLAlchemy URL ("postgresql+psycopg://...") to a dialect name."""
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    aliases = {"postgres": "postgresql", "mssql": "mssql", "oracle": "oracle"}
    scheme = aliases.get(scheme, scheme)
    if scheme not in REGISTRY:
        raise UsageError(
            f"cannot tell the dialect of URL scheme {scheme!r}: use one of {', '.join(NAMES)}"
        )
    return scheme
