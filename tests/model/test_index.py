"""The versions index: which files count, order, and the (name, size, mtime) cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from graphs import BRANCHED, r, script_text, write_history

from offline_sql.errors import CacheWarning, ScriptError
from offline_sql.script import index as index_module
from offline_sql.script.index import (
    CACHE_FORMAT,
    RACY_WINDOW_NS,
    RevisionIndex,
    default_cache_dir,
    load_index,
)

OLD = 1_600_000_000 * 10**9
"""An mtime well outside the racy window, so entries are cacheable."""


def age(*paths: Path, mtime_ns: int = OLD) -> None:
    for path in paths:
        os.utime(path, ns=(mtime_ns, mtime_ns))


@pytest.fixture
def versions(tmp_path: Path) -> Path:
    folder = tmp_path / "migrations" / "versions"
    age(*write_history(folder, BRANCHED))
    return folder


@pytest.fixture
def index(versions: Path) -> RevisionIndex:
    return RevisionIndex(versions, default_cache_dir(versions))


def test_lists_revision_files_sorted_by_name(versions: Path) -> None:
    for name in ("__init__.py", "_helper.py", ".hidden.py", "notes.txt"):
        (versions / name).write_text("raise SystemExit\n", encoding="utf-8")
    (versions / "sub").mkdir()
    (versions / "sub" / "9999_z.py").write_text(script_text(r("z")), encoding="utf-8")
    headers = load_index(versions)
    assert [h.revision for h in headers] == [rev.revision for rev in BRANCHED]
    assert headers[0].path == str(versions / "0000_a1.py")


def test_missing_versions_folder(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match="cannot list the versions folder"):
        load_index(tmp_path / "nope")


def test_script_raising_at_import_still_indexes(versions: Path) -> None:
    bad = versions / "0100_boom.py"
    bad.write_text(script_text(r("boom", "b2"), body="raise RuntimeError('no')\n"), "utf-8")
    assert load_index(versions)[-1].revision == "boom"


def test_default_cache_dir_is_next_to_versions(versions: Path) -> None:
    assert default_cache_dir(versions) == versions.parent / ".mig_cache"


def test_second_load_reads_nothing(index: RevisionIndex) -> None:
    first = index.load()
    assert len(index.parsed) == len(BRANCHED)
    assert index.cache_path is not None and index.cache_path.exists()
    assert index.load() == first
    assert index.parsed == []


def test_changed_file_is_reparsed(index: RevisionIndex, versions: Path) -> None:
    index.load()
    path = versions / "0004_a3.py"
    path.write_text(script_text(r("a3", "b2")), encoding="utf-8")
    age(path, mtime_ns=OLD + 1)
    headers = index.load()
    assert index.parsed == ["0004_a3.py"]
    assert headers[-1].down_revisions == ("b2",)


def test_added_and_removed_files(index: RevisionIndex, versions: Path) -> None:
    index.load()
    (versions / "0001_a2.py").unlink()
    new = versions / "0009_z.py"
    new.write_text(script_text(r("z", "a3")), encoding="utf-8")
    age(new)
    headers = index.load()
    assert index.parsed == ["0009_z.py"]
    assert [h.revision for h in headers] == ["a1", "b1", "b2", "a3", "z"]
    assert index.load() and index.parsed == []


def test_recent_files_are_never_cached(index: RevisionIndex, versions: Path) -> None:
    fresh = versions / "0009_z.py"
    fresh.write_text(script_text(r("z", "a3")), encoding="utf-8")
    index.load()
    index.load()
    assert index.parsed == ["0009_z.py"]
    assert RACY_WINDOW_NS > 0


def test_version_change_rebuilds_silently(index: RevisionIndex) -> None:
    index.load()
    assert index.cache_path is not None
    data = json.loads(index.cache_path.read_text("utf-8"))
    data["version"] = "0.0.0-other"
    index.cache_path.write_text(json.dumps(data), "utf-8")
    index.load()
    assert len(index.parsed) == len(BRANCHED)


HEAD = '"version": "%s", "format": ' + str(CACHE_FORMAT)
SHA = '"' + "0" * 64 + '", 3, 4'


def files(name: str, entry: str) -> str:
    """A cache document whose only file entry is ``entry`` (JSON text)."""
    return "{" + HEAD + ', "files": {"' + name + '": ' + entry + "}}"


CORRUPTIONS = {
    "not json": "{nope",
    "not a dict": "[1, 2]",
    "files missing": "{" + HEAD + "}",
    "entry not a list": files("0000_a1.py", '{"size": 1}'),
    "short entry": files("0000_a1.py", '[1, 2, "a1"]'),
    "bad types": files("0000_a1.py", '[1, 2, 3, [], [], [], "m", [], ' + SHA + "]"),
    "bool size": files("0000_a1.py", '[true, 2, "a1", [], [], [], "m", [], ' + SHA + "]"),
    "bad list": files("0000_a1.py", '[1, 2, "a1", [4], [], [], "m", [], ' + SHA + "]"),
    "bad name": files("notes.txt", '[1, 2, "a1", [], [], [], "m", [], ' + SHA + "]"),
    "short sha": files("0000_a1.py", '[1, 2, "a1", [], [], [], "m", [], "ab", 3, 4]'),
    "bad inode": files("0000_a1.py", '[1, 2, "a1", [], [], [], "m", [], ' + SHA[:-3] + ' 3, "4"]'),
}


@pytest.mark.parametrize("text", CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_corrupt_cache_is_warned_and_ignored(index: RevisionIndex, text: str) -> None:
    from offline_sql import __version__

    expected = index.load()
    assert index.cache_path is not None
    index.cache_path.write_text(text.replace("%s", __version__), "utf-8")
    with pytest.warns(CacheWarning, match="corrupt"):
        assert index.load() == expected
    assert len(index.parsed) == len(BRANCHED)
    assert index.load() == expected and index.parsed == []  # rewritten


def test_lying_cache_entry_is_not_trusted(index: RevisionIndex, versions: Path) -> None:
    """A cache saying a1's file has another size is a miss, not a source of truth."""
    index.load()
    assert index.cache_path is not None
    data = json.loads(index.cache_path.read_text("utf-8"))
    data["files"]["0000_a1.py"][0] += 1
    data["files"]["0000_a1.py"][2] = "forged"
    index.cache_path.write_text(json.dumps(data), "utf-8")
    assert index.load()[0].revision == "a1"
    assert index.parsed == ["0000_a1.py"]


def test_unwritable_cache_is_warned(versions: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the cache folder should be", "utf-8")
    with pytest.warns(CacheWarning, match="cannot write"):
        headers = RevisionIndex(versions, blocker / "cache").load()
    assert len(headers) == len(BRANCHED)


def test_cache_write_is_atomic_and_leaves_no_temp(index: RevisionIndex) -> None:
    index.load()
    assert index.cache_path is not None
    names = sorted(p.name for p in index.cache_path.parent.iterdir())
    assert names == [".gitignore", "index.json"]  # and no temporary file left


def test_no_cache_dir_means_no_cache(versions: Path) -> None:
    index = RevisionIndex(versions)
    index.load()
    index.load()
    assert len(index.parsed) == len(BRANCHED)
    assert not default_cache_dir(versions).exists()


def test_parse_errors_are_not_cached(index: RevisionIndex, versions: Path) -> None:
    bad = versions / "0009_bad.py"
    bad.write_text("revision = 'x'\ndef (:\n", "utf-8")
    age(bad)
    for _ in range(2):
        with pytest.raises(ScriptError, match="syntax error"):
            index.load()


def test_warm_load_does_not_rewrite_the_cache(index: RevisionIndex, versions: Path) -> None:
    (versions / "0009_z.py").write_text(script_text(r("z", "a3")), encoding="utf-8")  # racy
    index.load()
    assert index.cache_path is not None
    before = index.cache_path.stat()
    index.load()
    after = index.cache_path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_reading_history_imports_no_sqlalchemy() -> None:
    code = (
        "import sys, offline_sql.script.index, offline_sql.graph, offline_sql.plan\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'sqlalchemy', 'sqlglot'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_cache_folder_ignores_itself_for_git(index: RevisionIndex) -> None:
    """A cache belongs to one machine: its folder carries a .gitignore of everything."""
    index.load()
    assert index.cache_dir is not None
    assert (index.cache_dir / ".gitignore").read_text("utf-8").splitlines()[-1] == "*"


# ---- known_hashes: the scripts' hashes from the index alone (the result memo's key) ----------


def change_script(versions: Path, change: str) -> None:
    """One kind of change to the history's scripts (``0004_a3.py`` unless one is added)."""
    path = versions / "0004_a3.py"
    if change == "edited":
        path.write_text(script_text(r("a3", "b2")), encoding="utf-8")
        age(path)
    elif change == "same-size-edit":  # same size, mtime dated back to the same: only the ctime
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("a3", "A3"), encoding="utf-8")
        age(path)
    elif change == "touched":
        age(path, mtime_ns=OLD + 1)
    elif change == "added":
        new = versions / "0009_z.py"
        new.write_text(script_text(r("z", "a3")), encoding="utf-8")
        age(new)
    elif change == "removed":
        path.unlink()
    elif change == "renamed":
        path.rename(versions / "0005_a3.py")
    elif change == "fresh":  # written just now: never cached, read at each load
        path.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    else:
        raise AssertionError(f"no such change: {change}")


def _hashes_of(index: RevisionIndex) -> list[tuple[str, str]]:
    return [(h.path, h.source_sha256) for h in index.load()]


def test_known_hashes_are_the_loaded_ones(index: RevisionIndex) -> None:
    assert index.known_hashes() is None  # no index yet
    loaded = _hashes_of(index)
    assert index.known_hashes() == loaded
    assert all(len(sha) == 64 for _, sha in loaded)


@pytest.mark.parametrize("change", ["edited", "touched", "added", "removed", "fresh"])
def test_known_hashes_are_none_when_a_script_must_be_read(
    index: RevisionIndex, versions: Path, change: str
) -> None:
    _hashes_of(index)
    change_script(versions, change)
    assert index.known_hashes() is None
    loaded = _hashes_of(index)
    if change != "fresh":
        assert index.known_hashes() == loaded


# ---- seal: every script's stamp in one digest (the result memo's quick check) ----------------


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """A racy window of 50 ms, and a wait past it: the scripts' ctimes (moved when they were
    dated back) are then old enough to seal."""
    monkeypatch.setattr(index_module, "RACY_WINDOW_NS", 50_000_000)
    return lambda: time.sleep(0.1)


def test_the_seal_of_a_load_is_the_one_taken_now(
    index: RevisionIndex, versions: Path, settled: Callable[[], None]
) -> None:
    settled()
    index.load()
    assert index.seal is not None
    assert index.seal == index.current_seal() == RevisionIndex(versions, None).current_seal()


def test_a_file_written_just_now_leaves_no_seal(index: RevisionIndex, versions: Path) -> None:
    """Files dated back (old mtime) but written a moment ago (their ctime): the index caches
    them, a seal is not taken."""
    index.load()
    assert index.seal is None and index.current_seal() is None
    assert index.known_hashes() is not None


@pytest.mark.parametrize("change", ["same-size-edit", "touched", "added", "removed", "renamed"])
def test_any_change_moves_the_seal(
    index: RevisionIndex, versions: Path, settled: Callable[[], None], change: str
) -> None:
    settled()
    index.load()
    before = index.seal
    change_script(versions, change)
    settled()
    now = index.current_seal()
    assert now is not None and now != before
    index.load()
    assert index.seal == now
