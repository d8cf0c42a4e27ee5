"""What the command line hands to every script of a run (``upgrade --tag``).

Apart from :mod:`offline_sql.recorder` (which imports SQLAlchemy) because every command sets
it, and an offline run answered from the step cache imports no SQLAlchemy.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from offline_sql.records import record


@record
class ScriptArguments:
    """What the command line hands to every script of a run (``upgrade --tag``)."""

    tag: str | None = None


_ARGUMENTS: contextvars.ContextVar[ScriptArguments | None] = contextvars.ContextVar(
    "offline_sql_script_arguments", default=None
)


@contextmanager
def script_arguments(*, tag: str | None = None) -> Iterator[ScriptArguments]:
    """Make ``tag`` what scripts run in the ``with`` block read with ``get_tag_argument()``."""
    arguments = ScriptArguments(tag=tag)
    token = _ARGUMENTS.set(arguments)
    try:
        yield arguments
    finally:
        _ARGUMENTS.reset(token)


def current_arguments() -> ScriptArguments | None:
    """The arguments of the run in progress (None outside one)."""
    return _ARGUMENTS.get()
