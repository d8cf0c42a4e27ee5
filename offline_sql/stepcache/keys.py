"""Cache keys: digests of everything a step's result depends on.

A step's result is a function of the schema state before it, the script's bytes, the files
the script read (checked separately, see :mod:`.deps`), and the command's context: mig's own
code, the versions of SQLAlchemy, sqlglot and Python, the dialect, the whole configuration
and the baseline. The context goes into a *namespace* digest that starts every chain, so a
change to any of it misses every entry at once.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from functools import cache, lru_cache
from pathlib import Path

from offline_sql._version import __version__
from offline_sql.dialect_api.registry import dialects_folder

TYPE_CHECKING = False  # not typing's: importing it costs a memo-answered run 3 ms
if TYPE_CHECKING:
    from offline_sql.config import Config

FORMAT = 1
"""Bumped when what a key covers changes."""


_JOINED = 1024
"""Pieces hashed in one update, two a part (its length, its bytes): a key of a few parts
takes one update, a walk's key (four parts a revision) one every 128 revisions."""


def digest(*parts: str) -> str:
    """SHA-256 of the parts, each length-prefixed so no two part lists collide."""
    hasher = hashlib.sha256()
    chunks: list[bytes] = []
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        chunks.append(len(data).to_bytes(8, "big"))
        chunks.append(data)
        # Joined and hashed a batch at a time: the same digest as one update over them all,
        # without two calls a part, and without every part's bytes held at once (a walk of
        # 5,000 steps held 4 MiB for its key, a first run's highest point at its end).
        if len(chunks) >= _JOINED:
            hasher.update(b"".join(chunks))
            chunks.clear()
    hasher.update(b"".join(chunks))
    return hasher.hexdigest()


@cache
def code_folders() -> tuple[Path, ...]:
    """mig's code: the package, and the dialects' folder when it lies outside it (an editable
    install maps the checkout's top-level ``dialects/`` to ``offline_sql.dialects``)."""
    package = Path(__file__).resolve().parent.parent
    dialects = dialects_folder()
    return (package,) if dialects.is_relative_to(package) else (package, dialects)


def _tree_stamp(folder: Path) -> str:
    """Names, sizes and mtimes of every ``.py`` file under ``folder`` (following
    symlinked folders): an edited checkout of mig is a new mig."""
    parts: list[str] = []
    for root, dirs, files in os.walk(folder, followlinks=True):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        # One relpath a folder, not a file (1.5-1.9 ms -> 1.1-1.3 ms for mig's tree, paid by
        # every command the cache answers).
        relative = os.path.relpath(root, folder)
        prefix = "" if relative == os.curdir else os.path.join(relative, "")
        for name in sorted(files):
            if name.endswith(".py"):
                st = os.stat(os.path.join(root, name))
                parts.append(f"{prefix}{name}:{st.st_size}:{st.st_mtime_ns}")
    return digest(*parts)


def _package_stamp(name: str) -> str:
    """Where an installed package is and when its files were written, without importing it
    (an upgrade rewrites them)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.origin:
        return f"{name}:absent"
    folder = Path(spec.origin).parent
    parts = [name, str(folder)]
    for candidate in ("__init__.py", "_version.py", "version.py"):
        try:
            st = (folder / candidate).stat()
        except OSError:
            continue
        parts.append(f"{candidate}:{st.st_size}:{st.st_mtime_ns}")
    return digest(*parts)


@cache
def tool_fingerprint() -> str:
    """mig's version and code, Python's version, SQLAlchemy's and sqlglot's installations."""
    return digest(
        f"format {FORMAT}",
        __version__,
        *map(_tree_stamp, code_folders()),
        sys.version,
        _package_stamp("sqlalchemy"),
        _package_stamp("sqlglot"),
    )


def namespace(config: Config, baseline_hash: str) -> str:
    """The digest every chain of this command starts from."""
    return digest("namespace", tool_fingerprint(), repr(config), baseline_hash)


@lru_cache(maxsize=64)
def step_key(state_key: str, revision: str, direction: str, source_sha256: str) -> str:
    """The key of one step's entries: the state before it and the script's bytes.

    Remembered for the last few steps: a step asks for its key up to three times (its
    lookup, its run, its rendering's key), a first run at N = 1,000 hashed 3,000 keys."""
    return digest("step", state_key, revision, direction, source_sha256)


def state_after(step: str, deps: tuple[tuple[str, str], ...]) -> str:
    """The state key after a step, given the files its script read."""
    return digest("after", step, *(f"{path}\0{sha}" for path, sha in deps))
