"""Finding a database's dialect by name: the one door from the core to ``offline_sql.dialects``.

The tables (which names exist, their aliases, URL spellings) are data in the dialects'
package (``dialects/__init__.py``, installed as ``offline_sql.dialects``); this module reads
them and imports a database's module by name, on first use, so ``mig --help`` and the
browsing commands do not pay for SQLAlchemy. The core never imports a database's package
itself: it asks a :class:`~offline_sql.dialect_api.base.Dialect` for flags and renderings
and never compares database names.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

from offline_sql.errors import UsageError

TYPE_CHECKING = False  # not typing's: importing it costs a memo-answered run 3 ms
if TYPE_CHECKING:
    from offline_sql.dialect_api.base import Dialect

PACKAGE = "offline_sql.dialects"
"""The import name of the dialects' package (the top-level ``dialects/`` folder of the
checkout, mapped by ``package-dir`` in ``pyproject.toml``)."""


def _load() -> ModuleType:
    try:
        return importlib.import_module(PACKAGE)
    except ModuleNotFoundError as exc:
        if exc.name != PACKAGE:
            raise
        raise ImportError(
            f"{PACKAGE} is not installed (a checkout on sys.path is not enough: its "
            "dialects/ folder is mapped at install time): run pip install -e ."
        ) from None


_TABLES = _load()


def _names(table: str) -> Mapping[str, str]:
    value = getattr(_TABLES, table)
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise TypeError(f"{PACKAGE}.{table} must be a dict of str to str")
    return value


REGISTRY: Mapping[str, str] = _names("REGISTRY")
"""Dialect name (as given to ``--dialect`` and in config) -> "module:class"."""

NAMES: tuple[str, ...] = tuple(REGISTRY)

ALIASES: Mapping[str, str] = _names("ALIASES")
"""Other spellings users type for a dialect -> its name in :data:`REGISTRY`. A
SQLAlchemy-style ``name+driver`` (``postgresql+psycopg``) is accepted too: the driver
does not change the SQL, so it is dropped (:func:`canonical_name`)."""

URL_ALIASES: Mapping[str, str] = _names("URL_ALIASES")
"""URL backends spelled otherwise than the dialect name (``postgres://`` as Heroku writes it)."""

FILE_URL_BACKENDS: frozenset[str] = frozenset(_TABLES.FILE_URL_BACKENDS)
"""URL backends whose database is a file named by the URL's path (``sqlite:///app.db``)."""


def dialects_folder() -> Path:
    """The folder the dialects' package is loaded from: ``offline_sql/dialects`` in an
    installed wheel, the checkout's ``dialects/`` in an editable install."""
    return Path(str(_TABLES.__file__)).resolve().parent


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
    from offline_sql.dialect_api.base import Dialect  # loaded already: ``cls`` subclasses it

    dialect = cls()
    if not isinstance(dialect, Dialect):
        raise TypeError(f"{PACKAGE} registry entry {target!r} is not a Dialect")
    dialect.configured_url = url
    return dialect


def import_dialect_module(name: str) -> None:
    """Import the module of the dialect ``name`` (nothing for an unknown name): a first run
    does it while its helper process reads scripts (:mod:`offline_sql.script.ahead`), and
    :func:`get_dialect` then finds it imported."""
    target = REGISTRY.get(canonical_name(name) or name)
    if target is not None:
        importlib.import_module(target.partition(":")[0])


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
