"""A step's effect on the schema state, stored so the state can be rebuilt without the script.

The delta of a step holds, for every table the step used (see
:class:`~offline_sql.tablemap.TableMap`), its pickled state after the step (None when it is
gone) unless the step left it as it was, the order in which keys appeared and went, and the
database-level objects (enums, sequences) when they changed. Folding the deltas of a chain
of steps onto the starting state gives the same tables in the same order as running the
scripts: tests compare the two on every golden history.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from offline_sql.tablemap import PICKLE_PROTOCOL

if TYPE_CHECKING:
    from offline_sql.state import SchemaState
    from offline_sql.tablemap import Tracking


RERUN = b"mig:run-the-script-again"
"""Stored instead of a delta when the step's tables do not pickle (a column type holding a
lambda, a class a revision script defines): the state past that step is rebuilt by
running its script again on the folded state (:class:`offline_sql.stepcache.Chain`). Not
a pickle, so it never decodes as a delta."""


@dataclass(frozen=True)
class Before:
    """What :func:`capture` compares the database-level objects with."""

    enums: dict[Any, tuple[str, ...]]
    sequences: frozenset[Any]
    unparsed: int

    @classmethod
    def of(cls, state: SchemaState) -> Before:
        return cls(dict(state.enums), frozenset(state.sequences), len(state.unparsed))


def capture(state: SchemaState, tracking: Tracking, before: Before) -> bytes:
    """The delta of the step that ran between ``before`` and now."""
    tables: dict[Any, bytes | None] = {}
    pickled: dict[Any, bytes] = {}
    for key in sorted(tracking.touched, key=repr):
        changed, blob = state.tables.stored_form(key)
        if changed:
            tables[key] = blob
        if blob is not None:
            pickled[key] = blob
    delta = {
        "events": tracking.events,
        "tables": tables,
        "enums": dict(state.enums) if state.enums != before.enums else None,
        "sequences": set(state.sequences) if state.sequences != before.sequences else None,
        "unparsed": state.unparsed[before.unparsed :],
    }
    data = pickle.dumps(delta, protocol=PICKLE_PROTOCOL)
    # The step is over: the tables it used go back to their pickled form (a quarter of the
    # memory), to be unpickled again by the next step that reads one.
    state.tables.refreeze(pickled)
    return data


class CorruptDelta(Exception):
    """A stored delta that does not decode to what :func:`capture` writes."""


def fold(state: SchemaState, data: bytes) -> None:
    """Apply one stored delta to ``state`` (tables stay pickled until read)."""
    try:
        delta = pickle.loads(data)
        events, tables = delta["events"], delta["tables"]
        enums, sequences, unparsed = delta["enums"], delta["sequences"], delta["unparsed"]
    except Exception as exc:  # a corrupt blob can raise anything while unpickling
        raise CorruptDelta(str(exc)) from exc
    if not (isinstance(events, list) and isinstance(tables, dict) and isinstance(unparsed, list)):
        raise CorruptDelta("unexpected delta layout")
    try:
        state.tables.restore(events, tables)
    except ValueError as exc:
        raise CorruptDelta(str(exc)) from exc
    if enums is not None:
        state.enums = dict(enums)
    if sequences is not None:
        state.sequences = set(sequences)
    state.unparsed.extend(unparsed)
