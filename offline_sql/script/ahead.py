"""Reading and compiling revision scripts ahead, in a forked child, on a cold run.

A first run (no header index, no step cache) of a long history spends much of its time in
work that needs nothing of the rest of the run: parsing each script's header (``ast``) and
compiling each script to bytecode. While the parent reads the first half of the headers and
then imports the dialect (SQLAlchemy, a third of a second), a child made with ``os.fork``
reads the second half of the headers and then compiles every script; what it finds comes
back through a pipe. Where the child has not got to yet when the parent needs bytecode, the
parent compiles from the other end of the child's list, so neither waits for the other.

Nothing here changes what a run does or says:

* the child only ever hands back what succeeded quietly: a header or bytecode whose reading
  raised or warned (a ``SyntaxWarning`` for an invalid escape, say) is left out, and the
  parent reads or compiles that file itself, raising or warning exactly as it always did;
* bytecode is used only for the very bytes it was compiled from (their SHA-256 is checked
  against what the loader reads), under the same file name and flags the loader uses;
* without ``os.fork`` (Windows), when forking fails, when the process runs other threads,
  or outside a :func:`session`, the parent does everything itself, as before;
* the child never writes a file, never flushes the parent's buffers (it leaves with
  ``os._exit``), and :func:`session` reaps it on the way out, whatever happened (it is
  killed if still running), so no zombie is left behind.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gc
import hashlib
import marshal
import mmap
import os
import pickle
import select
import signal
import struct
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import CodeType

from offline_sql.forking import FRAME, Outbox, can_fork
from offline_sql.script.header import RevisionHeader, read_header
from offline_sql.tracked_reads import untracked

FORK_MIN_FILES = 64
"""Fewer headers to read than this and the parent reads and compiles everything itself
(forking costs a few milliseconds; a short history gains nothing)."""

WARM_UP_HEADERS = 850
"""What the parent's :attr:`Ahead.warm_up` (importing the dialect, SQLAlchemy with it)
costs, in headers read: about as much as 850 headers of the benchmark's scripts. The parent
reads that many fewer headers than the child, so both are done at about the same time."""

CHUNK = 32
"""Scripts per message of compiled bytecode (the parent takes them as they come). The child's
messages (:class:`offline_sql.forking.Outbox`) are of two kinds: ``H`` headers, ``C``
compiled scripts."""

_STOPS = struct.Struct("<qq")
"""Where the child stops reading headers and compiling (shared memory, set by the parent)."""

_Compiled = tuple[str, bytes]
"""(SHA-256 of the source compiled, marshalled code) as the child sends it."""


class Ahead:
    """The helper child of one run, and what it has sent back so far."""

    def __init__(self, warm_up: Callable[[], None] | None = None) -> None:
        self.warm_up = warm_up
        """Called by the parent once it has read its own half of the headers, before it
        waits for the child's (the dialect's import: work the parent needs anyway)."""
        self.pid: int | None = None
        self._fd: int | None = None
        self._buffer = bytearray()
        self._headers: dict[str, RevisionHeader] = {}
        """Headers read ahead (by the child, or by the parent meeting it), by path."""
        self._headers_covered = 0
        """The child has dealt with the headers of ``paths[first:first + this]``."""
        self._paths: list[str] = []
        self._order: dict[str, int] = {}
        """Path -> position in the child's list (it compiles in that order)."""
        self._covered = 0
        """How many scripts of the child's list it has compiled (or given up on) so far."""
        self._stops: mmap.mmap | None = None
        """Shared with the child: where it stops reading headers and compiling, because the
        parent, working from the other end, got there (two 64-bit positions)."""
        self._codes: dict[str, _Compiled | tuple[str, CodeType]] = {}
        self._given: set[str] = set()
        """Scripts whose bytecode was handed out (a second load compiles afresh)."""
        self._first_header = 0
        self._met = False
        """Whether the parent has read headers from the far end to meet the child."""

    # ---- parent: starting and stopping -------------------------------------------------

    @property
    def running(self) -> bool:
        return self._fd is not None

    def start(self, paths: Sequence[str]) -> bool:
        """Fork a child that reads the headers of the second part of ``paths`` and then
        compiles every script of ``paths`` (in that order). False when no child was made
        (too few files, no fork, or forking failed): the parent then does it all.

        The parent reads the first part, then warms up (:data:`WARM_UP_HEADERS`): with a
        warm-up to do, its part is that much smaller than the child's, else half."""
        if self._paths or len(paths) < FORK_MIN_FILES or not can_fork():
            return False  # one child a run: a second folder of scripts is read as before
        ahead = WARM_UP_HEADERS if self.warm_up is not None else 0
        first = max(0, (len(paths) - ahead) // 2)
        try:
            stops = mmap.mmap(-1, _STOPS.size)
        except (OSError, ValueError):
            return False
        _STOPS.pack_into(stops, 0, len(paths), len(paths))
        try:
            read_fd, write_fd = os.pipe()
        except OSError:
            stops.close()
            return False
        try:
            with warnings.catch_warnings():
                # Python 3.12+ warns of forking a threaded process: this child only reads
                # files and compiles, and a run forks only when single-threaded anyway.
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
        except OSError:
            os.close(read_fd)
            os.close(write_fd)
            stops.close()
            return False
        if pid == 0:  # pragma: no cover - the child (coverage does not follow a fork)
            os.close(read_fd)
            _child(write_fd, list(paths), first, stops)
        os.close(write_fd)
        self.pid, self._fd, self._stops = pid, read_fd, stops
        self._paths = list(paths)
        self._order = {path: index for index, path in enumerate(paths)}
        self._first_header = first
        return True

    def close(self) -> None:
        """Stop listening, and reap the child (killed first when it is still running)."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
        pid, self.pid = self.pid, None
        if pid is not None:
            _reap(pid)
        self._codes.clear()
        self._headers.clear()
        self._buffer.clear()
        if self._stops is not None:
            self._stops.close()
            self._stops = None

    # ---- parent: headers ---------------------------------------------------------------

    def owns_header(self, path: str) -> bool:
        """Whether the child was asked for the header of ``path``."""
        index = self._order.get(path)
        return index is not None and index >= self._first_header

    def header(self, path: str) -> RevisionHeader | None:
        """The header read ahead for ``path`` (None: the parent reads it itself). The first
        call runs :attr:`warm_up`, then reads headers from the far end of the child's part
        until the two meet; later calls wait for the child where it has not got yet."""
        if not self._met:
            self._met = True
            if self.warm_up is not None:
                warm_up, self.warm_up = self.warm_up, None
                with contextlib.suppress(Exception):
                    warm_up()
            self._meet_headers()
        index = self._order.get(path)
        if index is None:
            return None
        while (
            path not in self._headers
            and self._fd is not None
            and self._first_header + self._headers_covered <= index
        ):
            if not self._read(block=True):
                break
        return self._headers.pop(path, None)

    def _meet_headers(self) -> None:
        for index in range(len(self._paths) - 1, self._first_header - 1, -1):
            self._drain()
            if self._fd is None or index < self._first_header + self._headers_covered:
                return
            self._stop_at(0, index)
            path = self._paths[index]
            if path not in self._headers:
                with untracked():  # mig reading a script, not a step's dependency
                    header = _quietly(functools.partial(read_header, path))
                if isinstance(header, RevisionHeader):
                    self._headers[path] = header

    def _stop_at(self, which: int, index: int) -> None:
        """Tell the child to stop its headers (``which`` 0) or compiling (1) at ``index``."""
        if self._stops is not None:
            self._stops[which * 8 : which * 8 + 8] = struct.pack("<q", index)

    # ---- parent: bytecode --------------------------------------------------------------

    def prepare(self, paths: Sequence[str]) -> None:
        """``paths`` are about to be loaded: compile those the child has not reached yet,
        from the far end of its list, until the child and the parent meet."""
        if self._fd is None:
            return
        wanted = sorted((self._order[p] for p in set(paths) if p in self._order), reverse=True)
        paths_of = {index: path for path, index in self._order.items()}
        for index in wanted:
            self._drain()
            if self._fd is None or index < self._covered:
                return
            self._stop_at(1, index)
            path = paths_of[index]
            if path not in self._codes and path not in self._given:
                compiled = _compile_quietly(path)
                if compiled is not None:
                    self._codes[path] = compiled
        self._drain()

    def code(self, path: str, source: bytes) -> CodeType | None:
        """The bytecode of ``source`` (the script at ``path`` as just read), compiled ahead,
        or None: the caller compiles it. Each compiled script is handed out once."""
        if path not in self._order or path in self._given:
            return None
        self._given.add(path)
        while (
            path not in self._codes and self._fd is not None and self._covered <= self._order[path]
        ):
            if not self._read(block=True):
                break
        found = self._codes.pop(path, None)
        if found is None:
            return None
        digest, code = found
        if digest != hashlib.sha256(source).hexdigest():
            return None
        if isinstance(code, CodeType):
            return code
        try:
            loaded = marshal.loads(code)
        except (EOFError, ValueError, TypeError):
            return None
        return loaded if isinstance(loaded, CodeType) else None

    # ---- parent: the pipe --------------------------------------------------------------

    def _drain(self) -> None:
        """Take every message already in the pipe, without waiting."""
        while self._fd is not None:
            try:
                ready, _, _ = select.select([self._fd], [], [], 0)
            except (OSError, ValueError):
                ready = [self._fd]  # a read tells what is wrong
            if not ready or not self._read(block=False):
                return

    def _read(self, *, block: bool) -> bool:
        """Read once from the pipe (waiting when ``block``) and take the whole messages;
        False at the end of the pipe (the child is then reaped) or on an error."""
        fd = self._fd
        if fd is None:
            return False
        try:
            data = os.read(fd, 1 << 20)
        except BlockingIOError:  # pragma: no cover - only readable pipes are read
            return not block
        except OSError:
            data = b""
        if not data:
            self._finish()
            return False
        self._buffer += data
        self._take_messages()
        return True

    def _take_messages(self) -> None:
        buffer = self._buffer
        start = 0
        while len(buffer) - start >= FRAME.size:
            kind, length = FRAME.unpack_from(buffer, start)
            end = start + FRAME.size + length
            if len(buffer) < end:
                break
            payload = bytes(buffer[start + FRAME.size : end])
            start = end
            try:
                self._take(kind, payload)
            except Exception:  # a damaged message: stop listening, the parent does the rest
                self._finish()
                return
        del buffer[:start]

    def _take(self, kind: bytes, payload: bytes) -> None:
        if kind == b"H":
            covered, headers = pickle.loads(payload)
            for path, header in headers:
                self._headers.setdefault(path, header)
            self._headers_covered = covered
        elif kind == b"C":
            covered, compiled = pickle.loads(payload)
            for path, digest, code in compiled:
                if path not in self._given:
                    self._codes.setdefault(path, (digest, code))
            self._covered = covered

    def _finish(self) -> None:
        """The pipe ended: keep what came, reap the child."""
        self._headers_covered = len(self._order)
        self._covered = len(self._order)
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
        pid, self.pid = self.pid, None
        if pid is not None:
            _reap(pid)


def _reap(pid: int) -> None:
    """Wait for the child ``pid`` (killed first unless it has already ended)."""
    with contextlib.suppress(ChildProcessError, OSError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == 0:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


# ---- the child ----------------------------------------------------------------------------


def _quietly(work: Callable[[], object]) -> object | None:
    """``work()``, or None when it raised or warned (the parent then does it and says so)."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = work()
    except Exception:
        return None
    return None if caught else result


def compile_quietly(source: bytes, path: str) -> CodeType | None:
    """``source`` (the script at ``path``) compiled as the loader compiles it, or None when
    compiling raised or warned: the caller then compiles it itself, so the error or the
    warning is shown as it always is."""
    found = _quietly(functools.partial(compile, source, path, "exec", dont_inherit=True))
    return found if isinstance(found, CodeType) else None


def _compile_quietly(path: str) -> tuple[str, CodeType] | None:
    """(SHA-256, code) of the script at ``path``, compiled as the loader compiles it."""
    try:
        # In the parent this may run inside a step (the first script's import compiles
        # the later ones): reading another script is not a dependency of that step.
        with untracked(), open(path, "rb") as handle:
            source = handle.read()
    except OSError:
        return None
    code = compile_quietly(source, path)
    return None if code is None else (hashlib.sha256(source).hexdigest(), code)


def _child(
    fd: int, paths: list[str], first: int, stops: mmap.mmap
) -> None:  # pragma: no cover - forked
    """Read the headers of ``paths[first:]``, then compile every script of ``paths``, each
    until the parent says where it got to from the other end (``stops``), sending what
    came in chunks; leave without any clean-up of the parent's (``os._exit``: no
    ``atexit``, no flushing of buffers the parent also holds)."""
    try:
        gc.disable()
        outbox = Outbox(fd)
        headers: list[tuple[str, RevisionHeader]] = []
        for index in range(first, len(paths)):
            if index >= _STOPS.unpack_from(stops, 0)[0]:
                break
            header = _quietly(functools.partial(read_header, paths[index]))
            if isinstance(header, RevisionHeader):
                headers.append((paths[index], header))
            if len(headers) >= CHUNK:
                outbox.send(b"H", (index + 1 - first, headers))
                headers = []
        outbox.send(b"H", (len(paths) - first, headers))
        chunk: list[tuple[str, str, bytes]] = []
        for index, path in enumerate(paths):
            if index >= _STOPS.unpack_from(stops, 0)[1]:
                break
            compiled = _compile_quietly(path)
            if compiled is not None:
                chunk.append((path, compiled[0], marshal.dumps(compiled[1])))
            if len(chunk) >= CHUNK:
                outbox.send(b"C", (index + 1, chunk))
                chunk = []
        outbox.send(b"C", (len(paths), chunk))
        outbox.flush()
    except BaseException:
        pass
    finally:
        os._exit(0)


# ---- the session of one run -------------------------------------------------------------

_CURRENT: contextvars.ContextVar[Ahead | None] = contextvars.ContextVar(
    "offline_sql_ahead", default=None
)


@contextmanager
def session(warm_up: Callable[[], None] | None = None) -> Iterator[Ahead]:
    """Scripts of the history read inside the block may be read and compiled ahead by a
    child process (see the module's doc); the child is reaped when the block ends."""
    ahead = Ahead(warm_up)
    token = _CURRENT.set(ahead)
    try:
        yield ahead
    finally:
        _CURRENT.reset(token)
        ahead.close()


def leave() -> None:
    """In a forked child of the parent: read nothing ahead (the helper's pipe is the
    parent's, and so is what comes through it)."""
    _CURRENT.set(None)


def current() -> Ahead | None:
    """The :class:`Ahead` of the enclosing :func:`session`, if any."""
    return _CURRENT.get()
