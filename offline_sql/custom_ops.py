"""Custom operations, as in Alembic's cookbook: ``Operations.register_operation`` and
``Operations.implementation_for`` with a ``MigrateOperation`` subclass.

An application declares its operation once (often in a module its scripts import)::

    from alembic.operations import MigrateOperation, Operations   # or from offline_sql

    @Operations.register_operation("create_sequence")
    class CreateSequenceOp(MigrateOperation):
        def __init__(self, name): self.name = name
        @classmethod
        def create_sequence(cls, operations, name):
            return operations.invoke(cls(name))

    @Operations.implementation_for(CreateSequenceOp)
    def create_sequence(operations, operation):
        operations.execute(f"CREATE SEQUENCE {operation.name}")

and scripts call ``op.create_sequence("s")`` (``op`` finds registered names here). The
implementation runs when the script calls it, so what it records (``operations.execute``,
``operations.create_index`` ...) is mig's own operations: rendered per dialect, replayed,
reviewed like any other. The ``operations`` implementations receive is ``op`` itself
(``batch_op`` for a batch operation). Registrations are process-wide, as in Alembic (an
application registers its operations once).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from offline_sql.errors import ScriptError
from offline_sql.operation_specs import SPECS
from offline_sql.operations import Operation

_T = TypeVar("_T")
_F = TypeVar("_F", bound=Callable[..., Any])


class MigrateOperation:
    """Base of an application's own operation: plain data its implementation (registered
    with :meth:`Operations.implementation_for`) turns into ``op.*`` calls."""

    @property
    def info(self) -> dict[Any, Any]:
        """Free-form data attached to the operation, as in Alembic."""
        found: dict[Any, Any] = self.__dict__.setdefault("_info", {})
        return found

    def reverse(self) -> MigrateOperation:
        raise NotImplementedError(f"{type(self).__name__} has no reverse()")


_IMPLEMENTATIONS: dict[type, Callable[..., Any]] = {}
_FUNCTIONS: dict[str, Callable[..., Any]] = {}
"""``op.<name>`` of each registered operation: its classmethod (``operations`` first)."""

_HELPERS = frozenset(
    {"f", "inline_literal", "invoke", "run_async", "get_context", "get_bind", "is_offline_mode"}
)
RESERVED = frozenset(spec.facade for spec in SPECS) | _HELPERS
"""``op``'s own names (``tests`` hold it equal to ``op.__all__``): never replaced."""


def registered(name: str) -> Callable[..., Any] | None:
    """The classmethod ``op.<name>`` calls, for a registered custom operation."""
    return _FUNCTIONS.get(name)


def _register(target: type, name: str, sourcename: str | None) -> Callable[[type[_T]], type[_T]]:
    batch = target is not Operations
    where = "batch_op" if batch else "op"

    def register(op_cls: type[_T]) -> type[_T]:
        source = getattr(op_cls, sourcename or name, None)
        if not callable(source):
            raise ScriptError(
                f"{target.__name__}.register_operation({name!r}): {op_cls.__name__} has no "
                f"classmethod {sourcename or name}(cls, operations, ...) to call"
            )
        mine = name in RESERVED or (batch and name in vars(target) and name not in _BATCH)
        if mine:
            raise ScriptError(
                f"{target.__name__}.register_operation({name!r}): {where}.{name} is mig's own; "
                "register the operation under another name"
            )
        if not batch:
            _FUNCTIONS[name] = source
            return op_cls

        def method(self: Any, *args: Any, **kw: Any) -> Any:
            return source(self, *args, **kw)

        method.__name__ = name
        method.__doc__ = source.__doc__
        _BATCH.add(name)
        setattr(target, name, method)
        return op_cls

    return register


_BATCH: set[str] = set()
"""``batch_op`` methods added by ``BatchOperations.register_operation``."""


def implementation_for(op_cls: type, replace: bool = False) -> Callable[[_F], _F]:
    def decorate(fn: _F) -> _F:
        known = _IMPLEMENTATIONS.get(op_cls)
        if known is not None and not replace and known.__qualname__ != fn.__qualname__:
            raise ScriptError(
                f"Operations.implementation_for({op_cls.__name__}): it has one already "
                f"({known.__qualname__}); pass replace=True to replace it"
            )
        _IMPLEMENTATIONS[op_cls] = fn
        return fn

    return decorate


def invoke(operations: Any, operation: Any, record: Callable[[Operation], None]) -> Any:
    """Run ``operation``: one of mig's own is recorded with ``record``; a
    :class:`MigrateOperation` goes to its implementation, given ``operations``."""
    if isinstance(operation, Operation):
        record(operation)
        return None
    if isinstance(operation, MigrateOperation):
        for cls in type(operation).__mro__:
            implementation = _IMPLEMENTATIONS.get(cls)
            if implementation is not None:
                return implementation(operations, operation)
        raise ScriptError(
            f"op.invoke({type(operation).__name__}(...)): no implementation; register one "
            f"with @Operations.implementation_for({type(operation).__name__})"
        )
    raise ScriptError(
        f"op.invoke({type(operation).__name__}(...)): mig runs its own operations "
        "(offline_sql.operations) and MigrateOperation subclasses registered with "
        "Operations.implementation_for; Alembic's operation objects are not run by mig"
    )


def refuse_run_async(where: str) -> ScriptError:
    """``op.run_async``: mig has no async connection to hand the function."""
    return ScriptError(
        f"{where}: op.run_async is not supported by mig: offline there is no database to "
        "run the async function against; record the changes with op.* calls (op.execute for "
        "raw SQL) instead"
    )


class Operations:
    """Alembic's ``Operations`` as custom operations use it: the two registries. The
    ``operations`` a registered classmethod or implementation receives is ``op`` itself
    (every ``op`` function, ``invoke`` included), as Alembic's ``op`` proxies its object."""

    @classmethod
    def register_operation(
        cls, name: str, sourcename: str | None = None
    ) -> Callable[[type[_T]], type[_T]]:
        """Make ``op.<name>`` call ``op_cls.<sourcename or name>(operations, ...)``."""
        return _register(cls, name, sourcename)

    @classmethod
    def implementation_for(cls, op_cls: type, replace: bool = False) -> Callable[[_F], _F]:
        """Make ``fn(operations, operation)`` what ``invoke`` runs for ``op_cls``."""
        return implementation_for(op_cls, replace)


def register_batch_operation(
    target: type, name: str, sourcename: str | None
) -> Callable[[type[_T]], type[_T]]:
    """``BatchOperations.register_operation``: ``batch_op.<name>`` calls the classmethod
    with the block's object."""
    return _register(target, name, sourcename)
