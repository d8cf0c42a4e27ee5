"""Every operation has every part its declaration names, and says why where it has none.

One test per operation in :data:`offline_sql.operations.ALL_OPERATIONS` (the dataclasses of
``operations.py``, nothing listed by hand); its failure lists every missing part of that
operation, so adding one is: write the dataclass, declare it in
``offline_sql/operation_specs.py``, then follow the failure (docs/architecture.md, "Adding an
operation").
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from offline_sql import _op_builders, op, replay
from offline_sql import operations as ops
from offline_sql.autogen import pysource
from offline_sql.batch import FORMS, BatchOperations
from offline_sql.dialect_api.base import Dialect
from offline_sql.dialect_api.registry import NAMES, get_dialect
from offline_sql.operation_specs import SPEC_BY_OPERATION, SPECS, OperationSpec, Part


def _function(module: ModuleType, name: str | None) -> Callable[..., Any] | None:
    found = getattr(module, name, None) if name is not None else None
    return found if inspect.isfunction(found) else None


def _without(method: Any, form: str) -> list[str]:
    """The parameter names of the builder ``method`` binds, less those ``batch_op`` fills
    in for that form."""
    names = list(inspect.signature(method.__wrapped__, follow_wrapped=False).parameters)
    drop = {"schema", "source_schema"}
    if form == "table_first":
        drop.add(names[0])
    elif form == "table_second":
        drop.add(names[1])
    else:
        drop = set()
    return [n for n in names if n not in drop]


def _problems(cls: type[ops.Operation]) -> list[str]:
    spec = SPEC_BY_OPERATION.get(cls)
    if spec is None:
        return ["no OperationSpec in offline_sql/operation_specs.py"]
    found: list[str] = []

    builder = _function(_op_builders, spec.builder)
    if spec.builder is not None:
        if builder is None:
            found.append(f"no builder {spec.builder}() in offline_sql/_op_builders.py")
        elif cls.__name__ not in str(inspect.signature(builder).return_annotation):
            found.append(f"_op_builders.{spec.builder}() is not annotated to return {cls.__name__}")

    facade = getattr(op, spec.facade, None)
    if not callable(facade) or spec.facade not in op.__all__:
        found.append(f"offline_sql.op has no public {spec.facade}() (in __all__)")
    elif spec.hand_written is None and getattr(facade, "__wrapped__", None) is not builder:
        found.append(
            f"op.{spec.facade} is not bound to its builder (`{spec.facade} = "
            f"_recorded(_build.{spec.builder})` in offline_sql/op.py), and no hand_written reason"
        )

    method: Any = getattr(BatchOperations, spec.facade, None)
    if spec.batch is not None:
        if builder is None or getattr(method, "__wrapped__", None) is not builder:
            found.append(
                f"batch_op.{spec.facade} is not bound to the builder (`{spec.facade} = "
                f"{FORMS[spec.batch].__name__}(_build.{spec.builder})` in offline_sql/batch.py)"
            )
        elif list(inspect.signature(method).parameters)[1:] != _without(method, spec.batch):
            found.append(f"batch_op.{spec.facade}'s signature is not the builder's less the table")
    elif method is not None:
        found.append(f"BatchOperations has {spec.facade}() but the spec says {spec.no_batch!r}")

    if _function(replay, spec.replay) is None:
        found.append(f"no {spec.replay}() in offline_sql/replay.py")

    if not inspect.isfunction(getattr(Dialect, spec.renderer or "", None)):
        found.append(f"Dialect has no {spec.renderer}() (offline_sql/dialect_api/base.py)")
    for name in NAMES:
        if cls not in get_dialect(name).renderers():
            found.append(f"{name} cannot render it")

    for what in ("source", "inverse"):
        part: Part = "source" if what == "source" else "inverse"
        wanted = spec.name_of(part)
        plain = f"{what}_{spec.facade}"
        if wanted is not None and _function(pysource, wanted) is None:
            found.append(f"no {wanted}() in offline_sql/autogen/pysource.py")
        if wanted is None and _function(pysource, plain) is not None:
            found.append(f"pysource has {plain}() but the spec declares none: say {what}=True")
    return found


@pytest.mark.parametrize("cls", ops.ALL_OPERATIONS, ids=lambda c: c.__name__)
def test_operation_is_complete(cls: type[ops.Operation]) -> None:
    problems = _problems(cls)
    assert not problems, f"{cls.__name__}: " + "; ".join(problems)


def test_one_declaration_per_operation() -> None:
    assert [spec.operation for spec in SPECS] == list(ops.ALL_OPERATIONS)


@pytest.mark.parametrize(
    ("module", "prefix"),
    [(replay, "replay_"), (pysource, "source_"), (pysource, "inverse_")],
    ids=["replay", "source", "inverse"],
)
def test_no_part_without_a_declaration(module: ModuleType, prefix: str) -> None:
    """A handler whose name no declaration gives (a typo, a removed operation) is never
    dispatched to: it fails here instead of being dead code."""
    facades = {spec.facade for spec in SPECS}
    strays = [
        name
        for name, value in vars(module).items()
        if inspect.isfunction(value)
        and name.startswith(prefix)
        and name[len(prefix) :] not in facades
    ]
    assert not strays


def test_every_op_function_of_a_builder_is_bound_to_it() -> None:
    builders = {spec.builder for spec in SPECS if spec.builder is not None} | {"inline_literal"}
    public = {n for n in vars(_op_builders) if not n.startswith("_") and re.match(r"[a-z]", n)}
    functions = {n for n in public if inspect.isfunction(getattr(_op_builders, n))}
    functions = {
        n for n in functions if getattr(_op_builders, n).__module__ == _op_builders.__name__
    }
    assert functions == builders


def test_a_spec_needs_a_reason_for_a_missing_part() -> None:
    with pytest.raises(ValueError, match="no_inverse"):
        OperationSpec(
            ops.Execute,
            "execute",
            no_batch="x",
            no_autogen="y",
            autogen=False,
            inverse=False,
        )
