"""Issue 16: where a file a script read lies is asked once per folder and command
(:mod:`offline_sql.real_paths`), and the answers are those of ``os.path.realpath``
(symlinked folders and files included)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from offline_sql import real_paths
from offline_sql.config import Config
from offline_sql.stepcache import StepCache, deps


@pytest.mark.parametrize(
    "relative",
    [
        "plain/a.py",
        "linked-folder/a.py",  # a symlinked folder
        "plain/linked-file.py",  # a symlinked file, pointing elsewhere
        "plain/missing.py",
        "linked-folder/../plain/a.py",
        "deep-link/../b.py",  # '..' after a link: where the link points, then up
        "deep-link/./../b.py",
        "plain//a.py",
        "plain/",
        "plain/.",
        "plain/..",
    ],
)
def test_real_is_realpath(tmp_path: Path, relative: str) -> None:
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "a.py").write_text("x = 1\n")
    (tmp_path / "elsewhere" / "inner").mkdir(parents=True)
    (tmp_path / "elsewhere" / "b.py").write_text("y = 1\n")
    (tmp_path / "linked-folder").symlink_to(tmp_path / "plain")
    (tmp_path / "deep-link").symlink_to(tmp_path / "elsewhere" / "inner")
    (tmp_path / "plain" / "linked-file.py").symlink_to(tmp_path / "elsewhere" / "b.py")
    path = str(tmp_path) + os.sep + relative
    assert real_paths.real_path(path) == os.path.realpath(path)
    relative_path = os.path.relpath(path)
    assert real_paths.real_path(relative_path) == os.path.realpath(relative_path)


def test_a_module_linked_into_the_installation_is_still_outside_it(tmp_path: Path) -> None:
    """A project module symlinked into a folder of the installation is the project's own
    code: a dependency, judged by where it really lies."""
    (tmp_path / "project").mkdir()
    module = tmp_path / "project" / "helpers.py"
    module.write_text("x = 1\n")
    inside = tmp_path / "installed"
    inside.mkdir()
    (inside / "helpers.py").symlink_to(module)
    roots = (os.path.join(os.path.realpath(inside), ""),)
    assert not deps._under(str(inside / "helpers.py"), roots)
    assert deps._under(str(inside / "other.py"), roots)


def test_the_versioned_answer_is_remembered_for_the_command(tmp_path: Path) -> None:
    memo: deps.Versioned = {}
    path = str(tmp_path / "read.txt")
    assert deps._is_versioned(path, memo) is False
    assert memo == {path: False}
    memo[path] = True  # what the command found first holds for the rest of it
    assert deps._is_versioned(path, memo) is True


def test_a_new_command_sees_a_folder_link_pointed_elsewhere(tmp_path: Path) -> None:
    for release in ("one", "two"):
        (tmp_path / release).mkdir()
    current = tmp_path / "current"
    current.symlink_to(tmp_path / "one")
    link = str(current / "a.py")
    assert real_paths.real_path(link) == os.path.realpath(tmp_path / "one" / "a.py")
    current.unlink()
    current.symlink_to(tmp_path / "two")
    StepCache(Config(tmp_path, tmp_path / "mig.toml"), "", enabled=False)  # a new command
    assert real_paths.real_path(link) == os.path.realpath(tmp_path / "two" / "a.py")
