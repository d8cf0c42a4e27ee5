"""A damaged, unwritable or foreign step cache is ignored with a warning, never trusted; a
failed command writes nothing; warnings come back on a cache hit; online mode builds the
same database with a warm cache as without one.

Issue 7: "a corrupt or unwritable cache is ignored with a warning, never trusted". Every
case here compares the output with a ``--no-cache`` run of the same command.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import Rev, make_project, write_revisions
from stepcache_helpers import (
    Imports,
    Outcome,
    cache_dump,
    cache_rows,
    count_imports,
    mig,
    ok,
    steps_file,
)

SQL = ("upgrade", "base:head", "--sql")
CACHE_WARNING = "mig: warning: "


@pytest.fixture
def imports(monkeypatch: pytest.MonkeyPatch) -> Imports:
    return count_imports(monkeypatch)


def history(count: int = 4) -> list[Rev]:
    """Tables chained by foreign keys, each step altering the one before (so each step
    reads the state the earlier ones left)."""
    revs = [
        Rev(
            "r01",
            None,
            "create t01",
            upgrade='op.create_table("t01", sa.Column("id", sa.Integer, primary_key=True),\n'
            '    sa.Column("name", sa.String(20), nullable=False))',
            downgrade='op.drop_table("t01")',
        )
    ]
    for k in range(2, count + 1):
        table, before = f"t{k:02d}", f"t{k - 1:02d}"
        revs.append(
            Rev(
                f"r{k:02d}",
                f"r{k - 1:02d}",
                f"create {table}",
                upgrade=f'op.create_table("{table}", sa.Column("id", sa.Integer, '
                "primary_key=True),\n"
                f'    sa.Column("ref", sa.Integer, sa.ForeignKey("{before}.id")))\n'
                f'op.alter_column("{before}", "id", comment="see {table}")\n'
                f'op.add_column("t01", sa.Column("c{k}", sa.String({k})))',
                downgrade=f'op.drop_column("t01", "c{k}")\nop.drop_table("{table}")',
            )
        )
    return revs


def project(root: Path, revs: list[Rev] | None = None, **settings: str | bool) -> Path:
    make_project(
        root,
        history() if revs is None else revs,
        settings={"script_location": "migrations", "dialect": "mysql", **settings},
    )
    return root


def warnings_of(outcome: Outcome) -> list[str]:
    return outcome.warnings


def only_cache_warnings(outcome: Outcome) -> list[str]:
    """The run's warnings, checked to be about the cache and nothing else on stderr."""
    lines = outcome.stderr.splitlines()
    assert all(line.startswith(CACHE_WARNING) for line in lines), outcome.stderr
    assert all("cache" in line for line in lines), outcome.stderr
    return lines


# ---- damaged or unusable caches -------------------------------------------------------------


def test_a_cache_file_of_garbage_is_ignored_with_a_warning_and_rebuilt(
    tmp_path: Path, imports: Imports
) -> None:
    folder = project(tmp_path)
    expected = ok(mig(folder, *SQL, no_cache=True))
    ok(mig(folder, *SQL))
    cache = steps_file(folder)
    cache.write_bytes(b"this is not a database\x00\xff" * 200)
    imports.take()

    damaged = mig(folder, *SQL)
    assert ok(damaged) == expected
    (warning,) = only_cache_warnings(damaged)
    assert "steps.sqlite3" in warning and "corrupt" in warning
    assert imports.take() == ["r01", "r02", "r03", "r04"]

    again = mig(folder, *SQL)  # the file was replaced by a good one: a clean hit
    assert ok(again) == expected and again.stderr == ""
    assert imports.take() == []
    assert cache_rows(cache)


def flip_byte(cache: Path, table: str, key: object) -> None:
    """Change one byte in the middle of one row's stored blob."""
    with sqlite3.connect(cache) as connection:
        (data,) = connection.execute(f"SELECT data FROM {table} WHERE key = ?", (key,)).fetchone()
        blob = bytearray(data)
        blob[len(blob) // 2] ^= 0x5A
        connection.execute(f"UPDATE {table} SET data = ? WHERE key = ?", (bytes(blob), key))
    connection.close()


def row_keys(cache: Path) -> list[tuple[str, object]]:
    with sqlite3.connect(cache) as connection:
        tables = [
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        found = [
            (table, row[0])
            for table in tables
            for row in connection.execute(f"SELECT key FROM {table} ORDER BY key")
        ]
    connection.close()
    return found


COMMANDS = (
    SQL,
    ("upgrade", "r02:head", "--sql"),
    ("downgrade", "head:r01", "--sql"),
    ("upgrade", "r02:head", "--sql", "--strict"),
)
"""Between them they read every kind of entry: whole walks, renderings, and the states a
review needs before each step."""


def test_a_flipped_byte_in_any_row_is_never_trusted(tmp_path: Path) -> None:
    """Damage each stored row in turn, in a copy of a warm cache: every command still
    prints what it prints without a cache, and a damaged row that is read is warned about."""
    folder = project(tmp_path / "project")
    expected = {args: ok(mig(folder, *args, no_cache=True)) for args in COMMANDS}
    for args in COMMANDS:
        ok(mig(folder, *args))
    cache = steps_file(folder)
    good = tmp_path / "good.sqlite3"
    shutil.copyfile(cache, good)
    rows = row_keys(good)
    assert len(rows) >= 8
    warned = 0
    for table, key in rows:
        shutil.copyfile(good, cache)
        flip_byte(cache, table, key)
        seen: list[str] = []
        for args in COMMANDS:
            outcome = mig(folder, *args)
            assert ok(outcome) == expected[args], f"{table} row {key!r} damaged: {args}"
            seen += only_cache_warnings(outcome)
        warned += bool(seen)
    assert warned, "no damaged row was ever reported"


def test_a_row_whose_checksum_holds_but_does_not_decode_is_not_trusted(tmp_path: Path) -> None:
    """A row written by a buggy or foreign mig: the checksum is right, the content is not
    what mig stores. The command runs without the cache and says so."""
    from offline_sql.stepcache.store import CHECKSUM_SIZE, _checksum

    folder = project(tmp_path)
    args = ("upgrade", "r02:head", "--sql", "--strict")
    expected = ok(mig(folder, *args, no_cache=True))
    # Cached renderings, no cached review yet: --strict folds the states it reviews from.
    ok(mig(folder, *args[:-1]))
    cache = steps_file(folder)
    junk = b"\x80\x05K\x01."  # pickle of the int 1: decodes, but is no delta
    with sqlite3.connect(cache) as connection:
        connection.execute("UPDATE state SET data = ?", (_checksum(junk) + junk,))
    connection.close()
    assert len(_checksum(junk)) == CHECKSUM_SIZE
    outcome = mig(folder, *args)
    assert ok(outcome) == expected
    assert only_cache_warnings(outcome)


def test_a_cache_of_another_layout_is_rebuilt_silently(tmp_path: Path, imports: Imports) -> None:
    from offline_sql.stepcache.store import SCHEMA_VERSION

    folder = project(tmp_path)
    expected = ok(mig(folder, *SQL))
    cache = steps_file(folder)
    with sqlite3.connect(cache) as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 41}")
    connection.close()
    imports.take()
    outcome = mig(folder, *SQL)
    assert ok(outcome) == expected and outcome.stderr == ""
    assert imports.take() == ["r01", "r02", "r03", "r04"], "entries of another layout are unread"
    with sqlite3.connect(cache) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    connection.close()
    assert ok(mig(folder, *SQL)) == expected
    assert imports.take() == []


def test_a_read_only_cache_folder_is_ignored_with_a_warning(tmp_path: Path) -> None:
    folder = project(tmp_path)
    expected = ok(mig(folder, *SQL, no_cache=True))
    cache_dir = folder / "migrations" / ".mig_cache"
    cache_dir.mkdir(parents=True)
    cache_dir.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        if os.access(cache_dir, os.W_OK):
            pytest.skip("running as a user whom permissions do not stop (root)")
        outcome = mig(folder, *SQL)
        assert ok(outcome) == expected
        assert any("steps.sqlite3" in line for line in only_cache_warnings(outcome))
    finally:
        cache_dir.chmod(stat.S_IRWXU)


@pytest.mark.parametrize("where", ["a file", "below a file", "a folder as the file"])
def test_an_unwritable_cache_location_is_ignored_with_a_warning(tmp_path: Path, where: str) -> None:
    """The cases that stop root too: the cache folder is a file, is inside a file, or the
    cache file is a folder."""
    folder = project(tmp_path)
    expected = ok(mig(folder, *SQL, no_cache=True))
    blocker = folder / "blocker"
    blocker.write_text("not a folder", encoding="utf-8")
    config = folder / "mig.toml"
    if where == "a file":
        config.write_text(config.read_text() + 'cache_dir = "blocker"\n', encoding="utf-8")
    elif where == "below a file":
        config.write_text(config.read_text() + 'cache_dir = "blocker/cache"\n', encoding="utf-8")
    else:
        steps_file(folder).mkdir(parents=True)
    for _ in range(2):
        outcome = mig(folder, *SQL)
        assert ok(outcome) == expected
        assert only_cache_warnings(outcome)
    assert blocker.read_text(encoding="utf-8") == "not a folder"


# ---- a failed command writes nothing --------------------------------------------------------

FAILING = Rev("r05", "r04", "broken", upgrade='raise RuntimeError("half written")')


def test_a_failed_generation_writes_no_entry(tmp_path: Path) -> None:
    folder = project(tmp_path, [*history(), FAILING])
    outcome = mig(folder, *SQL)
    assert outcome.exit_code == 1 and outcome.stdout == ""
    assert "half written" in outcome.stderr
    assert not any(cache_rows(steps_file(folder)).values())


def test_a_failed_generation_leaves_a_warm_cache_as_it_was(
    tmp_path: Path, imports: Imports
) -> None:
    folder = project(tmp_path)
    expected = ok(mig(folder, *SQL))
    before = cache_dump(steps_file(folder))
    write_revisions(folder / "migrations" / "versions", [FAILING])
    assert mig(folder, *SQL).exit_code == 1
    assert cache_dump(steps_file(folder)) == before
    (folder / "migrations" / "versions" / FAILING.filename).unlink()
    imports.take()
    assert ok(mig(folder, *SQL)) == expected
    assert imports.take() == []


def test_a_render_error_after_cached_steps_writes_nothing(tmp_path: Path) -> None:
    """A later step the dialect refuses: nothing from this run is kept, though the steps
    before it rendered."""
    refused = Rev(
        "r05",
        "r04",
        "opening time",
        upgrade="import datetime\n"
        'op.bulk_insert(sa.table("t01", sa.column("id", sa.Integer), sa.column("at", sa.Time)),\n'
        '    [{"id": 1, "at": datetime.time(7, 5)}])',
    )
    folder = project(tmp_path, [*history(), refused], dialect="oracle")
    outcome = mig(folder, *SQL)
    assert outcome.exit_code == 1 and outcome.stdout == ""
    assert "Oracle has no TIME type" in outcome.stderr
    assert not any(cache_rows(steps_file(folder)).values())


# ---- warnings come back on a hit ------------------------------------------------------------

CREATE = (
    'op.create_table("users", sa.Column("id", sa.Integer, primary_key=True),\n'
    '    sa.Column("name", sa.String(20), nullable=False, server_default="x"))'
)
CONTRADICT = (
    'op.alter_column("users", "name", type_=sa.String(40), existing_type=sa.String(99),\n'
    '    existing_nullable=True, existing_server_default="y")'
)


def hinted(root: Path) -> Path:
    return project(
        root,
        [
            Rev("a1", None, "create users", upgrade=CREATE),
            Rev("b2", "a1", "widen name", upgrade=CONTRADICT),
            Rev("c3", "b2", "add note", upgrade='op.add_column("users", sa.Column("n", sa.Text))'),
        ],
    )


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite", "mssql", "oracle"])
@pytest.mark.parametrize("target", ["base:head", "a1:head", "a1:b2"])
def test_warnings_are_shown_again_on_a_hit(
    tmp_path: Path, imports: Imports, dialect: str, target: str
) -> None:
    folder = hinted(tmp_path)
    args = ("--dialect", dialect, "upgrade", target, "--sql")
    cold = mig(folder, *args)
    imports.take()
    warm = mig(folder, *args)
    assert imports.take() == []
    uncached = mig(folder, *args, no_cache=True)
    assert ok(cold) == ok(warm) == ok(uncached)
    assert len(warnings_of(cold)) == 3, cold.stderr
    assert cold.stderr == warm.stderr == uncached.stderr


def test_a_warning_raised_by_a_script_is_shown_again_on_a_hit(
    tmp_path: Path, imports: Imports
) -> None:
    folder = project(
        tmp_path,
        [
            *history(2),
            Rev(
                "r03",
                "r02",
                "noisy",
                upgrade='import warnings\nwarnings.warn("check the orders first")\n'
                'op.add_column("t01", sa.Column("n", sa.Text))',
            ),
        ],
    )
    cold = mig(folder, *SQL)
    assert warnings_of(cold) == ["mig: warning: check the orders first"]
    imports.take()
    warm = mig(folder, *SQL)
    assert imports.take() == []
    assert warm == cold


def test_a_warning_of_a_category_the_script_defines_reruns_its_step(
    tmp_path: Path, imports: Imports
) -> None:
    """A category that cannot be found again by name cannot be re-raised from the cache:
    that step runs every time (and its warning is shown every time)."""
    folder = project(
        tmp_path,
        [
            *history(2),
            Rev(
                "r03",
                "r02",
                "noisy",
                prelude="import warnings\n\n\nclass DataWarning(UserWarning):\n    pass\n",
                upgrade='warnings.warn("check the orders first", DataWarning)\n'
                'op.add_column("t01", sa.Column("n", sa.Text))',
            ),
        ],
    )
    cold = mig(folder, *SQL)
    assert warnings_of(cold) == ["mig: warning: check the orders first"]
    imports.take()
    warm = mig(folder, *SQL)
    assert warm == cold == mig(folder, *SQL, no_cache=True)
    assert imports.take()[0] == "r03"


# ---- online mode ----------------------------------------------------------------------------


def schema(database: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(database) as connection:
        found = connection.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
            "ORDER BY type, name"
        ).fetchall()
        found += [
            ("version", row[0], "")
            for row in connection.execute(
                "SELECT version_num FROM mig_version ORDER BY version_num"
            )
        ]
    connection.close()
    return found


@pytest.fixture
def online_project(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "project"
    make_project(
        folder,
        history(5),
        settings={"script_location": "migrations", "url": "sqlite:///app.db"},
    )
    yield folder


def test_online_upgrade_on_a_warm_cache_builds_the_same_database(
    online_project: Path, imports: Imports
) -> None:
    folder = online_project
    ok(mig(folder, *SQL))  # the offline run warms the cache online mode reads
    imports.take()
    ok(mig(folder, "upgrade", "head"))
    assert imports.take() == ["r01", "r02", "r03", "r04", "r05"], "online runs every step"
    cached = schema(folder / "app.db")
    (folder / "app.db").rename(folder / "cached.db")
    ok(mig(folder, "upgrade", "head", no_cache=True))
    assert schema(folder / "app.db") == cached
    assert ("version", "r05", "") in cached


def test_online_upgrade_from_the_middle_reads_its_ancestors_from_the_cache(
    online_project: Path, imports: Imports
) -> None:
    folder = online_project
    ok(mig(folder, *SQL))
    ok(mig(folder, "upgrade", "r02", no_cache=True))
    shutil.copyfile(folder / "app.db", folder / "middle.db")
    imports.take()
    ok(mig(folder, "upgrade", "head"))
    assert imports.take() == ["r03", "r04", "r05"], "r01 and r02 come from the cache"
    cached = schema(folder / "app.db")
    shutil.copyfile(folder / "middle.db", folder / "app.db")
    ok(mig(folder, "upgrade", "head", no_cache=True))
    assert schema(folder / "app.db") == cached
    # And back down: the downgrade reads the state at head from the cache too.
    ok(mig(folder, "downgrade", "r01"))
    down = schema(folder / "app.db")
    shutil.copyfile(folder / "middle.db", folder / "app.db")
    ok(mig(folder, "upgrade", "head", no_cache=True))
    ok(mig(folder, "downgrade", "r01", no_cache=True))
    assert schema(folder / "app.db") == down
