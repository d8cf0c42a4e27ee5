"""One timed run of a tool's installed command line, as a real child process.

Wall time is ``time.perf_counter`` around the child; peak memory is the ``ru_maxrss`` of that
exact child from ``os.wait4`` (``RUSAGE_CHILDREN`` would be a maximum over every child the
benchmark ever started). Children are started by a small launcher process, not by the
benchmark itself: Linux counts the resident memory of the process that forks into the child's
``ru_maxrss`` (the child shares it until ``exec``), so a child of the benchmark (about 46 MiB by
then) never measured less than that; a child of the launcher starts from about 12 MiB, less
than any command measured (``python -c pass`` takes 11). The child gets the environment a
user's shell gives it: the ``PYTHON*`` variables a developer or CI may set
(``PYTHONDONTWRITEBYTECODE`` would stop Alembic from caching its revision scripts' bytecode,
``PYTHONUNBUFFERED`` slows writing a long script) and ``MIG_*`` (a configured URL or dialect)
are removed.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
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
    with tempfile.TemporaryDirectory() as scratch:
        err_path = Path(scratch) / "stderr"
        job = {
            "argv": list(argv),
            "cwd": str(cwd),
            "stdout": str(out_path),
            "stderr": str(err_path),
            "env": {**child_environment(), **(extra_env or {})},
        }
        seconds, peak_kib, code = _launcher().run(job)
        if code != 0:
            message = err_path.read_bytes().decode("utf-8", "replace").strip()
            raise MeasurementFailed(f"{' '.join(argv)} (in {cwd}) exited with {code}:\n{message}")
    return Sample(seconds, peak_kib)


_LAUNCHER_SOURCE = """
import json, os, subprocess, sys, time
for line in sys.stdin:
    job = json.loads(line)
    with open(job["stdout"], "wb") as out, open(job["stderr"], "wb") as err:
        start = time.perf_counter()
        child = subprocess.Popen(
            job["argv"], cwd=job["cwd"], stdout=out, stderr=err, env=job["env"]
        )
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    print(json.dumps([seconds, usage.ru_maxrss, child.returncode]), flush=True)
"""
"""What the launcher runs: one job (JSON) a line in, ``[seconds, peak KiB, exit code]`` out."""


class _Launcher:
    """The small process that starts, times and reaps every measured child (see the module's
    doc); it ends when the benchmark closes its input (or exits)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER_SOURCE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=child_environment(),
        )

    def run(self, job: Mapping[str, object]) -> tuple[float, int, int]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(job) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise MeasurementFailed(f"the launcher stopped (exit {self.process.wait()})")
        seconds, peak_kib, code = json.loads(answer)
        return float(seconds), int(peak_kib), int(code)

    def close(self) -> None:
        """End the launcher (its input closed, it leaves its loop) and reap it."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.process.wait()


_LAUNCHER: _Launcher | None = None


def _launcher() -> _Launcher:
    global _LAUNCHER
    if _LAUNCHER is None or _LAUNCHER.process.poll() is not None:
        _LAUNCHER = _Launcher()
        atexit.register(_LAUNCHER.close)
    return _LAUNCHER


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
