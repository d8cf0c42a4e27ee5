"""mig's logger, and the command line's setup of it applied when it is first used.

The command line shows mig's messages (``mig: upgrade a1 -> b2``) through a handler on the
``offline_sql`` logger and sets that logger's level for ``-q`` and ``-v``
(:mod:`offline_sql.cli`). Importing :mod:`logging` takes 3 ms (its module and regular
expressions), 5% of ``mig heads`` and of a run the result memo answers, neither of which logs
anything. So while :mod:`logging` is not imported, the command line's setup waits here
(:func:`configured`), and every module of mig takes its logger from :func:`logger`, which
applies what waits first: a logger is never used before the setup is in place
(``tests/cli/test_logs.py`` checks that no module takes one otherwise). Once anything has
imported :mod:`logging` (an application, a test runner, a migration script), the setup is
applied at once, as before.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

TYPE_CHECKING = False  # not typing's: importing it costs a memo-answered run 3 ms
if TYPE_CHECKING:
    import logging

NAME = "offline_sql"
"""The logger the command line sets up; modules log to it or to loggers under it."""

Setup = Callable[[], Callable[[], None]]
"""A change to logging: makes it (importing :mod:`logging`) and returns its undoing."""


class _Waiting:
    """A setup not applied yet, and its undoing once applied."""

    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self.undo: Callable[[], None] | None = None


_waiting: list[_Waiting] = []


def logger(name: str = NAME) -> logging.Logger:
    """The logger ``name``, with the setups waiting applied first."""
    import logging

    _apply_waiting()
    return logging.getLogger(name)


def _apply_waiting() -> None:
    """Make the waiting setups, in the order they were given."""
    while _waiting:
        first = _waiting.pop(0)
        first.undo = first.setup()


@contextlib.contextmanager
def configured(setup: Setup) -> Iterator[None]:
    """``setup`` in force while the block runs: made now when :mod:`logging` is imported,
    else when :func:`logger` is first called (after any setup given before it); undone at
    the end if it was made."""
    waiting = _Waiting(setup)
    _waiting.append(waiting)
    if "logging" in sys.modules:
        _apply_waiting()
    try:
        yield
    finally:
        if waiting in _waiting:
            _waiting.remove(waiting)
        elif waiting.undo is not None:
            waiting.undo()
