"""mig: offline SQL scripts from Alembic-style revision scripts.

The public API is ``__all__``: ``op`` (the facade revision scripts call, ``from offline_sql
import op``), ``MigError`` (what every error mig reports derives from) and ``__version__``.
Importing this package stays cheap: ``op`` is imported on first use, since it needs
SQLAlchemy, which ``mig --help`` and the browsing commands never load.
"""

import typing

from offline_sql._version import __version__ as __version__
from offline_sql.errors import MigError as MigError

if typing.TYPE_CHECKING:
    from offline_sql import op as op

__all__ = ["MigError", "__version__", "op"]

if not typing.TYPE_CHECKING:  # a module __getattr__ would make mypy accept any attribute

    def __getattr__(name: str) -> object:
        if name == "op":
            import importlib

            return importlib.import_module("offline_sql.op")
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
