"""What existed before each step, for the review, at a cost proportional to the steps.

The locking and type rules ask two questions about the schema before a step: did this table
exist, and what was this column's type. Answering them from a copy of every table per step
made ``-o DIR`` quadratic in the length of a history (and its memory too). A
:class:`Timeline` instead keeps each table's versions (the step from which it holds, and its
column types, or None once dropped): the whole state is read once at the start of a range,
then only the tables a step touched are read again after it. A :class:`Before` is one
step's view of it.

Names match as :meth:`offline_sql.review.rules.StepContext.existed` has always matched them:
case-insensitively, and a qualified name also matches its bare name and the other way round.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field


def fold(name: str) -> str:
    return name.casefold()


def _match_names(folded: str) -> tuple[str, ...]:
    bare = folded.rsplit(".", 1)[-1]
    return (folded,) if bare == folded else (folded, bare)


class TablesBefore:
    """The two questions the review asks about the schema before a step."""

    def existed(self, table: str) -> bool:
        raise NotImplementedError

    def columns(self, table: str) -> Iterator[Mapping[str, str]]:
        """Column -> type of every table ``table`` may name (in the order the tables were
        first seen), each as it was before the step."""
        raise NotImplementedError


class Fixed(TablesBefore):
    """A fixed set of tables and of column types (what a caller of the review API hands
    over): indexed once, so each question is a lookup."""

    def __init__(
        self, tables: Iterable[str], columns: Mapping[str, Mapping[str, str]] | None = None
    ) -> None:
        self._names = {name for table in tables for name in _match_names(fold(table))}
        self._columns: dict[str, list[Mapping[str, str]]] = {}
        for table, types in (columns or {}).items():
            for name in _match_names(fold(table)):
                self._columns.setdefault(name, []).append(types)

    def existed(self, table: str) -> bool:
        return any(name in self._names for name in _match_names(fold(table)))

    def columns(self, table: str) -> Iterator[Mapping[str, str]]:
        seen: set[int] = set()
        for name in _match_names(fold(table)):
            for types in self._columns.get(name, ()):
                if id(types) not in seen:
                    seen.add(id(types))
                    yield types


Event = tuple[str, list[tuple[str, Mapping[str, str] | None]]]
"""A change of a :class:`Timeline`: ``("start", tables)`` or ``("after_step", tables)``."""


@dataclass
class Timeline:
    """Every table's versions over a walk of steps (see the module docstring)."""

    _versions: dict[str, tuple[list[int], list[Mapping[str, str] | None]]] = field(
        default_factory=dict
    )
    """label -> (steps from which each version holds, the versions: column types, or None
    while the table does not exist)."""
    _by_name: dict[str, list[str]] = field(default_factory=dict)
    """folded name or bare name -> labels it may name, in the order first seen."""
    _step: int = 0
    started: bool = False
    journal: list[Event] | None = field(default=None, compare=False)
    """When a list: every change from now on is noted in it, for a copy of this timeline in
    another process to :meth:`replay` (:mod:`offline_sql.review_child`)."""

    def _put(self, label: str, columns: Mapping[str, str] | None) -> None:
        found = self._versions.get(label)
        if found is None:
            if columns is None:
                return
            found = self._versions[label] = ([], [])
            for name in _match_names(fold(label)):
                self._by_name.setdefault(name, []).append(label)
        steps, values = found
        if values and values[-1] == columns:
            return
        if steps and steps[-1] == self._step:
            values[-1] = columns
        else:
            steps.append(self._step)
            values.append(columns)

    def start(self, tables: Iterable[tuple[str, Mapping[str, str] | None]]) -> None:
        """The tables at the start of the walk (columns None: not known, an empty map)."""
        tables = self._noted("start", tables)
        self.started = True
        for label, columns in tables:
            self._put(label, columns or {})

    def _noted(
        self, event: str, tables: Iterable[tuple[str, Mapping[str, str] | None]]
    ) -> Iterable[tuple[str, Mapping[str, str] | None]]:
        if self.journal is None:
            return tables
        tables = list(tables)
        self.journal.append((event, tables))
        return tables

    def replay(self, events: Iterable[Event]) -> None:
        """Apply what another timeline's :attr:`journal` noted: this one then answers as
        that one does."""
        for event, tables in events:
            if event == "start":
                self.start(tables)
            else:
                self.after_step(tables)

    def view(self, step: int | None = None) -> Before:
        """What existed before step ``step`` (default: the next step)."""
        return Before(self, self._step if step is None else step)

    def after_step(self, tables: Iterable[tuple[str, Mapping[str, str] | None]]) -> None:
        """The step ran: these tables (None: gone) hold from the next step on."""
        tables = self._noted("after_step", tables)
        self._step += 1
        for label, columns in tables:
            self._put(label, columns)

    def at(self, label: str, step: int) -> Mapping[str, str] | None:
        steps, values = self._versions[label]
        index = bisect.bisect_right(steps, step) - 1
        return values[index] if index >= 0 else None

    def labels(self, table: str) -> list[str]:
        seen: dict[str, None] = {}
        for name in _match_names(fold(table)):
            for label in self._by_name.get(name, ()):
                seen[label] = None
        return list(seen)


@dataclass(frozen=True)
class Before(TablesBefore):
    """The schema before one step of a :class:`Timeline`."""

    timeline: Timeline
    step: int

    def existed(self, table: str) -> bool:
        labels = self.timeline.labels(table)
        return any(self.timeline.at(label, self.step) is not None for label in labels)

    def columns(self, table: str) -> Iterator[Mapping[str, str]]:
        for label in self.timeline.labels(table):
            found = self.timeline.at(label, self.step)
            if found is not None:
                yield found
