"""When mig may fork a helper process onto the second core.

Three helpers do (``script/ahead.py`` reads and compiles scripts on a first run; ``ticket.py``
reviews a ticket directory's steps, in one or two children; ``output.Staging`` writes its
script files ahead); all follow this one rule, so a platform or process where forking is
unsafe gets none of them, and mig itself starts no thread.
"""

from __future__ import annotations

import os
import sys
import threading


def can_fork() -> bool:
    """Whether a helper may be forked now: on Linux (elsewhere ``fork`` is missing or, on
    macOS, unsafe in a process that has used system frameworks), in a process running one
    thread (forking a threaded process is unsafe: another thread may hold a lock the child
    then waits for; Python 3.12+ warns), that may use more than one CPU (on one, the child
    would only take turns with the parent)."""
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False
    if threading.active_count() != 1:
        return False
    try:
        if len(os.listdir("/proc/self/task")) != 1:  # threads Python did not start too
            return False
    except OSError:
        return False
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return cpus > 1
