"""The header index of a ``versions/`` folder, cached so an unchanged history re-reads nothing.

Listing heads of a long history is the hot path (``mig heads`` on thousands of revisions), so:

* headers are read with :func:`read_header` (``ast``, never an import, never SQLAlchemy);
* a JSON cache maps each file name to its header, keyed by the file's size, mtime, ctime and
  inode (as git's index is) and the mig version; an unchanged file is not opened at all, a
  changed one is parsed again. The ctime matters: the step cache trusts the script hash kept
  here, and an edit whose mtime was restored (``cp -p``, ``touch -d``) still moves the ctime;
* a file modified within :data:`RACY_WINDOW_NS` of the scan is not cached: a second edit in
  the same timestamp tick with the same size would otherwise go unnoticed ("racy" entries,
  as git calls them);
* the cache is only an accelerator: unreadable, corrupt or unwritable caches are ignored with a
  :class:`CacheWarning`, never trusted, and written atomically (temp file + ``os.replace``).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import warnings
from pathlib import Path

from offline_sql._version import __version__
from offline_sql.errors import CacheWarning, ScriptError

TYPE_CHECKING = False  # not typing's: importing it costs a memo-answered run 3 ms
if TYPE_CHECKING:
    # Imported where a header is made: a run the result memo answers only stats the folder
    # (``current_seal``); the header reader brings ``ast``, its helper process ``mmap``,
    # ``select`` and ``signal``.
    from offline_sql.script.ahead import Ahead
    from offline_sql.script.header import RevisionHeader

CACHE_FORMAT = 4
"""Bumped whenever the cache layout or the meaning of a header field changes."""

CACHE_FILE_NAME = "index.json"
DEFAULT_CACHE_DIR_NAME = ".mig_cache"
"""The default cache folder, next to ``versions/`` (in the script location)."""

RACY_WINDOW_NS = 2_000_000_000
"""Files modified this recently (relative to the scan) are re-parsed every time, never cached."""

_Entry = list[object]
_Stamp = tuple[int, int, int, int]
"""``(size, mtime_ns, ctime_ns, inode)`` of a file: what says it is unchanged."""
_Cached = tuple[_Stamp, "RevisionHeader"]


def is_revision_file(name: str) -> bool:
    """Whether a file name in ``versions/`` is a revision script."""
    return name.endswith(".py") and not name.startswith(("_", "."))


class RevisionIndex:
    """The headers of every revision script directly in ``versions_dir``.

    ``cache_dir=None`` disables the cache (see :func:`default_cache_dir` for the usual place).
    After :meth:`load`, ``parsed`` names the files that had to be read (the rest came from
    the cache): tests and ``--verbose`` output use it.

    A plain class, not a dataclass: a run the result memo answers takes the folder's seal
    here, and importing ``dataclasses`` is 9.5 ms of such a run (:mod:`offline_sql.records`).
    """

    def __init__(self, versions_dir: Path, cache_dir: Path | None = None) -> None:
        self.versions_dir = versions_dir
        self.cache_dir = cache_dir
        self.parsed: list[str] = []
        self._loaded: tuple[str, list[tuple[str, _Stamp]], int] | None = None
        """The folder, its scan and the racy limit of the last :meth:`load` (its seal is
        made when asked: only the result memo asks, and ``heads`` should not pay for it)."""

    @property
    def seal(self) -> str | None:
        """After :meth:`load`: the :func:`seal` of the folder as the headers were read, or
        None when a file was too recent to trust its ``stat`` (see :func:`_any_racy`)."""
        if self._loaded is None:
            return None
        folder, files, racy_after = self._loaded
        return None if _any_racy(files, racy_after) else seal(folder, files)

    @property
    def cache_path(self) -> Path | None:
        return None if self.cache_dir is None else self.cache_dir / CACHE_FILE_NAME

    def load(self) -> list[RevisionHeader]:
        """Headers of all revision files, sorted by file name (deterministic)."""
        from offline_sql.script.header import read_header

        self.parsed = []
        files = self._scan()
        cached = self._read_cache()
        racy_after = time.time_ns() - RACY_WINDOW_NS
        folder = str(self.versions_dir)
        headers: list[RevisionHeader] = []
        cacheable: list[tuple[str, _Stamp, RevisionHeader]] = []
        changed = False
        helper = self._helper(files, cached)
        for name, stamp in files:
            hit = cached.get(name)
            if hit is not None and hit[0] == stamp:
                header = hit[1]
            else:
                path = os.path.join(folder, name)
                ahead_header = helper.header(path) if helper and helper.owns_header(path) else None
                header = ahead_header or read_header(path)
                self.parsed.append(name)
                hit = None
            headers.append(header)
            if stamp[1] < racy_after:
                cacheable.append((name, stamp, header))
                changed = changed or hit is None
        if changed or len(cacheable) != len(cached) or any(c[0] not in cached for c in cacheable):
            self._write_cache({c[0]: _entry_json(c[1], c[2]) for c in cacheable})
        self._loaded = (folder, files, racy_after)
        return headers

    def current_seal(self) -> str | None:
        """The :func:`seal` of the folder now (one ``stat`` a file, no cache read), or None
        when a file is too recent to trust its ``stat``."""
        files = self._scan()
        if _any_racy(files, time.time_ns() - RACY_WINDOW_NS):
            return None
        return seal(str(self.versions_dir), files)

    def known_hashes(self) -> list[tuple[str, str]] | None:
        """Each script's path and SHA-256, sorted by file name, when the index holds every
        script as it is now (one ``stat`` each, no header made, nothing written); None when
        any must be read again (new, changed, recently written, or no usable index): then
        :meth:`load` is what tells. For the result memo, which needs only the hashes."""
        import json  # here and where the index is read or written: sealing needs none

        path = self.cache_path
        if path is None:
            return None
        try:
            data = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return None
        if not (
            isinstance(data, dict)
            and data.get("format") == CACHE_FORMAT
            and data.get("version") == __version__
            and isinstance(data.get("files"), dict)
        ):
            return None
        entries = data["files"]
        files = self._scan()
        if len(files) != len(entries):
            return None
        prefix = os.path.join(str(self.versions_dir), "")
        found: list[tuple[str, str]] = []
        for name, (size, mtime_ns, ctime_ns, inode) in files:
            entry = entries.get(name)
            if not (
                type(entry) is list
                and len(entry) == 11
                and entry[0] == size
                and entry[1] == mtime_ns
                and entry[9] == ctime_ns
                and entry[10] == inode
                and type(entry[8]) is str
                and len(entry[8]) == 64
            ):
                return None
            found.append((prefix + name, entry[8]))
        return found

    def _helper(self, files: list[tuple[str, _Stamp]], cached: dict[str, _Cached]) -> Ahead | None:
        """The run's helper process (:mod:`offline_sql.script.ahead`), started on the files
        whose headers must be read, when there are many (a first run); else None. A session
        runs only where its module was imported (:func:`offline_sql.generate.ahead_session`):
        browsing commands do not import it (``mmap``, ``select``, ``signal``: 1.5 ms)."""
        ahead = sys.modules.get("offline_sql.script.ahead")
        session: Ahead | None = ahead.current() if ahead is not None else None
        if session is None or session.running:
            return None
        folder = str(self.versions_dir)
        missing = [
            os.path.join(folder, name)
            for name, stamp in files
            if (hit := cached.get(name)) is None or hit[0] != stamp
        ]
        return session if session.start(missing) else None

    def _scan(self) -> list[tuple[str, _Stamp]]:
        # One pass: every warm command scans, and at 5,000 scripts a second list was a few
        # ms of 'heads'.
        found: list[tuple[str, _Stamp]] = []
        add = found.append
        try:
            with os.scandir(self.versions_dir) as it:
                for entry in it:
                    name = entry.name
                    if is_revision_file(name) and entry.is_file():
                        st = entry.stat()
                        add((name, (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)))
        except OSError as exc:
            raise ScriptError(
                f"{self.versions_dir}: cannot list the versions folder: {exc.strerror or exc} "
                "(check script_location in the mig configuration)"
            ) from exc
        found.sort()  # by name: names are unique
        return found

    def _read_cache(self) -> dict[str, _Cached]:
        path = self.cache_path
        if path is None:
            return {}
        try:
            raw = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return {}  # no cache yet (writing it will tell if the place is unusable)
        except OSError as exc:
            _warn(f"{path}: index cache unreadable, ignored: {exc}")
            return {}
        import json

        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if isinstance(data, dict) and (
            data.get("format") != CACHE_FORMAT or data.get("version") != __version__
        ):
            return {}  # written by another mig: rebuilt silently
        files = _cached_files(data, str(self.versions_dir))
        if files is None:
            _warn(f"{path}: index cache is corrupt, ignored and rebuilt")
            return {}
        return files

    def _write_cache(self, entries: dict[str, _Entry]) -> None:
        path = self.cache_path
        if path is None:
            return
        import json

        payload = {"format": CACHE_FORMAT, "version": __version__, "files": entries}
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        import tempfile  # only when the index changed: a warm browse does not write it

        try:
            make_cache_dir(path.parent)
            fd, tmp = tempfile.mkstemp(prefix=".index-", suffix=".tmp", dir=path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    out.write(text)
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            _warn(f"{path}: cannot write the index cache, ignored: {exc}")


CACHE_GITIGNORE = "# Made by mig: this cache belongs to one machine; never commit it.\n*\n"


def make_cache_dir(folder: Path) -> None:
    """Create the cache folder with a ``.gitignore`` that ignores all of it (as pytest and
    mypy do with theirs), so a cache is never committed by accident."""
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text(CACHE_GITIGNORE, encoding="utf-8")


def default_cache_dir(versions_dir: Path) -> Path:
    """``<script_location>/.mig_cache``: the cache folder next to ``versions/``."""
    return versions_dir.parent / DEFAULT_CACHE_DIR_NAME


def seal(folder: str, files: list[tuple[str, _Stamp]]) -> str:
    """A digest of the folder's revision files and their stamps. Two equal seals, neither
    taken while a file was racy, say that no file was added, removed or written between
    them: what the index trusts of one file (its stamp), for all of them at once. The result
    memo keeps the seal of the scan its run read the scripts after, and compares it with one
    taken now instead of checking each file's hash in the index (10-15 ms at 5,000
    scripts: the index is a megabyte of JSON).

    Encoded by ``marshal`` (version 0: no references, so the bytes depend on the values
    alone): faster than ``pickle`` (145 against 264 us for 1,000 scripts) and built in (a
    run the result memo answers imports no ``pickle``). Different data never give the same
    bytes; a different encoding of the same data (another Python) only misses. ``hashlib``
    is imported here, not with the module: browsing (``mig heads``) reads the index without
    a seal, and loading OpenSSL's hashes is 2 ms of its 60."""
    import hashlib
    import marshal

    data = marshal.dumps((folder, files), 0)
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _any_racy(files: list[tuple[str, _Stamp]], racy_after: int) -> bool:
    """Whether a file was modified, or had its inode changed, too recently to seal. Stricter
    than an index entry (which looks at the mtime): a file written and dated back (``cp -p``,
    ``touch -d``) has an old mtime, and a second such write within the same clock tick of
    the ctime would leave its stamp as it was; a seal stands for every file at once."""
    return any(stamp[1] >= racy_after or stamp[2] >= racy_after for _, stamp in files)


def load_index(versions_dir: Path, cache_dir: Path | None = None) -> list[RevisionHeader]:
    """Headers of all revisions in ``versions_dir`` (``cache_dir=None``: no cache)."""
    return RevisionIndex(Path(versions_dir), None if cache_dir is None else Path(cache_dir)).load()


def _warn(message: str) -> None:
    warnings.warn(message, CacheWarning, stacklevel=4)


def _entry_json(stamp: _Stamp, header: RevisionHeader) -> _Entry:
    """``[size, mtime_ns, revision, down_revisions, branch_labels, depends_on, message, allow,
    source_sha256, ctime_ns, inode]``"""
    size, mtime_ns, ctime_ns, inode = stamp
    return [
        size,
        mtime_ns,
        header.revision,
        list(header.down_revisions),
        list(header.branch_labels),
        list(header.depends_on),
        header.message,
        list(header.allow_findings),
        header.source_sha256,
        ctime_ns,
        inode,
    ]


def _strings(value: object) -> tuple[str, ...] | None:
    if type(value) is not list:
        return None
    if not value:
        return ()  # most lists (labels, depends_on, allow) are empty: the fast path
    if all(type(item) is str for item in value):
        return tuple(value)
    return None


def _cached_files(data: object, folder: str) -> dict[str, _Cached] | None:
    """``name -> (stamp, header)`` of a well-formed cache document, else None.

    Every entry is checked to be exactly what :func:`_entry_json` writes: one bad entry and
    the whole cache is distrusted. (Written for speed: a warm command of a 5,000-revision
    history checks 5,000 entries before it does anything else.)
    """
    from offline_sql.script.header import RevisionHeader

    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        return None
    prefix = os.path.join(folder, "")
    result: dict[str, _Cached] = {}
    strings = _strings
    empty: tuple[str, ...] = ()
    for name, entry in data["files"].items():
        if type(entry) is not list or len(entry) != 11 or not is_revision_file(name):
            return None
        size, mtime_ns, revision, down, labels, deps, message, allow, sha, ctime_ns, inode = entry
        if not (
            type(size) is int
            and type(mtime_ns) is int
            and type(ctime_ns) is int
            and type(inode) is int
            and type(revision) is str
            and type(message) is str
            and type(sha) is str
            and len(sha) == 64
        ):
            return None
        # Most lists (labels, depends_on, allow) are empty: no call for those.
        down_t = strings(down)
        labels_t = empty if labels == [] else strings(labels)
        deps_t = empty if deps == [] else strings(deps)
        allow_t = empty if allow == [] else strings(allow)
        if down_t is None or labels_t is None or deps_t is None or allow_t is None:
            return None
        header = RevisionHeader(
            revision, down_t, labels_t, deps_t, message, prefix + name, allow_t, sha
        )
        result[name] = ((size, mtime_ns, ctime_ns, inode), header)
    return result
