"""MANIFEST.json: what a generated directory holds, so ``mig verify`` can check it later.

The manifest lists every file with its sha256, the order, and the sha256 of each source
script, and carries a digest of its own content (see :mod:`offline_sql.output` for how the
directory is written, :mod:`offline_sql.verify` for how it is checked).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Literal

from offline_sql.errors import OutputError

MANIFEST_NAME = "MANIFEST.json"


MANIFEST_FORMAT = 1
"""Bumped when the manifest's shape changes; ``mig verify`` refuses formats it does not know."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class ManifestEntry:
    """One generated script, in application order."""

    order: int
    """1-based position in which the DBA applies the scripts."""
    revision: str
    parents: tuple[str, ...]
    message: str
    file: str
    """Relative path in the directory (``0001_ab12_add_users.sql``)."""
    content: bytes
    source_sha256: str
    """sha256 of the revision script's bytes (see :func:`sha256_hex`)."""
    direction: Literal["upgrade", "downgrade"]
    has_downgrade: bool = True
    rollback_file: str | None = None
    """The matching rollback script (``rollback/0001_...sql``), when one was written."""
    rollback_content: bytes | None = None


def canonical_json(document: Any) -> bytes:
    """The one serialization mig writes: sorted keys, indent 2, UTF-8, trailing newline."""
    return (json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def manifest_digest(document: dict[str, Any]) -> str:
    """sha256 of the canonical manifest without its ``digest`` key."""
    body = {key: value for key, value in document.items() if key != "digest"}
    return sha256_hex(canonical_json(body))


def _entry_json(entry: ManifestEntry) -> dict[str, Any]:
    rollback: dict[str, str] | None = None
    if entry.rollback_file is not None:
        if entry.rollback_content is None:
            raise ValueError(f"rollback_file {entry.rollback_file} given without its content")
        rollback = {"file": entry.rollback_file, "sha256": sha256_hex(entry.rollback_content)}
    return {
        "order": entry.order,
        "revision": entry.revision,
        "parents": list(entry.parents),
        "message": entry.message,
        "file": entry.file,
        "sha256": sha256_hex(entry.content),
        "source_sha256": entry.source_sha256,
        "direction": entry.direction,
        "has_downgrade": entry.has_downgrade,
        "rollback": rollback,
    }


def build_manifest(
    entries: Sequence[ManifestEntry],
    dialect: str,
    tool_version: str,
    *,
    extra_files: Sequence[tuple[str, bytes]] = (),
) -> bytes:
    """MANIFEST.json's bytes. ``extra_files`` are the other files of the directory
    (``REVIEW.md``...) so that verify can tell them from files added by hand.

    ``entries`` must be in application order with ``order`` 1, 2, 3...
    """
    orders = [entry.order for entry in entries]
    if orders != list(range(1, len(entries) + 1)):
        raise ValueError(f"manifest entries must be numbered 1..{len(entries)}, got {orders}")
    document: dict[str, Any] = {
        "format": MANIFEST_FORMAT,
        "tool": "mig",
        "tool_version": tool_version,
        "dialect": dialect,
        "entries": [_entry_json(entry) for entry in entries],
        "files": [{"file": name, "sha256": sha256_hex(data)} for name, data in extra_files],
    }
    document["digest"] = manifest_digest(document)
    return canonical_json(document)


def checked_relative(name: str) -> PurePosixPath:
    """A file name from a manifest or the pipeline, refused unless it stays inside the directory."""
    path = PurePosixPath(name)
    unsafe = path.is_absolute() or ".." in path.parts or "\\" in name
    if not name or unsafe or str(path) != name:  # "dir/", "./a", "a//b": not as mig writes them
        raise OutputError(f"refusing output file name {name!r}: use a relative path inside -o")
    return path
