"""Which file reads count as a revision script's own, while the step cache tracks a step.

:mod:`offline_sql.stepcache.deps` notes every file opened while a step's script runs (its
dependencies). mig itself reads scripts during a step too: importing the later scripts of a
run, or reading and compiling them ahead (:mod:`offline_sql.script.ahead`). Those reads go
through :func:`untracked`. It lives apart from the step cache so that modules below it can
use it without importing the cache.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

ACTIVE: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar(
    "offline_sql_dependency_tracking", default=None
)
"""The paths noted for the step being tracked; None when no step is (or inside
:func:`untracked`)."""


@contextmanager
def untracked() -> Iterator[None]:
    """Reads inside are not dependencies: mig reading a revision script's source (a run
    imports the scripts it will run before running the first; the next script's source is
    that step's own key, not a dependency of the step running now)."""
    token = ACTIVE.set(None)
    try:
        yield
    finally:
        ACTIVE.reset(token)
