"""The step cache's storage: one SQLite file, two tables of ``key -> (deps, data)``.

SQLite because the cache is read as thousands of small, keyed rows (one per step of a long
history), written in one transaction at the end of a successful command, and may be opened
by two commands at once; it is in the standard library.

The store is only an accelerator. Any error (a file that is not a database, a locked or
read-only folder, a row that does not decode) is reported once as a :class:`CacheWarning`
and the store goes quiet: lookups miss, writes are dropped. A file that is not a database is
replaced on the next write.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import warnings
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path

from offline_sql.errors import CacheWarning
from offline_sql.script.index import make_cache_dir

TYPE_CHECKING = False  # not typing's: importing it costs a memo-answered run 3 ms
if TYPE_CHECKING:
    from typing import IO

FILE_NAME = "steps.sqlite3"
SCHEMA_VERSION = 8
"""Bumped when the tables or the meaning of a row change; another version is rebuilt."""

TABLES = ("state", "render", "walk", "review", "result")
"""``state``: a step's effect on the schema state, and (``after``) the state key it leads to
(see :mod:`offline_sql.stepcache`); ``render``: a step's rendered SQL;
``walk``: a whole sequence of steps at once (see :meth:`.Chain.try_walk`); ``review``: what
the review of ``-o DIR`` / ``--strict`` found in a rendered step, and whether its script's
other direction records anything (see :meth:`.StepCache.review_rows`); ``result``: the last
``-o DIR`` run that wrote each output directory (:mod:`offline_sql.result_memo`)."""

BATCH = 500
"""Keys per ``IN (...)`` query (SQLite's oldest limit on parameters is 999)."""

Deps = tuple[tuple[str, str], ...]
"""``((path, sha256), ...)`` of the files a step read, sorted."""

Row = tuple[Deps, bytes]

Pending = dict[str, list[tuple[str, str, str, str, bytes]]]
"""Rows queued for :meth:`CacheStore.flush`, per table: (key, deps, notes, after, data)."""

PAGE_CACHE_KIB = 256
"""SQLite's page cache per connection (its default is 2 MiB): the cache is written once, at
the end of a first run, and read by key; the operating system caches the file anyway. A
first run at N = 1,000 peaked 0.6 MB lower with it (60.0 -> 59.4 MB; Alembic: 59.5)."""

SPILL_AT = 1 << 18
"""Bytes of queued rows kept in memory; past it they go to a temporary file. A first run at
N = 5,000 queued about 12 MB of rows until its end, where its peak memory is (about 11 MB
over ``--no-cache``, 104 MB against Alembic's 94). 256 KiB rather than 1 MiB: at N = 1,000
a first run peaks about 58 MiB, as Alembic does, and the queue and its read-back at the
end were up to a megabyte of it; writing the rows in smaller batches costs nothing more."""

CHECKSUM_SIZE = 16
"""Each stored blob starts with this many bytes of its BLAKE2b digest: a damaged row is a
miss, never unpickled. Then one byte says how the rest is stored (:data:`RAW`,
:data:`DEFLATED`)."""

RAW = b"r"
DEFLATED = b"z"
COMPRESS_FROM = 4096
"""Rows of at least this many bytes are zlib-compressed (level 1); smaller ones are stored as
they are. A step's rows are mostly 0.5-1.5 KiB of pickle that zlib shrinks by only 1.7x, and
compressing them was the largest cost the cache added to a first run (about 40-60 ms per
1,000 revisions, with ``zlib.compress`` or a small-window ``compressobj`` alike) and to
every warm run that reads them back: the cache must never make a run slower than
``--no-cache`` (issue 16). Large rows (a table with many columns, a long data migration's
statements) still shrink, which keeps a long first run's queued rows small."""


def _compress(data: bytes) -> bytes:
    if len(data) < COMPRESS_FROM:
        return RAW + data
    return DEFLATED + zlib.compress(data, 1)


def _decompress(stored: bytes) -> bytes:
    """The row's bytes; zlib.error when they are in no form :func:`_compress` writes."""
    kind, body = stored[:1], stored[1:]
    if kind == RAW:
        return body
    if kind == DEFLATED:
        return zlib.decompress(body)
    raise zlib.error(f"unknown row encoding {kind!r}")


def _checksum(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=CHECKSUM_SIZE).digest()


_LEFT_BEHIND: list[object] = []
"""The connection and spilled rows' file a forked child inherited (:meth:`CacheStore.detach`):
held so that they are never closed in the child, which leaves with ``os._exit``."""


class CacheStore:
    """Rows of the step cache in ``folder``; ``folder=None`` is a store that never hits."""

    def __init__(self, folder: Path | None) -> None:
        self.path = None if folder is None else folder / FILE_NAME
        self._connection: sqlite3.Connection | None = None
        self._broken = folder is None
        self._corrupt = False
        self._warned: set[str] = set()
        self._absent = False
        self._pending: Pending = {t: [] for t in TABLES}
        self._pending_bytes = 0
        self._spilled: IO[bytes] | None = None

    @property
    def enabled(self) -> bool:
        return not self._broken

    # ---- reading ------------------------------------------------------------------------

    def get(self, table: str, key: str) -> Row | None:
        """The row's dependencies and data, None when absent or damaged."""
        rows = self._select(table, "deps, data", [key])
        if rows is None or key not in rows:
            return None
        return self._decode(rows[key])

    def get_head(self, table: str, key: str) -> tuple[Deps, str, str] | None:
        """Only the row's dependencies, notes and ``after`` (its data may never be needed)."""
        rows = self._select(table, "deps, notes, after", [key])
        if rows is None or key not in rows:
            return None
        deps, notes, after = _decode_deps(rows[key][0]), rows[key][1], rows[key][2]
        if deps is None or not isinstance(notes, str) or not isinstance(after, str):
            self._warn_row()
            return None
        return deps, notes, after

    def has_all(self, table: str, keys: Sequence[str]) -> bool:
        """Whether every key has a row (without reading the rows)."""
        rows = self._select(table, "1", keys)
        return rows is not None and len(rows) == len(set(keys))

    def get_found(self, table: str, keys: Sequence[str]) -> dict[str, Row]:
        """``key -> row`` for the keys that have an intact row (the others are left out)."""
        rows = self._select(table, "deps, data", keys)
        found: dict[str, Row] = {}
        for key, row in (rows or {}).items():
            decoded = self._decode(row)
            if decoded is not None:
                found[key] = decoded
        return found

    def get_many(self, table: str, keys: Sequence[str]) -> dict[str, bytes] | None:
        """``key -> data`` for every key, or None when one is absent or damaged."""
        rows = self._select(table, "deps, data", keys)
        if rows is None or len(rows) != len(set(keys)):
            return None
        found: dict[str, bytes] = {}
        for key, row in rows.items():
            decoded = self._decode(row)
            if decoded is None:
                return None
            found[key] = decoded[1]
        return found

    def _select(
        self, table: str, columns: str, keys: Sequence[str]
    ) -> dict[str, tuple[object, ...]] | None:
        connection = self._connect(create=False)
        if connection is None:
            return None
        found: dict[str, tuple[object, ...]] = {}
        try:
            for start in range(0, len(keys), BATCH):
                chunk = list(keys[start : start + BATCH])
                marks = ",".join("?" * len(chunk))
                for row in connection.execute(
                    f"SELECT key, {columns} FROM {table} WHERE key IN ({marks})", chunk
                ):
                    found[row[0]] = tuple(row[1:])
        except sqlite3.Error as exc:
            self._fail(f"cannot read the step cache, ignored: {exc}")
            return None
        return found

    def _decode(self, row: tuple[object, ...]) -> Row | None:
        deps = _decode_deps(row[0])
        blob = row[1]
        if (
            deps is None
            or not isinstance(blob, bytes)
            or _checksum(blob[CHECKSUM_SIZE:]) != blob[:CHECKSUM_SIZE]
        ):
            self._warn_row()
            return None
        try:
            return deps, _decompress(blob[CHECKSUM_SIZE:])
        except zlib.error:
            self._warn_row()
            return None

    def _warn_row(self) -> None:
        self._warn_once("a step cache entry is corrupt: ignored, and rewritten")

    def _warn_once(self, message: str) -> None:
        """One warning per kind of damage per command, however many rows show it."""
        if message not in self._warned:
            self._warned.add(message)
            warnings.warn(f"{self.path}: {message}", CacheWarning, stacklevel=4)

    # ---- writing ------------------------------------------------------------------------

    def put(
        self, table: str, key: str, deps: Deps, data: bytes, notes: str = "[]", after: str = ""
    ) -> None:
        """Queue a row (``notes``: JSON text, ``after``: a key, both read back with
        :meth:`get_head`); :meth:`flush` writes the queue in one transaction."""
        if not self._broken:
            # Most steps read no file but their own script: skip the encoder for them.
            deps_text = _encode_deps(deps) if deps else "[]"
            packed = _compress(data)
            row = (key, deps_text, notes, after, _checksum(packed) + packed)
            self._pending[table].append(row)
            self._pending_bytes += sum(map(len, row))
            if self._pending_bytes >= SPILL_AT:
                self._spill()

    def detach(self) -> None:
        """In a forked child: leave the parent's connection and queue alone, never used or
        closed here (SQLite's connections must not cross a fork: closing one could
        checkpoint the parent's database); reads open a connection of the child's own, and
        the rows queued from now on are the child's (:meth:`take_queued`)."""
        # Kept referenced, never closed: closing the spilled rows' file would flush its
        # buffer into the file the parent shares (its offset too).
        _LEFT_BEHIND.extend(x for x in (self._connection, self._spilled) if x is not None)
        self._connection = None
        self._spilled = None
        self._pending = {t: [] for t in TABLES}
        self._pending_bytes = 0

    def take_queued(self) -> list[Pending]:
        """The rows queued, in the order they were put (the queue is emptied): what a
        forked child hands back for the parent to :meth:`adopt` (a spilled batch that does
        not read back raises: the child's answer is then not used)."""
        batches = list(self._queued())
        if self._spilled is not None:
            with contextlib.suppress(OSError):
                self._spilled.close()
            self._spilled = None
        self._pending = {t: [] for t in TABLES}
        self._pending_bytes = 0
        return batches

    def adopt(self, batches: Sequence[Pending]) -> None:
        """Queue rows another process queued (:meth:`take_queued`) after those queued here,
        as if they had been put here."""
        for batch in batches:
            for table, rows in batch.items():
                for row in rows:
                    if not self._broken:
                        self._pending[table].append(row)
                        self._pending_bytes += sum(map(len, row))
                        if self._pending_bytes >= SPILL_AT:
                            self._spill()

    def _spill(self) -> None:
        """Move the queued rows to a temporary file (deleted when closed, or when the process
        ends however it ends): a first run's queue no longer grows with the history."""
        import pickle

        try:
            if self._spilled is None:
                import tempfile

                # Lives as long as the queue: closed (and so deleted) by close().
                self._spilled = tempfile.TemporaryFile()  # noqa: SIM115
            pickle.dump(self._pending, self._spilled, protocol=pickle.HIGHEST_PROTOCOL)
        except OSError:
            return  # no room for a temporary file: the rows stay queued in memory
        self._pending = {t: [] for t in TABLES}
        self._pending_bytes = 0

    def _queued(self) -> Iterator[Pending]:
        """The queued rows in the order they were put: spilled batches, then the rest."""
        import pickle

        if self._spilled is not None:
            self._spilled.seek(0)
            while True:
                try:
                    yield pickle.load(self._spilled)
                except EOFError:
                    break
        yield self._pending

    def flush(self) -> None:
        """Write what was queued (after the command succeeded) and close."""
        import pickle

        if not self._broken and (self._spilled is not None or any(self._pending.values())):
            connection = self._connect(create=True)
            if connection is not None:
                try:
                    with connection:
                        for batch in self._queued():
                            for table, rows in batch.items():
                                connection.executemany(
                                    f"INSERT OR REPLACE INTO {table} "
                                    "(key, deps, notes, after, data) VALUES (?, ?, ?, ?, ?)",
                                    rows,
                                )
                except sqlite3.Error as exc:
                    self._fail(f"cannot write the step cache, ignored: {exc}")
                except (OSError, pickle.UnpicklingError, EOFError) as exc:
                    self._fail(f"cannot read back the queued step cache rows, ignored: {exc}")
        self._pending = {t: [] for t in TABLES}
        self._pending_bytes = 0
        self.close()

    def close(self) -> None:
        if self._spilled is not None:
            with contextlib.suppress(OSError):
                self._spilled.close()
            self._spilled = None
        if self._connection is not None:
            with contextlib.suppress(sqlite3.Error):
                self._connection.close()
            self._connection = None

    # ---- the connection -----------------------------------------------------------------

    def _connect(self, *, create: bool) -> sqlite3.Connection | None:
        if self._broken or self.path is None:
            return None
        if self._connection is not None:
            return self._connection
        if not create and (self._corrupt or self._absent):
            return None
        if not create and not self.path.exists():
            self._absent = True  # no cache yet: nothing to read until this command writes one
            return None
        try:
            if create:
                make_cache_dir(self.path.parent)
            connection = sqlite3.connect(self.path, timeout=10)
            connection.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            if version != SCHEMA_VERSION:
                if not create:
                    connection.close()
                    return None  # another layout (or a new file): rebuilt when written
                _create_tables(connection)
        except sqlite3.DatabaseError as exc:
            if "not a database" not in str(exc):
                self._fail(f"the step cache is unusable, ignored: {exc}")
                return None
            if create:
                return self._replace_corrupt()
            self._corrupt = True
            self._warn_once("the step cache is corrupt: ignored, and rebuilt")
            return None
        except OSError as exc:
            self._fail(f"cannot create the step cache, ignored: {exc}")
            return None
        self._connection = connection
        return connection

    def _replace_corrupt(self) -> sqlite3.Connection | None:
        assert self.path is not None
        try:
            self.path.unlink()
            connection = sqlite3.connect(self.path, timeout=10)
            _create_tables(connection)
        except (OSError, sqlite3.Error) as exc:
            self._fail(f"cannot replace the corrupt step cache, ignored: {exc}")
            return None
        self._connection = connection
        return connection

    def _fail(self, message: str) -> None:
        if not self._broken:
            warnings.warn(f"{self.path}: {message}", CacheWarning, stacklevel=3)
        self._broken = True
        self.close()


def _create_tables(connection: sqlite3.Connection) -> None:
    with connection:
        for table in TABLES:
            connection.execute(f"DROP TABLE IF EXISTS {table}")
            connection.execute(
                f"CREATE TABLE {table} (key TEXT PRIMARY KEY, deps TEXT NOT NULL, "
                "notes TEXT NOT NULL, after TEXT NOT NULL, data BLOB NOT NULL)"
            )
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _encode_deps(deps: Deps) -> str:
    import json  # here, as in _decode_deps: a row without dependencies needs no json

    return json.dumps(deps, separators=(",", ":"))


def _decode_deps(text: object) -> Deps | None:
    if not isinstance(text, str):
        return None
    if text == "[]":  # most rows (a run the result memo answers reads one such row)
        return ()
    import json

    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, list):
        return None
    deps: list[tuple[str, str]] = []
    for item in value:
        if not (
            isinstance(item, list)
            and len(item) == 2
            and isinstance(item[0], str)
            and isinstance(item[1], str)
        ):
            return None
        deps.append((item[0], item[1]))
    return tuple(deps)


def encode_deps(pairs: Sequence[tuple[str, str]]) -> Deps:
    return tuple(sorted(pairs))
