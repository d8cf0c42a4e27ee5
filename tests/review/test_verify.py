"""``mig verify``: any edit, loss, addition or reordering after generation is caught."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from offline_sql.manifest import (
    MANIFEST_NAME,
    ManifestEntry,
    build_manifest,
    sha256_hex,
)
from offline_sql.output import write_directory
from offline_sql.verify import verify, verify_directory


def script(
    order: int, slug: str, has_downgrade: bool = True
) -> tuple[ManifestEntry, list[tuple[str, bytes]]]:
    name = f"{order:04d}_rev{order}_{slug}.sql"
    content = f"-- {slug}\nCREATE TABLE t{order} (a INT);\n".encode()
    rollback = f"DROP TABLE t{order};\n".encode() if has_downgrade else None
    files = [(name, content)] + ([(f"rollback/{name}", rollback)] if rollback else [])
    return (
        ManifestEntry(
            order=order,
            revision=f"rev{order}",
            parents=(f"rev{order - 1}",) if order > 1 else (),
            message=slug,
            file=name,
            content=content,
            source_sha256=sha256_hex(slug.encode()),
            direction="upgrade",
            has_downgrade=has_downgrade,
            rollback_file=f"rollback/{name}" if rollback else None,
            rollback_content=rollback,
        ),
        files,
    )


@pytest.fixture
def out(tmp_path: Path) -> Path:
    entries, files = [], []
    for order, slug, down in [(1, "users", True), (2, "orders", True), (3, "seed", False)]:
        entry, written = script(order, slug, down)
        entries.append(entry)
        files += written
    review = ("REVIEW.md", b"# Migration review\n")
    manifest = build_manifest(entries, "postgresql", "0.1.0", extra_files=[review])
    target = tmp_path / "out"
    write_directory(target, [*files, review, (MANIFEST_NAME, manifest)], force=False)
    return target


def all_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_intact_directory_verifies(out: Path) -> None:
    result = verify_directory(out)
    assert result.ok, result.problems
    assert result.files_checked == 6


def test_every_one_byte_edit_is_caught(out: Path) -> None:
    for name in all_files(out):
        path = out / name
        original = path.read_bytes()
        for position in (0, len(original) // 2, len(original) - 1):
            edited = bytearray(original)
            edited[position] ^= 0x01
            path.write_bytes(bytes(edited))
            assert verify(out), f"edit of byte {position} of {name} went unnoticed"
        path.write_bytes(original)
    assert verify(out) == []


@pytest.mark.parametrize(
    "name", ["0002_rev2_orders.sql", "rollback/0001_rev1_users.sql", "REVIEW.md"]
)
def test_edit_names_the_file(out: Path, name: str) -> None:
    (out / name).write_bytes((out / name).read_bytes() + b"-- tweak\n")
    assert verify(out) == [f"edited: {name} (sha256 differs from MANIFEST.json)"]


@pytest.mark.parametrize(
    "name", ["0001_rev1_users.sql", "rollback/0002_rev2_orders.sql", "REVIEW.md"]
)
def test_missing_file(out: Path, name: str) -> None:
    (out / name).unlink()
    assert verify(out) == [f"missing: {name}"]


@pytest.mark.parametrize("name", ["0004_extra.sql", "rollback/0003_rev3_seed.sql", "notes/x.txt"])
def test_added_file(out: Path, name: str) -> None:
    (out / name).parent.mkdir(parents=True, exist_ok=True)
    (out / name).write_bytes(b"SELECT 1;\n")
    assert verify(out) == [f"added: {name} (not in MANIFEST.json)"]


def test_swapped_files_are_caught(out: Path) -> None:
    first, second = out / "0001_rev1_users.sql", out / "0002_rev2_orders.sql"
    data_first, data_second = first.read_bytes(), second.read_bytes()
    first.write_bytes(data_second)
    second.write_bytes(data_first)
    problems = verify(out)
    assert any(p.startswith("edited: 0001_rev1_users.sql") for p in problems)
    assert any(p.startswith("edited: 0002_rev2_orders.sql") for p in problems)


def test_renamed_file_is_missing_and_added(out: Path) -> None:
    (out / "0003_rev3_seed.sql").rename(out / "0000_rev3_seed.sql")
    assert verify(out) == [
        "missing: 0003_rev3_seed.sql",
        "added: 0000_rev3_seed.sql (not in MANIFEST.json)",
    ]


def _rewrite_manifest(out: Path, change: str) -> None:
    """Edit the manifest the way a person would, keeping it valid JSON."""
    path = out / MANIFEST_NAME
    document = json.loads(path.read_bytes())
    entries = document["entries"]
    if change == "swap":
        entries[0], entries[1] = entries[1], entries[0]
    elif change == "message":
        entries[0]["message"] = "something else"
    path.write_text(json.dumps(document, sort_keys=True, indent=2) + "\n")


@pytest.mark.parametrize("change", ["swap", "message"])
def test_manifest_edits_are_caught(out: Path, change: str) -> None:
    _rewrite_manifest(out, change)
    problems = verify(out)
    assert "MANIFEST.json was edited: its content does not match its digest" in problems
    if change == "swap":
        assert any(p.startswith("order changed: 0002_rev2_orders.sql") for p in problems)


def test_manifest_whitespace_edit_is_caught(out: Path) -> None:
    path = out / MANIFEST_NAME
    path.write_bytes(path.read_bytes().replace(b'  "dialect"', b'   "dialect"'))
    assert verify(out) == ["MANIFEST.json was edited: its bytes are not as mig wrote them"]


def test_missing_manifest(out: Path) -> None:
    (out / MANIFEST_NAME).unlink()
    [problem] = verify(out)
    assert problem.startswith("MANIFEST.json is missing")


def test_broken_manifest(out: Path) -> None:
    (out / MANIFEST_NAME).write_bytes(b"{not json")
    [problem] = verify(out)
    assert problem.startswith("MANIFEST.json is not valid JSON")


def test_unknown_manifest_format(out: Path) -> None:
    (out / MANIFEST_NAME).write_text(json.dumps({"format": 99, "entries": []}))
    [problem] = verify(out)
    assert "format 99" in problem


def test_manifest_path_outside_directory(out: Path) -> None:
    path = out / MANIFEST_NAME
    document = json.loads(path.read_bytes())
    document["files"].append({"file": "../../etc/passwd", "sha256": "0" * 64})
    path.write_text(json.dumps(document))
    assert any("outside the directory" in p for p in verify(out))


def test_not_a_directory(tmp_path: Path) -> None:
    assert verify(tmp_path / "nope") == [f"{tmp_path / 'nope'} is not a directory"]


def test_copied_directory_still_verifies(out: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    assert verify(copy) == []
