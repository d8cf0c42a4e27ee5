"""What a revision script reads or defines is seen by the step cache: its own classes in
the state (such a step is simply not cached), a folder it lists, files on a RAM disk, an
installed package it imports, and an edit whose mtime was put back. Each case compares the
cached run with a ``--no-cache`` run.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import Rev
from stepcache_helpers import SQL, mig, ok, same_with_and_without_cache, small_project

ADD_NOTE = 'op.add_column("invoices", sa.Column("n", sa.Text))'


# ---- state a script builds from its own classes -------------------------------------------


@pytest.mark.parametrize(
    ("prelude", "column"),
    [
        (
            "class Money(sa.types.TypeDecorator):\n"
            "    impl = sa.Numeric(10, 2)\n"
            "    cache_ok = True\n",
            'sa.Column("amount", Money())',
        ),
        (
            "import enum\n\n\nclass Status(enum.Enum):\n    open = 1\n    closed = 2\n",
            'sa.Column("status", sa.Enum(Status, name="status"))',
        ),
    ],
    ids=["type-decorator", "python-enum"],
)
def test_a_type_the_script_defines_is_rendered_as_without_a_cache(
    tmp_path: Path, prelude: str, column: str
) -> None:
    """A revision that defines its own column type (a TypeDecorator, or the Python enum
    behind sa.Enum) leaves objects in the state that pickle cannot find again (the script's
    module is never left in sys.modules). Without a cache mig renders it; with one it must
    not crash: such a step can simply not be cached."""
    folder = small_project(
        tmp_path,
        [
            Rev(
                "a1",
                None,
                "create invoices",
                prelude=prelude,
                upgrade='op.create_table("invoices", sa.Column("id", sa.Integer, '
                f"primary_key=True), {column})",
            ),
            Rev(
                "b2", "a1", "add note", upgrade='op.add_column("invoices", sa.Column("n", sa.Text))'
            ),
        ],
    )
    text = same_with_and_without_cache(folder, *SQL)
    assert "CREATE TABLE invoices" in text
    assert same_with_and_without_cache(folder, *SQL) == text


# ---- what a script looks at without opening it --------------------------------------------


def globbing_project(root: Path) -> Path:
    """One revision that executes every ``sql/*.sql`` file next to it, in name order."""
    folder = small_project(
        root,
        [
            Rev(
                "a1",
                None,
                "run the sql folder",
                upgrade="from pathlib import Path\n"
                'for path in sorted(Path(__file__).with_name("sql").glob("*.sql")):\n'
                '    op.execute(path.read_text(encoding="utf-8"))',
            )
        ],
    )
    sql = folder / "migrations" / "versions" / "sql"
    sql.mkdir()
    (sql / "a.sql").write_text("CREATE TABLE a (id INT)", encoding="utf-8")
    return folder


def test_a_file_added_to_a_folder_a_script_lists_is_seen(tmp_path: Path) -> None:
    """The script's output depends on the folder's listing, not only on the files it
    opened: a new ``b.sql`` must run the script again (``os.scandir``/``os.listdir``
    raise audit events that could record the folder)."""
    folder = globbing_project(tmp_path)
    ok(mig(folder, *SQL))
    sql = folder / "migrations" / "versions" / "sql"
    (sql / "b.sql").write_text("CREATE TABLE b (id INT)", encoding="utf-8")
    assert "CREATE TABLE b" in same_with_and_without_cache(folder, *SQL)


RAM_DISK = Path("/dev/shm")


@pytest.fixture
def on_ram_disk() -> Iterator[Path]:
    if not (RAM_DISK.is_dir() and os.access(RAM_DISK, os.W_OK | os.X_OK)):
        pytest.skip("no /dev/shm here")
    folder = Path(tempfile.mkdtemp(prefix="mig-stepcache-", dir=RAM_DISK))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_a_project_on_a_ram_disk_tracks_what_its_scripts_read(on_ram_disk: Path) -> None:
    """deps.py excludes everything under /dev (meant for /dev/null, /dev/urandom): a
    project in /dev/shm (a tmpfs CI workspace) then has no dependencies at all."""
    folder = small_project(
        on_ram_disk,
        [
            Rev(
                "a1",
                None,
                "seed",
                upgrade="from pathlib import Path\n"
                'op.execute(Path(__file__).with_name("seed.sql").read_text(encoding="utf-8"))',
            )
        ],
    )
    seed = folder / "migrations" / "versions" / "seed.sql"
    seed.write_text("CREATE TABLE first (id INT)", encoding="utf-8")
    ok(mig(folder, *SQL))
    seed.write_text("CREATE TABLE second (id INT)", encoding="utf-8")
    assert "CREATE TABLE second" in same_with_and_without_cache(folder, *SQL)


# ---- inputs the cache trusts without reading them ---------------------------------------------


def test_an_edit_that_keeps_the_size_and_the_mtime_is_seen(tmp_path: Path) -> None:
    """The step key takes the script's SHA-256 from the header index, which trusts a file
    whose size and mtime are unchanged (as git's index does). Before the step cache only
    headers came from there; now the SQL a script renders does too, so an edit restored to
    the old mtime (``cp -p``, ``rsync -t``, an mtime-restoring checkout) prints the old
    SQL. Without a cache the new SQL is printed."""
    folder = small_project(
        tmp_path,
        [
            Rev(
                "a1",
                None,
                "create t",
                upgrade='op.create_table("t", sa.Column("n", sa.String(20)))',
            )
        ],
        dialect="mysql",
    )
    script = folder / "migrations" / "versions" / "a1_create_t.py"
    then = time.time_ns() - 60 * 10**9  # well outside the index's racy window
    os.utime(script, ns=(then, then))
    ok(mig(folder, *SQL))
    ok(mig(folder, *SQL))
    script.write_text(script.read_text().replace("String(20)", "String(40)"))
    os.utime(script, ns=(then, then))
    assert "VARCHAR(40)" in same_with_and_without_cache(folder, *SQL)


def test_an_upgraded_installed_package_a_script_imports_is_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A script importing a type from an installed package (geoalchemy2, sqlalchemy-utils,
    the application's own wheel) must render anew after that package is upgraded; only
    SQLAlchemy and sqlglot are in the fingerprint. Simulated: a folder counted as part of
    the installation, holding a module whose new version renders a longer column."""
    from offline_sql.stepcache import deps

    site = tmp_path / "site-packages"
    site.mkdir()
    module = site / "stepcache_installed_types.py"
    module.write_text("LENGTH = 20\n", encoding="utf-8")
    roots = deps._installation_roots()
    monkeypatch.setattr(
        deps, "_installation_roots", lambda: (*roots, os.path.join(os.path.realpath(site), ""))
    )
    monkeypatch.syspath_prepend(str(site))
    folder = small_project(
        tmp_path / "project",
        [
            Rev(
                "a1",
                None,
                "create t",
                upgrade="import stepcache_installed_types as types\n"
                'op.create_table("t", sa.Column("n", sa.String(types.LENGTH)))',
            )
        ],
        dialect="mysql",
    )
    monkeypatch.delitem(sys.modules, "stepcache_installed_types", raising=False)
    ok(mig(folder, *SQL))
    monkeypatch.delitem(sys.modules, "stepcache_installed_types", raising=False)
    module.write_text("LENGTH = 99  # upgraded\n", encoding="utf-8")  # pip install --upgrade
    shutil.rmtree(site / "__pycache__", ignore_errors=True)
    assert "VARCHAR(99)" in same_with_and_without_cache(folder, *SQL)
    monkeypatch.delitem(sys.modules, "stepcache_installed_types", raising=False)
