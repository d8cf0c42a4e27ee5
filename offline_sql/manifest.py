"""MANIFEST.json: what a generated directory holds, so ``mig verify`` can check it later.

The manifest lists every file with its sha256, the order, and the sha256 of each source
script, and carries a digest of its own content (see :mod:`offline_sql.output` for how the
directory is written, :mod:`offline_sql.verify` for how it is checked).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import PurePosixPath

from offline_sql.errors import OutputError
from offline_sql.records import record

TYPE_CHECKING = False  # not typing's: importing it costs a memo-answered run 3 ms
if TYPE_CHECKING:
    from typing import Any, Literal

MANIFEST_NAME = "MANIFEST.json"


MANIFEST_FORMAT = 1
"""Bumped when the manifest's shape changes; ``mig verify`` refuses formats it does not know."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@record
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
    """The one serialization mig writes: sorted keys, indent 2, UTF-8, trailing newline
    (``json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False)``, made here
    without the standard library's pure-Python indenting encoder: a long history's
    manifest is megabytes). ``json`` is imported here: a run the result memo answers
    reads no manifest."""
    import json

    parts: list[str] = []
    try:
        _encode(document, "\n", parts, json.encoder.encode_basestring)
    except _Unusual:
        return (json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()
    parts.append("\n")
    return "".join(parts).encode()


class _Unusual(Exception):
    """A value :func:`_encode` leaves to ``json.dumps`` (floats, non-string keys, ...)."""


_SCALARS: dict[object, str] = {True: "true", False: "false", None: "null"}


def _encode(value: Any, newline: str, parts: list[str], string: Callable[[str], str]) -> None:
    """``value`` as ``json.dumps(..., sort_keys=True, indent=2, ensure_ascii=False)`` writes
    it at the indentation ``newline`` carries (``"\n"`` plus two spaces per level);
    ``string`` is json's encoder of a string."""
    kind = type(value)
    if kind is str:
        parts.append(string(value))
    elif kind is bool or value is None:
        parts.append(_SCALARS[value])
    elif kind is int:
        parts.append(int.__repr__(value))
    elif kind is dict:
        if not value:
            parts.append("{}")
            return
        if any(type(key) is not str for key in value):
            raise _Unusual
        inner = newline + "  "
        separator = "{" + inner
        for key in sorted(value):
            parts.append(separator)
            parts.append(string(key))
            parts.append(": ")
            _encode(value[key], inner, parts, string)
            separator = "," + inner
        parts.append(newline + "}")
    elif kind is list:
        if not value:
            parts.append("[]")
            return
        inner = newline + "  "
        separator = "[" + inner
        for item in value:
            parts.append(separator)
            # Each item joined on its own: a long history's manifest has thousands of
            # entries of some fifty pieces each, which held at once were the peak of a
            # ``-o DIR`` run (12 MiB at N = 5,000).
            pieces: list[str] = []
            _encode(item, inner, pieces, string)
            parts.append("".join(pieces))
            separator = "," + inner
        parts.append(newline + "]")
    else:
        raise _Unusual


def manifest_digest(document: dict[str, Any]) -> str:
    """sha256 of the canonical manifest without its ``digest`` key."""
    body = {key: value for key, value in document.items() if key != "digest"}
    return sha256_hex(canonical_json(body))


_BEFORE_ENTRIES = b',\n  "entries": '
"""Where ``"digest"`` goes in a canonical manifest: the top-level key sorted right after it
(only a top-level key is indented by exactly two spaces)."""


def with_digest(body: dict[str, Any], encoded: bytes) -> bytes:
    """``canonical_json(body | {"digest": sha256(encoded)})`` where ``encoded`` is
    ``canonical_json(body)``: the digest line put into the body's bytes rather than the
    whole manifest encoded a second time."""
    digest = sha256_hex(encoded)
    keys = sorted(body)
    fits = (
        "digest" not in body
        and "entries" in body
        and keys[0] < "digest"
        and not any("digest" < key < "entries" for key in keys)
    )
    if fits and encoded.count(_BEFORE_ENTRIES) == 1:
        line = b',\n  "digest": "' + digest.encode() + b'"'
        return encoded.replace(_BEFORE_ENTRIES, line + _BEFORE_ENTRIES)
    return canonical_json({**body, "digest": digest})


def _entry_json(entry: ManifestEntry, digests: Mapping[str, str]) -> dict[str, Any]:
    rollback: dict[str, str] | None = None
    if entry.rollback_file is not None:
        if entry.rollback_content is None:
            raise ValueError(f"rollback_file {entry.rollback_file} given without its content")
        rollback = {
            "file": entry.rollback_file,
            "sha256": digests.get(entry.rollback_file) or sha256_hex(entry.rollback_content),
        }
    return {
        "order": entry.order,
        "revision": entry.revision,
        "parents": list(entry.parents),
        "message": entry.message,
        "file": entry.file,
        "sha256": digests.get(entry.file) or sha256_hex(entry.content),
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
    digests: Mapping[str, str] | None = None,
) -> bytes:
    """MANIFEST.json's bytes. ``extra_files`` are the other files of the directory
    (``REVIEW.md``...) so that verify can tell them from files added by hand. ``digests``:
    file name -> the sha256 of its content, when the caller has them already.

    ``entries`` must be in application order with ``order`` 1, 2, 3...
    """
    known = digests or {}
    orders = [entry.order for entry in entries]
    if orders != list(range(1, len(entries) + 1)):
        raise ValueError(f"manifest entries must be numbered 1..{len(entries)}, got {orders}")
    body: dict[str, Any] = {
        "format": MANIFEST_FORMAT,
        "tool": "mig",
        "tool_version": tool_version,
        "dialect": dialect,
        "entries": [],
        "files": [
            {"file": name, "sha256": known.get(name) or sha256_hex(data)}
            for name, data in extra_files
        ],
    }
    head = canonical_json(body)
    before, found, after = head.partition(_NO_ENTRIES)
    if not found or _NO_ENTRIES in after:  # pragma: no cover - the keys above are fixed
        body["entries"] = [_entry_json(entry, known) for entry in entries]
        return with_digest(body, canonical_json(body))
    chunks = [before, _BEFORE_ENTRIES, *_entry_chunks(entries, known), after]
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    chunks.insert(1, b',\n  "digest": "' + digest.hexdigest().encode() + b'"')
    return b"".join(chunks)


_NO_ENTRIES = _BEFORE_ENTRIES + b"[]"


def _entry_chunks(entries: Sequence[ManifestEntry], digests: Mapping[str, str]) -> list[bytes]:
    """The manifest's ``entries`` list as ``canonical_json`` writes it at the top level's
    indentation, one chunk of bytes an entry: each entry's dict and text live only while it
    is encoded. Built whole (every entry's dict, the text, its bytes, the bytes again with
    the digest spliced in), the manifest of a long history was the peak of a ``-o DIR`` run
    (12 MiB above it for a 2.9 MiB manifest at N = 5,000)."""
    if not entries:
        return [b"[]"]
    import json

    chunks: list[bytes] = []
    separator = "[\n    "
    for entry in entries:
        pieces = [separator]
        _encode(_entry_json(entry, digests), "\n    ", pieces, json.encoder.encode_basestring)
        chunks.append("".join(pieces).encode())
        separator = ",\n    "
    chunks.append(b"\n  ]")
    return chunks


def checked_relative(name: str) -> PurePosixPath:
    """A file name from a manifest or the pipeline, refused unless it stays inside the directory."""
    path = PurePosixPath(name)
    unsafe = path.is_absolute() or ".." in path.parts or "\\" in name
    if not name or unsafe or str(path) != name:  # "dir/", "./a", "a//b": not as mig writes them
        raise OutputError(f"refusing output file name {name!r}: use a relative path inside -o")
    return path
