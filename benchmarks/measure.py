"""One timed run of a tool's installed command line, as a real child process.

Wall time is ``time.perf_counter`` around the child; peak memory is the ``ru_maxrss`` of that
exact child from ``os.wait4`` (``RUSAGE_CHILDREN`` would be a maximum over every child the
benchmark ever started). The child gets the environment a user's shell gives it: the
``PYTHON*`` variables a developer or CI may set (``PYTHONDONTWRITEBYTECODE`` would stop Alembic
from caching its revision scripts' bytecode, ``PYTHONUNBUFFERED`` slows writing a long script)
and ``MIG_*`` (a configured URL or dialect) are removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

TOOLS: tuple[str, str] = ("mig", "alembic")
"""The two tools compared, in the order results are shown."""

CACHE_DIR_NAMES: frozenset[str] = frozenset({".mig_cache", "__pycache__"})
"""Folders a tool writes into a project to be faster next time: mig's header/state cache and
the bytecode Python writes for Alembic's revision scripts (and ``env.py``)."""

_DROPPED_PREFIXES = ("PYTHON", "MIG_")


class MeasurementFailed(RuntimeError):
    """A measured command exited with an error; the message carries its stderr."""


@dataclass(frozen=True)
class Sample:
    """One run: wall seconds and the child's peak resident memory (KiB, as Linux reports)."""

    seconds: float
    peak_kib: int


def executable(tool: str) -> Path:
    """The tool's console script in the running interpreter's environment (the same venv)."""
    path = Path(sys.executable).parent / tool
    if not path.exists():
        hint = " (install the bench extra: pip install -e '.[bench]')" if tool == "alembic" else ""
        raise MeasurementFailed(f"{path} not found{hint}")
    return path


def child_environment() -> dict[str, str]:
    """``os.environ`` without the variables that change how either tool runs."""
    return {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED_PREFIXES)}


def run_once(
    argv: Sequence[str],
    cwd: Path,
    stdout: Path | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> Sample:
    """Run ``argv`` in ``cwd`` with stdout to ``stdout`` (or /dev/null), time it and read its
    peak memory; raise :class:`MeasurementFailed` when it exits non-zero. ``extra_env`` is
    added to :func:`child_environment` (a real history's helper shims on ``PYTHONPATH``,
    the same for both tools)."""
    out_path = stdout if stdout is not None else Path(os.devnull)
    with out_path.open("wb") as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(
            list(argv), cwd=cwd, stdout=out, stderr=err,
            env={**child_environment(), **(extra_env or {})},
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        if process.returncode != 0:
            err.seek(0)
            message = err.read().decode("utf-8", "replace").strip()
            raise MeasurementFailed(
                f"{' '.join(argv)} (in {cwd}) exited with {process.returncode}:\n{message}"
            )
    return Sample(seconds, usage.ru_maxrss)


def tool_command(tool: str, *args: str) -> list[str]:
    """``[<venv>/bin/<tool>, *args]``."""
    return [str(executable(tool)), *args]


def clear_caches(project: Path) -> list[Path]:
    """Delete every cache folder (:data:`CACHE_DIR_NAMES`) under ``project``: the cold state
    of a first run. Returns what was deleted."""
    found = [p for p in project.rglob("*") if p.is_dir() and p.name in CACHE_DIR_NAMES]
    for folder in found:
        shutil.rmtree(folder, ignore_errors=True)
    return found


class CodeWatch:
    """Notices edits to mig's own code between runs.

    mig keys its caches by its code, so in a development checkout that others are editing
    while the benchmark runs, an edit turns a "warm" or "second" run into a cold one. The
    suite asks :meth:`changed` around such runs and measures again when it says so;
    :attr:`edits` counts the edits noticed, for the report."""

    def __init__(self, package: str = "offline_sql") -> None:
        spec = importlib.util.find_spec(package)
        locations = spec.submodule_search_locations if spec else None
        self.folder = Path(next(iter(locations))) if locations else None
        self.edits = 0
        self._seen = self.stamp()

    def stamp(self) -> str:
        """A digest of the size and modification time of every ``.py`` file of the package."""
        if self.folder is None:
            return ""
        digest = hashlib.sha256()
        for path in sorted(self.folder.rglob("*.py")):
            with contextlib.suppress(OSError):
                status = path.stat()
                digest.update(f"{path}:{status.st_size}:{status.st_mtime_ns}\n".encode())
        return digest.hexdigest()

    def changed(self) -> bool:
        """Whether the code changed since the last call (or since the watch was made)."""
        now = self.stamp()
        changed, self._seen = now != self._seen, now
        self.edits += changed
        return changed
