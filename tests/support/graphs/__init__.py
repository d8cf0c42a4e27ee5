"""Builders of revision histories for the header, index, graph and plan tests.

A history is a list of :class:`Rev` specs; :func:`write_history` writes them as real scripts
into a ``versions/`` folder, :func:`graph_of` builds the graph in memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from offline_sql.graph import RevisionGraph
from offline_sql.script.header import RevisionHeader


@dataclass(frozen=True)
class Rev:
    """One revision of a test history."""

    revision: str
    down: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        return f"step {self.revision}"

    def header(self) -> RevisionHeader:
        return RevisionHeader(
            revision=self.revision,
            down_revisions=self.down,
            branch_labels=self.labels,
            depends_on=self.depends_on,
            message=self.message,
            path=f"versions/{self.revision}.py",
        )


def r(revision: str, *down: str, labels: Sequence[str] = (), deps: Sequence[str] = ()) -> Rev:
    return Rev(revision, tuple(down), tuple(labels), tuple(deps))


LINEAR = [r("a1"), r("a2", "a1"), r("a3", "a2"), r("a4", "a3")]
"""a1 <- a2 <- a3 <- a4"""

BRANCHED = [r("a1"), r("a2", "a1"), r("b1", "a1"), r("b2", "b1"), r("a3", "a2")]
"""a1 <- a2 <- a3 and a1 <- b1 <- b2: branch point a1, heads a3 and b2."""

MERGED = [*BRANCHED, r("m1", "a3", "b2"), r("c1", "m1")]
"""BRANCHED joined by merge m1, then c1."""

DEPENDS = [
    r("a1"),
    r("a2", "a1"),
    r("x1", labels=["other"]),
    r("x2", "x1"),
    r("a3", "a2", deps=["x1"]),
]
"""Two independent roots; a3 depends on x1 of the other branch."""

LABELLED = [
    r("a1"),
    r("a2", "a1", labels=["main"]),
    r("s1", "a1", labels=["shop"]),
    r("s2", "s1"),
    r("s3", "s2"),
    r("a3", "a2"),
]
"""Branch point a1: 'main' (a2, a3) and 'shop' (s1, s2, s3)."""

HISTORIES = {
    "linear": LINEAR,
    "branched": BRANCHED,
    "merged": MERGED,
    "depends": DEPENDS,
    "labelled": LABELLED,
}


def graph_of(history: Sequence[Rev]) -> RevisionGraph:
    return RevisionGraph.from_headers(rev.header() for rev in history)


def script_text(rev: Rev, body: str = "") -> str:
    """A revision script as ``mig revision`` would write it (plus ``body``)."""
    down: object = rev.down[0] if len(rev.down) == 1 else (rev.down or None)
    return (
        f'"""{rev.message}\n\nRevision ID: {rev.revision}\n"""\n'
        "from offline_sql import op\n\n"
        f"revision = {rev.revision!r}\n"
        f"down_revision = {down!r}\n"
        f"branch_labels = {rev.labels or None!r}\n"
        f"depends_on = {rev.depends_on or None!r}\n\n"
        f"{body}"
        "def upgrade() -> None:\n    pass\n\n\n"
        "def downgrade() -> None:\n    pass\n"
    )


def write_history(versions: Path, history: Sequence[Rev]) -> list[Path]:
    """Write each revision as ``versions/<n>_<rev>.py``; return the paths."""
    versions.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, rev in enumerate(history):
        path = versions / f"{number:04d}_{rev.revision}.py"
        path.write_text(script_text(rev), encoding="utf-8")
        paths.append(path)
    return paths
