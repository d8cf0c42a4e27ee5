"""The table mapping of a :class:`~offline_sql.state.SchemaState`: a dict that can hold
tables still pickled, and can tell which tables a step looked at.

Both serve the step cache (:mod:`offline_sql.stepcache`):

* a state rebuilt from cached deltas holds every table as its pickled bytes, and a table is
  unpickled only when something reads it: a range near the head of a long history touches a
  handful of tables, not thousands;
* while a step is *tracked*, every key read, written or deleted is noted, with the order in
  which keys appeared and disappeared. A table can only change through this mapping (every
  mutation starts by fetching the table from it), so the noted keys are a safe superset of
  the tables the step changed: they are what the step's cached delta stores.

Membership tests and iterating keys neither unpickle nor count as a read; ``values()`` and
``items()`` go through ``__getitem__`` and so do both, for every table.

The mapping also keeps a digest of its content (:meth:`TableMap.content`): the step cache keys
the state after a step it ran by what the state holds, not by the steps that led there, so a
walk that reaches a state it has met before goes on from the cached steps (see
:mod:`offline_sql.stepcache`).
"""

from __future__ import annotations

import copy
import hashlib
import io
import os
import pickle
import sys
import types
from collections.abc import Iterable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from offline_sql.table_state import TableKey, TableState

PICKLE_PROTOCOL = 5


class CorruptCache(Exception):
    """Cached bytes that do not decode: the command runs again without the cache."""


@dataclass(frozen=True)
class Frozen:
    """A table kept as its pickled bytes until first read."""

    data: bytes


_STARTUP_PATH = tuple(sys.path)
"""``sys.path`` before any revision script could change it (this module is imported before
the first script runs)."""
_STARTUP_PACKAGES = frozenset(name.partition(".")[0] for name in list(sys.modules))
"""Top-level packages loaded before any script ran (mig, SQLAlchemy, the standard library):
their modules import in a new process whatever scripts do to ``sys.path``."""


def _importable(module: str) -> bool:
    """Whether a new mig process can import ``module`` before running any script: it
    belongs to a package loaded before scripts ran, or it is loaded and not from a folder
    that was put on ``sys.path`` after mig started."""
    top = module.partition(".")[0]
    if top in _STARTUP_PACKAGES or top in sys.builtin_module_names:
        return True
    loaded = sys.modules.get(module)
    path = getattr(loaded, "__file__", None)
    return loaded is not None and (not isinstance(path, str) or _from_startup_path(path))


def _from_startup_path(path: str) -> bool:
    added = [p for p in sys.path if p not in _STARTUP_PATH]
    if not added:
        return True
    real = os.path.realpath(path)

    def under(entries: Iterable[str]) -> bool:
        return any(real.startswith(os.path.join(os.path.realpath(e or "."), "")) for e in entries)

    return under(_STARTUP_PATH) or not under(added)


class _Pickler(pickle.Pickler):
    """Pickles only what a new process can unpickle: a class or function from a module that
    only a revision script made importable (a type defined in the script, or in a folder the
    script put on ``sys.path``) is refused, so that table is simply not cached."""

    def reducer_override(self, obj: Any) -> Any:
        named = obj if isinstance(obj, (type, types.FunctionType)) else type(obj)
        if named in _ALWAYS_IMPORTABLE:
            return NotImplemented
        module = getattr(named, "__module__", None) or "builtins"
        if not _importable(module):
            raise pickle.PicklingError(f"{module} cannot be imported by a new process")
        if module.partition(".")[0] in _STARTUP_PACKAGES:
            _ALWAYS_IMPORTABLE.add(named)
        return NotImplemented


_ALWAYS_IMPORTABLE: set[object] = set()
"""Classes and functions of packages loaded before any script ran, seen once: their answer
never changes, and a table pickles about 19 of them (``reducer_override`` is asked for every
object that is not a plain str, int, tuple, list or dict)."""


def _digest(blob: bytes) -> bytes:
    return hashlib.blake2b(blob, digest_size=16).digest()


_CONTENT_MODULUS = 1 << 128


def _entry(key: TableKey, stamp: int, digest: bytes) -> int:
    """One table's share of :meth:`TableMap.content`: its key, its place and its bytes."""
    mixed = hashlib.blake2b(repr(key).encode("utf-8", "surrogatepass"), digest_size=16)
    mixed.update(stamp.to_bytes(8, "big"))
    mixed.update(digest)
    return int.from_bytes(mixed.digest(), "big")


def freeze(table: TableState) -> bytes:
    """The table's pickle, refused (:class:`pickle.PicklingError`) when a new process could
    not unpickle it.

    While no folder was put on ``sys.path`` since mig started, the plain pickler refuses
    what :class:`_Pickler` does and is twice as fast (``reducer_override`` is a Python call
    for every object): it names each class and function by its module, importing that
    module if needed, and a revision script's module is never left in ``sys.modules``
    (:func:`offline_sql.script.loader.load_script`), so a type defined in a script cannot
    be named; every other module it finds comes from where a new process finds it too."""
    if not _path_added():
        return pickle.dumps(table, protocol=PICKLE_PROTOCOL)
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=PICKLE_PROTOCOL).dump(table)
    return buffer.getvalue()


def _path_added() -> bool:
    """Whether ``sys.path`` holds an entry it did not hold when mig started."""
    return any(entry not in _STARTUP_PATH for entry in sys.path)


@dataclass
class Tracking:
    """What one tracked step did to the mapping."""

    touched: set[TableKey] = field(default_factory=set)
    """Keys read, written or deleted."""
    events: list[tuple[str, TableKey]] = field(default_factory=list)
    """``("new", key)`` when a key appeared, ``("del", key)`` when one went, in order:
    together they give the key order a replay would leave."""


class TableMap(MutableMapping["TableKey", "TableState"]):
    """``(schema, name) -> TableState`` in insertion order, like the dict it replaces."""

    def __init__(self, frozen: dict[TableKey, bytes] | None = None) -> None:
        self._data: dict[TableKey, TableState | Frozen] = (
            {key: Frozen(blob) for key, blob in frozen.items()} if frozen else {}
        )
        self._tracking: Tracking | None = None
        self._watch: set[TableKey] | None = None
        """Keys read, written or deleted while watched (:meth:`watching`), apart from the
        tracking of a step's delta."""
        self._source: dict[TableKey, bytes] = {}
        """Digest of the bytes each thawed table came from (or was last stored as), so a
        table a step only read need not be stored again."""
        self._stamps: dict[TableKey, int] = {}
        """When each key appeared (a counter): two maps whose keys have the same stamps hold
        them in the same order, which :meth:`content` must tell apart."""
        self._next_stamp = 0
        self._shares: dict[TableKey, int] = {}
        """Each table's share of :meth:`content`, as last computed."""
        self._total = 0
        """The sum of :attr:`_shares` (modulo 2**128)."""
        self._stale: set[TableKey] = set()
        """Keys whose share must be computed again: added, deleted, stored anew, or read (a
        table read may have been changed in place since)."""
        for key in self._data:
            self._stamp(key)
            self._stale.add(key)

    # ---- the mapping --------------------------------------------------------------------

    def __getitem__(self, key: TableKey) -> TableState:
        value = self._data[key]
        if isinstance(value, Frozen):
            try:
                thawed: TableState = pickle.loads(value.data)
            except Exception as exc:  # corrupt bytes can raise anything while unpickling
                raise CorruptCache(f"a cached table {key!r} does not decode: {exc}") from exc
            self._data[key] = thawed
            self._source[key] = _digest(value.data)
            value = thawed
        self._stale.add(key)
        if self._tracking is not None:
            self._tracking.touched.add(key)
        if self._watch is not None:
            self._watch.add(key)
        return value

    def __setitem__(self, key: TableKey, value: TableState) -> None:
        if self._tracking is not None:
            self._tracking.touched.add(key)
            if key not in self._data:
                self._tracking.events.append(("new", key))
        if self._watch is not None:
            self._watch.add(key)
        self._source.pop(key, None)
        if key not in self._data:
            self._stamp(key)
        self._stale.add(key)
        self._data[key] = value

    def __delitem__(self, key: TableKey) -> None:
        del self._data[key]
        self._source.pop(key, None)
        self._stamps.pop(key, None)
        self._stale.add(key)
        if self._tracking is not None:
            self._tracking.touched.add(key)
            self._tracking.events.append(("del", key))
        if self._watch is not None:
            self._watch.add(key)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[TableKey]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"TableMap({len(self._data)} tables)"

    def __deepcopy__(self, memo: dict[int, Any]) -> TableMap:
        clone = TableMap()
        clone._data = {
            key: value if isinstance(value, Frozen) else copy.deepcopy(value, memo)
            for key, value in self._data.items()
        }
        clone._stamps = dict(self._stamps)
        clone._next_stamp = self._next_stamp
        clone._stale = set(self._data)
        return clone

    # ---- the content ----------------------------------------------------------------------

    def _stamp(self, key: TableKey) -> None:
        self._stamps[key] = self._next_stamp
        self._next_stamp += 1

    def content(self) -> int | None:
        """A digest of every table, in order: equal for two maps holding tables that pickle to
        the same bytes under the same keys in the same order (maps that differ in any of
        these differ here but for a 2**-128 chance). None when a table does not pickle.

        Kept up to date by key, so asking after each step costs what the step used, not
        what the map holds; a table read since the last time is pickled again, unless it
        is still (or again) in its pickled form."""
        for key in list(self._stale):
            share = self._shares.pop(key, None)
            if share is not None:
                self._total -= share
            value = self._data.get(key)
            if value is not None:
                if isinstance(value, Frozen):
                    digest = self._source.get(key) or _digest(value.data)
                else:
                    try:
                        digest = _digest(freeze(value))
                    except Exception:  # anything pickle cannot name, raised as it likes
                        return None
                share = _entry(key, self._stamps[key], digest)
                self._shares[key] = share
                self._total += share
            self._stale.discard(key)
        self._total %= _CONTENT_MODULUS
        return self._total

    # ---- tracking -----------------------------------------------------------------------

    def start_tracking(self) -> Tracking:
        """Note every key used from now until :meth:`stop_tracking`."""
        self._tracking = Tracking()
        return self._tracking

    def stop_tracking(self) -> Tracking:
        tracking, self._tracking = self._tracking, None
        assert tracking is not None, "stop_tracking without start_tracking"
        return tracking

    @contextmanager
    def watching(self) -> Iterator[set[TableKey]]:
        """The keys read, written or deleted inside (a superset of the tables changed, as
        for tracking): what the review must look at again after a step."""
        outer, self._watch = self._watch, set()
        seen = self._watch
        try:
            yield seen
        finally:
            self._watch = outer
            if outer is not None:
                outer |= seen

    def stored_form(self, key: TableKey) -> tuple[bool, bytes | None]:
        """``(changed, bytes)``: the pickled table (None when the key is gone), and whether
        it differs from the bytes it was thawed from or last stored as (a table a step only
        read need not be stored again). The bytes become the new reference."""
        value = self._data.get(key)
        if value is None:
            return True, None
        if isinstance(value, Frozen):
            return False, value.data
        blob = freeze(value)
        digest = _digest(blob)
        changed = digest != self._source.get(key)
        self._source[key] = digest
        return changed, blob

    def refreeze(self, pickled: dict[TableKey, bytes]) -> None:
        """Keep these tables as the given bytes (their current pickled form) until read."""
        for key, blob in pickled.items():
            if key in self._data:
                self._data[key] = Frozen(blob)
                self._source[key] = _digest(blob)
                self._stale.add(key)

    def thaw_all(self) -> None:
        """Unpickle every table still pickled (untracked)."""
        for key, value in list(self._data.items()):
            if isinstance(value, Frozen):
                tracking, self._tracking = self._tracking, None
                try:
                    self[key]
                finally:
                    self._tracking = tracking

    def restore(
        self, events: list[tuple[str, TableKey]], tables: dict[TableKey, bytes | None]
    ) -> None:
        """Replay a stored step (see :mod:`offline_sql.stepcache.delta`): the key events in
        order, then each stored table, kept pickled. Not tracked."""
        if self._watch is not None:
            self._watch.update(key for _, key in events)
            self._watch.update(tables)
        placeholder = Frozen(b"")
        for event, key in events:
            if event == "del":
                self._data.pop(key, None)
                self._stamps.pop(key, None)
            elif key not in self._data:
                self._data[key] = placeholder
                self._stamp(key)
            self._source.pop(key, None)
            self._stale.add(key)
        for key, blob in tables.items():
            self._source.pop(key, None)
            self._stale.add(key)
            if blob is None:
                self._data.pop(key, None)
                self._stamps.pop(key, None)
            elif key in self._data:
                self._data[key] = Frozen(blob)
            else:  # a table a stored step changed without an event: as __setitem__ would
                self._stamp(key)
                self._data[key] = Frozen(blob)
        if any(self._data.get(key) is placeholder for _, key in events):
            raise ValueError("a stored step added a table it did not store")
