"""The output directory writer: all or nothing, refuses to clobber, manifest is canonical."""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from helpers import listing

from offline_sql import forking, output, records
from offline_sql.errors import OutputError
from offline_sql.manifest import ManifestEntry, build_manifest, sha256_hex
from offline_sql.output import write_directory

FILES = [
    ("0001_ab12_add_users.sql", b"CREATE TABLE users (id INT);\n"),
    ("rollback/0001_ab12_add_users.sql", b"DROP TABLE users;\n"),
    ("REVIEW.md", b"# review\n"),
]


def siblings(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir())


def test_writes_all_files(tmp_path: Path) -> None:
    write_directory(tmp_path / "out", FILES, force=False)
    assert listing(tmp_path / "out") == dict(FILES)
    assert siblings(tmp_path) == ["out"]


def test_creates_missing_parents(tmp_path: Path) -> None:
    write_directory(tmp_path / "a" / "b" / "out", FILES, force=False)
    assert listing(tmp_path / "a" / "b" / "out") == dict(FILES)


def test_empty_existing_directory_is_used(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    write_directory(tmp_path / "out", FILES, force=False)
    assert listing(tmp_path / "out") == dict(FILES)


def test_non_empty_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_bytes(b"mine")
    with pytest.raises(OutputError, match="--force"):
        write_directory(tmp_path / "out", FILES, force=False)
    assert listing(tmp_path / "out") == {"keep.txt": b"mine"}
    assert siblings(tmp_path) == ["out"]


def old_output(path: Path, *files: str) -> None:
    """A directory as an earlier run left it: ``files`` and the MANIFEST.json listing them."""
    path.mkdir(parents=True)
    for name in files:
        (path / name).write_bytes(b"old")
    manifest = build_manifest([], "sqlite", "0.1.0", extra_files=[(n, b"old") for n in files])
    (path / "MANIFEST.json").write_bytes(manifest)


def test_force_replaces_instead_of_merging(tmp_path: Path) -> None:
    old_output(tmp_path / "out", "stale.sql")
    write_directory(tmp_path / "out", FILES, force=True)
    assert listing(tmp_path / "out") == dict(FILES)
    assert siblings(tmp_path) == ["out"]


def test_force_never_replaces_what_mig_did_not_write(tmp_path: Path) -> None:
    """``-o migrations --force`` (a typo) must not delete the revision scripts."""
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "ab12_add_users.py").write_bytes(b"revision = 'ab12'\n")
    with pytest.raises(OutputError, match=r"has no MANIFEST\.json"):
        write_directory(tmp_path / "migrations", FILES, force=True)
    assert listing(tmp_path / "migrations") == {"ab12_add_users.py": b"revision = 'ab12'\n"}
    assert siblings(tmp_path) == ["migrations"]


def test_force_never_replaces_a_web_app_with_a_manifest(tmp_path: Path) -> None:
    """Issue 11: a folder holding someone else's MANIFEST.json is not mig's output."""
    app = tmp_path / "static"
    app.mkdir()
    (app / "MANIFEST.json").write_bytes(b'{"name": "my app", "start_url": "/"}\n')
    (app / "index.html").write_bytes(b"<html></html>")
    with pytest.raises(OutputError, match=r"MANIFEST\.json is not one mig writes") as raised:
        write_directory(app, FILES, force=True)
    assert "\n" not in str(raised.value) and "choose another -o" in str(raised.value)
    assert listing(app) == {
        "MANIFEST.json": b'{"name": "my app", "start_url": "/"}\n',
        "index.html": b"<html></html>",
    }
    assert siblings(tmp_path) == ["static"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda out: (out / "notes.txt").write_bytes(b"mine"), "added: notes.txt"),
        (lambda out: (out / "stale.sql").unlink(), "missing: stale.sql"),
        (lambda out: (out / "stale.sql").write_bytes(b"edited"), "edited: stale.sql"),
        (
            lambda out: (out / "MANIFEST.json").write_bytes(
                (out / "MANIFEST.json").read_bytes().replace(b'"format": 1', b'"format": 99')
            ),
            "format 99",
        ),
    ],
)
def test_force_refuses_mig_output_that_was_changed(
    tmp_path: Path, change: Any, reason: str
) -> None:
    old_output(tmp_path / "out", "stale.sql")
    change(tmp_path / "out")
    before = listing(tmp_path / "out")
    with pytest.raises(OutputError, match=f"refusing to replace .*{reason}"):
        write_directory(tmp_path / "out", FILES, force=True)
    assert listing(tmp_path / "out") == before


def test_a_file_in_the_way_is_refused(tmp_path: Path) -> None:
    (tmp_path / "out").write_bytes(b"x")
    with pytest.raises(OutputError, match="not a directory"):
        write_directory(tmp_path / "out", FILES, force=True)


def test_force_never_replaces_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_output(tmp_path / "project", "code.py")
    (tmp_path / "project" / "code.py").write_bytes(b"precious")
    monkeypatch.chdir(tmp_path / "project")
    with pytest.raises(OutputError, match="current or home"):
        write_directory(Path("."), FILES, force=True)
    assert (tmp_path / "project" / "code.py").read_bytes() == b"precious"


class Boom(RuntimeError):
    pass


def fail_on_second_file(monkeypatch: pytest.MonkeyPatch) -> None:
    real = output._write_file
    calls: list[PurePosixPath] = []

    def flaky(root: Path, relative: PurePosixPath, data: bytes) -> None:
        calls.append(relative)
        if len(calls) == 2:
            raise Boom("simulated failure")
        real(root, relative, data)

    monkeypatch.setattr(output, "_write_file", flaky)


def test_failure_mid_way_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fail_on_second_file(monkeypatch)
    with pytest.raises(Boom):
        write_directory(tmp_path / "out", FILES, force=False)
    assert siblings(tmp_path) == []


def test_failure_with_force_keeps_the_old_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_output(tmp_path / "out", "old.sql")
    fail_on_second_file(monkeypatch)
    with pytest.raises(Boom):
        write_directory(tmp_path / "out", FILES, force=True)
    assert listing(tmp_path / "out")["old.sql"] == b"old"
    assert sorted(listing(tmp_path / "out")) == ["MANIFEST.json", "old.sql"]
    assert siblings(tmp_path) == ["out"]


def test_os_error_becomes_output_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(root: Path, relative: PurePosixPath, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output, "_write_file", disk_full)
    with pytest.raises(OutputError, match="No space left on device; nothing was changed"):
        write_directory(tmp_path / "out", FILES, force=False)
    assert siblings(tmp_path) == []


@pytest.mark.parametrize("name", ["/etc/passwd", "../escape.sql", "a/../../b", "", "dir/", "a\\b"])
def test_unsafe_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(OutputError, match="refusing output file name"):
        write_directory(tmp_path / "out", [(name, b"x")], force=False)
    assert siblings(tmp_path) == []


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="both named"):
        write_directory(tmp_path / "out", [("a.sql", b"1"), ("a.sql", b"2")], force=False)


# ---- files written ahead (Staging) ----------------------------------------------------------


@pytest.fixture(autouse=True)
def may_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    """Staging forks a writer wherever :func:`offline_sql.forking.can_fork` allows it (Linux,
    one thread, several CPUs); these tests run it wherever ``fork`` exists."""
    import os

    if not hasattr(os, "fork"):
        pytest.skip("no fork here: nothing is ever staged")
    monkeypatch.setattr(forking, "can_fork", lambda: True)


def staged(out: Path, files: list[tuple[str, bytes]]) -> output.Staging:
    started = output.Staging.start(out, files, output.check_target(out, force=True))
    assert started is not None
    return started


def test_staged_files_and_the_rest_make_the_directory(tmp_path: Path) -> None:
    out = tmp_path / "out"
    ahead = staged(out, FILES[:2])
    assert write_directory(out, FILES, force=True, checked=output.check_target(out, True),
                           staged=ahead)  # fmt: skip
    assert listing(out) == dict(FILES)
    assert siblings(tmp_path) == ["out"]


def test_staged_files_that_differ_are_discarded(tmp_path: Path) -> None:
    out = tmp_path / "out"
    ahead = staged(out, [(FILES[0][0], b"stale"), ("gone.sql", b"x")])
    write_directory(out, FILES, force=False, staged=ahead)
    assert listing(out) == dict(FILES)
    assert siblings(tmp_path) == ["out"]


def test_a_staged_write_that_fails_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_output(tmp_path / "out", "old.sql")
    (tmp_path / "empty").mkdir()

    def disk_full(root: Path, relative: PurePosixPath, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output, "_write_file", disk_full)
    ahead = staged(tmp_path / "empty", FILES[:2])
    with pytest.raises(OutputError, match="No space left on device; nothing was changed"):
        write_directory(tmp_path / "empty", FILES, force=False, staged=ahead)
    assert siblings(tmp_path) == ["empty", "out"]
    assert listing(tmp_path / "empty") == {}


def manifest_of(files: list[tuple[str, bytes]]) -> bytes:
    return build_manifest([], "sqlite", "0.1.0", extra_files=files)


def test_a_directory_holding_the_files_is_not_staged(tmp_path: Path) -> None:
    """It may hold exactly the new files, and is then kept as it is (not rewritten)."""
    out = tmp_path / "out"
    write_directory(out, [*FILES, ("MANIFEST.json", manifest_of(FILES))], force=False)
    before = {p.name: p.stat().st_ino for p in out.iterdir()}
    checked = output.check_target(out, force=True)
    assert output.Staging.start(out, FILES[:2], checked) is None
    assert siblings(tmp_path) == ["out"]
    files = [*FILES, ("MANIFEST.json", manifest_of(FILES))]
    assert not write_directory(out, files, force=True, checked=checked)
    assert {p.name: p.stat().st_ino for p in out.iterdir()} == before


def test_a_directory_mig_wrote_with_other_files_is_replaced_from_the_staging(
    tmp_path: Path,
) -> None:
    old_output(tmp_path / "out", "old.sql")
    checked = output.check_target(tmp_path / "out", force=True)
    ahead = output.Staging.start(tmp_path / "out", FILES[:2], checked)
    assert ahead is not None
    write_directory(tmp_path / "out", FILES, force=True, checked=checked, staged=ahead)
    assert listing(tmp_path / "out") == dict(FILES)
    assert siblings(tmp_path) == ["out"]


def test_unsafe_names_are_not_staged(tmp_path: Path) -> None:
    checked = output.check_target(tmp_path / "out", force=False)
    assert output.Staging.start(tmp_path / "out", [("../x.sql", b"x")], checked) is None
    assert siblings(tmp_path) == []


def test_a_discarded_staging_leaves_nothing(tmp_path: Path) -> None:
    staged(tmp_path / "out", FILES).discard()
    assert siblings(tmp_path) == []


def test_a_writer_that_fails_otherwise_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever stops the writer (here not an OSError), the directory is not written."""
    fail_on_second_file(monkeypatch)
    ahead = staged(tmp_path / "out", FILES[:2])
    monkeypatch.undo()
    message = r"writing the files ahead failed: Boom: simulated failure; nothing was changed"
    with pytest.raises(OutputError, match=message):
        write_directory(tmp_path / "out", FILES, force=False, staged=ahead)
    assert siblings(tmp_path) == []


def test_a_writer_killed_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer that ends without a word (the OOM killer, ``kill -9``): which signal, and
    that running again is the way out; nothing is written."""
    import os
    import signal

    def killed(root: Path, relative: PurePosixPath, data: bytes) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(output, "_write_file", killed)
    ahead = staged(tmp_path / "out", FILES[:2])
    monkeypatch.undo()
    message = r"ahead failed \(ended by signal 9\); run the command again; nothing was changed"
    with pytest.raises(OutputError, match=message):
        write_directory(tmp_path / "out", FILES, force=False, staged=ahead)
    assert siblings(tmp_path) == []


def test_nothing_is_staged_where_mig_does_not_fork(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(forking, "can_fork", lambda: False)
    checked = output.check_target(tmp_path / "out", force=False)
    assert output.Staging.start(tmp_path / "out", FILES, checked) is None
    assert siblings(tmp_path) == []


# ---- manifest -------------------------------------------------------------------------------


def entry(order: int = 1, **changes: Any) -> ManifestEntry:
    base = ManifestEntry(
        order=order,
        revision=f"rev{order}",
        parents=(f"rev{order - 1}",) if order > 1 else (),
        message="add users",
        file=f"{order:04d}_rev{order}_add_users.sql",
        content=b"CREATE TABLE users (id INT);\n",
        source_sha256=sha256_hex(b"def upgrade(): ..."),
        direction="upgrade",
        rollback_file=f"rollback/{order:04d}_rev{order}_add_users.sql",
        rollback_content=b"DROP TABLE users;\n",
    )
    return records.replace(base, **changes)


def test_manifest_is_canonical_json() -> None:
    data = build_manifest([entry()], "postgresql", "0.1.0", extra_files=[("REVIEW.md", b"r")])
    document = json.loads(data)
    assert (
        data == (json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()
    )
    [item] = document["entries"]
    assert item["sha256"] == sha256_hex(b"CREATE TABLE users (id INT);\n")
    assert item["rollback"] == {
        "file": "rollback/0001_rev1_add_users.sql",
        "sha256": sha256_hex(b"DROP TABLE users;\n"),
    }
    assert document["files"] == [{"file": "REVIEW.md", "sha256": sha256_hex(b"r")}]
    assert (document["dialect"], document["tool_version"]) == ("postgresql", "0.1.0")


def test_manifest_notes_missing_downgrade() -> None:
    data = build_manifest(
        [entry(has_downgrade=False, rollback_file=None, rollback_content=None)], "mysql", "0.1.0"
    )
    [item] = json.loads(data)["entries"]
    assert (item["has_downgrade"], item["rollback"]) == (False, None)


def test_manifest_is_deterministic() -> None:
    entries = [entry(1), entry(2)]
    assert build_manifest(entries, "sqlite", "1") == build_manifest(entries, "sqlite", "1")


def test_manifest_order_must_be_consecutive() -> None:
    with pytest.raises(ValueError, match="numbered"):
        build_manifest([entry(1), entry(3)], "sqlite", "1")


def test_manifest_keeps_unicode_readable() -> None:
    data = build_manifest([entry(message="ajoute café")], "sqlite", "1")
    assert "ajoute café".encode() in data


# ---- leftovers of a killed run --------------------------------------------------------------


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout)


def leftover(out_dir: Path, tag: str, pid: int) -> Path:
    """A hidden folder as a run killed while writing ``out_dir`` leaves it."""
    name = f".{out_dir.name}.{tag}-{output._host_tag()}-{pid}-{'ab' * 6}"
    folder = out_dir.parent / name
    folder.mkdir()
    (folder / "0001_half_written.sql").write_bytes(b"CREATE TA")
    return folder


def test_a_killed_runs_staging_folder_is_removed_next_time(tmp_path: Path) -> None:
    """Issue 11: ``kill -9`` during ``-o out`` left ``.out.tmp-*`` behind for ever."""
    leftover(tmp_path / "out", "tmp", dead_pid())
    write_directory(tmp_path / "out", FILES, force=False)
    assert siblings(tmp_path) == ["out"]


def test_a_killed_runs_old_folder_is_removed_once_the_output_exists(tmp_path: Path) -> None:
    old_output(tmp_path / "out", "stale.sql")
    leftover(tmp_path / "out", "old", dead_pid())
    write_directory(tmp_path / "out", FILES, force=True)
    assert siblings(tmp_path) == ["out"]


def test_folders_in_use_or_not_ours_are_kept(tmp_path: Path) -> None:
    import os

    running = leftover(tmp_path / "out", "tmp", os.getpid())  # a run still in progress
    other_dir = leftover(tmp_path / "other", "tmp", dead_pid())  # another -o's
    foreign = tmp_path / ".out.tmp-somebody-elses"
    foreign.mkdir()
    other_host = tmp_path / f".out.tmp-00000000-{dead_pid()}-{'cd' * 6}"
    other_host.mkdir()
    write_directory(tmp_path / "out", FILES, force=False)
    assert siblings(tmp_path) == sorted(
        ["out", running.name, other_dir.name, foreign.name, other_host.name]
    )


def test_the_only_copy_of_the_previous_output_is_kept(tmp_path: Path) -> None:
    """Killed between the two renames: ``.out.old-*`` is the previous output and ``out`` is
    gone; a new run to another place must not delete it."""
    kept = leftover(tmp_path / "out", "old", dead_pid())
    output._remove_stale_siblings(tmp_path / "out")
    assert kept.is_dir()


# ---- --force over a directory checked before generating --------------------------------------


def mig_files(*files: tuple[str, bytes]) -> list[tuple[str, bytes]]:
    """``files`` and the MANIFEST.json listing them, as mig writes a directory."""
    manifest = build_manifest([], "sqlite", "0.1.0", extra_files=list(files))
    return [*files, ("MANIFEST.json", manifest)]


def identities(root: Path) -> dict[str, tuple[int, int]]:
    return {
        p.relative_to(root).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in root.rglob("*")
    }


def test_force_keeps_a_directory_that_already_holds_the_files(tmp_path: Path) -> None:
    """Generating an unchanged ticket again rewrites nothing (same bytes, same files)."""
    files = mig_files(*FILES)
    assert write_directory(tmp_path / "out", files, force=False)
    before = identities(tmp_path / "out")
    checked = output.check_target(tmp_path / "out", force=True)
    assert not write_directory(tmp_path / "out", files, force=True, checked=checked)
    assert not write_directory(tmp_path / "out", files, force=True)
    assert identities(tmp_path / "out") == before
    assert listing(tmp_path / "out") == dict(files)
    assert siblings(tmp_path) == ["out"]


EDITED = ("0001_ab12_add_users.sql", b"CREATE TABLE users (id BIGINT);\n")


@pytest.mark.parametrize(
    "wanted",
    [[EDITED, *FILES[1:]], [*FILES, ("extra.sql", b"SELECT 1;\n")], FILES[1:]],
    ids=["edited", "added", "removed"],
)
def test_force_replaces_a_directory_holding_other_files(
    tmp_path: Path, wanted: list[tuple[str, bytes]]
) -> None:
    write_directory(tmp_path / "out", mig_files(*FILES), force=False)
    checked = output.check_target(tmp_path / "out", force=True)
    assert write_directory(tmp_path / "out", mig_files(*wanted), force=True, checked=checked)
    assert listing(tmp_path / "out") == dict(mig_files(*wanted))
    assert siblings(tmp_path) == ["out"]


def test_an_empty_folder_added_by_hand_is_not_kept(tmp_path: Path) -> None:
    files = mig_files(*FILES)
    write_directory(tmp_path / "out", files, force=False)
    (tmp_path / "out" / "notes").mkdir()
    assert write_directory(tmp_path / "out", files, force=True)
    assert not (tmp_path / "out" / "notes").exists()


def test_an_edit_after_the_check_is_caught_when_writing(tmp_path: Path) -> None:
    """The directory is verified once, before generating; an edit made while mig generates
    is still caught (its lstat changed), and the directory is left as it is."""
    write_directory(tmp_path / "out", mig_files(*FILES), force=False)
    checked = output.check_target(tmp_path / "out", force=True)
    (tmp_path / "out" / "REVIEW.md").write_bytes(b"# my notes\n")
    with pytest.raises(OutputError, match=r"refusing to replace .*edited: REVIEW\.md"):
        write_directory(tmp_path / "out", mig_files(*FILES), force=True, checked=checked)
    assert listing(tmp_path / "out")["REVIEW.md"] == b"# my notes\n"


def test_a_file_changed_within_the_time_granularity_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file system whose times did not move (coarse ticks): the snapshot's lstat still
    matches, but a file changed that close to the check is read again, not trusted."""
    from offline_sql import verify

    write_directory(tmp_path / "out", mig_files(*FILES), force=False)
    checked = output.check_target(tmp_path / "out", force=True)
    assert checked.snapshot is not None and checked.still()
    entries = dict(checked.snapshot.entries)
    (tmp_path / "out" / "REVIEW.md").write_bytes(b"# edited!\n")
    monkeypatch.setattr(verify, "_scan", lambda root: entries)
    assert not checked.still()
    with pytest.raises(OutputError, match=r"refusing to replace .*edited: REVIEW\.md"):
        write_directory(tmp_path / "out", mig_files(*FILES), force=True, checked=checked)


def test_an_old_unchanged_file_is_trusted_by_its_lstat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    write_directory(tmp_path / "out", mig_files(*FILES), force=False)
    old = 1_000_000_000
    for path in (tmp_path / "out").rglob("*"):
        os.utime(path, ns=(old, old))
    checked = output.check_target(tmp_path / "out", force=True)
    assert checked.snapshot is not None
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail(f"{self} read again"))
    assert checked.still()


def test_the_check_keeps_no_file_content(tmp_path: Path) -> None:
    """A ``--force`` run holds what the check found from its start to its end: the
    directory's lstats and digests, not the bytes of a file (the manifest of a ticket of
    5,000 revisions is 3 MiB). An identical directory is still kept as it is."""
    write_directory(tmp_path / "out", mig_files(*FILES), force=False)
    checked = output.check_target(tmp_path / "out", force=True)
    assert checked.snapshot is not None and checked.snapshot.has_manifest
    held = [getattr(checked.snapshot, name) for name in records.fields(checked.snapshot)]
    assert not [value for value in held if isinstance(value, (bytes, bytearray))]
    kept = write_directory(tmp_path / "out", mig_files(*FILES), force=True, checked=checked)
    assert kept is False


# ---- the canonical JSON, made without json's pure-Python indenting encoder ---------------


def reference_json(document: Any) -> bytes:
    return (json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


@pytest.mark.parametrize(
    "document",
    [
        {},
        [],
        {"b": [], "a": {}, "c": [[], [{}], {"z": [1, -2, True, False, None]}]},
        {"text": 'tab\t quote" backslash\\ newline\n é \u2028 \x00 \U0001f600'},
        {1: "int key"},  # left to json.dumps
        {"f": 1.5, "t": (1, 2)},
        [float("nan"), 10**30, -0],
    ],
)
def test_canonical_json_is_json_dumps(document: Any) -> None:
    from offline_sql.manifest import canonical_json

    assert canonical_json(document) == reference_json(document)


def test_the_manifest_is_encoded_as_json_dumps_would(tmp_path: Path) -> None:
    entries = [entry(order, message=f'étape {order} "x"\t') for order in range(1, 40)]
    data = build_manifest(entries, "postgresql", "0.1.0", extra_files=[("REVIEW.md", b"r")])
    assert data == reference_json(json.loads(data))


@pytest.mark.parametrize(
    "body",
    [
        {"dialect": "sqlite", "entries": [], "files": []},
        {"dialect": {"entries": 1}, "entries": [{"entries": 2}], "format": 1},
        {"entries": []},  # no key before "digest": not spliced
        {"a": 1, "dz": 2, "entries": []},  # a key between "digest" and "entries"
        {"a": 1},  # no entries
    ],
)
def test_with_digest_is_the_whole_document_encoded(body: dict[str, Any]) -> None:
    from offline_sql.manifest import canonical_json, sha256_hex, with_digest

    encoded = canonical_json(body)
    whole = {**body, "digest": sha256_hex(encoded)}
    assert with_digest(body, encoded) == reference_json(whole)


def test_canonical_json_of_a_long_manifest_holds_little_beside_its_result() -> None:
    """The manifest of a long history is encoded entry by entry: its some fifty pieces an
    entry, held for all entries at once, were the peak memory of a ``-o DIR`` run (6.8 times
    the manifest's size; 3.2 now)."""
    import tracemalloc

    from offline_sql.manifest import canonical_json

    entries = [
        {
            "order": i,
            "revision": f"{i:012x}",
            "parents": [f"{i - 1:012x}"],
            "message": f"revision {i}: t{i:05d}",
            "file": f"{i:04d}_{i:012x}_revision_{i}.sql",
            "sha256": "ab" * 32,
            "source_sha256": "cd" * 32,
            "direction": "upgrade",
            "has_downgrade": True,
            "rollback": {"file": f"rollback/{i:04d}_{i:012x}.sql", "sha256": "ef" * 32},
        }
        for i in range(1, 2001)
    ]
    document = {"format": 1, "tool": "mig", "entries": entries, "files": []}
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        encoded = canonical_json(document)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert encoded == reference_json(document)
    assert peak < 4 * len(encoded), peak / len(encoded)


@pytest.mark.parametrize("count", [0, 1, 3])
def test_the_manifest_carries_the_digest_of_its_body(count: int) -> None:
    from offline_sql.manifest import manifest_digest

    entries = [entry(order) for order in range(1, count + 1)]
    data = build_manifest(entries, "postgresql", "0.1.0", extra_files=[("REVIEW.md", b"r")])
    document = json.loads(data)
    assert document["digest"] == manifest_digest(document)
    assert data == reference_json(document)
    assert [item["order"] for item in document["entries"]] == list(range(1, count + 1))


def test_a_long_manifest_is_built_holding_little_beside_its_result() -> None:
    """A long history's manifest is encoded entry by entry into bytes: built whole (each
    entry's dict, the text, its bytes, those bytes again with the digest spliced in) it
    was the peak of a ``-o DIR`` run (4.1 times the manifest's size above what was held
    before; 2.2 now)."""
    import tracemalloc

    entries = [
        entry(
            order,
            revision=f"{order:012x}",
            message=f"revision {order}: t{order:05d}",
            file=f"{order:04d}_{order:012x}_revision_{order}.sql",
            rollback_file=f"rollback/{order:04d}_{order:012x}.sql",
        )
        for order in range(1, 2001)
    ]
    digests = {e.file: sha256_hex(e.content) for e in entries}
    digests.update({e.rollback_file or "": "ef" * 32 for e in entries})
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        data = build_manifest(entries, "postgresql", "0.1.0", digests=digests)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert data == reference_json(json.loads(data))
    assert peak < 3 * len(data), peak / len(data)
