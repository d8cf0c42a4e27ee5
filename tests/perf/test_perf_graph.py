"""The graph's structure queries cost O(1) a revision, so browsing a long history is linear.

``mig history`` asks for every line whether the revision is a head, a branch point or a
merge point; recomputing those tuples per line made it quadratic (3.4 s at 5,000
revisions). The graph is never changed after construction, so they are computed once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pytest
from graphs import HISTORIES, Rev, graph_of, r

from offline_sql.errors import UnknownRevisionError


@pytest.mark.parametrize("name", HISTORIES)
def test_predicates_agree_with_the_tuples(name: str) -> None:
    graph = graph_of(HISTORIES[name])
    for rev in graph.revisions:
        assert graph.is_head(rev) == (rev in graph.heads)
        assert graph.is_branch_point(rev) == (rev in graph.branch_points)
        assert graph.is_merge_point(rev) == (rev in graph.merge_points)


def test_structure_is_computed_once() -> None:
    graph = graph_of(HISTORIES["merged"])
    assert graph.branch_points is graph.branch_points
    assert graph.merge_points is graph.merge_points


def test_unknown_revision_is_an_error() -> None:
    graph = graph_of(HISTORIES["linear"])
    for predicate in (graph.is_head, graph.is_branch_point, graph.is_merge_point):
        with pytest.raises(UnknownRevisionError):
            predicate("zz")


def _forks(n: int) -> list[Rev]:
    """A trunk with a fork and a merge every few revisions."""
    revs = [r("t0")]
    for i in range(1, n):
        revs += [r(f"l{i}", f"t{i - 1}"), r(f"r{i}", f"t{i - 1}"), r(f"t{i}", f"l{i}", f"r{i}")]
    return revs


def test_many_branch_and_merge_points() -> None:
    graph = graph_of(_forks(200))
    assert len(graph.branch_points) == 199
    assert len(graph.merge_points) == 199
    assert all(graph.is_branch_point(f"t{i}") for i in range(199))
    assert all(graph.is_merge_point(f"t{i}") for i in range(1, 200))


@pytest.mark.parametrize("name", HISTORIES)
def test_the_whole_graph_is_ordered_once(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Upgrading from base and ``mig history`` order every revision: that is the order
    the graph built when it was made, not a second topological sort."""
    graph = graph_of(HISTORIES[name])
    every = list(graph.revisions)
    expected, _ = graph._kahn(every)
    assert graph.topological() == expected
    calls: list[int] = []
    kahn = graph._kahn

    def counted(subset: Iterable[str]) -> tuple[list[str], set[str]]:
        calls.append(1)
        return kahn(subset)

    monkeypatch.setattr(graph, "_kahn", counted)
    assert graph.topological(reversed(every)) == expected
    assert graph.topological(set(every)) == expected
    assert calls == []
    if len(every) > 1:
        assert graph.topological(every[1:]) == kahn(every[1:])[0]
        assert calls == [1]


def _walked(revs: Iterable[str], edges: Mapping[str, tuple[str, ...]]) -> set[str]:
    """The closure the long way, without the memo."""
    seen = set(revs)
    todo = list(seen)
    while todo:
        for nxt in edges[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


@pytest.mark.parametrize("name", HISTORIES)
def test_closures_are_remembered_and_right(name: str) -> None:
    """A run asks for the ancestors of the same revisions several times (the plan, its
    checks, the replay to the range's start): the graph walks them once."""
    graph = graph_of(HISTORIES[name])
    for rev in graph.revisions:
        for deps in (True, False):
            first = graph.ancestors([rev], include_dependencies=deps)
            assert graph.ancestors((rev,), include_dependencies=deps) is first
            edges = graph._prereqs if deps else graph._parents
            assert first == _walked([rev], edges)
            down = graph.descendants([rev], include_dependencies=deps)
            assert graph.descendants({rev}, include_dependencies=deps) is down
            assert down == _walked([rev], graph._next if deps else graph._children)
    with pytest.raises(UnknownRevisionError):
        graph.ancestors(["zz"])


def test_the_closure_memo_stays_small() -> None:
    graph = graph_of(_forks(200))
    for rev in graph.revisions:
        graph.ancestors([rev])
    assert len(graph._closures) <= 64
