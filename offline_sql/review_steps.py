"""The schema before each reviewed step, followed at a cost proportional to the steps.

The review of ``-o DIR`` and ``--strict`` asks which tables existed and what a column's type
was before a step (:mod:`offline_sql.review.before`). The whole state is read once, at the
first step; after that only the tables a step read, wrote or dropped are spelled again.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

from offline_sql.review.before import Before, Timeline

if TYPE_CHECKING:
    from offline_sql.dialect_api.base import Dialect
    from offline_sql.state import SchemaState
    from offline_sql.table_state import TableKey, TableState


def table_label(key: TableKey) -> str:
    schema, name = key
    return f"{schema}.{name}" if schema else name


def column_types(table: TableState, dialect: Dialect) -> dict[str, str]:
    """Column -> its type as the dialect spells it (a type it cannot spell is left out:
    the review skips it)."""
    types: dict[str, str] = {}
    for name, column in table.columns.items():
        try:
            types[name] = dialect.type_sql(column.type)
        except Exception:  # a type this dialect cannot spell: the review skips it
            continue
    return types


class ReviewSteps:
    """Follows one walk of steps for the review."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.timeline = Timeline()
        self.spelled = 0
        """Tables spelled so far (a test checks it grows with the steps' work only)."""

    def before(self, state: SchemaState) -> Before:
        """The schema before the next step (read whole at the first one)."""
        if not self.timeline.started:
            self.timeline.start(
                (table_label(key), self._types(state.tables[key])) for key in list(state.tables)
            )
        return self.timeline.view()

    def _types(self, table: TableState) -> Mapping[str, str]:
        self.spelled += 1
        return column_types(table, self.dialect)

    @contextmanager
    def step(self, state: SchemaState) -> Iterator[None]:
        """Around running a step on ``state``: afterwards, spell again what it touched."""
        with state.tables.watching() as seen:
            yield
        tables = state.tables
        self.timeline.after_step(
            (table_label(key), self._types(tables[key]) if key in tables else None)
            for key in sorted(seen, key=repr)
        )
