"""mig: offline SQL scripts from Alembic-style revision scripts.

Revision scripts use ``from offline_sql import op``. Importing this package stays cheap:
SQLAlchemy is imported only by the modules that need it.
"""

from __future__ import annotations

from offline_sql._version import __version__ as __version__
from offline_sql.errors import MigError as MigError

__all__ = ["MigError", "__version__"]
