"""Shared pieces of the per-database migration locks (``Dialect.acquire_migration_lock``)."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable


def poll(attempt: Callable[[], bool], timeout: float) -> bool:
    """Call ``attempt`` until it returns True or ``timeout`` seconds have passed, sleeping a
    little longer each time (50 ms up to 0.5 s): for a lock whose database has a "try" form
    but no "wait up to" form."""
    deadline = time.monotonic() + max(timeout, 0.0)
    pause = 0.05
    while True:
        if attempt():
            return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(pause, left))
        pause = min(pause * 2, 0.5)


def int64_key(name: str) -> int:
    """A signed 64-bit number for ``name`` (the first 8 bytes of its SHA-256): the key of a
    lock that databases number instead of naming."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big", signed=True)


def whole_seconds(timeout: float) -> int:
    """``timeout`` rounded up to whole seconds, for a database that waits in seconds."""
    return max(0, math.ceil(timeout))


def milliseconds(timeout: float) -> int:
    """``timeout`` in whole milliseconds, rounded up."""
    return max(0, math.ceil(timeout * 1000))
