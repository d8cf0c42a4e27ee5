"""Column types that hold lambdas (or classes a script defines) do not stop the step cache.

A real project's custom types hold lambdas: ``sa.PickleType(comparator=lambda ...)``,
``sa.Enum(values_callable=lambda x: ...)``, a TypeDecorator keeping a callable. Pickle
cannot store them, so the step that leaves such a table in the state stores "run the
script again" instead of its delta; its rendering and every other step stay cached.
A warm run imports no script; after a new revision only the scripts whose tables do not
pickle run again (to rebuild the state the new one needs), and every output is
byte-identical to ``--no-cache``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import Rev
from stepcache_helpers import SQL, Imports, count_imports, mig, ok, small_project

PICKLED = "sa.PickleType(comparator=lambda a, b: a == b)"
STATUS = "import enum\n\n\nclass Status(enum.Enum):\n    OPEN = 'open'\n    CLOSED = 'closed'\n"


def history() -> list[Rev]:
    return [
        Rev(
            "a1",
            None,
            "create invoices",
            upgrade='op.create_table("invoices", sa.Column("id", sa.Integer, primary_key=True), '
            f'sa.Column("payload", {PICKLED}))',
        ),
        Rev(
            "b2",
            "a1",
            "create customers",
            upgrade='op.create_table("customers", sa.Column("id", sa.Integer, primary_key=True))',
        ),
        Rev(
            "c3",
            "b2",
            "invoice note",
            upgrade='op.add_column("invoices", sa.Column("note", sa.Text))',
        ),
        Rev(
            "d4",
            "c3",
            "customer name",
            upgrade='op.add_column("customers", sa.Column("name", sa.String(40)))',
        ),
        Rev(
            "e5",
            "d4",
            "create orders",
            prelude=STATUS,
            upgrade='op.create_table("orders", sa.Column("id", sa.Integer, primary_key=True), '
            'sa.Column("status", sa.Enum(Status, name="status", '
            "values_callable=lambda kinds: [k.value for k in kinds])))",
        ),
    ]


HEAD = Rev(
    "f6",
    "e5",
    "invoice payload required",
    upgrade='op.alter_column("invoices", "payload", nullable=False)\n'
    'op.alter_column("orders", "status", nullable=False)\n'
    'op.alter_column("customers", "name", nullable=False)',
)


@pytest.fixture
def imports(monkeypatch: pytest.MonkeyPatch) -> Imports:
    return count_imports(monkeypatch)


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_a_history_of_types_holding_lambdas_runs_warm_without_its_scripts(
    tmp_path: Path, imports: Imports, dialect: str
) -> None:
    folder = small_project(tmp_path, history(), dialect)
    cold = ok(mig(folder, *SQL))
    assert imports.take() == ["a1", "b2", "c3", "d4", "e5"]
    assert "values_callable" not in cold and "'open'" in cold
    assert ok(mig(folder, *SQL)) == cold
    assert imports.take() == [], "every step's rendering is cached"
    assert ok(mig(folder, *SQL, no_cache=True)) == cold
    near = ("upgrade", "d4:head", "--sql")
    uncached = ok(mig(folder, *near, no_cache=True))
    assert ok(mig(folder, *near)) == uncached
    imports.take()
    assert ok(mig(folder, *near)) == uncached
    assert imports.take() == [], "the ancestors' states and the step are cached"


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_a_new_revision_reruns_only_the_scripts_whose_tables_do_not_pickle(
    tmp_path: Path, imports: Imports, dialect: str
) -> None:
    """f6 reads all three tables: the state before it is folded from the cached deltas of
    b2 and d4 and rebuilt by running a1, c3 (they changed ``invoices``) and e5 again."""
    folder = small_project(tmp_path, history(), dialect)
    ok(mig(folder, *SQL))
    imports.take()
    small_project(tmp_path / "head", [HEAD], dialect)
    (tmp_path / "head" / "migrations" / "versions" / HEAD.filename).rename(
        folder / "migrations" / "versions" / HEAD.filename
    )
    warm = ok(mig(folder, *SQL))
    assert imports.take() == ["a1", "c3", "e5", "f6"]
    assert warm == ok(mig(folder, *SQL, no_cache=True))
    imports.take()
    assert ok(mig(folder, *SQL)) == warm
    assert imports.take() == []
    for command in (("downgrade", "head:b2", "--sql"), ("upgrade", "c3:head", "--sql")):
        assert ok(mig(folder, *command)) == ok(mig(folder, *command, no_cache=True))
        imports.take()
        assert ok(mig(folder, *command)) == ok(mig(folder, *command, no_cache=True))
