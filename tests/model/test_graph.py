"""RevisionGraph: validation, structure, deterministic order, target resolution."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence

import pytest
from graphs import BRANCHED, DEPENDS, HISTORIES, LABELLED, LINEAR, MERGED, Rev, graph_of, r
from hypothesis import given, settings
from hypothesis import strategies as st

from offline_sql.errors import (
    AmbiguousRevisionError,
    CycleError,
    DuplicateRevisionError,
    MissingParentError,
    MultipleHeadsError,
    RevisionError,
    UnknownRevisionError,
    UsageError,
)
from offline_sql.graph import RevisionGraph, parse_range

# -- structure -----------------------------------------------------------------------------

STRUCTURE = {
    # name: (heads, bases, branch_points, merge_points)
    "linear": (("a4",), ("a1",), (), ()),
    "branched": (("a3", "b2"), ("a1",), ("a1",), ()),
    "merged": (("c1",), ("a1",), ("a1",), ("m1",)),
    "depends": (("a3", "x2"), ("a1", "x1"), (), ()),
    "labelled": (("a3", "s3"), ("a1",), ("a1",), ()),
}


@pytest.mark.parametrize("name", STRUCTURE)
def test_structure(name: str) -> None:
    graph = graph_of(HISTORIES[name])
    assert (graph.heads, graph.bases, graph.branch_points, graph.merge_points) == STRUCTURE[name]


def test_navigation() -> None:
    graph = graph_of(MERGED)
    assert graph.parents("m1") == ("a3", "b2")
    assert graph.children("a1") == ("a2", "b1")
    assert graph.children("c1") == ()
    assert graph.revisions["m1"].message == "step m1"
    assert list(graph.revisions) == sorted(rev.revision for rev in MERGED)


def test_dependencies_do_not_make_branches() -> None:
    graph = graph_of(DEPENDS)
    assert graph.dependencies("a3") == ("x1",)
    assert graph.dependents("x1") == ("a3",)
    assert graph.children("x1") == ("x2",)
    assert graph.prerequisites("a3") == ("a2", "x1")


def test_depends_on_a_label_resolves_to_its_revision() -> None:
    graph = graph_of([*DEPENDS, r("a4", "a3", deps=["other"])])
    assert graph.dependencies("a4") == ("x1",)


def test_depends_on_a_parent_is_not_repeated() -> None:
    graph = graph_of([r("a1"), r("a2", "a1", deps=["a1"])])
    assert graph.dependencies("a2") == ()


def test_labels() -> None:
    assert dict(graph_of(LABELLED).labels) == {"main": "a2", "shop": "s1"}


@pytest.mark.parametrize(
    ("revs", "deps", "expected"),
    [
        (["a3"], True, {"a1", "a2", "a3", "x1"}),
        (["a3"], False, {"a1", "a2", "a3"}),
        (["x2", "a2"], True, {"a1", "a2", "x1", "x2"}),
        ([], True, set()),
    ],
)
def test_ancestors(revs: list[str], deps: bool, expected: set[str]) -> None:
    assert graph_of(DEPENDS).ancestors(revs, include_dependencies=deps) == expected


@pytest.mark.parametrize(
    ("revs", "deps", "expected"),
    [(["x1"], True, {"x1", "x2", "a3"}), (["x1"], False, {"x1", "x2"}), (["a3"], True, {"a3"})],
)
def test_descendants(revs: list[str], deps: bool, expected: set[str]) -> None:
    assert graph_of(DEPENDS).descendants(revs, include_dependencies=deps) == expected


@pytest.mark.parametrize(
    ("revs", "expected"),
    [
        (["a3", "a1"], ("a3",)),
        (["a3", "x2"], ("a3", "x2")),  # a3 absorbs its dependency x1, x2 is above it
        (["a3"], ("a3",)),
        (["x1", "a2"], ("a2", "x1")),
        ([], ()),
    ],
)
def test_heads_of(revs: list[str], expected: tuple[str, ...]) -> None:
    assert graph_of(DEPENDS).heads_of(revs) == expected


# -- validation ----------------------------------------------------------------------------


def test_duplicate_revision_names_both_files() -> None:
    headers = [r("a1").header(), r("a2", "a1").header()]
    clash = dataclasses.replace(headers[1], revision="a1", path="v/x.py")
    both = r"'a1' is declared by both v/x\.py and versions/a1\.py"
    with pytest.raises(DuplicateRevisionError, match=both):
        RevisionGraph.from_headers([*headers, clash])


@pytest.mark.parametrize(
    ("history", "match"),
    [
        ([r("a1"), r("a2", "zz")], r"versions/a2\.py: revision a2 has down_revision 'zz'"),
        ([r("a1"), r("a2", "a1", deps=["zz"])], r"versions/a2\.py: revision a2 depends_on 'zz'"),
    ],
)
def test_missing_parent(history: list[Rev], match: str) -> None:
    with pytest.raises(MissingParentError, match=match):
        graph_of(history)


@pytest.mark.parametrize(
    ("history", "cycle"),
    [
        ([r("a", "c"), r("b", "a"), r("c", "b"), r("d", "c")], "a -> c -> b -> a"),
        ([r("a", "a")], "a -> a"),
        ([r("a"), r("x", "a", deps=["y"]), r("y", "x")], "x -> y -> x"),
    ],
)
def test_cycle(history: list[Rev], cycle: str) -> None:
    with pytest.raises(CycleError, match=cycle):
        graph_of(history)


@pytest.mark.parametrize(
    ("history", "match"),
    [
        ([r("a1", labels=["x"]), r("a2", "a1", labels=["x"])], "label 'x' is declared by both"),
        ([r("a1", labels=["a1"])], "clashes"),
        ([r("a1", labels=["head"])], "clashes"),
        ([r("a1", labels=["x@y"])], "clashes"),
        ([r("heads")], "reserved"),
    ],
)
def test_bad_labels_and_ids(history: list[Rev], match: str) -> None:
    with pytest.raises(RevisionError, match=match):
        graph_of(history)


# -- topological order ---------------------------------------------------------------------

ORDERS = {
    "linear": ["a1", "a2", "a3", "a4"],
    "branched": ["a1", "a2", "a3", "b1", "b2"],
    "merged": ["a1", "a2", "a3", "b1", "b2", "m1", "c1"],
    "depends": ["a1", "a2", "x1", "a3", "x2"],
    "labelled": ["a1", "a2", "a3", "s1", "s2", "s3"],
}


@pytest.mark.parametrize("name", ORDERS)
def test_topological_keeps_branches_together(name: str) -> None:
    assert graph_of(HISTORIES[name]).topological() == ORDERS[name]


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("name", ORDERS)
def test_order_ignores_input_order(name: str, seed: int) -> None:
    history = list(HISTORIES[name])
    random.Random(seed).shuffle(history)
    graph = graph_of(history)
    assert graph.topological() == ORDERS[name]
    assert graph.heads == STRUCTURE[name][0]


def test_topological_of_a_subset() -> None:
    assert graph_of(MERGED).topological({"c1", "b2", "a3", "m1"}) == ["a3", "b2", "m1", "c1"]


@st.composite
def random_dags(draw: st.DrawFn) -> list[Rev]:
    size = draw(st.integers(min_value=1, max_value=25))
    revs: list[Rev] = []
    for i in range(size):
        earlier = [rev.revision for rev in revs]
        down = draw(st.lists(st.sampled_from(earlier), max_size=2, unique=True)) if earlier else []
        deps = draw(st.lists(st.sampled_from(earlier), max_size=1)) if earlier else []
        name = draw(st.sampled_from("abcdef")) + f"{i:02d}"
        revs.append(r(name, *down, deps=deps))
    return revs


def assert_topological(graph: RevisionGraph, order: Sequence[str]) -> None:
    position = {rev: i for i, rev in enumerate(order)}
    assert sorted(order) == sorted(graph.revisions)
    for rev in order:
        for before in graph.prerequisites(rev):
            assert position[before] < position[rev]


@settings(max_examples=150, deadline=None)
@given(random_dags(), st.randoms(use_true_random=False))
def test_random_dag_order_is_topological_and_stable(history: list[Rev], rnd: random.Random) -> None:
    graph = graph_of(history)
    order = graph.topological()
    assert_topological(graph, order)
    shuffled = list(history)
    rnd.shuffle(shuffled)
    assert graph_of(shuffled).topological() == order


# -- targets -------------------------------------------------------------------------------

RESOLVE = [
    ("linear", "base", (), ()),
    ("linear", "head", (), ("a4",)),
    ("linear", "heads", (), ("a4",)),
    ("linear", "a2", (), ("a2",)),
    ("linear", " a2 ", (), ("a2",)),
    ("linear", "a", (), "ambiguous"),
    ("linear", "head-1", (), ("a3",)),
    ("linear", "head-4", (), ()),
    ("linear", "a1+3", (), ("a4",)),
    ("linear", "a3-2", (), ("a1",)),
    ("linear", "base+2", (), ("a2",)),
    ("linear", "+1", (), ("a1",)),
    ("linear", "+2", ("a2",), ("a4",)),
    ("linear", "-1", ("a2",), ("a1",)),
    ("linear", "-2", ("a2",), ()),
    ("branched", "heads", (), ("a3", "b2")),
    ("branched", "b", (), "ambiguous"),
    ("branched", "b2-1", (), ("b1",)),
    ("branched", "a3-2", (), ("a1",)),
    ("merged", "head", (), ("c1",)),
    ("merged", "c1-1", (), ("m1",)),
    ("merged", "m", (), ("m1",)),
    ("depends", "heads", (), ("a3", "x2")),
    ("depends", "other", (), ("x1",)),
    ("depends", "other@head", (), ("x2",)),
    ("depends", "other@base", (), ()),
    ("labelled", "shop", (), ("s1",)),
    ("labelled", "shop@head", (), ("s3",)),
    ("labelled", "shop@heads", (), ("s3",)),
    ("labelled", "main@head", (), ("a3",)),
    ("labelled", "shop@head-1", (), ("s2",)),
    ("labelled", "shop@s2", (), ("s2",)),
    ("labelled", "shop@base", (), ("a1",)),
    ("labelled", "shop@base", ("a3", "s3"), ("a3",)),
    ("labelled", "main@base", ("a3", "s2"), ("s2",)),
]


@pytest.mark.parametrize(("name", "target", "start", "expected"), RESOLVE)
def test_resolve(
    name: str, target: str, start: tuple[str, ...], expected: tuple[str, ...] | str
) -> None:
    graph = graph_of(HISTORIES[name])
    if isinstance(expected, str):
        with pytest.raises(RevisionError, match=expected):
            graph.resolve(target, start=start)
    else:
        assert graph.resolve(target, start=start) == expected


def test_single_character_prefix() -> None:
    assert graph_of(MERGED).resolve("c") == ("c1",)


def test_exact_id_wins_over_longer_ids_and_relative_syntax() -> None:
    graph = graph_of([r("ab"), r("abc", "ab"), r("ab-1", "abc")])
    assert graph.resolve("ab") == ("ab",)
    assert graph.resolve("ab-1") == ("ab-1",)


RESOLVE_ERRORS = [
    ("branched", "head", (), MultipleHeadsError, r"2 heads: a3 \(step a3\), b2 \(.*mig merge"),
    ("linear", "a", (), AmbiguousRevisionError, r"'a' is ambiguous: it matches 4 revisions: a1 \("),
    ("linear", "a9", (), UnknownRevisionError, r"'a9'; did you mean a4, a3, a2\?"),
    ("linear", "zzzzzz", (), UnknownRevisionError, r"see `mig history`"),
    ("linear", "", (), UnknownRevisionError, "empty"),
    ("linear", "head+1", (), RevisionError, "goes past head a4 after 0 step"),
    ("linear", "a1-2", (), RevisionError, "goes below base"),
    ("linear", "-1", (), RevisionError, "goes below base"),
    ("branched", "a1+1", (), RevisionError, r"a1 is a branch point \(a2, b1\)"),
    ("branched", "+1", ("a3", "b2"), MultipleHeadsError, "single revision to count from"),
    ("merged", "m1-1", (), RevisionError, r"m1 is a merge point \(a3, b2\)"),
    ("depends", "+1", (), RevisionError, "several bases"),
    ("labelled", "shp@head", (), UnknownRevisionError, "no branch label 'shp'; did you mean shop"),
    ("labelled", "shop@a3", (), RevisionError, "not on branch 'shop'"),
    ("labelled", "+1", ("zz",), UnknownRevisionError, "no revision matches 'zz'"),
    ("branched", "a1@head", (), UnknownRevisionError, "no branch label"),
]


@pytest.mark.parametrize(("name", "target", "start", "error", "match"), RESOLVE_ERRORS)
def test_resolve_errors(
    name: str, target: str, start: tuple[str, ...], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        graph_of(HISTORIES[name]).resolve(target, start=start)


def test_label_head_with_several_heads() -> None:
    graph = graph_of([*LABELLED, r("s4", "s2")])
    with pytest.raises(MultipleHeadsError, match="'shop@head' is ambiguous"):
        graph.resolve("shop@head")
    assert graph.resolve("shop@heads") == ("s3", "s4")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("head", (None, "head")), ("ae10:head", ("ae10", "head")), (" a : b ", ("a", "b"))],
)
def test_parse_range(text: str, expected: tuple[str | None, str]) -> None:
    assert parse_range(text) == expected


@pytest.mark.parametrize("text", ["", ":", "a:", ":b", "a:b:c"])
def test_parse_range_errors(text: str) -> None:
    with pytest.raises(UsageError, match="FROM:TO"):
        parse_range(text)


def test_linear_and_branched_are_fixtures() -> None:
    assert graph_of(LINEAR).heads == ("a4",) and graph_of(BRANCHED).bases == ("a1",)


def test_ambiguity_lists_at_most_ten() -> None:
    graph = graph_of([r(f"r{i:02d}") for i in range(25)])
    with pytest.raises(AmbiguousRevisionError, match=r"r09 \(step r09\), \.\.\. \(15 more\)"):
        graph.resolve("r")
