"""mig: offline SQL scripts from Alembic-style revision scripts.

The public API is ``__all__``: ``op`` (the facade revision scripts call, ``from offline_sql
import op``), ``MigError`` (what every error mig reports derives from), ``__version__``, and
the functions of applications that migrate themselves (``upgrade``, ``downgrade``,
``stamp``, ``current``, ``check`` and their results ``Migrated`` and ``Current``, from
:mod:`offline_sql.api`), and ``Operations``/``MigrateOperation`` for custom operations
(:mod:`offline_sql.custom_ops`, Alembic's cookbook). Importing this package stays cheap:
``op``, the API and those two are imported on first use, since they need SQLAlchemy, which
``mig --help`` and the browsing commands never load.
"""

from offline_sql._version import __version__ as __version__
from offline_sql.errors import MigError as MigError

TYPE_CHECKING = False  # not typing's: importing it costs a memo-answered run 3 ms
if TYPE_CHECKING:
    from offline_sql import op as op
    from offline_sql.api import Current as Current
    from offline_sql.api import Migrated as Migrated
    from offline_sql.api import check as check
    from offline_sql.api import current as current
    from offline_sql.api import downgrade as downgrade
    from offline_sql.api import stamp as stamp
    from offline_sql.api import upgrade as upgrade
    from offline_sql.custom_ops import MigrateOperation as MigrateOperation
    from offline_sql.custom_ops import Operations as Operations

__all__ = [
    "Current",
    "MigError",
    "MigrateOperation",
    "Migrated",
    "Operations",
    "__version__",
    "check",
    "current",
    "downgrade",
    "op",
    "stamp",
    "upgrade",
]

_API = frozenset({"Current", "Migrated", "check", "current", "downgrade", "stamp", "upgrade"})
"""Names imported from ``offline_sql.api`` on first use."""

_CUSTOM_OPS = frozenset({"MigrateOperation", "Operations"})
"""Names imported from ``offline_sql.custom_ops`` on first use (custom operations)."""

if not TYPE_CHECKING:  # a module __getattr__ would make mypy accept any attribute

    def __getattr__(name: str) -> object:
        import importlib

        if name == "op":
            return importlib.import_module("offline_sql.op")
        if name in _CUSTOM_OPS:
            return getattr(importlib.import_module("offline_sql.custom_ops"), name)
        if name in _API:
            return getattr(importlib.import_module("offline_sql.api"), name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

del TYPE_CHECKING  # not a name the package exports
