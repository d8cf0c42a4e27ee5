"""The schema before each reviewed step, followed at a cost proportional to the steps.

The review of ``-o DIR`` and ``--strict`` asks which tables existed and what a column's type
was before a step (:mod:`offline_sql.review.before`). The whole state is read once, at the
first step; after that only the tables a step read, wrote or dropped are spelled again (for
a step passed from the step cache: the tables its cached delta holds).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from offline_sql.review.before import Before, Timeline

if TYPE_CHECKING:
    from offline_sql.dialect_api.base import Dialect
    from offline_sql.review import StepReview
    from offline_sql.state import SchemaState
    from offline_sql.statements import Statement
    from offline_sql.stepcache import StepCache
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


FINDINGS = "findings"
"""The review rows (:func:`offline_sql.stepcache.review_key`) holding what the review found
in a step's statements."""


class ReviewSteps:
    """Follows one walk of steps for the review."""

    def __init__(self, dialect: Callable[[], Dialect], cache: StepCache | None = None) -> None:
        self._dialect = dialect
        """Asked for when a table is first spelled: a run whose reviews are all cached
        imports no dialect (nor SQLAlchemy) for them."""
        self.cache = cache
        self.timeline = Timeline()
        self.spelled = 0
        """Tables spelled so far (a test checks it grows with the steps' work only)."""

    def all_cached(self, render_keys: Sequence[str]) -> bool:
        """Whether the review of every one of these renderings is cached (then no schema
        before any of them is needed)."""
        if self.cache is None or not self.cache.enabled:
            return False
        from offline_sql.stepcache import review_key

        wanted = [review_key(FINDINGS, key) for key in render_keys]
        return self.cache.store.has_all("review", wanted)

    def cached(self, render_key: str | None) -> bool:
        """Whether the review of the step to be rendered under ``render_key`` is cached."""
        return render_key is not None and self.all_cached([render_key])

    def before(self, state: SchemaState, changed: Iterable[TableKey] = ()) -> Before:
        """The schema before the next step (read whole at the first one). ``changed``: the
        tables that changed since the last step this followed, when steps were passed
        from the step cache in between (their deltas folded, their scripts not run)."""
        if not self.timeline.started:
            self.timeline.start(
                (table_label(key), self._types(state.tables[key])) for key in list(state.tables)
            )
        elif changed:
            self._spell_again(state, changed)
        return self.timeline.view()

    def _spell_again(self, state: SchemaState, keys: Iterable[TableKey]) -> None:
        tables = state.tables
        self.timeline.after_step(
            (table_label(key), self._types(tables[key]) if key in tables else None)
            for key in sorted(keys, key=repr)
        )

    def _types(self, table: TableState) -> Mapping[str, str]:
        self.spelled += 1
        return column_types(table, self._dialect())

    @contextmanager
    def step(self, state: SchemaState) -> Iterator[None]:
        """Around running a step on ``state``: afterwards, spell again what it touched."""
        with state.tables.watching() as seen:
            yield
        self._spell_again(state, seen)


def cached_reviews(
    cache: StepCache, rendered: Sequence[tuple[str | None, bool, Sequence[Statement]]]
) -> dict[int, StepReview]:
    """index -> the cached review (:func:`offline_sql.review.core_review`) of each rendered
    step ``(its render key, whether the schema before it was followed, its statements)``,
    sharing the step's statements (:mod:`offline_sql.review.stored`). A step with neither
    (its review was cached when it was rendered, and is now missing or damaged) is a
    :class:`~offline_sql.stepcache.CorruptCache`: the command runs again without the cache."""
    from offline_sql.review.stored import review_from
    from offline_sql.stepcache import CorruptCache, review_key

    keys = {
        index: review_key(FINDINGS, key)
        for index, (key, _, _) in enumerate(rendered)
        if key is not None
    }
    rows = cache.review_rows(list(keys.values())) if cache.enabled else {}
    found: dict[int, StepReview] = {}
    for index, (key, followed, statements) in enumerate(rendered):
        data = rows.get(keys[index]) if key is not None else None
        review = review_from(data, statements) if data is not None else None
        if review is not None:
            found[index] = review
        elif key is not None and not followed:
            raise CorruptCache("a cached review is missing or damaged")
    return found
