"""Records (:mod:`offline_sql.records`) behave as frozen dataclasses: each test builds the same
class both ways and expects the same answer, and importing them imports no ``dataclasses``
(what they are for: a memo-answered run, :mod:`offline_sql.quick`)."""

from __future__ import annotations

import copy
import dataclasses
import math
import pickle
from typing import Any

import pytest
from cli_probe import imported_by

from offline_sql import records
from offline_sql.records import field, record


@record
class Point:
    """A record with required, defaulted, hidden and factory-made fields."""

    x: int
    y: float = 0.0
    tags: tuple[str, ...] = ()
    note: str | None = field(default=None, repr=False)
    extra: tuple[int, ...] = field(default_factory=tuple)


@dataclasses.dataclass(frozen=True)
class Twin:
    """:class:`Point` as a frozen dataclass."""

    x: int
    y: float = 0.0
    tags: tuple[str, ...] = ()
    note: str | None = dataclasses.field(default=None, repr=False)
    extra: tuple[int, ...] = dataclasses.field(default_factory=tuple)


@record
class Bag:
    """A record whose default is made anew for each record."""

    items: list[int] = field(default_factory=list)


CALLS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    ((1,), {}),
    ((1, 2.5), {}),
    ((1,), {"tags": ("a", "b")}),
    ((), {"x": 3, "note": "hidden", "extra": (7,)}),
    ((1, 2.0, ("t",), "n", (1, 2)), {}),
]


@pytest.mark.parametrize(("args", "kwargs"), CALLS)
def test_the_repr_is_the_dataclass_s(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    made, twin = Point(*args, **kwargs), Twin(*args, **kwargs)
    assert repr(made) == repr(twin).replace("Twin(", "Point(", 1)


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((), {}), ((1,), {"x": 1}), ((1,), {"z": 2}), ((1, 2, 3, 4, 5, 6), {})],
    ids=["missing", "twice", "unknown", "too-many"],
)
def test_a_call_is_refused_as_the_dataclass_refuses_it(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    with pytest.raises(TypeError):
        Twin(*args, **kwargs)
    with pytest.raises(TypeError):
        Point(*args, **kwargs)


def test_equality_and_hash_are_the_dataclass_s() -> None:
    assert Point(1, 2.0) == Point(x=1, y=2.0)
    assert hash(Point(1, 2.0)) == hash(Point(x=1, y=2.0))
    assert Point(1) != Point(2)
    assert Point(1, note="a") != Point(1, note="b")  # left out of repr, not of equality
    others: list[object] = [Twin(1), (1, 0.0, (), None, ())]
    assert all(Point(1) != other for other in others)  # another class is never equal
    nan = math.nan
    # As a dataclass compares tuples: the same NaN object is equal to itself.
    assert (Point(1, nan) == Point(1, nan)) == (Twin(1, nan) == Twin(1, nan))


def test_a_record_is_frozen() -> None:
    point, twin = Point(1), Twin(1)
    for made in (point, twin):
        with pytest.raises(AttributeError):
            made.x = 2  # type: ignore[misc]
        with pytest.raises(AttributeError):
            del made.x
    assert point == Point(1)


def test_a_factory_default_is_made_for_each_record() -> None:
    first, second = Bag(), Bag()
    first.items.append(1)
    assert second.items == []
    assert repr(Bag()) == "Bag(items=[])"


def test_replace_and_fields() -> None:
    point = Point(1, tags=("a",), note="n")
    assert records.fields(point) == ("x", "y", "tags", "note", "extra")
    changed = records.replace(point, y=3.0)
    assert changed == Point(1, 3.0, ("a",), "n") and point == Point(1, tags=("a",), note="n")
    assert repr(changed) == repr(
        dataclasses.replace(Twin(1, tags=("a",), note="n"), y=3.0)
    ).replace("Twin(", "Point(", 1)
    with pytest.raises(TypeError, match="'z'"):
        records.replace(point, z=1)


def test_a_record_pickles_and_copies_as_itself() -> None:
    point = Point(1, 2.0, ("a",), "n", (3,))
    for again in (
        pickle.loads(pickle.dumps(point, protocol=5)),
        copy.copy(point),
        copy.deepcopy(point),
    ):
        assert again == point and type(again) is Point and repr(again) == repr(point)


def test_a_required_field_after_a_defaulted_one_is_refused() -> None:
    with pytest.raises(TypeError, match="'y'"):

        @record
        class Wrong:
            x: int = 0
            y: int  # type: ignore[misc]


def test_a_method_the_record_makes_is_not_overwritten() -> None:
    with pytest.raises(TypeError, match="__repr__"):

        @record
        class Shown:
            x: int

            def __repr__(self) -> str:
                return "mine"


def test_a_field_takes_a_default_or_a_factory() -> None:
    with pytest.raises(ValueError, match="not both"):
        field(default=1, default_factory=int)


def test_importing_records_imports_no_dataclasses() -> None:
    imported = imported_by("import offline_sql.records")
    assert not imported & {"dataclasses", "inspect"}, imported
