"""Where mig's time goes, for a measurement that misses its target: one run of the same
command in the same state under ``cProfile``, summarised as the functions with the most
cumulative and the most own time."""

from __future__ import annotations

import pstats
import subprocess
import sys
import sysconfig
import time
from collections.abc import Mapping
from pathlib import Path

from benchmarks.measure import child_environment, executable

TOP_CUMULATIVE = 25
TOP_OWN = 15
_PREFIXES = (
    sysconfig.get_paths()["purelib"],
    sysconfig.get_paths()["stdlib"],
    sys.prefix,
    str(Path(__file__).resolve().parent.parent),
)
"""Cut off the front of a profiled function's path: site-packages, the standard library,
the venv, the repository."""

FunctionKey = tuple[str, int, str]


class ProfileFailed(RuntimeError):
    """mig failed under the profiler (its statistics would describe an error, not the work)."""


_RUNNER = """
import cProfile, runpy, sys
output, script = sys.argv[1], sys.argv[2]
sys.argv = sys.argv[2:]
profiler = cProfile.Profile()
status = 0
profiler.enable()
try:
    runpy.run_path(script, run_name="__main__")
except SystemExit as exit:
    status = exit.code if isinstance(exit.code, int) else int(exit.code is not None)
finally:
    profiler.disable()
    profiler.dump_stats(output)
sys.exit(status)
"""
"""``python -m cProfile`` swallows the script's exit status; this keeps it."""


def profile_mig(
    args: list[str], cwd: Path, output: Path, extra_env: Mapping[str, str] | None = None
) -> tuple[float, pstats.Stats]:
    """Run ``mig args`` in ``cwd`` under cProfile (profile data in ``output``); returns the
    wall seconds (with the profiler's overhead) and the statistics, or raises
    :class:`ProfileFailed` when mig fails (its profile would describe an error)."""
    argv = [sys.executable, "-c", _RUNNER, str(output), str(executable("mig")), *args]
    start = time.perf_counter()
    result = subprocess.run(
        argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env={**child_environment(), **(extra_env or {})}, check=False,
    )
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        errors = result.stderr.decode("utf-8", "replace").strip()
        raise ProfileFailed(f"mig {' '.join(args)} exited with {result.returncode}: {errors}")
    return seconds, pstats.Stats(str(output))


def _where(key: FunctionKey) -> str:
    """``path:line(function)`` with the venv or repository prefix cut off."""
    path, line, name = key
    for prefix in _PREFIXES:
        if path.startswith(prefix):
            path = path[len(prefix) :].lstrip("/")
            break
    return f"{path}:{line}({name})" if line else name


SPINE = 0.95
"""In the cumulative ranking, functions with at least this share of the whole run's time are
left out: they are the chain that leads to the work (entry point, click, the command)."""


def _table(stats: pstats.Stats, column: int, top: int) -> list[str]:
    """Markdown rows of the ``top`` functions by ``column`` (2 own time, 3 cumulative)."""
    entries = stats.stats  # type: ignore[attr-defined]
    ranked = sorted(entries.items(), key=lambda item: item[1][column], reverse=True)
    if column == 3 and ranked:
        whole = ranked[0][1][3]
        ranked = [item for item in ranked if item[1][3] < SPINE * whole]
    ranked = ranked[:top]
    rows = ["| function | calls | own (s) | cumulative (s) |", "| --- | ---: | ---: | ---: |"]
    for key, (_, calls, own, cumulative, _) in ranked:
        where = _where(key).replace("|", "\\|")
        rows.append(f"| `{where}` | {calls} | {own:.2f} | {cumulative:.2f} |")
    return rows


def summarise(title: str, seconds: float, stats: pstats.Stats) -> str:
    """A Markdown section: the command's profiled time, and the two rankings."""
    total = stats.total_tt  # type: ignore[attr-defined]
    lines = [
        f"#### {title}",
        "",
        f"Profiled run: {seconds:.2f} s wall, {total:.2f} s in profiled functions"
        " (cProfile's overhead included).",
        "",
        f"Top {TOP_CUMULATIVE} by cumulative time (without the functions every call passes"
        f" through, which take over {SPINE:.0%} of it):",
        "",
        *_table(stats, 3, TOP_CUMULATIVE),
        "",
        f"Top {TOP_OWN} by own time:",
        "",
        *_table(stats, 2, TOP_OWN),
    ]
    return "\n".join(lines)
