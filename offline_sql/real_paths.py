"""``os.path.realpath``, with each folder resolved once per command.

``realpath`` ``lstat``s every part of a path. The recorder asks it of each script it runs,
and the step cache of each file a script read and of each loaded module (to tell the
project's files from Python's, mig's and its libraries'): thousands of paths in a few
folders. A symlinked folder may be pointed elsewhere between two commands of one process
(a deployment's ``current``), so each command starts afresh (:func:`forget_folders`).
"""

from __future__ import annotations

import functools
import os


def real_path(path: str) -> str:
    """``os.path.realpath(path)``: the folder's real path, remembered, joined with the
    name. A relative path (it depends on the working folder), a name that is ``..`` or
    ``.``, and a file that is itself a symbolic link are resolved in full."""
    folder, name = os.path.split(path)
    if not os.path.isabs(folder) or name in ("", os.curdir, os.pardir) or os.path.islink(path):
        return os.path.realpath(path)
    return os.path.join(_real_folder(folder), name)


@functools.lru_cache(maxsize=4096)
def _real_folder(folder: str) -> str:
    return os.path.realpath(folder)


def forget_folders() -> None:
    """Resolve every folder again from now on (a new command)."""
    _real_folder.cache_clear()
