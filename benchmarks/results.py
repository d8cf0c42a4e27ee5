"""What a benchmark run produces: measurements with their samples and the issue's targets.

Kept free of any running or formatting code, so the report can be built (and tested) from
made-up results.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Literal

from benchmarks.measure import Sample

Metric = Literal["seconds", "peak_mib"]
Group = Literal["whole", "directory", "near", "browse", "help", "memory", "real"]

GROUP_TITLES: dict[Group, str] = {
    "whole": "1. Whole history: `upgrade head --sql`",
    "directory": (
        "1b. Whole history into a directory: mig `upgrade head --sql -o DIR` (files, rollback,"
        " review, manifest) against Alembic `upgrade head --sql`"
    ),
    "near": "2. Near-head range: `upgrade <two before head>:head --sql`",
    "browse": "3. Browsing: `heads` and `history`",
    "help": "4. `--help`",
    "memory": "5. Peak memory of the whole-history run (measurements 1 and 1b)",
    "real": "6. A real history: `upgrade head --sql` on a project's own migrations",
}


@dataclass(frozen=True)
class Target:
    """The issue's goal for one measurement: mig/Alembic ratio of the medians at most
    ``ratio_max`` and, when given, mig's median under ``mig_max`` (same unit as the metric)."""

    ratio_max: float
    mig_max: float | None = None

    def met(self, mig: float, alembic: float) -> bool:
        within_ratio = alembic > 0 and mig / alembic <= self.ratio_max
        return within_ratio and (self.mig_max is None or mig < self.mig_max)

    def describe(self, unit: str) -> str:
        text = f"<= {self.ratio_max:g}"
        if self.mig_max is not None:
            text += f" and mig < {self.mig_max:g} {unit}"
        return text


@dataclass
class Measurement:
    """One row of the report: the same command for both tools, in the same state."""

    group: Group
    label: str
    n: int | None
    """Revisions in the history (None for ``--help``)."""
    state: str
    """Which caches exist when the command runs (for the reader)."""
    metric: Metric = "seconds"
    target: Target | None = None
    args: tuple[str, ...] = ()
    """The command line after the tool's name."""
    history: str = ""
    """The name of the history (project) it ran on."""
    cold: bool = False
    """Whether the caches were deleted before each run."""
    samples: dict[str, list[Sample]] = field(default_factory=lambda: {"mig": [], "alembic": []})

    def values(self, tool: str) -> list[float]:
        """The samples of ``tool`` in the unit of :attr:`metric`."""
        if self.metric == "seconds":
            return [s.seconds for s in self.samples[tool]]
        return [s.peak_kib / 1024 for s in self.samples[tool]]

    def median(self, tool: str) -> float | None:
        values = self.values(tool)
        return statistics.median(values) if values else None

    def ratio(self) -> float | None:
        mig, alembic = self.median("mig"), self.median("alembic")
        if mig is None or not alembic:
            return None
        return mig / alembic

    def met(self) -> bool | None:
        """Whether the target is met; None without a target or without samples."""
        mig, alembic = self.median("mig"), self.median("alembic")
        if self.target is None or mig is None or alembic is None:
            return None
        return self.target.met(mig, alembic)

    @property
    def unit(self) -> str:
        return "s" if self.metric == "seconds" else "MiB"


@dataclass
class Verification:
    """The "same work" check: both tools' scripts applied to PostgreSQL give one schema."""

    checks: list[tuple[str, str | None]] = field(default_factory=list)
    """(what was compared, None when equal or the difference / error as text)."""
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        return self.skipped is None and bool(self.checks) and all(d is None for _, d in self.checks)


@dataclass
class RunResult:
    """Everything the report shows."""

    measurements: list[Measurement]
    machine: dict[str, str]
    command: str
    date: str
    seconds: float
    """Wall time of the whole benchmark run."""
    target_n: int
    verification: Verification
    profiles: dict[str, str] = field(default_factory=dict)
    """Per unmet measurement label: a profile of mig running it (Markdown)."""

    def unmet(self) -> list[Measurement]:
        return [m for m in self.measurements if m.met() is False]
