"""Standard output that fails in one line and leaves no partial script behind.

``mig upgrade head --sql > deploy.sql`` on a full disk (or ``> /dev/full``) fails part-way
through the script. A DBA must never find half a script where a whole one was expected, so
when writing fails:

* a regular file given as stdout is cut back to the size it had before mig wrote to it (only
  mig's bytes go; ``>>`` keeps what was there), since a truncated script could apply half a
  migration;
* the rest of stdout goes to the null device, so Python's flush at exit does not print a
  second error;
* the failure is an :class:`OutputError`, which the CLI prints as one ``mig: error:`` line.

A closed pipe (``mig ... | head``) is left to click, which exits quietly as Unix tools do.
"""

from __future__ import annotations

import errno
import os
import stat
import sys

from offline_sql.errors import OutputError

_start_size: int | None = None
"""Size of stdout before mig's first write, when stdout is a regular file (see :func:`begin`)."""


def _stdout_fd() -> int | None:
    try:
        return sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # CliRunner, a closed or replaced stream
        return None


def begin() -> None:
    """Note where stdout stands, before a command writes anything to it."""
    global _start_size
    _start_size = None
    fd = _stdout_fd()
    if fd is None:
        return
    try:
        sys.stdout.flush()
        info = os.fstat(fd)
    except (OSError, ValueError):
        return
    if stat.S_ISREG(info.st_mode):
        _start_size = info.st_size


def give_up(exc: OSError) -> OutputError:
    """Undo what reached a regular file, silence stdout, and describe the failure."""
    fd = _stdout_fd()
    removed = ""
    if fd is not None:
        if _start_size is not None:
            try:
                os.ftruncate(fd, _start_size)
                removed = "; the partial script was removed"
            except OSError:
                removed = "; the output file holds a partial script: delete it"
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, fd)
            os.close(null)
        except OSError:  # pragma: no cover - the null device always opens
            pass
    return OutputError(f"cannot write to standard output: {exc.strerror or exc}{removed}")


def echo(text: str, nl: bool = True) -> None:
    """``click.echo`` to stdout; a failure (disk full, I/O error) is an :class:`OutputError`."""
    import click  # here: a run the result memo answers before the command line has none

    try:
        click.echo(text, nl=nl)
    except OSError as exc:
        if exc.errno == errno.EPIPE:
            raise
        raise give_up(exc) from exc
