"""Plans: order of steps and the version-table operations of upgrade, downgrade and stamp."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from graphs import BRANCHED, HISTORIES, LINEAR, MERGED, Rev, graph_of
from hypothesis import given, settings
from hypothesis import strategies as st
from test_graph import random_dags

from offline_sql.errors import RevisionError, UnknownRevisionError
from offline_sql.plan import Step, VersionOp, plan_downgrade, plan_stamp, plan_upgrade


def ins(rev: str) -> VersionOp:
    return VersionOp("insert", rev)


def dele(rev: str) -> VersionOp:
    return VersionOp("delete", rev)


def upd(old: str, new: str) -> VersionOp:
    return VersionOp("update", new, old)


def summary(steps: Sequence[Step]) -> list[tuple[str, tuple[VersionOp, ...], tuple[str, ...]]]:
    return [(s.revision, s.version_ops, s.heads_after) for s in steps]


UPGRADES = [
    (
        "linear", (), ("a4",),
        [
            ("a1", (ins("a1"),), ("a1",)),
            ("a2", (upd("a1", "a2"),), ("a2",)),
            ("a3", (upd("a2", "a3"),), ("a3",)),
            ("a4", (upd("a3", "a4"),), ("a4",)),
        ],
    ),
    ("linear", ("a2",), ("a3",), [("a3", (upd("a2", "a3"),), ("a3",))]),
    ("linear", ("a4",), ("a4",), []),
    (
        "branched", (), ("a3", "b2"),
        [
            ("a1", (ins("a1"),), ("a1",)),
            ("a2", (upd("a1", "a2"),), ("a2",)),
            ("a3", (upd("a2", "a3"),), ("a3",)),
            ("b1", (ins("b1"),), ("a3", "b1")),  # a1 is no longer a row: branch off it
            ("b2", (upd("b1", "b2"),), ("a3", "b2")),
        ],
    ),
    (
        "branched", ("a1",), ("b1",),
        [("b1", (upd("a1", "b1"),), ("b1",))],
    ),
    (
        "merged", ("a3", "b2"), ("c1",),
        [
            ("m1", (dele("b2"), upd("a3", "m1")), ("m1",)),
            ("c1", (upd("m1", "c1"),), ("c1",)),
        ],
    ),
    (
        "merged", ("a2",), ("m1",),
        [
            ("a3", (upd("a2", "a3"),), ("a3",)),
            ("b1", (ins("b1"),), ("a3", "b1")),
            ("b2", (upd("b1", "b2"),), ("a3", "b2")),
            ("m1", (dele("b2"), upd("a3", "m1")), ("m1",)),
        ],
    ),
    (
        "depends", ("a2",), ("a3",),
        [
            ("x1", (ins("x1"),), ("a2", "x1")),
            ("a3", (dele("x1"), upd("a2", "a3")), ("a3",)),  # a3 absorbs its dependency
        ],
    ),
    ("depends", ("a3",), ("x2",), [("x2", (ins("x2"),), ("a3", "x2"))]),
    ("depends", ("x2",), ("a3",), [
        ("a1", (ins("a1"),), ("a1", "x2")),
        ("a2", (upd("a1", "a2"),), ("a2", "x2")),
        ("a3", (upd("a2", "a3"),), ("a3", "x2")),  # x1 is below x2: nothing to absorb
    ]),
]


@pytest.mark.parametrize(("name", "current", "target", "expected"), UPGRADES)
def test_upgrade(
    name: str, current: tuple[str, ...], target: tuple[str, ...], expected: list[object]
) -> None:
    steps = plan_upgrade(graph_of(HISTORIES[name]), current, target)
    assert summary(steps) == expected
    assert all(s.direction == "up" and s.run_script for s in steps)
    if steps:
        assert steps[0].heads_before == tuple(sorted(current))


DOWNGRADES = [
    (
        "linear", ("a4",), ("a2",),
        [("a4", (upd("a4", "a3"),), ("a3",)), ("a3", (upd("a3", "a2"),), ("a2",))],
    ),
    ("linear", ("a2",), (), [("a2", (upd("a2", "a1"),), ("a1",)), ("a1", (dele("a1"),), ())]),
    ("linear", ("a2",), ("a2",), []),
    ("branched", ("a3", "b2"), ("a2",), [("a3", (upd("a3", "a2"),), ("a2", "b2"))]),
    (
        "merged", ("c1",), ("a3",),
        [
            ("c1", (upd("c1", "m1"),), ("m1",)),
            ("m1", (upd("m1", "a3"), ins("b2")), ("a3", "b2")),  # b2 is not above a3: stays
        ],
    ),
    (
        "depends", ("a3", "x2"), ("x1",),
        [
            ("x2", (dele("x2"),), ("a3",)),
            ("a3", (upd("a3", "a2"), ins("x1")), ("a2", "x1")),
        ],
    ),
]


@pytest.mark.parametrize(("name", "current", "target", "expected"), DOWNGRADES)
def test_downgrade(
    name: str, current: tuple[str, ...], target: tuple[str, ...], expected: list[object]
) -> None:
    steps = plan_downgrade(graph_of(HISTORIES[name]), current, target)
    assert summary(steps) == expected
    assert all(s.direction == "down" and s.run_script for s in steps)


def mirror(op: VersionOp) -> VersionOp:
    if op.action == "update":
        assert op.old is not None
        return upd(op.revision, op.old)
    return VersionOp("delete" if op.action == "insert" else "insert", op.revision)


def assert_reverse(up: list[Step], down: list[Step]) -> None:
    assert [s.revision for s in down] == [s.revision for s in reversed(up)]
    for u, d in zip(reversed(up), down, strict=True):
        assert (d.heads_before, d.heads_after) == (u.heads_after, u.heads_before)
        assert d.version_ops == tuple(mirror(op) for op in reversed(u.version_ops))


@pytest.mark.parametrize("name", HISTORIES)
def test_downgrade_to_base_is_the_exact_reverse(name: str) -> None:
    graph = graph_of(HISTORIES[name])
    up = plan_upgrade(graph, (), graph.heads)
    assert_reverse(up, plan_downgrade(graph, graph.heads, ()))


@pytest.mark.parametrize(
    ("history", "current", "target", "match"),
    [
        (
            LINEAR,
            ("a2",),
            ("a3",),
            "cannot downgrade from a2 to a3: a3 is not applied below a2; to move forward use "
            r"upgrade \(offline: `mig upgrade a2:a3 --sql`\)",
        ),
        (BRANCHED, ("a3",), ("b1",), "use upgrade"),
        (LINEAR, ("a2", "a3"), ("a1",), "a2 is below another one"),
    ],
)
def test_downgrade_errors(
    history: list[Rev], current: tuple[str, ...], target: tuple[str, ...], match: str
) -> None:
    with pytest.raises(RevisionError, match=match):
        plan_downgrade(graph_of(history), current, target)


@pytest.mark.parametrize(
    ("history", "current", "target", "match"),
    [
        (
            LINEAR,
            ("a3",),
            ("a1",),
            "cannot upgrade from a3 to a1: a1 is already applied below a3; to go back use "
            r"downgrade \(offline: `mig downgrade a3:a1 --sql`\)$",
        ),
        (BRANCHED, ("a3", "b2"), ("a1",), "a1 is already applied below a3, b2; .* downgrade$"),
        (MERGED, ("m1",), ("b1",), "b1 is already applied below m1"),
    ],
)
def test_upgrade_backwards_is_an_error(
    history: list[Rev], current: tuple[str, ...], target: tuple[str, ...], match: str
) -> None:
    """Issue 11: ``upgrade r3:r1 --sql`` gave an empty script and exit 0."""
    with pytest.raises(RevisionError, match=match):
        plan_upgrade(graph_of(history), current, target)


@pytest.mark.parametrize("history", [LINEAR, BRANCHED, MERGED])
def test_upgrade_to_where_it_is_is_still_empty(history: list[Rev]) -> None:
    graph = graph_of(history)
    assert plan_upgrade(graph, graph.heads, graph.heads) == []


def test_overlapping_current_is_refused_for_upgrade() -> None:
    with pytest.raises(RevisionError, match="mig stamp"):
        plan_upgrade(graph_of(MERGED), ("a2", "m1"), ("c1",))


@pytest.mark.parametrize("plan", [plan_upgrade, plan_downgrade, plan_stamp])
def test_unknown_revisions(plan: object) -> None:
    assert callable(plan)
    with pytest.raises(UnknownRevisionError, match="'zz'"):
        plan(graph_of(LINEAR), ("zz",), ())


STAMPS = [
    ("linear", (), ("a2",), [("a2", "up", (ins("a2"),), ("a2",))]),
    ("linear", ("a4",), ("a2",), [("a2", "down", (upd("a4", "a2"),), ("a2",))]),
    ("linear", ("a2",), ("a4",), [("a4", "up", (upd("a2", "a4"),), ("a4",))]),
    ("linear", ("a2",), ("a2",), []),
    ("linear", ("a2",), (), [("a2", "down", (dele("a2"),), ())]),
    ("merged", ("a3", "b2"), ("m1",), [("m1", "up", (dele("a3"), upd("b2", "m1")), ("m1",))]),
    ("branched", ("a3", "b2"), ("a2",), [("a2", "down", (upd("a3", "a2"),), ("a2", "b2"))]),
    (
        "branched", ("a3", "b2"), (),
        [("a3", "down", (dele("a3"),), ("b2",)), ("b2", "down", (dele("b2"),), ())],
    ),
    ("depends", ("a2",), ("x2",), [("x2", "up", (ins("x2"),), ("a2", "x2"))]),
]


@pytest.mark.parametrize(("name", "current", "target", "expected"), STAMPS)
def test_stamp(
    name: str, current: tuple[str, ...], target: tuple[str, ...], expected: list[object]
) -> None:
    steps = plan_stamp(graph_of(HISTORIES[name]), current, target)
    assert [(s.revision, s.direction, s.version_ops, s.heads_after) for s in steps] == expected
    assert not any(s.run_script for s in steps)


def assert_chain(steps: Sequence[Step], start: tuple[str, ...]) -> None:
    heads = start
    for step in steps:
        assert step.heads_before == heads
        heads = step.heads_after
    assert list(heads) == sorted(heads)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_random_plans_keep_the_heads_invariant(data: st.DataObject) -> None:
    history = data.draw(random_dags())
    graph = graph_of(history)
    names = sorted(graph.revisions)
    current = graph.heads_of(data.draw(st.lists(st.sampled_from(names), max_size=3)))
    target = tuple(data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3)))

    stamp_target = target
    applied = graph.ancestors(current)
    behind = [rev for rev in target if rev in applied and rev not in current]
    if behind:  # upgrade never goes back: it says so
        with pytest.raises(RevisionError, match="already applied below"):
            plan_upgrade(graph, current, target)
        target = tuple(rev for rev in target if rev not in behind)
    up = plan_upgrade(graph, current, target)
    assert_chain(up, current)
    done = graph.ancestors(current)
    for step in up:
        assert all(p in done for p in graph.prerequisites(step.revision))
        done |= {step.revision}
        assert step.heads_after == graph.heads_of(done)
    final = graph.heads_of((*current, *target))
    assert (up[-1].heads_after if up else current) == final

    down = plan_downgrade(graph, final, ())
    assert_chain(down, final)
    assert_reverse(plan_upgrade(graph, (), final), down)

    stamp = plan_stamp(graph, current, stamp_target)
    assert_chain(stamp, current)
