"""When mig may fork a helper process onto the second core.

Three helpers do (``script/ahead.py`` reads and compiles scripts on a first run; ``ticket.py``
reviews a ticket directory's steps, in one or two children; ``output.Staging`` writes its
script files ahead); all follow this one rule, so a platform or process where forking is
unsafe gets none of them, and mig itself starts no thread.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable


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


class Helper:
    """A forked child that answers once, through a pipe (:func:`fork_helper`)."""

    def __init__(self, pid: int, pipe: int) -> None:
        self.pid = pid
        self._pipe = pipe
        self._done = False
        self.exit_code: int | None = None
        """The child's exit status once answered (negative: the signal that ended it)."""

    def answer(self) -> tuple[bool, bytes]:
        """(whether the child ended well, what it wrote), once it has ended; reaped then.
        Asked again, or after :meth:`end`: ``(False, b"")``."""
        if self._done:
            return False, b""
        self._done = True
        try:
            with os.fdopen(self._pipe, "rb") as pipe:
                data = pipe.read()
        except OSError:
            data = b""
        finally:
            _, status = os.waitpid(self.pid, 0)
            self.exit_code = os.waitstatus_to_exitcode(status)
        return self.exit_code == 0, data

    def end(self) -> None:
        """Kill the child unless it was asked for its answer, and reap it: nothing is left
        running, and no zombie."""
        if self._done:
            return
        self._done = True
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)
        os.close(self._pipe)
        os.waitpid(self.pid, 0)


def fork_helper(work: Callable[[int], bool]) -> Helper:
    """Fork a child that runs ``work`` with the writing end of a pipe and leaves with
    ``os._exit`` (status 0 when ``work`` returned True): nothing of the parent's buffers,
    ``atexit`` handlers or ``finally`` blocks runs in it. Call only when :func:`can_fork`."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child (what it answers is checked by the parent)
        status = 1
        try:
            os.close(read)
            status = 0 if work(write) else 1
        finally:
            os._exit(status)
    os.close(write)
    return Helper(pid, read)
