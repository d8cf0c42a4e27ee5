"""The checkout is plain files: a clone without symlinks (Git for Windows' default,
``core.symlinks=false``) installs and imports like any other.

The databases live in the top-level ``dialects/`` folder and install as
``offline_sql.dialects`` (``package-dir`` in ``pyproject.toml``, with every package listed).
They once reached the package through a link ``offline_sql/dialects -> ../dialects``; such a
clone then failed with ``No module named 'offline_sql.dialects'``. The real clone, install,
wheel and test run is in ``.ci/run``; these tests keep the layout that makes it pass.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import offline_sql
from offline_sql.dialect_api import registry

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = Path(offline_sql.__file__).resolve().parent
DIALECTS = ROOT / "dialects"


def setuptools_config() -> dict[str, Any]:
    config: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return dict(config["tool"]["setuptools"])


def listed_packages() -> list[str]:
    packages = setuptools_config()["packages"]
    assert isinstance(packages, list), "pyproject.toml lists the packages (no find config)"
    return [str(name) for name in packages]


def folder_of(package: str) -> Path:
    """The folder setuptools takes ``package`` from: under its longest mapped prefix."""
    mapping: dict[str, str] = setuptools_config().get("package-dir", {})
    parts = package.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in mapping:
            return ROOT.joinpath(mapping[prefix], *parts[n:])
    return ROOT.joinpath(*parts)


def packages_on_disk() -> set[str]:
    """Every folder with an ``__init__.py`` under ``offline_sql/`` and ``dialects/``, named as
    it installs."""
    found = set()
    for root, name in ((ROOT / "offline_sql", "offline_sql"), (DIALECTS, registry.PACKAGE)):
        for init in root.rglob("__init__.py"):
            found.add(".".join([name, *init.parent.relative_to(root).parts]))
    return found


def test_every_package_folder_is_in_the_package_list() -> None:
    listed = listed_packages()
    on_disk = packages_on_disk()
    assert len(listed) == len(set(listed))
    missing, extra = sorted(on_disk - set(listed)), sorted(set(listed) - on_disk)
    assert not missing, f"folders missing from the packages of pyproject.toml: {missing}"
    assert not extra, f"packages listed in pyproject.toml without a folder: {extra}"


def test_every_registered_dialect_is_a_package_folder() -> None:
    on_disk = packages_on_disk()
    for target in registry.REGISTRY.values():
        module = target.partition(":")[0]
        assert module.rpartition(".")[0] in on_disk, target


def test_listed_packages_are_taken_from_their_folders() -> None:
    assert setuptools_config()["package-dir"] == {registry.PACKAGE: "dialects"}
    for package in listed_packages():
        assert (folder_of(package) / "__init__.py").is_file(), package
    assert folder_of("offline_sql.dialects.mysql") == DIALECTS / "mysql"


def test_the_dialects_are_loaded_from_the_dialects_folder() -> None:
    import offline_sql.dialects

    folder = Path(offline_sql.dialects.__file__).resolve().parent
    assert folder == registry.dialects_folder()
    assert folder in (DIALECTS, PACKAGE / "dialects")  # the checkout's (editable), or a wheel's
    assert not (ROOT / "offline_sql" / "dialects").exists(), (
        "offline_sql/dialects/ in the checkout: the databases belong in the top-level dialects/"
    )


def test_every_dialect_folder_is_registered() -> None:
    """A database's folder no ``REGISTRY`` line names would be installed and never used."""
    registered = {
        target.partition(":")[0].split(".")[2] for target in registry.REGISTRY.values()
    }
    folders = {path.parent.name for path in DIALECTS.glob("*/__init__.py")}
    assert folders == registered
    assert all(t.startswith(registry.PACKAGE + ".") for t in registry.REGISTRY.values())


def test_no_symlink_in_the_packages() -> None:
    links = [path for root in (PACKAGE, DIALECTS) for path in root.rglob("*") if path.is_symlink()]
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


def test_dialects_is_no_top_level_name(tmp_path: Path) -> None:
    """Only ``offline_sql.dialects`` is installed: a top-level ``dialects`` would shadow or be
    shadowed by any other package of that generic name. Run from outside the checkout (whose
    own folder is importable from its root, as any folder is), as an installed mig runs."""
    probe = (
        "import importlib.util, json, offline_sql.dialects.oracle.dialect as o; "
        "print(json.dumps([importlib.util.find_spec('dialects') is None, o.__file__]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout
    no_top_level, oracle = json.loads(out)
    assert no_top_level
    assert Path(oracle).resolve().parent.parent == registry.dialects_folder()
