"""Recording ``op.*`` calls without a project: a stand-in dialect that only gives
SQLAlchemy's PostgreSQL dialect, which the builders need for types and names."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Dialect as SADialect

from offline_sql.operations import Operation
from offline_sql.recorder import Recorder, recording


class StubDialect:
    name = "postgresql"

    def sa_dialect(self) -> SADialect:
        engine = sa.create_mock_engine(sa.make_url("postgresql://"), executor=print)
        return engine.dialect


@contextmanager
def recorded(path: str, revision: str = "r1") -> Iterator[list[Operation]]:
    """The operations recorded inside the block, as an offline run records them; ``path``
    is the file whose lines the operations are stamped with (the calling test's own)."""
    found: list[Operation] = []
    recorder = Recorder(revision, path, StubDialect(), found.append, True)  # type: ignore[arg-type]
    with recording(recorder):
        yield found
