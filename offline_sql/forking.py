"""When mig may fork a helper process onto the second core, and how the two talk.

Three helpers do (``script/ahead.py`` reads and compiles scripts on a first run;
``review_child.py`` reviews a ticket directory's steps as they are rendered;
``output.Staging`` writes its script files ahead); all follow this one rule, so a platform or
process where forking is unsafe gets none of them, and mig itself starts no thread. A stream
of messages between them goes through an :class:`Outbox`, so that the writer never waits for
a busy reader.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import struct
import sys
import threading
from collections.abc import Callable, Iterator

FRAME = struct.Struct("<cQ")
"""A message through a pipe: its kind (one byte) and the length of its pickled payload."""


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


class Outbox:
    """Messages written to a pipe as fast as the other end reads them: the pipe is made
    non-blocking, so a full pipe (the reader busy) never stops the writer; what does not
    fit waits here, for the next :meth:`send` or for :meth:`flush`, the one call that waits.
    A reader that has gone raises ``BrokenPipeError`` (an ``OSError``) from either."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.pending = bytearray()
        os.set_blocking(fd, False)

    def send(self, kind: bytes, payload: object) -> None:
        data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        self.pending += FRAME.pack(kind, len(data))
        self.pending += data
        self._write()

    def _write(self) -> None:
        while self.pending:
            try:
                written = os.write(self.fd, self.pending)
            except BlockingIOError:
                return
            del self.pending[:written]

    def flush(self) -> None:
        """Write everything left, waiting for the reader as long as it takes."""
        os.set_blocking(self.fd, True)
        self._write()


def messages(fd: int) -> Iterator[tuple[bytes, object]]:
    """(kind, payload) of each message an :class:`Outbox` writes to the other end of the
    pipe ``fd``, as they come, until the pipe ends (a message cut short ends it too);
    ``fd`` is closed then."""
    with os.fdopen(fd, "rb") as pipe:
        while len(head := pipe.read(FRAME.size)) == FRAME.size:
            kind, length = FRAME.unpack(head)
            data = pipe.read(length)
            if len(data) < length:
                return
            yield kind, pickle.loads(data)
