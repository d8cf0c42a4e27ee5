"""What a revision script read besides its own source: the files a cached step depends on.

A step's cached output is keyed by the script's bytes, but a script may import the project's
own modules (helpers, models) or read a file (``op.execute(Path(...).read_text())``). While a
script runs, :func:`tracking` collects:

* every file opened (Python's ``open`` audit event, which imports raise too), and
* every module loaded from outside the Python installation (the project's own code, an
  editable install), even one an earlier script imported first.

Files of the standard library, of mig, SQLAlchemy and sqlglot are left out: their versions are
part of every cache key already. An installed package a script imports counts (its import
opens its files); one mig had loaded before any script ran does not. The content hashes of
what remains are stored with the step and compared before the step is reused, so an edited
helper, data file or upgraded package makes every step that read it (and every step after
it) run again.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pathlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from offline_sql.real_paths import real_path
from offline_sql.stepcache.keys import code_folders
from offline_sql.tracked_reads import ACTIVE as _ACTIVE
from offline_sql.tracked_reads import untracked as untracked

TYPE_CHECKING = False  # not typing's: importing it costs a memo-answered run 3 ms
if TYPE_CHECKING:
    from typing import Any

_hook_installed = False

MISSING = "-"
"""The hash recorded for a file that does not exist (so creating it invalidates)."""


def _roots(paths: set[str]) -> tuple[str, ...]:
    return tuple(sorted(os.path.join(os.path.realpath(p), "") for p in paths if p))


def _package_folder(name: str) -> str | None:
    spec = importlib.util.find_spec(name)
    return str(Path(spec.origin).parent) if spec is not None and spec.origin else ""


@cache
def _versioned_roots() -> tuple[str, ...]:
    """Folders whose files are never dependencies: their versions are in every cache key
        already (the standard library with Python's version; mig, SQLAlchemy and sqlglot with
        their own fingerprints), or they change by themselves (``/proc``, ``/sys``). Devices
    (``/dev/null``) are left out because they are not regular files; a RAM disk's are."""
    import sysconfig  # here: a run the result memo answers never asks (0.4 ms to import)

    paths = {sysconfig.get_paths().get(name, "") for name in ("stdlib", "platstdlib")}
    paths |= {str(folder) for folder in code_folders()}
    paths |= {_package_folder("sqlalchemy") or "", _package_folder("sqlglot") or ""}
    paths |= {"/proc", "/sys"}
    return _roots(paths)


@cache
def _installation_roots() -> tuple[str, ...]:
    """Folders of the Python installation, installed packages included. A module loaded
    from there before a script ran is not a dependency (mig and its libraries load many);
    one a script imports is, through the files its import opens."""
    import sysconfig

    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    paths |= {sysconfig.get_paths().get(n, "") for n in ("purelib", "platlib")}
    return _roots(paths) + _versioned_roots()


def _under(path: str, roots: tuple[str, ...]) -> bool:
    inside = real_path(path) + os.sep
    return any(inside.startswith(root) for root in roots)


def _source_of(path: str) -> str:
    """A compiled module's source (an import opens ``__pycache__/x.pyc``; what changes on an
    upgrade is ``x.py``, and the stale ``.pyc`` may stay)."""
    if path.endswith(".pyc") and f"{os.sep}__pycache__{os.sep}" in path:
        try:
            return importlib.util.source_from_cache(path)
        except ValueError:
            return path
    return path


def _reads(mode: object, flags: object) -> bool:
    """Whether an ``open`` audit event opens for reading (a log a script writes is not
    something its output depends on)."""
    if isinstance(mode, str):
        return "r" in mode or "+" in mode
    if isinstance(flags, int):
        return flags & os.O_ACCMODE != os.O_WRONLY
    return True


LISTING = "ls:"
"""Prefix of a dependency that is a folder's list of names (a script that globs a folder)."""
PRESENCE = "stat:"
"""Prefix of a dependency on whether a path exists and is a file or a folder (a script that
checks for an optional file: ``os.stat``, which ``exists()`` uses, raises no audit event)."""
_PREFIXES = (LISTING, PRESENCE)

_LISTING_EVENTS = frozenset({"os.listdir", "os.scandir"})


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event != "open" and event not in _LISTING_EVENTS:
        return
    found = _ACTIVE.get()
    if found is None or not args:
        return
    path = args[0]
    if not isinstance(path, (str, bytes, os.PathLike)):
        return
    if event == "open":
        mode = args[1] if len(args) > 1 else None
        flags = args[2] if len(args) > 2 else None
        if _reads(mode, flags):
            found.add(os.path.abspath(os.fsdecode(path)))
    elif not _by_the_import_system():
        found.add(LISTING + os.path.abspath(os.fsdecode(path)))


def _by_the_import_system() -> bool:
    """Whether a folder listing comes from the import system's finder (it lists every
    folder on ``sys.path`` to import anything): that is not the script reading a folder."""
    frame = sys._getframe(2)
    for _ in range(4):
        if frame is None:
            return False
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


_real_stat = os.stat


def _noting_stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
    """``os.stat`` that notes the path while a script runs (``exists()``, ``is_file()``)."""
    found = _ACTIVE.get()
    if found is not None and isinstance(path, (str, bytes, os.PathLike)):
        found.add(PRESENCE + os.path.abspath(os.fsdecode(path)))
    return _real_stat(path, *args, **kwargs)


def _install_hook() -> None:
    """Once per process: the audit hook (it cannot be removed) and the noting ``os.stat``
    (both do nothing unless a script is being tracked)."""
    global _hook_installed
    if not _hook_installed:
        sys.addaudithook(_audit)
        os.stat = _noting_stat
        # Python 3.10's pathlib bound os.stat at import time, in an accessor class.
        accessor = getattr(pathlib, "_NormalAccessor", None)
        if accessor is not None and accessor.__dict__.get("stat") is _real_stat:
            accessor.stat = staticmethod(_noting_stat)
        _hook_installed = True


_module_memo: tuple[int, frozenset[str]] = (-1, frozenset())
_module_outside: dict[str, bool] = {}
"""Module file -> whether it lies outside the Python installation. When a script imports a
module, every loaded module is looked at again; ``realpath`` is asked only of the new ones
(a real history's first run spent 50 ms in rescans, 17 ms each)."""


def local_module_files() -> frozenset[str]:
    """Source files of loaded modules that live outside the Python installation and mig."""
    global _module_memo
    count = len(sys.modules)
    if _module_memo[0] == count:
        return _module_memo[1]
    roots = _installation_roots()
    files = set()
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if not isinstance(path, str):
            continue
        outside = _module_outside.get(path)
        if outside is None:
            outside = _module_outside[path] = not _under(path, roots)
        if outside:
            files.add(os.path.abspath(path))
    _module_memo = (count, frozenset(files))
    return _module_memo[1]


Versioned = dict[str, bool]
"""Path -> whether it lies under :func:`_versioned_roots`, remembered for one command (as
file hashes are, :class:`Hasher`): a project module every script imports is a dependency
of every step, and ``realpath`` takes tens of microseconds."""


@contextmanager
def tracking(script: str, versioned: Versioned | None = None) -> Iterator[set[str]]:
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
        memo = {} if versioned is None else versioned
        opened = {_source_of(p) for p in found}
        kept = {p for p in opened if _kept(p, own, memo)}
        found.clear()
        found.update(kept)


def _kept(path: str, own: str, versioned: Versioned) -> bool:
    for prefix in _PREFIXES:
        if path.startswith(prefix):
            target = path[len(prefix) :]
            return target != own and not _is_versioned(target, versioned)
    if path == own or _is_versioned(path, versioned):
        return False
    return os.path.isfile(path) or not os.path.exists(path)  # not a device, nor a folder


def _is_versioned(path: str, versioned: Versioned) -> bool:
    found = versioned.get(path)
    if found is None:
        found = versioned[path] = _under(path, _versioned_roots())
    return found


def file_hash(path: str) -> str:
    """Hex SHA-256 of the file's bytes (of the sorted names in it, for a :data:`LISTING`),
    :data:`MISSING` when it cannot be read."""
    if path.startswith(PRESENCE):
        target = path[len(PRESENCE) :]
        return (
            "file"
            if os.path.isfile(target)
            else "folder"
            if os.path.isdir(target)
            else ("other" if os.path.exists(target) else MISSING)
        )
    try:
        if path.startswith(LISTING):
            names = sorted(os.listdir(path[len(LISTING) :]))
            return hashlib.sha256("\0".join(names).encode("utf-8", "surrogateescape")).hexdigest()
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
