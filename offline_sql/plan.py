"""Plans: which revisions run, in which order, and how the version table changes at each step.

The version table holds the database's *heads*: the applied revisions that no other applied
revision revises or depends on (``RevisionGraph.heads_of``). "Applied" is therefore always the
set of ancestors of the rows. Every step keeps that invariant, so its version operations are
simply the difference between the rows before and after it:

* upgrade R: the rows R revises or depends on leave the table. None: INSERT R (a base, or a
  branch off a superseded branch point). One or more: DELETE all but one, UPDATE the last to R
  (a plain step is one UPDATE; a merge, or a revision absorbing a dependency head, deletes the
  other rows). The row kept is R's first ``down_revision`` among them.
* downgrade R: the exact mirror: R's prerequisites that become heads again come back, by an
  UPDATE of R to the first of them and INSERTs of the others (the upgrade's operations
  reversed and mirrored); none: DELETE R.

Upgrade applies every ancestor of the target not yet applied, in the graph's topological order.
Downgrade undoes the applied descendants of the target (everything for ``base``) in the reverse
of that order, so a downgrade is exactly the reverse of the upgrade it undoes. Every plan checks
that each step's rows follow from the previous step's rows and its operations.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from offline_sql.errors import RevisionError
from offline_sql.graph import RevisionGraph


@dataclass(frozen=True)
class VersionOp:
    """One change of the version table."""

    action: Literal["insert", "update", "delete"]
    revision: str
    """insert/delete: the row; update: the new value."""
    old: str | None = None
    """update: the old value."""


@dataclass(frozen=True)
class Step:
    """One revision run (or stamped) in one direction."""

    revision: str
    direction: Literal["up", "down"]
    run_script: bool
    """False for stamp: only the version table changes."""
    heads_before: tuple[str, ...]
    """Version rows expected before this step (sorted)."""
    heads_after: tuple[str, ...]
    version_ops: tuple[VersionOp, ...]


def plan_upgrade(
    graph: RevisionGraph, current: tuple[str, ...], target: tuple[str, ...]
) -> list[Step]:
    """Steps applying every ancestor of ``target`` that ``current`` has not applied."""
    rows = _Rows(graph, _checked_current(graph, current))
    behind = [rev for rev in target if rev in rows.applied and rev not in rows.rows]
    if behind:
        raise RevisionError(
            f"cannot upgrade from {_shown(current)} to {_shown(target)}: {', '.join(behind)} "
            f"is already applied below {_shown(current)}; to go back use downgrade"
            f"{_offline_hint('downgrade', current, target)}"
        )
    todo = graph.ancestors(target) - rows.applied
    steps = [rows.apply(rev) for rev in graph.topological(todo)]
    _check_chain(steps, rows.start, graph.heads_of(current + target))
    return steps


def plan_downgrade(
    graph: RevisionGraph, current: tuple[str, ...], target: tuple[str, ...]
) -> list[Step]:
    """Steps undoing the applied descendants of ``target`` (everything for base, ``()``)."""
    rows = _Rows(graph, _checked_current(graph, current))
    below = [rev for rev in target if rev not in rows.applied]
    if below:
        raise RevisionError(
            f"cannot downgrade from {_shown(current)} to {_shown(target)}: {', '.join(below)} "
            f"is not applied below {_shown(current)}; to move forward use upgrade"
            f"{_offline_hint('upgrade', current, target)}"
        )
    if target:
        undo = (graph.descendants(target) & rows.applied) - graph.ancestors(target)
    else:
        undo = frozenset(rows.applied)
    steps = [rows.unapply(rev) for rev in reversed(graph.topological(undo))]
    _check_chain(steps, rows.start, graph.heads_of(rows.applied))
    return steps


def plan_stamp(
    graph: RevisionGraph, current: tuple[str, ...], target: tuple[str, ...]
) -> list[Step]:
    """Version-table-only steps moving the rows from ``current`` to ``target``.

    As in Alembic, a current row unrelated to every target revision (neither ancestor nor
    descendant) stays; stamping ``base`` (``()``) empties the table. Each target row replaces
    the related current rows (UPDATE of the first, DELETE of the others) or is INSERTed; current
    rows left over are DELETEd, one step each.
    """
    graph.ancestors((*current, *target))  # raises UnknownRevisionError for an unknown id
    before = tuple(sorted(set(current)))
    if target:
        related = graph.ancestors(target) | graph.descendants(target)
        after = graph.heads_of([*target, *(rev for rev in before if rev not in related)])
    else:
        after = ()
    rows = set(before)
    leaving = [rev for rev in before if rev not in after]
    steps: list[Step] = []
    for new in (rev for rev in after if rev not in rows):
        below, above = graph.ancestors([new]), graph.descendants([new])
        replaced = [rev for rev in leaving if rev in below or rev in above]
        leaving = [rev for rev in leaving if rev not in replaced]
        if replaced:
            *dropped, kept = replaced
            ops = (*(VersionOp("delete", rev) for rev in dropped), VersionOp("update", new, kept))
            direction: Literal["up", "down"] = "up" if kept in below else "down"
        else:
            ops, direction = (VersionOp("insert", new),), "up"
        steps.append(_step(new, direction, False, rows, ops))
    for old in leaving:
        steps.append(_step(old, "down", False, rows, (VersionOp("delete", old),)))
    _check_chain(steps, before, after)
    return steps


class _Rows:
    """The applied set and its version rows, updated one revision at a time.

    ``_above[r]`` counts applied revisions that revise or depend on ``r``: ``r`` is a row
    exactly when it is 0, so each step costs its number of edges, not a graph walk.
    """

    def __init__(self, graph: RevisionGraph, applied: frozenset[str]) -> None:
        self._graph = graph
        self.applied = set(applied)
        self._above = dict.fromkeys(applied, 0)
        for rev in applied:
            for prereq in graph.prerequisites(rev):
                self._above[prereq] += 1
        self.rows = {rev for rev, count in self._above.items() if count == 0}
        self.start = tuple(sorted(self.rows))

    def apply(self, rev: str) -> Step:
        prereqs = self._graph.prerequisites(rev)
        absorbed = [p for p in prereqs if self._above[p] == 0]
        for prereq in prereqs:
            self._above[prereq] += 1
        self._above[rev] = 0
        self.applied.add(rev)
        if not absorbed:
            ops: tuple[VersionOp, ...] = (VersionOp("insert", rev),)
        else:
            kept = absorbed[0]
            dropped = sorted(absorbed[1:])
            ops = (*(VersionOp("delete", p) for p in dropped), VersionOp("update", rev, kept))
        return _step(rev, "up", True, self.rows, ops)

    def unapply(self, rev: str) -> Step:
        if self._above.get(rev) != 0:
            raise AssertionError(f"mig bug: downgrading {rev}, which is not a version row")
        del self._above[rev]
        self.applied.discard(rev)
        restored = []
        for prereq in self._graph.prerequisites(rev):
            self._above[prereq] -= 1
            if self._above[prereq] == 0:
                restored.append(prereq)
        if not restored:
            ops: tuple[VersionOp, ...] = (VersionOp("delete", rev),)
        else:
            kept = restored[0]
            added = sorted(restored[1:], reverse=True)  # the mirror of the upgrade's deletes
            ops = (VersionOp("update", kept, rev), *(VersionOp("insert", p) for p in added))
        return _step(rev, "down", True, self.rows, ops)


def _step(
    rev: str,
    direction: Literal["up", "down"],
    run_script: bool,
    rows: set[str],
    ops: tuple[VersionOp, ...],
) -> Step:
    """Build the step and apply ``ops`` to ``rows`` in place."""
    before = tuple(sorted(rows))
    _apply_ops(rows, ops)
    return Step(rev, direction, run_script, before, tuple(sorted(rows)), ops)


def _apply_ops(rows: set[str], ops: Iterable[VersionOp]) -> None:
    for op in ops:
        if op.action == "insert":
            _expect(op.revision not in rows, f"inserting {op.revision}, already a row")
            rows.add(op.revision)
        elif op.action == "delete":
            _expect(op.revision in rows, f"deleting {op.revision}, not a row")
            rows.remove(op.revision)
        else:
            _expect(op.old in rows, f"updating {op.old}, not a row")
            _expect(op.revision not in rows, f"updating to {op.revision}, already a row")
            rows.remove(op.old or "")
            rows.add(op.revision)


def _shown(revisions: tuple[str, ...]) -> str:
    return ", ".join(revisions) or "base"


def _offline_hint(command: str, current: tuple[str, ...], target: tuple[str, ...]) -> str:
    """`` (offline: `mig downgrade B:A --sql`)`` when a range can name both sides."""
    if len(current) > 1 or len(target) > 1:
        return ""
    return f" (offline: `mig {command} {_shown(current)}:{_shown(target)} --sql`)"


def _checked_current(graph: RevisionGraph, current: tuple[str, ...]) -> frozenset[str]:
    """The applied set for version rows ``current``, which must not overlap."""
    applied = graph.ancestors(current)
    heads = graph.heads_of(current)
    extra = sorted(set(current) - set(heads))
    if extra:
        raise RevisionError(
            f"the current heads {', '.join(sorted(current))} overlap: {', '.join(extra)} is "
            "below another one; the version table must hold heads only (fix it with mig stamp)"
        )
    return applied


def _check_chain(steps: list[Step], start: tuple[str, ...], end: tuple[str, ...]) -> None:
    """Each step's rows follow from the previous one and its ops; the plan ends at ``end``."""
    rows = set(start)
    for step in steps:
        _expect(step.heads_before == tuple(sorted(rows)), f"step {step.revision} starts elsewhere")
        _apply_ops(rows, step.version_ops)
        _expect(step.heads_after == tuple(sorted(rows)), f"step {step.revision} ops disagree")
    _expect(tuple(sorted(rows)) == tuple(sorted(end)), "plan does not end at its target")


def _expect(condition: bool, what: str) -> None:
    """An internal invariant: failing it is a bug in mig, never a user error."""
    if not condition:
        raise AssertionError(f"mig bug in the plan: {what}")
