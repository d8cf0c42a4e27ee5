"""What a read through the offline bind gives while a revision is replayed below a range's
start: the answer of empty tables (docs/known-differences.md D5)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from offline_sql.offline_bind import empty_answer

t = sa.table("t", sa.column("id"), sa.column("n"))


@pytest.mark.parametrize(
    ("statement", "rows"),
    [
        (sa.select(sa.func.count()).select_from(t), [(0,)]),
        (sa.select(sa.func.count(t.c.id), sa.func.max(t.c.n)), [(0, None)]),
        (sa.select(sa.func.count()).select_from(t).group_by(t.c.n), []),
        (sa.select(t.c.id), []),
        (sa.text("SELECT COUNT(*) FROM related;"), [(0,)]),  # CKAN 083_f98d8fa2a7f7
        (sa.text("SELECT sum(n) AS s FROM t"), [(None,)]),
        (sa.text("SELECT id FROM t WHERE n IS NULL"), []),
        (sa.text("SELECT n, count(*) FROM t GROUP BY n"), []),
        (sa.text("not sql at all ((("), []),
    ],
)
def test_empty_answer(statement: Any, rows: list[tuple[Any, ...]]) -> None:
    assert empty_answer(statement)[1] == rows
