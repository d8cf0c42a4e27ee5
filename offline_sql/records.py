"""Frozen records without :mod:`dataclasses`, for the classes a memo-answered run builds.

A run the result memo answers (:mod:`offline_sql.quick`) is mostly Python starting and
mig importing what it needs to load the configuration and read one row. ``dataclasses``
imports ``inspect`` (and with it ``ast``, ``dis`` and ``tokenize``): 9.5 ms of such a run's
67 (stop 34, alternating runs). The few classes that run builds (:class:`~offline_sql.
config.Config`, :class:`~offline_sql.output_options.OutputOptions`, ...) are made by
:func:`record` instead; every other class of mig stays a dataclass.

:func:`record` gives a class what ``@dataclass(frozen=True)`` gives it, from the class's
annotations in their order: the same ``__init__`` (keyword or positional, defaults last),
``repr`` (the configuration's is part of every cache key), equality and hash over every
field, and immutability; instances pickle and copy as plain objects. :func:`field` is
``dataclasses.field``'s ``default``, ``default_factory`` and ``repr``; :func:`replace` and
:func:`fields` are ``dataclasses.replace`` and ``dataclasses.fields`` (names only). mypy
checks them as dataclasses (``dataclass_transform``), and so does not see that
``dataclasses.replace`` refuses a record at run time: call :func:`replace`.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: a memo-answered run would import typing for it
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    from typing_extensions import dataclass_transform

    _T = TypeVar("_T")
else:

    def dataclass_transform(**_options):
        return lambda decorated: decorated


class FrozenRecordError(AttributeError):
    """An attempt to change a record's field (``dataclasses.FrozenInstanceError``)."""


class _Field:
    __slots__ = ("default", "factory", "shown")

    def __init__(self, default: object, factory: Callable[[], object] | None, shown: bool) -> None:
        self.default = default
        self.factory = factory
        self.shown = shown


_NO_DEFAULT = object()
"""A field given no default: its argument is required."""


def field(
    *,
    default: Any = _NO_DEFAULT,
    default_factory: Callable[[], Any] | None = None,
    repr: bool = True,
) -> Any:
    """A field's default made by ``default_factory`` for each record, or a field left out
    of the ``repr`` (``repr=False``)."""
    if default is not _NO_DEFAULT and default_factory is not None:
        raise ValueError("a field takes a default or a default_factory, not both")
    return _Field(default, default_factory, repr)


_MADE = ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__")
"""What :func:`record` makes: a class that defines one itself is refused, not overwritten."""


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: type[_T]) -> type[_T]:
    """Make ``cls`` a frozen record of its annotated fields (see the module's doc)."""
    for name in _MADE:
        if name in cls.__dict__:
            raise TypeError(f"{cls.__name__} defines {name}, which a record makes")
    # The class's own annotations (Python 3.10 on), in the order they were written; not
    # inspect.get_annotations, since importing inspect is what this module avoids.
    names = tuple(cls.__annotations__)
    specs: dict[str, _Field] = {}
    defaulted = False
    for name in names:
        given = cls.__dict__.get(name, _NO_DEFAULT)
        spec = given if isinstance(given, _Field) else _Field(given, None, True)
        required = spec.default is _NO_DEFAULT and spec.factory is None
        if required and defaulted:
            raise TypeError(f"{cls.__name__}: field {name!r} without a default follows one with")
        defaulted = defaulted or not required
        specs[name] = spec
        if isinstance(given, _Field):
            if spec.default is _NO_DEFAULT:
                delattr(cls, name)
            else:
                setattr(cls, name, spec.default)
    shown = tuple(name for name, spec in specs.items() if spec.shown)
    made = {
        "__init__": _init(cls, specs),
        "__repr__": _repr(shown),
        "__eq__": _eq(names),
        "__hash__": _hash(names),
        "__setattr__": _refuse_change,
        "__delattr__": _refuse_delete,
        "__replace__": replace,
        "__record_fields__": names,
    }
    for name, value in made.items():
        setattr(cls, name, value)
    return cls


def _init(cls: type, specs: dict[str, _Field]) -> Callable[..., None]:
    """``__init__`` made from its source, as ``dataclasses`` makes it: a call binds its
    arguments as any function's do, with the same names and the same errors."""
    namespace: dict[str, object] = {"_set": object.__setattr__, "_FACTORY": _FACTORY}
    parameters, body = [], []
    for name, spec in specs.items():
        if spec.factory is not None:
            namespace[f"_factory_{name}"] = spec.factory
            parameters.append(f"{name}=_FACTORY")
            body.append(
                f"    _set(self, {name!r}, _factory_{name}() if {name} is _FACTORY else {name})"
            )
            continue
        if spec.default is _NO_DEFAULT:
            parameters.append(name)
        else:
            namespace[f"_default_{name}"] = spec.default
            parameters.append(f"{name}=_default_{name}")
        body.append(f"    _set(self, {name!r}, {name})")
    source = f"def __init__(self, {', '.join(parameters)}):\n" + ("\n".join(body) or "    pass")
    exec(source, namespace)  # the source is made of the class's own field names
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"  # type: ignore[attr-defined]
    return init  # type: ignore[return-value]


class _Factory:
    """The default of a field whose value ``default_factory`` makes."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


def _repr(names: tuple[str, ...]) -> Callable[[object], str]:
    def __repr__(self: object) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{type(self).__qualname__}({shown})"

    return __repr__


def _eq(names: tuple[str, ...]) -> Callable[[object, object], bool]:
    def __eq__(self: object, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        mine = tuple(getattr(self, name) for name in names)
        return mine == tuple(getattr(other, name) for name in names)

    return __eq__


def _hash(names: tuple[str, ...]) -> Callable[[object], int]:
    def __hash__(self: object) -> int:
        return hash(tuple(getattr(self, name) for name in names))

    return __hash__


def _refuse_change(self: object, name: str, value: object) -> None:
    raise FrozenRecordError(f"cannot assign to field {name!r}")


def _refuse_delete(self: object, name: str) -> None:
    raise FrozenRecordError(f"cannot delete field {name!r}")


def fields(record: object) -> tuple[str, ...]:
    """The names of a record's fields, in order (``dataclasses.fields``, names only)."""
    names: tuple[str, ...] = type(record).__record_fields__  # type: ignore[attr-defined]
    return names


def replace(record: _T, /, **changes: Any) -> _T:
    """A copy of ``record`` with ``changes`` (``dataclasses.replace``)."""
    names = fields(record)
    unknown = sorted(set(changes) - set(names))
    if unknown:
        raise TypeError(f"{type(record).__qualname__} has no field {unknown[0]!r}")
    values = {name: changes[name] if name in changes else getattr(record, name) for name in names}
    return type(record)(**values)
