"""The state key after a step that ran is what the state holds, not the steps that led there:
a walk that reaches a state it met before goes on with the steps cached from there.

Editing the last revision and writing the ticket again runs that revision's steps and no
other: its rollback, undone to where the last run's rollback was, finds every downgrade
after it cached. The digest behind it (:meth:`TableMap.content`) must tell apart any two
states a later step could see differently: other tables, other bytes, another order.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from helpers import listing
from hypothesis import given, settings
from hypothesis import strategies as st
from stepcache_helpers import mig, ok, scratch_folder
from test_stepcache_invalidation import chain_rev, linear, rev_id, versions

from offline_sql import tablemap
from offline_sql.stepcache import cache as cache_module
from offline_sql.table_state import ColumnState, TableState
from offline_sql.tablemap import TableMap, freeze


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Path]:
    yield from scratch_folder(tmp_path)


def table(name: str, length: int = 10) -> TableState:
    return TableState(name, columns={"c": ColumnState("c", sa.String(length))})


# ---- the digest ---------------------------------------------------------------------------


def test_the_same_tables_in_the_same_order_have_the_same_content() -> None:
    one, other = TableMap(), TableMap()
    for tables in (one, other):
        tables[(None, "a")] = table("a")
        tables[(None, "b")] = table("b")
    assert one.content() == other.content() is not None


def test_another_order_another_length_or_another_name_is_another_content() -> None:
    base = TableMap()
    base[(None, "a")], base[(None, "b")] = table("a"), table("b")
    swapped = TableMap()
    swapped[(None, "b")], swapped[(None, "a")] = table("b"), table("a")
    longer = TableMap()
    longer[(None, "a")], longer[(None, "b")] = table("a"), table("b", 11)
    schema = TableMap()
    schema[("s", "a")], schema[(None, "b")] = table("a"), table("b")
    contents = [tables.content() for tables in (base, swapped, longer, schema)]
    assert len(set(contents)) == 4


def test_a_table_added_then_dropped_gives_back_the_content_before() -> None:
    """What a rollback relies on: undoing the last step's table gives the state it began
    from, whichever table was added and dropped."""
    tables = TableMap()
    tables[(None, "a")] = table("a")
    before = tables.content()
    tables[(None, "new")] = table("new")
    assert tables.content() != before
    del tables[(None, "new")]
    assert tables.content() == before


def test_a_table_changed_in_place_after_a_read_changes_the_content() -> None:
    tables = TableMap()
    tables[(None, "a")] = table("a")
    before = tables.content()
    tables[(None, "a")].columns["c"].type = sa.String(99)
    assert tables.content() != before


def test_a_pickled_table_a_copy_and_a_restored_map_hold_the_same_content() -> None:
    tables = TableMap()
    tables[(None, "a")], tables[(None, "b")] = table("a"), table("b")
    content = tables.content()
    assert copy.deepcopy(tables).content() == content
    frozen = {key: freeze(tables[key]) for key in tables}
    tables.refreeze(frozen)
    assert tables.content() == content
    restored = TableMap()
    restored.restore([("new", (None, "a")), ("new", (None, "b"))], dict(frozen))
    assert restored.content() == content


def test_a_table_that_does_not_pickle_has_no_content() -> None:
    tables = TableMap()
    tables[(None, "a")] = table("a")
    tables[(None, "a")].kw["default"] = lambda: 1
    assert tables.content() is None


# ---- steps run, steps cached ----------------------------------------------------------------


@contextmanager
def steps_run(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[tuple[str, str]]]:
    """Count the steps that run their script (``(revision, direction)``)."""
    counted: Counter[tuple[str, str]] = Counter()
    real = cache_module.Chain.run

    @contextmanager
    def counting(self: Any, header: Any, direction: str, **options: Any) -> Iterator[Any]:
        counted[(header.revision, direction)] += 1
        with real(self, header, direction, **options) as run:
            yield run

    monkeypatch.setattr(cache_module.Chain, "run", counting)
    yield counted


def edit_upgrade(project: Path, k: int, old: str, new: str) -> None:
    path = versions(project) / chain_rev(k).filename
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_ticket_written_again_after_its_last_script_changed_runs_only_that_script(
    scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = linear(scratch)
    ticket = ("upgrade", "head", "--sql", "-o", "out", "--force")
    ok(mig(project, *ticket))
    edit_upgrade(project, 6, "sa.String(26)", "sa.String(99)")
    with steps_run(monkeypatch) as counted:
        ok(mig(project, *ticket))
    assert counted == {(rev_id(6), "up"): 1, (rev_id(6), "down"): 1}
    ok(mig(project, "--no-cache", "upgrade", "head", "--sql", "-o", "fresh"))
    written = listing(project / "out")
    assert written == listing(project / "fresh")
    assert any(b"VARCHAR(99)" in text for text in written.values())


def test_an_edit_that_leaves_the_state_as_it_was_runs_only_the_edited_script(
    scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = linear(scratch)
    sql = ("upgrade", "base:head", "--sql")
    before = ok(mig(project, *sql))
    path = versions(project) / chain_rev(3).filename
    path.write_text(path.read_text(encoding="utf-8") + "# reviewed\n", encoding="utf-8")
    with steps_run(monkeypatch) as counted:
        assert ok(mig(project, *sql)) == before
    assert counted == {(rev_id(3), "up"): 1}


@pytest.mark.parametrize(
    "edit",
    [
        ("sa.String(23)", "sa.String(24)"),  # another length
        ('comment="see t03"', 'comment="see t03!"'),  # another comment
        (
            'op.alter_column("t02"',
            'op.execute("CALL refresh_things()")\n    op.alter_column("t02"',
        ),  # unparsed
        (
            'op.alter_column("t02"',
            'op.execute("CREATE TYPE mood AS ENUM (\'a\')")\n    op.alter_column("t02"',
        ),  # an enum type
    ],
    ids=["length", "comment", "unparsed", "enum"],
)
def test_an_edit_that_changes_the_state_runs_every_step_after_it(
    scratch: Path, monkeypatch: pytest.MonkeyPatch, edit: tuple[str, str]
) -> None:
    project = linear(scratch)
    sql = ("upgrade", "base:head", "--sql")
    ok(mig(project, *sql))
    edit_upgrade(project, 3, *edit)
    with steps_run(monkeypatch) as counted:
        cached = mig(project, *sql)
    assert counted == {(rev_id(k), "up"): 1 for k in range(3, 7)}
    uncached = mig(project, *sql, no_cache=True)
    assert ok(cached) == ok(uncached)
    assert cached.stderr == uncached.stderr


# ---- the digest kept up to date, whatever the map went through ------------------------------

KEYS = [(None, "a"), (None, "b"), ("s", "a")]

operations = st.lists(
    st.one_of(
        st.tuples(st.just("set"), st.sampled_from(KEYS), st.integers(1, 3)),
        st.tuples(st.just("del"), st.sampled_from(KEYS), st.just(0)),
        st.tuples(st.just("change"), st.sampled_from(KEYS), st.integers(1, 3)),
        st.tuples(st.just("refreeze"), st.sampled_from(KEYS), st.just(0)),
        st.tuples(st.just("copy"), st.sampled_from(KEYS), st.just(0)),
    ),
    max_size=12,
)


def replay(steps: list[tuple[str, Any, int]], *, ask_each_time: bool) -> TableMap:
    tables = TableMap()
    for what, key, length in steps:
        if what == "set":
            tables[key] = table(key[1], length)
        elif what == "del" and key in tables:
            del tables[key]
        elif what == "change" and key in tables:
            tables[key].columns["c"].type = sa.String(length)  # in place, after a read
        elif what == "refreeze" and key in tables:
            tables.refreeze({key: freeze(tables[key])})
        elif what == "copy":
            tables = copy.deepcopy(tables)
        if ask_each_time:
            tables.content()
    return tables


def from_scratch(tables: TableMap) -> int:
    """What :meth:`TableMap.content` stands for, computed anew from every table."""
    total = 0
    for key in tables:
        total += tablemap._entry(key, tables._stamps[key], tablemap._digest(freeze(tables[key])))
    return total % tablemap._CONTENT_MODULUS


def held(tables: TableMap) -> list[tuple[Any, bytes]]:
    return [(key, freeze(tables[key])) for key in tables]


@settings(max_examples=150, deadline=None)
@given(operations, operations)
def test_the_digest_kept_up_to_date_is_the_digest_of_what_the_map_holds(
    steps: list[tuple[str, Any, int]], other: list[tuple[str, Any, int]]
) -> None:
    """Asked after every change or only at the end, the digest is the same, and the one
    computed anew; two maps holding different tables, or the same in another order, never
    share it. (Two maps holding the same may still differ: a table dropped and created again
    has a new place, which only costs a cache miss.)"""
    eager = replay(steps, ask_each_time=True)
    lazy = replay(steps, ask_each_time=False)
    assert eager.content() == lazy.content() == from_scratch(lazy)
    assert list(eager._stamps) == list(eager)  # the places follow the map's order
    assert sorted(eager._stamps.values()) == list(eager._stamps.values())
    another = replay(other, ask_each_time=False)
    if held(another) != held(eager):
        assert another.content() != eager.content()
