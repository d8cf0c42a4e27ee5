"""``mig verify DIR``: is the output directory exactly what mig generated?

Before applying scripts days after generation, a DBA checks that nothing was edited, lost,
added or reordered in between. Every problem is one line naming the file and what is wrong;
an empty list means the directory is intact. The command exits 1 on any problem.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offline_sql.errors import OutputError
from offline_sql.manifest import (
    MANIFEST_FORMAT,
    MANIFEST_NAME,
    canonical_json,
    checked_relative,
    manifest_digest,
    sha256_hex,
)

_ORDER_PREFIX = re.compile(r"^(\d+)_")


@dataclass(frozen=True)
class VerifyResult:
    path: Path
    problems: tuple[str, ...]
    files_checked: int

    @property
    def ok(self) -> bool:
        return not self.problems


def _load_manifest(root: Path) -> tuple[dict[str, Any] | None, list[str]]:
    path = root / MANIFEST_NAME
    if not path.is_file():
        return None, [f"{MANIFEST_NAME} is missing: {root} is not a mig output directory"]
    raw = path.read_bytes()
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return None, [f"{MANIFEST_NAME} is not valid JSON ({error}): it was edited"]
    if not isinstance(document, dict) or not isinstance(document.get("entries"), list):
        return None, [f"{MANIFEST_NAME} has no entries list: it was edited"]
    if document.get("format") != MANIFEST_FORMAT:
        return None, [
            f"{MANIFEST_NAME} format {document.get('format')!r} is not {MANIFEST_FORMAT}: "
            "verify it with the mig version that wrote it"
        ]
    problems = []
    if document.get("digest") != manifest_digest(document):
        problems.append(f"{MANIFEST_NAME} was edited: its content does not match its digest")
    elif canonical_json(document) != raw:
        problems.append(f"{MANIFEST_NAME} was edited: its bytes are not as mig wrote them")
    return document, problems


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


def _files_on_disk(root: Path) -> set[str]:
    return {
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() or path.is_symlink()
    }


def verify_directory(path: Path) -> VerifyResult:
    """Check ``path`` against its MANIFEST.json (see module doc)."""
    root = Path(path)
    if not root.is_dir():
        return VerifyResult(root, (f"{root} is not a directory",), 0)
    document, problems = _load_manifest(root)
    if document is None:
        return VerifyResult(root, tuple(problems), 0)
    expected, listing_problems = _expected_files(document)
    problems += listing_problems
    problems += _order_problems(document["entries"])
    on_disk = _files_on_disk(root) - {MANIFEST_NAME}
    for name in sorted(expected):
        file = root / name
        if name not in on_disk:
            problems.append(f"missing: {name}")
        elif file.is_symlink():
            problems.append(f"replaced by a symlink: {name}")
        elif sha256_hex(file.read_bytes()) != expected[name]:
            problems.append(f"edited: {name} (sha256 differs from {MANIFEST_NAME})")
    for name in sorted(on_disk - set(expected)):
        problems.append(f"added: {name} (not in {MANIFEST_NAME})")
    return VerifyResult(root, tuple(problems), len(expected))


def verify(out_dir: Path) -> list[str]:
    """The problems found in ``out_dir``; empty when it is intact."""
    return list(verify_directory(out_dir).problems)
