"""SQLAlchemy's per-dialect caches stay bounded while one dialect renders a long history.

The dialect remembers every type it compiled and every identifier it quoted; the schema
state keeps each column's type alive, so those memos grew with the history (about 2 MB a
thousand revisions) until ``compiling.bound_caches`` emptied them past a limit.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from offline_sql.dialect_api import compiling
from offline_sql.dialect_api.registry import NAMES, get_dialect


@pytest.mark.parametrize("name", NAMES)
def test_memos_stay_bounded_and_output_unchanged(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compiling, "CACHE_LIMIT", 50)
    dialect, unbounded = get_dialect(name), get_dialect(name)
    kept = []  # the state keeps types alive, so their memos would stay too
    for i in range(300):
        column = sa.Column(f"col_{i}", sa.String(i + 1))
        kept.append(column.type)
        table = sa.Table(f"table_{i}", sa.MetaData(), column)
        create = sa.schema.CreateTable(table)
        sql = dialect.ddl(create)
        monkeypatch.setattr(compiling, "CACHE_LIMIT", 10**9)
        assert sql == unbounded.ddl(create)
        monkeypatch.setattr(compiling, "CACHE_LIMIT", 50)
    sa_dialect = dialect.sa_dialect()
    assert len(sa_dialect._type_memos) <= 51
    assert len(sa_dialect.identifier_preparer._strings) <= 51
    grown = unbounded.sa_dialect().identifier_preparer._strings
    assert len(grown) >= 300
