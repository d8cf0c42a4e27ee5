"""The checkout is plain files: a clone without symlinks (Git for Windows' default,
``core.symlinks=false``) installs and imports like any other.

The dialects once reached the package through a link ``offline_sql/dialects -> ../dialects``;
such a clone then failed with ``No module named 'offline_sql.dialects'``. The real clone,
install and test run is in ``.ci/run``; these tests keep the layout that makes it pass.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

import offline_sql
import offline_sql.dialects

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = Path(offline_sql.__file__).resolve().parent


def test_the_dialects_are_a_real_folder_of_the_package() -> None:
    folder = PACKAGE / "dialects"
    assert not folder.is_symlink()
    assert Path(offline_sql.dialects.__file__).parent == folder
    assert (folder / "base.py").is_file() and not (folder / "base.py").is_symlink()


def test_no_symlink_in_the_package() -> None:
    links = [path for path in PACKAGE.rglob("*") if path.is_symlink()]
    assert not links


def test_git_tracks_no_symlink() -> None:
    """Mode 120000 is a symlink in git's index: a clone without symlinks gets a text file."""
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listing = subprocess.run(
        [git, "-C", str(ROOT), "ls-files", "-s"], capture_output=True, text=True, check=True
    ).stdout
    links = [line.split("\t", 1)[1] for line in listing.splitlines() if line.startswith("120000")]
    assert not links


def test_dialects_is_no_top_level_name() -> None:
    """Only ``offline_sql.dialects``: a top-level ``dialects`` would shadow or be shadowed by
    any other package of that generic name."""
    assert importlib.util.find_spec("dialects") is None
