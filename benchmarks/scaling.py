"""Whether mig's cost is proportional to the history (issue 16, item 1).

For every row measured at several sizes N (the same label, the same state), mig's median
time and peak memory are divided by N; the check fails when the value per revision at the
largest N exceeds the one at the smallest N by more than :data:`MAX_GROWTH`. Linear work
keeps it flat (a fixed start-up cost even makes it fall); quadratic work doubles it each time
N doubles. Pure functions of the results, so the report can be tested on made-up numbers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from benchmarks.results import Measurement, Metric

MAX_GROWTH = 0.25
"""Allowed growth of time or memory per revision from the smallest to the largest N."""


@dataclass(frozen=True)
class Scaling:
    """One row's cost per revision at its smallest and largest N, for mig."""

    label: str
    metric: Metric
    small_n: int
    large_n: int
    small: float
    """Median per revision at ``small_n`` (seconds or MiB)."""
    large: float

    @property
    def growth(self) -> float:
        return self.large / self.small - 1 if self.small > 0 else 0.0

    @property
    def ok(self) -> bool:
        return self.growth <= MAX_GROWTH


def scaling(measurements: list[Measurement]) -> list[Scaling]:
    """The rows measured at two or more sizes (whole-history runs, to stdout and into a
    directory, and their memory)."""
    by_row: dict[tuple[str, str, Metric], list[Measurement]] = defaultdict(list)
    for row in measurements:
        swept = row.group in ("whole", "directory", "memory")
        if row.n and swept and row.median("mig") is not None:
            by_row[(row.group, row.label, row.metric)].append(row)
    found = []
    for (_, label, metric), rows in by_row.items():
        if len({row.n for row in rows}) < 2:
            continue
        small = min(rows, key=lambda row: row.n or 0)
        large = max(rows, key=lambda row: row.n or 0)
        assert small.n and large.n
        found.append(
            Scaling(
                label,
                metric,
                small.n,
                large.n,
                (small.median("mig") or 0) / small.n,
                (large.median("mig") or 0) / large.n,
            )
        )
    return found


def section(rows: list[Scaling]) -> list[str]:
    """The report's table (empty without rows measured at two sizes)."""
    if not rows:
        return []
    lines = [
        "### Cost per revision (mig): linear in the history?",
        "",
        f"Fails when time or memory per revision grows by more than {MAX_GROWTH:.0%} from the "
        "smallest to the largest N.",
        "",
        "| measurement | metric | N small | per revision | N large | per revision | growth "
        "| met? |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        unit, scale = ("ms", 1000.0) if row.metric == "seconds" else ("KiB", 1024.0)
        lines.append(
            f"| {row.label} | {'time' if row.metric == 'seconds' else 'peak memory'} "
            f"| {row.small_n:,} | {row.small * scale:.2f} {unit} | {row.large_n:,} "
            f"| {row.large * scale:.2f} {unit} | {row.growth:+.0%} "
            f"| {'yes' if row.ok else '**no**'} |"
        )
    return [*lines, ""]
