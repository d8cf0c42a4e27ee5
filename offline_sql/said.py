"""Whether a stretch of a command said anything: a warning raised, or a log record handled.

The result memo (:mod:`offline_sql.result_memo`) answers a run again only when the run it
remembers said nothing but its last line: a memo that replays no message must never stand
in for a run that had one. Listening must not change what the run shows, nor when:
recording the warnings (``catch_warnings(record=True)``) and showing them afterwards would
move them after everything else the run printed. So :func:`listening` puts a filter first
in ``warnings.filters`` whose message pattern (:class:`_Ear`) notes every warning Python
asks it about and matches none, so the filters after it decide as before; a warning that
``-q`` (or an application's filter) ignores is heard too, since the memo is shared by runs
with and without ``-q``. Log records are counted as they reach their logger's handlers
(any logger: sqlglot's warnings reach stderr through logging's last resort).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast


@dataclass
class Said:
    """What was heard inside :func:`listening`."""

    warnings: int = 0
    records: int = 0
    deaf: bool = False
    """A filter was put before the ear (a script calling ``warnings.simplefilter`` at
    import), or the filters were reset: what came after was not heard."""

    @property
    def anything(self) -> bool:
        """Whether anything was (or may have been) said."""
        return bool(self.warnings or self.records or self.deaf)


class _Ear:
    """A filter's message pattern that matches no warning and notes each it is asked about
    (Python calls a filter's pattern's ``match`` with the message of every warning that
    reaches the filters, before any filter's action is taken)."""

    def __init__(self, said: Said) -> None:
        self.said = said

    def match(self, text: str) -> None:
        self.said.warnings += 1


class _Never(Warning):
    """A category nothing raises: adding a filter for it tells the warnings module the
    filters changed, so the memory of warnings already shown (``__warningregistry__``) is
    dropped and every warning reaches the filters again, to be heard."""


@contextmanager
def listening() -> Iterator[Said]:
    """What the code run inside says (see the module's doc); shows it as it would anyway."""
    said = Said()
    handle = logging.Logger.callHandlers

    def counting(self: logging.Logger, record: logging.LogRecord) -> None:
        said.records += 1
        handle(self, record)

    ear = _Ear(said)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=_Never)
        # The entry just added is first: its pattern becomes the ear.
        cast("list[Any]", warnings.filters)[0] = ("ignore", ear, Warning, None, 0)
        logging.Logger.callHandlers = counting  # type: ignore[method-assign]
        try:
            yield said
        finally:
            logging.Logger.callHandlers = handle  # type: ignore[method-assign]
            filters = cast("list[Any]", warnings.filters)
            said.deaf = not filters or filters[0][1] is not ear
