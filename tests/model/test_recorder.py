"""The recorder: origins, per-run binding through a contextvar, get_bind/get_context."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Dialect as SADialect

from offline_sql import op
from offline_sql.errors import MigError, OfflineReadError
from offline_sql.operations import AddColumn, Operation
from offline_sql.recorder import Recorder, active_recorder, recording
from offline_sql.script.loader import load_script, run_revision


class StubDialect:
    """Stands in for offline_sql.dialect_api.base.Dialect until sa_dialect() lands."""

    name = "postgresql"

    def sa_dialect(self) -> SADialect:
        engine = sa.create_mock_engine(sa.make_url("postgresql://"), executor=print)
        return engine.dialect


def make_recorder(
    path: str = "rev.py", *, offline: bool = True, bind: Any = None
) -> tuple[Recorder, list[Operation]]:
    ops: list[Operation] = []
    recorder = Recorder("abc1", path, StubDialect(), ops.append, offline, bind)  # type: ignore[arg-type]
    return recorder, ops


READER = """
import sqlalchemy as sa
from offline_sql import op

revision = "r9"

def upgrade():
    op.add_column("t", sa.Column("c", sa.Integer))
    bind = op.get_bind()
    name = bind.dialect.name
    bind.execute(sa.text("select 1")).scalar()

def downgrade():
    pass
"""


def write(tmp_path: Path, text: str, name: str = "r9_rev.py") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_record_sets_origin_to_script_line(tmp_path: Path) -> None:
    path = write(tmp_path, READER)
    recorder, ops = make_recorder(path)
    module = load_script(path, "r9")
    with recording(recorder), pytest.raises(OfflineReadError):
        run_revision(module, "upgrade")
    # The SELECT itself is recorded (as Alembic's mock connection emits it); reading its
    # result is the error.
    assert [type(o).__name__ for o in ops] == ["AddColumn", "Execute"]
    assert isinstance(ops[0], AddColumn)
    assert ops[0].origin is not None
    assert (ops[0].origin.path, ops[0].origin.line, ops[0].origin.revision) == (path, 8, "abc1")


def test_offline_bind_read_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, READER)
    recorder, _ = make_recorder(path)
    module = load_script(path, "r9")
    with recording(recorder), pytest.raises(OfflineReadError) as info:
        run_revision(module, "upgrade")
    message = str(info.value)
    assert f"{path}:11" in message
    assert "is_offline_mode()" in message
    assert "op.execute" in message


def test_offline_bind_dialect_is_target() -> None:
    recorder, _ = make_recorder()
    with recording(recorder):
        assert op.get_bind().dialect.name == "postgresql"
        assert op.get_context().dialect.name == "postgresql"


@pytest.mark.parametrize("attribute", ["exec_driver_sql", "begin", "in_transaction"])
def test_offline_bind_refuses_other_attributes(attribute: str) -> None:
    recorder, _ = make_recorder()
    with recording(recorder), pytest.raises(OfflineReadError, match=attribute):
        getattr(op.get_bind(), attribute)


@pytest.mark.parametrize(
    "read",
    [
        lambda bind: bind.scalar(sa.select(sa.func.count()).select_from(sa.table("t"))),
        lambda bind: bind.scalars(sa.text("SELECT id FROM t")),
        lambda bind: bind.execute(sa.text("SELECT id FROM t")).fetchall(),
        lambda bind: list(bind.execute(sa.select(sa.column("id")))),
    ],
    ids=["scalar", "scalars", "fetchall", "iterate"],
)
def test_offline_bind_refuses_reads(read: Callable[[Any], Any]) -> None:
    """Reading rows inside the generated range: one line naming the script and the guard."""
    recorder, _ = make_recorder()
    with recording(recorder), pytest.raises(OfflineReadError, match="is_offline_mode"):
        read(op.get_bind())


@pytest.mark.parametrize(
    "read",
    [
        lambda bind: sa.inspect(bind).get_table_names(),
        lambda bind: sa.MetaData().reflect(bind=bind),
        lambda bind: sa.Table("t", sa.MetaData(), autoload_with=bind),
    ],
    ids=["inspect", "reflect", "autoload_with"],
)
def test_offline_bind_reflection_without_state(tmp_path: Path, read: Callable[[Any], Any]) -> None:
    """A recorder given no replayed schema (as in these unit tests) cannot answer
    reflection: mig's one-line error naming the script line, not NoInspectionAvailable.
    (With the schema, reflection is answered from it: tests/model/test_offline_bind.py.)"""
    path = write(tmp_path, "")
    recorder, _ = make_recorder(path)
    with recording(recorder), pytest.raises(OfflineReadError, match="replayed schema") as info:
        read(op.get_bind())
    assert f"{path}:" in str(info.value)


def test_online_bind_is_the_connection() -> None:
    connection = object()
    recorder, _ = make_recorder(offline=False, bind=connection)
    with recording(recorder):
        assert op.get_bind() is connection
        assert not op.is_offline_mode()
        assert op.get_context().connection is connection


def test_context_offline_flags() -> None:
    recorder, _ = make_recorder("x/rev.py")
    with recording(recorder):
        context = op.get_context()
        assert context.is_offline_mode()
        assert context.as_sql
        assert context.script.revision == "abc1"
        assert context.script.path == "x/rev.py"
        assert op.is_offline_mode()


@pytest.mark.parametrize(
    "call",
    [
        lambda: op.add_column("t", sa.Column("c", sa.Integer)),
        lambda: op.get_bind(),
        lambda: op.execute("select 1"),
    ],
)
def test_outside_run_is_an_error(call: Any) -> None:
    with pytest.raises(MigError, match="called outside a migration run"):
        call()


def test_recording_resets_after_block() -> None:
    recorder, _ = make_recorder()
    with recording(recorder):
        assert active_recorder() is recorder
    assert active_recorder() is None


def test_nested_recorders_do_not_share() -> None:
    outer, outer_ops = make_recorder()
    inner, inner_ops = make_recorder()
    with recording(outer):
        op.drop_table("a")
        with recording(inner):
            op.drop_table("b")
        op.drop_table("c")
    assert [o.table_key for o in outer_ops] == [(None, "a"), (None, "c")]
    assert [o.table_key for o in inner_ops] == [(None, "b")]


def test_threads_do_not_share() -> None:
    results: dict[str, list[Operation]] = {}
    barrier = threading.Barrier(2)

    def run(name: str) -> None:
        recorder, ops = make_recorder()
        with recording(recorder):
            barrier.wait()
            for i in range(50):
                op.drop_table(f"{name}{i}")
        results[name] = ops

    threads = [threading.Thread(target=run, args=(n,)) for n in ("x", "y")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for name in ("x", "y"):
        tables = [o.table_key[1] for o in results[name] if o.table_key]
        assert tables == [f"{name}{i}" for i in range(50)]
