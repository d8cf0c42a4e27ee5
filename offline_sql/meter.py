"""Progress of a long offline run, on stderr when a person is watching it.

A history of thousands of revisions takes seconds to minutes on a first run: a terminal
shows ``mig: revisions 1234/5000: <revision>`` on one line rewritten in place (and cleared at
the end). Nothing is written when stderr is not a terminal (a pipe, a file, CI logs) nor
when ``-q`` turned the ``offline_sql`` logger down to warnings; short runs (under
:data:`DELAY` seconds) show nothing either. The scripts and files written are never
affected.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from offline_sql import logs

_T = TypeVar("_T")

DELAY = 1.0
"""Seconds before the first progress line: a quick run stays silent."""
EVERY = 0.1
"""Seconds between two updates of the line."""


def wanted() -> bool:
    """Whether progress may be shown now: stderr is a terminal and ``-q`` was not given."""
    stream = sys.stderr
    try:
        terminal = stream is not None and stream.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stream
        return False
    if not terminal:
        return False
    import logging

    return logs.logger().isEnabledFor(logging.INFO)


class Meter:
    """One phase's progress line (``what`` done/total, current item)."""

    def __init__(self, what: str, total: int) -> None:
        self.what = what
        self.total = total
        self._clock = time.monotonic
        self._start = self._clock()
        self._last = 0.0
        self._shown = False
        self._active = total > 0 and wanted()

    def update(self, done: int, current: str) -> None:
        if not self._active:
            return
        now = self._clock()
        if now - self._start < DELAY or now - self._last < EVERY:
            return
        self._last = now
        line = f"mig: {self.what} {done}/{self.total}: {current}"
        sys.stderr.write("\r" + line[:79].ljust(79))
        sys.stderr.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            sys.stderr.write("\r" + " " * 79 + "\r")
            sys.stderr.flush()
            self._shown = False


def metered(what: str, items: Sequence[_T], label: Callable[[_T], str]) -> Iterator[_T]:
    """``items`` one by one, showing ``what`` done/total and the current item's label."""
    meter = Meter(what, len(items))
    try:
        for done, item in enumerate(items):
            meter.update(done, label(item))
            yield item
    finally:
        meter.close()
