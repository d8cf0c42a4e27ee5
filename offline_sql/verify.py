"""``mig verify DIR``: is the output directory exactly what mig generated?

Before applying scripts days after generation, a DBA checks that nothing was edited, lost,
added or reordered in between. Every problem is one line naming the file and what is wrong;
an empty list means the directory is intact. The command exits 1 on any problem.
"""

from __future__ import annotations

import os
import re
import stat
import time
from collections.abc import Mapping
from pathlib import Path

from offline_sql.errors import OutputError
from offline_sql.manifest import (
    MANIFEST_FORMAT,
    MANIFEST_NAME,
    canonical_json,
    checked_relative,
    sha256_hex,
    with_digest,
)
from offline_sql.records import field, record

TYPE_CHECKING = False  # not typing's: importing it costs a memo-answered run 3 ms
if TYPE_CHECKING:
    from typing import Any

_ORDER_PREFIX = re.compile(r"^(\d+)_")


RACY_NS = 50_000_000
"""A file changed less than this (50 ms) before a snapshot was taken may change again
without its modification time moving (file systems keep times in ticks, some as coarse as
this): :meth:`Snapshot.unchanged` reads such a file again rather than trust its times."""

StatKey = tuple[int, int, int, int, int]
"""What a snapshot keeps of an entry's ``lstat``: mode, inode, size, mtime and ctime (ns)."""


def _stat_key(status: os.stat_result) -> StatKey:
    return (
        status.st_mode,
        status.st_ino,
        status.st_size,
        status.st_mtime_ns,
        status.st_ctime_ns,
    )


@record
class Snapshot:
    """A directory as :func:`verify_directory` found it: every entry's ``lstat`` and the
    sha256 it read from each file, taken at ``taken_ns``. Checking it again
    (:meth:`unchanged`) costs an ``lstat`` per entry, not a read of every file."""

    root: Path
    taken_ns: int
    entries: Mapping[str, StatKey]
    """Relative path (``/``-separated) -> its ``lstat``, for every file, symlink and folder."""
    digests: Mapping[str, str] = field(default_factory=dict)
    """Relative path -> sha256 of the bytes read, for every regular file read."""
    has_manifest: bool = False
    """Whether MANIFEST.json was read (its sha256 is among ``digests``). Its bytes are not
    kept: a ``--force`` run holds the snapshot from its start to its end, and the manifest
    of a ticket of 5,000 revisions is 3 MiB."""
    root_key: StatKey | None = None
    """The ``lstat`` of ``root`` itself, when it was taken (:meth:`take`): a file added and
    removed again, or the folder replaced, moves it."""

    @classmethod
    def take(cls, root: Path, digests: Mapping[str, str]) -> Snapshot:
        """The directory as it is now, whose files are known to hold ``digests`` (the
        caller just wrote them); ``root``'s own ``lstat`` included."""
        taken_ns = time.time_ns()
        root_key = _stat_key(os.lstat(root))
        return cls(root, taken_ns, _scan(root), dict(digests), False, root_key)

    def plain(self) -> tuple[object, ...]:
        """The snapshot as plain values (``marshal`` writes them: the result memo's rows)."""
        entries, digests = dict(self.entries), dict(self.digests)
        return (str(self.root), self.taken_ns, entries, digests, self.has_manifest, self.root_key)

    @classmethod
    def from_plain(cls, plain: object) -> Snapshot | None:
        """The snapshot :meth:`plain` gave, None when ``plain`` is not one."""
        if not (isinstance(plain, tuple) and len(plain) == 6):
            return None
        root, taken_ns, entries, digests, has_manifest, root_key = plain
        if not (
            isinstance(root, str)
            and isinstance(taken_ns, int)
            and isinstance(entries, dict)
            and isinstance(digests, dict)
            and isinstance(has_manifest, bool)
            and (root_key is None or isinstance(root_key, tuple))
        ):
            return None
        return cls(Path(root), taken_ns, entries, digests, has_manifest, root_key)

    def unchanged(self) -> bool:
        """Whether the directory still holds exactly what was snapshot: the same entries
        with the same ``lstat``; a file modified within :data:`RACY_NS` of the snapshot
        (it may have changed since without its modification time moving) is read again."""
        try:
            if self.root_key is not None and _stat_key(os.lstat(self.root)) != self.root_key:
                return False
            now = _scan(self.root)
        except OSError:
            return False
        if now.keys() != self.entries.keys():
            return False
        racy_from = self.taken_ns - RACY_NS
        for name, key in now.items():
            if key != self.entries[name]:
                return False
            if stat.S_ISREG(key[0]) and key[3] >= racy_from:
                try:
                    data = (self.root / name).read_bytes()
                except OSError:
                    return False
                if sha256_hex(data) != self.digests.get(name):
                    return False
        return True

    def racy(self) -> bool:
        """Whether a file was modified within :data:`RACY_NS` of the snapshot, so that
        :meth:`unchanged` reads it again (a snapshot taken just after writing)."""
        racy_from = self.taken_ns - RACY_NS
        return any(stat.S_ISREG(k[0]) and k[3] >= racy_from for k in self.entries.values())


@record
class VerifyResult:
    path: Path
    problems: tuple[str, ...]
    files_checked: int
    snapshot: Snapshot | None = None
    """The directory as checked (None when it was not read: no directory, no manifest)."""

    @property
    def ok(self) -> bool:
        return not self.problems


def _scan(root: Path) -> dict[str, StatKey]:
    """Relative path -> ``lstat`` of every entry under ``root`` (folders included), with
    ``os.scandir``: one directory read per folder, no path object per file."""
    found: dict[str, StatKey] = {}
    pending: list[tuple[str, str]] = [(str(root), "")]
    while pending:
        folder, prefix = pending.pop()
        with os.scandir(folder) as listing:
            for entry in listing:
                name = prefix + entry.name
                status = entry.stat(follow_symlinks=False)
                found[name] = _stat_key(status)
                if stat.S_ISDIR(status.st_mode):
                    pending.append((entry.path, name + "/"))
    return found


def _load_manifest(root: Path) -> tuple[dict[str, Any] | None, list[str], bytes | None]:
    path = root / MANIFEST_NAME
    if not path.is_file():
        return None, [f"{MANIFEST_NAME} is missing: {root} is not a mig output directory"], None
    raw = path.read_bytes()
    import json  # here: a run the result memo answers reads no manifest

    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return None, [f"{MANIFEST_NAME} is not valid JSON ({error}): it was edited"], raw
    if not isinstance(document, dict) or not isinstance(document.get("entries"), list):
        return None, [f"{MANIFEST_NAME} has no entries list: it was edited"], raw
    if document.get("format") != MANIFEST_FORMAT:
        return (
            None,
            [
                f"{MANIFEST_NAME} format {document.get('format')!r} is not {MANIFEST_FORMAT}: "
                "verify it with the mig version that wrote it"
            ],
            raw,
        )
    problems = []
    body = {key: value for key, value in document.items() if key != "digest"}
    encoded = canonical_json(body)
    if document.get("digest") != sha256_hex(encoded):
        problems.append(f"{MANIFEST_NAME} was edited: its content does not match its digest")
    elif with_digest(body, encoded) != raw:
        problems.append(f"{MANIFEST_NAME} was edited: its bytes are not as mig wrote them")
    return document, problems, raw


def _expected_files(document: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """file -> sha256 for every file the manifest lists."""
    expected: dict[str, str] = {}
    problems: list[str] = []
    listed: list[Any] = []
    for entry in document["entries"]:
        if isinstance(entry, dict):
            listed.append(entry)
            if isinstance(entry.get("rollback"), dict):
                listed.append(entry["rollback"])
    listed += [item for item in document.get("files") or [] if isinstance(item, dict)]
    for item in listed:
        name, digest = item.get("file"), item.get("sha256")
        if not isinstance(name, str) or not isinstance(digest, str):
            problems.append(f"{MANIFEST_NAME} lists a file without name or sha256")
            continue
        try:
            checked_relative(name)
        except OutputError:
            problems.append(f"{MANIFEST_NAME} lists {name!r}, a path outside the directory")
            continue
        expected[name] = digest
    return expected, problems


def _order_problems(entries: list[Any]) -> list[str]:
    problems: list[str] = []
    for position, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            problems.append(f"{MANIFEST_NAME} entry {position} is not an object")
            continue
        name = str(entry.get("file"))
        if entry.get("order") != position:
            problems.append(
                f"order changed: {name} is entry {position} but has order {entry.get('order')!r}"
            )
        match = _ORDER_PREFIX.match(Path(name).name)
        if match and int(match.group(1)) != position:
            problems.append(
                f"order changed: {name} is number {int(match.group(1))} "
                f"but is applied in position {position}"
            )
    return problems


def verify_directory(path: Path) -> VerifyResult:
    """Check ``path`` against its MANIFEST.json (see module doc). The result carries the
    directory's :class:`Snapshot` as checked."""
    root = Path(path)
    if not root.is_dir():
        return VerifyResult(root, (f"{root} is not a directory",), 0)
    taken_ns = time.time_ns()
    entries = _scan(root)
    document, problems, raw = _load_manifest(root)
    if document is None:
        return VerifyResult(root, tuple(problems), 0)
    expected, listing_problems = _expected_files(document)
    problems += listing_problems
    problems += _order_problems(document["entries"])
    on_disk = {
        name for name, key in entries.items() if stat.S_ISREG(key[0]) or stat.S_ISLNK(key[0])
    } - {MANIFEST_NAME}
    digests: dict[str, str] = {MANIFEST_NAME: sha256_hex(raw or b"")}
    for name in sorted(expected):
        if name not in on_disk:
            problems.append(f"missing: {name}")
        elif stat.S_ISLNK(entries[name][0]):
            problems.append(f"replaced by a symlink: {name}")
        else:
            digests[name] = sha256_hex((root / name).read_bytes())
            if digests[name] != expected[name]:
                problems.append(f"edited: {name} (sha256 differs from {MANIFEST_NAME})")
    for name in sorted(on_disk - set(expected)):
        problems.append(f"added: {name} (not in {MANIFEST_NAME})")
    snapshot = Snapshot(root, taken_ns, entries, digests, raw is not None)
    return VerifyResult(root, tuple(problems), len(expected), snapshot)


def verify(out_dir: Path) -> list[str]:
    """The problems found in ``out_dir``; empty when it is intact."""
    return list(verify_directory(out_dir).problems)
