"""The machine and software a benchmark ran on, for the report's header (numbers from two
machines are not comparable; ratios from one run are)."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("mig", "SQLAlchemy", "sqlglot", "alembic")


def _proc_value(path: str, key: str) -> str | None:
    """The value of ``key: value`` in a /proc file, or None (not Linux, or missing)."""
    try:
        text = Path(path).read_text()
    except OSError:
        return None
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == key:
            return value.strip()
    return None


def cpu() -> str:
    model = _proc_value("/proc/cpuinfo", "model name") or platform.processor() or "unknown"
    return f"{model}, {os.cpu_count()} logical cores"


def memory() -> str:
    total = _proc_value("/proc/meminfo", "MemTotal")
    if total is None:
        return "unknown"
    return f"{int(total.split()[0]) / 1024 / 1024:.1f} GiB"


def operating_system() -> str:
    """``PRETTY_NAME`` of /etc/os-release and the kernel."""
    kernel = f"{platform.system()} {platform.release()}"
    try:
        lines = Path("/etc/os-release").read_text().splitlines()
    except OSError:
        return kernel
    names = [line.split("=", 1)[1].strip('"') for line in lines if line.startswith("PRETTY_NAME=")]
    return f"{names[0]} ({kernel})" if names else kernel


def commit() -> str:
    """The checkout's commit, and whether mig's package has uncommitted changes."""

    def git(*args: str) -> str:
        result = subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, check=False
        )
        return result.stdout.strip() if result.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "offline_sql")
    return f"{head} + uncommitted changes in offline_sql/" if dirty else head


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def describe(postgresql: str | None = None) -> dict[str, str]:
    """Ordered ``name -> description`` of the machine and software."""
    facts = {
        "CPU": cpu(),
        "RAM": memory(),
        "OS": operating_system(),
        "Python": f"{platform.python_version()} ({platform.python_implementation()})",
    }
    facts.update({package: version(package) for package in PACKAGES})
    facts["mig commit"] = commit()
    if hasattr(os, "getloadavg"):
        loads = ", ".join(f"{value:.2f}" for value in os.getloadavg())
        facts["Load average at the end (1, 5, 15 min)"] = f"{loads} (the benchmark adds about 1)"
    if postgresql:
        facts["PostgreSQL (verification)"] = postgresql
    return facts
