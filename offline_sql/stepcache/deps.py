"""What a revision script read besides its own source: the files a cached step depends on.

A step's cached output is keyed by the script's bytes, but a script may import the project's
own modules (helpers, models) or read a file (``op.execute(Path(...).read_text())``). While a
script runs, :func:`tracking` collects:

* every file opened (Python's ``open`` audit event, which imports raise too), and
* every module loaded from outside the Python installation (the project's own code, an
  editable install), even one an earlier script imported first.

Files of the Python installation, of installed packages and of mig itself are left out: their
versions are part of every cache key already. The content hashes of what remains are stored
with the step and compared before the step is reused, so an edited helper or data file makes
every step that read it (and every step after it) run again.
"""

from __future__ import annotations

import contextvars
import hashlib
import os
import sys
import sysconfig
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

_ACTIVE: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar(
    "offline_sql_dependency_tracking", default=None
)
_hook_installed = False

MISSING = "-"
"""The hash recorded for a file that does not exist (so creating it invalidates)."""


@cache
def _excluded_roots() -> tuple[str, ...]:
    """Folders whose files never count as dependencies (versioned through the cache key)."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    for name in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(name)
        if path:
            roots.add(path)
    package = Path(__file__).resolve().parent.parent
    roots.add(str(package))
    roots.add(str((package / "dialects").resolve()))
    roots.update(("/dev", "/proc", "/sys"))
    return tuple(sorted(os.path.join(os.path.realpath(r), "") for r in roots if r))


def _counts(path: str) -> bool:
    inside = os.path.realpath(path) + os.sep
    return not any(inside.startswith(root) for root in _excluded_roots())


def _reads(mode: object, flags: object) -> bool:
    """Whether an ``open`` audit event opens for reading (a log a script writes is not
    something its output depends on)."""
    if isinstance(mode, str):
        return "r" in mode or "+" in mode
    if isinstance(flags, int):
        return flags & os.O_ACCMODE != os.O_WRONLY
    return True


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event != "open":
        return
    found = _ACTIVE.get()
    if found is None or not args:
        return
    path = args[0]
    mode = args[1] if len(args) > 1 else None
    flags = args[2] if len(args) > 2 else None
    if isinstance(path, (str, bytes, os.PathLike)) and _reads(mode, flags):
        found.add(os.path.abspath(os.fsdecode(path)))


def _install_hook() -> None:
    global _hook_installed
    if not _hook_installed:
        sys.addaudithook(_audit)
        _hook_installed = True


_module_memo: tuple[int, frozenset[str]] = (-1, frozenset())


def local_module_files() -> frozenset[str]:
    """Source files of loaded modules that live outside the Python installation and mig."""
    global _module_memo
    count = len(sys.modules)
    if _module_memo[0] == count:
        return _module_memo[1]
    files = set()
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and _counts(path):
            files.add(os.path.abspath(path))
    _module_memo = (count, frozenset(files))
    return _module_memo[1]


@contextmanager
def tracking(script: str) -> Iterator[set[str]]:
    """Collect the dependency paths of the code run inside (the script itself excluded)."""
    _install_hook()
    found: set[str] = set()
    token = _ACTIVE.set(found)
    try:
        yield found
    finally:
        _ACTIVE.reset(token)
        found.update(local_module_files())
        own = os.path.abspath(script)
        kept = {p for p in found if p != own and _counts(p) and not os.path.isdir(p)}
        found.clear()
        found.update(kept)


def file_hash(path: str) -> str:
    """Hex SHA-256 of the file's bytes, :data:`MISSING` when it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return MISSING


class Hasher:
    """File hashes memoised for one command: a file read by every script is hashed once."""

    def __init__(self) -> None:
        self._memo: dict[str, str] = {}

    def __call__(self, path: str) -> str:
        found = self._memo.get(path)
        if found is None:
            found = self._memo[path] = file_hash(path)
        return found

    def forget(self) -> None:
        self._memo.clear()
