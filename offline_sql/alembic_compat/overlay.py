"""``from alembic import op`` inside mig: a ``sys.modules`` overlay for the time scripts run.

While :func:`alembic_modules` is active, ``alembic``, ``alembic.op``, ``alembic.context``
and ``alembic.operations`` in ``sys.modules`` are mig's (a stand-in package holding
:mod:`offline_sql.op`, :mod:`.context` and :mod:`.operations`, the custom-operation API); on
leaving, each name gets back exactly what it held before (the real Alembic, or nothing).
Nothing is patched in the real package, so Alembic running the same scripts later in the
process behaves as Alembic does. Names are resolved through ``sys.modules`` before any
finder runs, so no file of an installed Alembic is opened: the step cache sees no dependency
on it.

Other ``alembic.*`` modules are refused with an error saying what mig provides: they are
Alembic's internals (``alembic.operations.ops``, ``alembic.ddl``), which mig does not run.
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType

_PACKAGE = "alembic"
_NAMES = (_PACKAGE, f"{_PACKAGE}.op", f"{_PACKAGE}.context", f"{_PACKAGE}.operations")


def _refused(fullname: str) -> ModuleNotFoundError:
    return ModuleNotFoundError(
        f"No module named {fullname!r}: under mig, revision scripts get alembic.op, "
        "alembic.context and alembic.operations only (Alembic's internals are not run)",
        name=fullname,
    )


def _refuse_submodule(name: str) -> object:
    """``from alembic.operations import ops``: Python asks the module before importing
    ``alembic.operations.ops``, and would turn the finder's error into a vaguer one."""
    if name.startswith("__"):
        raise AttributeError(name)
    raise _refused(f"{_PACKAGE}.operations.{name}")


class _Refuse(importlib.abc.MetaPathFinder):
    """Turns ``import alembic.<anything else>`` into a clear error while the overlay is on."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.startswith(_PACKAGE + ".") and fullname not in _NAMES:
            raise _refused(fullname)
        return None


_REFUSE = _Refuse()


def _alembic_names() -> list[str]:
    """Every ``alembic`` module loaded. A submodule is only ever loaded with its package, so
    without ``alembic`` there is none, and ``sys.modules`` (hundreds of names) is not
    scanned: the overlay is entered for every script that runs, twice."""
    if _PACKAGE not in sys.modules:
        return []
    return [n for n in sys.modules if n == _PACKAGE or n.startswith(_PACKAGE + ".")]


@functools.cache
def _shims() -> dict[str, ModuleType]:
    """Made once a process, as Alembic's own modules are imported once: the overlay is put on
    twice for every script that runs (6 us each time to make them again)."""
    from offline_sql import op
    from offline_sql.alembic_compat import context, operations

    package = ModuleType(_PACKAGE, "mig's stand-in for Alembic while mig runs revision scripts.")
    package.__path__ = []
    package.op = op  # type: ignore[attr-defined]
    package.context = context  # type: ignore[attr-defined]
    # A package of its own, so ``alembic.operations.ops`` reaches the refusing finder.
    api = ModuleType(f"{_PACKAGE}.operations", operations.__doc__)
    api.__path__ = []
    api.__getattr__ = _refuse_submodule  # type: ignore[method-assign]
    for name in operations.__all__:
        setattr(api, name, getattr(operations, name))
    package.operations = api  # type: ignore[attr-defined]
    return {
        _PACKAGE: package,
        f"{_PACKAGE}.op": op,
        f"{_PACKAGE}.context": context,
        f"{_PACKAGE}.operations": api,
    }


_LOCK = threading.Lock()
_active = 0
_saved: dict[str, ModuleType] = {}


@contextmanager
def alembic_modules() -> Iterator[None]:
    """Scripts importing ``alembic`` get mig's ``op`` and ``context`` inside the block.

    Every ``alembic.*`` module already loaded is hidden meanwhile (and put back after), so a
    script sees the same thing whether or not Alembic ran earlier in the process. Nested
    and concurrent blocks (runs in threads) share one overlay: the last to leave restores."""
    global _active
    with _LOCK:
        if _active == 0:
            _saved.update({name: sys.modules.pop(name) for name in _alembic_names()})
            sys.modules.update(_shims())
            sys.meta_path.insert(0, _REFUSE)
        _active += 1
    try:
        yield
    finally:
        with _LOCK:
            _active -= 1
            if _active == 0:
                sys.meta_path.remove(_REFUSE)
                # What the overlay put there (other submodules are refused while it is on),
                # then anything else still under the name.
                for name in _NAMES:
                    sys.modules.pop(name, None)
                for name in _alembic_names():
                    del sys.modules[name]
                sys.modules.update(_saved)
                _saved.clear()
