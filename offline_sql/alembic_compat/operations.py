"""``alembic.operations`` while mig runs scripts: what Alembic's cookbook imports from it to
declare custom operations (``Operations``, ``MigrateOperation``) and ``BatchOperations``
(for type hints), all mig's (:mod:`offline_sql.custom_ops`, :mod:`offline_sql.batch`)."""

from __future__ import annotations

from offline_sql.batch import BatchOperations
from offline_sql.custom_ops import MigrateOperation, Operations

__all__ = ["BatchOperations", "MigrateOperation", "Operations"]
