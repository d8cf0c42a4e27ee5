"""The step cache runs exactly what changed: nothing on a warm cache, the steps from an edit
on, and everything when the context (configuration, dialect, guard, baseline, mig itself)
changes; the output always equals a ``--no-cache`` run.

Script imports are counted by wrapping the loader (:func:`stepcache_helpers.count_imports`).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from helpers import Rev, listing, make_project, write_revisions
from stepcache_helpers import (
    Imports,
    cache_rows,
    count_imports,
    mig,
    ok,
    steps_file,
)

MIG = shutil.which("mig", path=str(Path(sys.executable).parent))
SQL = ("upgrade", "base:head", "--sql")


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """On a real disk, where projects live (test_stepcache_reads covers a RAM disk)."""
    return tmp_path


@pytest.fixture
def imports(monkeypatch: pytest.MonkeyPatch) -> Imports:
    return count_imports(monkeypatch)


def rev_id(k: int) -> str:
    return f"r{k:02d}"


def chain_rev(k: int, *, width: int = 20) -> Rev:
    """Revision k of a linear history: a table per revision, each pointing at the one
    before, and a column added to the first table (so every step reads earlier state)."""
    if k == 1:
        return Rev(
            rev_id(1),
            None,
            "create t01",
            upgrade='op.create_table("t01", sa.Column("id", sa.Integer, primary_key=True),\n'
            f'    sa.Column("name", sa.String({width}), nullable=False))',
            downgrade='op.drop_table("t01")',
        )
    table, before = f"t{k:02d}", f"t{k - 1:02d}"
    return Rev(
        rev_id(k),
        rev_id(k - 1),
        f"create {table}",
        upgrade=f'op.create_table("{table}", sa.Column("id", sa.Integer, primary_key=True),\n'
        f'    sa.Column("ref", sa.Integer, sa.ForeignKey("{before}.id")),\n'
        f'    sa.Column("label", sa.String({width + k})))\n'
        f'op.add_column("t01", sa.Column("c{k:02d}", sa.String({width + k})))\n'
        f'op.alter_column("{before}", "id", comment="see {table}")',
        downgrade=f'op.drop_column("t01", "c{k:02d}")\nop.drop_table("{table}")',
    )


def linear(root: Path, count: int = 6, *, dialect: str = "postgresql") -> Path:
    """A project of ``count`` chained revisions; returns its folder."""
    make_project(
        root,
        [chain_rev(k) for k in range(1, count + 1)],
        settings={"script_location": "migrations", "dialect": dialect},
    )
    return root


def versions(project: Path) -> Path:
    return project / "migrations" / "versions"


def revisions(first: int, last: int) -> list[str]:
    return [rev_id(k) for k in range(first, last + 1)]


def same_as_uncached(project: Path, imports: Imports, *args: str) -> tuple[str, list[str]]:
    """Run with the cache, then without: the same output (and the same warnings). Returns
    the output and the scripts the cached run imported."""
    cached = mig(project, *args)
    ran = imports.take()
    uncached = mig(project, *args, no_cache=True)
    imports.take()
    assert ok(cached) == ok(uncached)
    assert cached.stderr == uncached.stderr
    return cached.stdout, ran


# ---- nothing runs that need not ----------------------------------------------------------


def test_a_warm_cache_runs_no_script(scratch: Path, imports: Imports) -> None:
    project = linear(scratch)
    cold = ok(mig(project, *SQL))
    assert imports.take() == revisions(1, 6)
    assert ok(mig(project, *SQL)) == cold
    assert imports.take() == []
    assert ok(mig(project, *SQL, no_cache=True)) == cold
    assert imports.take() == revisions(1, 6)


def test_a_near_head_range_on_a_warm_cache_runs_no_script(scratch: Path, imports: Imports) -> None:
    project = linear(scratch)
    ok(mig(project, *SQL))
    imports.take()
    for start in (4, 5):
        args = ("upgrade", f"{rev_id(start)}:head", "--sql")
        assert ok(mig(project, *args)) == ok(mig(project, *args, no_cache=True))
        assert imports.take() == revisions(1, 6), "without the cache every ancestor runs"
        ok(mig(project, *args))
        assert imports.take() == [], f"{args}: the ancestors and the steps were cached"


def test_a_warm_downgrade_runs_no_script(scratch: Path, imports: Imports) -> None:
    project = linear(scratch)
    args = ("downgrade", "head:r02", "--sql")
    ok(mig(project, *args))
    assert imports.take() == revisions(1, 6) + revisions(3, 6)[::-1]
    text, ran = same_as_uncached(project, imports, *args)
    assert text and ran == []


def test_a_new_revision_at_head_is_the_only_script_that_runs(
    scratch: Path, imports: Imports
) -> None:
    project = linear(scratch, 5)
    before = ok(mig(project, *SQL))
    imports.take()
    write_revisions(versions(project), [chain_rev(6)])
    after = ok(mig(project, *SQL))
    assert imports.take() == [rev_id(6)]
    old_steps = before[before.index("-- r01") : before.rindex("COMMIT;")]
    assert old_steps in after, "the old steps are printed as before"
    assert after == ok(mig(project, *SQL, no_cache=True))


@pytest.mark.parametrize("edited", [1, 3, 6])
def test_an_edited_revision_runs_again_with_everything_after_it(
    scratch: Path, imports: Imports, edited: int
) -> None:
    project = linear(scratch)
    before = ok(mig(project, *SQL))
    imports.take()
    write_revisions(versions(project), [chain_rev(edited, width=30)])
    after = ok(mig(project, *SQL))
    assert imports.take() == revisions(edited, 6)
    assert after != before
    assert f"VARCHAR({30 + (edited if edited > 1 else 0)})" in after
    assert after == ok(mig(project, *SQL, no_cache=True))
    imports.take()
    assert ok(mig(project, *SQL)) == after
    assert imports.take() == []


def test_an_edit_that_changes_nothing_it_records_still_runs_the_edited_script(
    scratch: Path, imports: Imports
) -> None:
    """The key is the script's bytes: a new comment is a new script (it may be the only
    thing that changed, but mig cannot know that without running it)."""
    project = linear(scratch)
    before = ok(mig(project, *SQL))
    imports.take()
    path = versions(project) / chain_rev(3).filename
    path.write_text(path.read_text(encoding="utf-8") + "# reviewed\n", encoding="utf-8")
    assert ok(mig(project, *SQL)) == before
    assert imports.take() == revisions(3, 6)


def test_a_script_edited_after_its_header_was_read_is_not_kept_under_the_old_key(
    scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The header index read r03 before the edit, the import read it after: the step ran
    other bytes than its key names, so nothing from r03 on is kept; put back as it was, the
    script gives what it gave before, not what the edited one did."""
    from offline_sql.script import loader

    project = linear(scratch)
    path = versions(project) / chain_rev(3).filename
    original = path.read_bytes()
    before = ok(mig(project, *SQL, no_cache=True))
    real = loader.load_script
    edited: list[str] = []

    def edit_first(script: str, revision: str) -> ModuleType:
        if not edited:  # r01's import comes first: every later script is imported after
            edited.append(revision)
            write_revisions(versions(project), [chain_rev(3, width=30)])
        return real(script, revision)

    with monkeypatch.context() as patch:
        patch.setattr(loader, "load_script", edit_first)
        during = ok(mig(project, *SQL))
    assert edited == [rev_id(1)] and "VARCHAR(33)" in during
    path.write_bytes(original)
    assert ok(mig(project, *SQL)) == before


def test_a_reviewed_range_runs_no_script_the_cache_holds(scratch: Path, imports: Imports) -> None:
    """``-o DIR`` needs the state before each reviewed step: it is folded from the cached
    steps (the renderings of the stdout run serve too), so the first ``-o`` imports only the
    reviewed revisions, for their downgrade() (the rollback files, the missing-downgrade
    check), which the stdout run never ran. What the review found and the downgrade checks
    are cached beside the renderings: a later ``-o`` imports no script. An edited revision
    runs again, with the ones after it, and nothing else."""
    project = linear(scratch)
    ok(mig(project, *SQL))
    imports.take()
    args = ("upgrade", "r04:head", "--sql")
    ok(mig(project, *args, "-o", "cold"))
    assert set(imports.take()) == {"r05", "r06"}
    ok(mig(project, *args, "-o", "warm"))
    assert imports.take() == []
    ok(mig(project, *args, "-o", "uncached", no_cache=True))
    for name in ("warm", "uncached"):
        assert listing(project / name) == listing(project / "cold")
    imports.take()
    path = versions(project) / chain_rev(5).filename
    path.write_text(path.read_text(encoding="utf-8") + "# reviewed\n", encoding="utf-8")
    ok(mig(project, *args, "-o", "edited"))
    assert set(imports.take()) == {"r05", "r06"}
    ok(mig(project, *args, "-o", "edited-uncached", no_cache=True))
    assert listing(project / "edited") == listing(project / "edited-uncached")


def test_a_log_a_script_appends_to_is_no_dependency(scratch: Path, imports: Imports) -> None:
    """Files opened only for writing are not inputs: the log grows on every real run, and
    a warm run must not run the script again because of it."""
    project = scratch
    log = project / "ran.log"
    logged = Rev(
        "a1",
        None,
        "create t",
        upgrade=f"with open({str(log)!r}, 'a') as handle:\n"
        "    handle.write('a1\\n')\n"
        'op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))',
    )
    make_project(project, [logged], settings={"script_location": "migrations", "dialect": "sqlite"})
    first = ok(mig(project, *SQL))
    assert log.read_text() == "a1\n"
    assert ok(mig(project, *SQL)) == first
    assert log.read_text() == "a1\n", "the warm run ran the script"
    assert imports.take() == ["a1"]


# ---- what a script reads -------------------------------------------------------------------

HELPER = "stepcache_project_helper"
"""A module the test project's scripts import; unique, so no other test has it loaded."""


def helper_source(length: int) -> str:
    return (
        "import sqlalchemy as sa\n\n"
        f"LENGTH = {length}\n\n\n"
        "def name_column(name: str) -> sa.Column:\n"
        "    return sa.Column(name, sa.String(LENGTH))\n"
    )


def project_reading_files(root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """r01 reads nothing; r02 imports the project's helper module; r03 executes a .sql file
    kept next to it; r04 reads nothing but comes after both."""
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # no stale .pyc after an edit
    lib = root / "lib"
    lib.mkdir(parents=True)
    (lib / f"{HELPER}.py").write_text(helper_source(20), encoding="utf-8")
    monkeypatch.syspath_prepend(str(lib))
    history = [
        chain_rev(1),
        Rev(
            "r02",
            "r01",
            "add nick",
            upgrade=f'import {HELPER}\nop.add_column("t01", {HELPER}.name_column("nick"))',
        ),
        Rev(
            "r03",
            "r02",
            "seed",
            upgrade="from pathlib import Path\n"
            'op.execute(Path(__file__).with_name("seed.sql").read_text(encoding="utf-8"))',
        ),
        Rev("r04", "r03", "add note", upgrade='op.add_column("t01", sa.Column("note", sa.Text))'),
    ]
    make_project(root, history, settings={"script_location": "migrations", "dialect": "mysql"})
    (versions(root) / "seed.sql").write_text(
        "INSERT INTO t01 (id, name) VALUES (1, 'first')", encoding="utf-8"
    )
    return root


def fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget the helper module, as a new ``mig`` process would not have it loaded."""
    monkeypatch.delitem(sys.modules, HELPER, raising=False)


def run_fresh(project: Path, monkeypatch: pytest.MonkeyPatch, *, no_cache: bool = False) -> str:
    fresh_process(monkeypatch)
    return ok(mig(project, *SQL, no_cache=no_cache))


def test_an_edited_helper_module_runs_its_importers_again(
    scratch: Path, monkeypatch: pytest.MonkeyPatch, imports: Imports
) -> None:
    project = project_reading_files(scratch, monkeypatch)
    before = run_fresh(project, monkeypatch)
    assert run_fresh(project, monkeypatch) == before
    imports.take()
    assert "VARCHAR(20)" in before and "nick" in before

    (project / "lib" / f"{HELPER}.py").write_text(helper_source(120), encoding="utf-8")
    after = run_fresh(project, monkeypatch)
    assert imports.take() == revisions(2, 4), "r01 read no helper; r02 did, r03.. follow it"
    assert after != before
    assert "nick VARCHAR(120)" in after
    assert after == run_fresh(project, monkeypatch, no_cache=True)
    imports.take()
    assert run_fresh(project, monkeypatch) == after
    assert imports.take() == []


def test_an_edited_data_file_runs_its_reader_again(
    scratch: Path, monkeypatch: pytest.MonkeyPatch, imports: Imports
) -> None:
    project = project_reading_files(scratch, monkeypatch)
    before = run_fresh(project, monkeypatch)
    imports.take()
    (versions(project) / "seed.sql").write_text(
        "INSERT INTO t01 (id, name) VALUES (2, 'second')", encoding="utf-8"
    )
    after = run_fresh(project, monkeypatch)
    assert imports.take() == revisions(3, 4)
    assert "'second'" in after and "'first'" not in after and "'first'" in before
    assert after == run_fresh(project, monkeypatch, no_cache=True)


def test_a_data_file_that_appears_is_read(
    scratch: Path, monkeypatch: pytest.MonkeyPatch, imports: Imports
) -> None:
    """A script that tries to open a file that is not there depends on it not being there."""
    project = project_reading_files(scratch, monkeypatch)
    optional = Rev(
        "r05",
        "r04",
        "optional",
        upgrade="from pathlib import Path\n"
        "try:\n"
        '    op.execute(Path(__file__).with_name("extra.sql").read_text(encoding="utf-8"))\n'
        "except FileNotFoundError:\n"
        "    pass",
    )
    write_revisions(versions(project), [optional])
    before = run_fresh(project, monkeypatch)
    imports.take()
    (versions(project) / "extra.sql").write_text("DELETE FROM t01 WHERE id = 42", encoding="utf-8")
    after = run_fresh(project, monkeypatch)
    assert imports.take() == ["r05"]
    assert "DELETE FROM t01 WHERE id = 42" in after and "id = 42" not in before
    assert after == run_fresh(project, monkeypatch, no_cache=True)


def test_an_edited_helper_module_is_seen_by_a_new_process(scratch: Path) -> None:
    """The same with real processes: nothing carried over in sys.modules."""
    assert MIG is not None
    project = scratch
    lib = project / "lib"
    lib.mkdir()
    (lib / f"{HELPER}.py").write_text(helper_source(20), encoding="utf-8")
    history = [
        chain_rev(1),
        Rev(
            "r02",
            "r01",
            "add nick",
            upgrade=f"import {HELPER}\nop.add_column(\"t01\", {HELPER}.name_column('nick'))",
        ),
        Rev("r03", "r02", "noop"),
    ]
    make_project(project, history, settings={"script_location": "migrations", "dialect": "mysql"})
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIG_")}
    env["PYTHONPATH"] = str(lib)
    env["PYTHONDONTWRITEBYTECODE"] = "1"

    def run(*extra: str) -> str:
        done = subprocess.run(
            [MIG, *extra, *SQL], cwd=project, env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    before = run()
    assert run() == before
    (lib / f"{HELPER}.py").write_text(helper_source(99), encoding="utf-8")
    after = run()
    assert "nick VARCHAR(99)" in after
    assert after == run("--no-cache")


# ---- the context ---------------------------------------------------------------------------


def warm(project: Path, imports: Imports, *args: str) -> str:
    """The output of a run whose cache is then warm (checked: a second run runs nothing)."""
    text = ok(mig(project, *args))
    imports.take()
    assert ok(mig(project, *args)) == text
    assert imports.take() == []
    return text


def test_another_version_table_runs_everything_again(scratch: Path, imports: Imports) -> None:
    project = linear(scratch)
    before = warm(project, imports, *SQL)
    config = project / "mig.toml"
    config.write_text(
        config.read_text(encoding="utf-8") + 'version_table = "schema_history"\n',
        encoding="utf-8",
    )
    after, ran = same_as_uncached(project, imports, *SQL)
    assert ran == revisions(1, 6)
    assert "schema_history" in after and "schema_history" not in before


def test_each_dialect_has_its_own_entries(scratch: Path, imports: Imports) -> None:
    project = linear(scratch)
    outputs = {}
    for dialect in ("postgresql", "mysql", "sqlite"):
        args = ("--dialect", dialect, *SQL)
        outputs[dialect] = ok(mig(project, *args))
        assert imports.take() == revisions(1, 6), f"{dialect} reused another dialect's entries"
        assert outputs[dialect] == ok(mig(project, *args, no_cache=True))
        imports.take()
    assert len(set(outputs.values())) == 3
    for dialect, text in outputs.items():  # switching back finds each dialect's entries
        assert ok(mig(project, "--dialect", dialect, *SQL)) == text
        assert imports.take() == []


def test_the_guard_option_is_part_of_the_rendering_key(scratch: Path, imports: Imports) -> None:
    project = linear(scratch)
    guarded = warm(project, imports, *SQL)
    unguarded, ran = same_as_uncached(project, imports, *SQL, "--no-guard")
    assert ran == revisions(1, 6)
    assert unguarded != guarded and "mig_guard" in guarded and "mig_guard" not in unguarded
    assert ok(mig(project, *SQL)) == guarded
    assert ok(mig(project, *SQL, "--no-guard")) == unguarded
    assert imports.take() == []


def test_an_edited_baseline_runs_everything_again(scratch: Path, imports: Imports) -> None:
    project = scratch
    existing = project / "existing.db"
    with sqlite3.connect(existing) as connection:
        connection.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL)")
    connection.close()
    history = [
        Rev("b1", None, "relax name", upgrade='op.alter_column("users", "name", nullable=True)'),
        Rev("b2", "b1", "add email", upgrade='op.add_column("users", sa.Column("e", sa.Text))'),
    ]
    make_project(
        project,
        history,
        settings={"script_location": "migrations", "url": "sqlite:///existing.db"},
    )
    ok(mig(project, "baseline", "--from", "database"))
    sql = ("--dialect", "mysql", *SQL)
    before = warm(project, imports, *sql)
    assert "VARCHAR(50)" in before
    recorded = project / "migrations" / "baseline.json"
    text = recorded.read_text(encoding="utf-8")
    assert text.count("50") == 2, "the compiled type and the SQLAlchemy one"
    recorded.write_text(text.replace("50", "80"), encoding="utf-8")
    after, ran = same_as_uncached(project, imports, *sql)
    assert ran == ["b1", "b2"]
    assert "VARCHAR(80)" in after and "VARCHAR(50)" not in after


def test_another_mig_runs_everything_again(
    scratch: Path, imports: Imports, monkeypatch: pytest.MonkeyPatch
) -> None:
    """mig's code and the libraries are digested into the first key (tool_fingerprint)."""
    from offline_sql.stepcache import keys

    project = linear(scratch)
    before = warm(project, imports, *SQL)
    monkeypatch.setattr(keys, "tool_fingerprint", lambda: "another mig")
    assert same_as_uncached(project, imports, *SQL) == (before, revisions(1, 6))
    assert ok(mig(project, *SQL)) == before
    assert imports.take() == []


def test_the_fingerprint_covers_the_code_and_the_libraries(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from offline_sql.stepcache import keys

    plain = keys.tool_fingerprint.__wrapped__()
    assert plain == keys.tool_fingerprint.__wrapped__()
    real_stamp = keys._package_stamp
    for library in ("sqlalchemy", "sqlglot"):
        with monkeypatch.context() as patch:
            patch.setattr(
                keys,
                "_package_stamp",
                lambda name, lib=library: "upgraded" if name == lib else real_stamp(name),
            )
            assert keys.tool_fingerprint.__wrapped__() != plain, library
    with monkeypatch.context() as patch:
        patch.setattr(sys, "version", sys.version + " (another build)")
        assert keys.tool_fingerprint.__wrapped__() != plain
    with monkeypatch.context() as patch:
        patch.setattr(keys, "__version__", "999.0")
        assert keys.tool_fingerprint.__wrapped__() != plain

    # An edited source file of the package (size or mtime), through a symlinked folder too.
    code = tmp_path / "code"
    (code / "sub").mkdir(parents=True)
    (code / "a.py").write_text("x = 1\n")
    (tmp_path / "linked").mkdir()
    (tmp_path / "linked" / "b.py").write_text("y = 1\n")
    (code / "dialects").symlink_to(tmp_path / "linked")
    stamps = [keys._tree_stamp(code)]
    os.utime(code / "a.py", ns=(1, 1))
    stamps.append(keys._tree_stamp(code))
    (tmp_path / "linked" / "b.py").write_text("y = 22\n")
    stamps.append(keys._tree_stamp(code))
    (code / "sub" / "new.py").write_text("")
    stamps.append(keys._tree_stamp(code))
    assert len(set(stamps)) == len(stamps)


def test_cache_false_in_the_configuration_writes_and_reads_nothing(
    scratch: Path, imports: Imports
) -> None:
    project = linear(scratch)
    config = project / "mig.toml"
    config.write_text(config.read_text(encoding="utf-8") + "cache = false\n", encoding="utf-8")
    first = ok(mig(project, *SQL))
    assert ok(mig(project, *SQL)) == first
    assert imports.take() == revisions(1, 6) * 2
    assert not (project / "migrations" / ".mig_cache").exists()


def test_no_cache_neither_reads_nor_writes(scratch: Path, imports: Imports) -> None:
    project = linear(scratch)
    ok(mig(project, *SQL, no_cache=True))
    assert not steps_file(project).exists()
    text = ok(mig(project, *SQL))
    rows = cache_rows(steps_file(project))
    imports.take()
    assert ok(mig(project, *SQL, no_cache=True)) == text
    assert imports.take() == revisions(1, 6), "--no-cache must not read the cache"
    assert cache_rows(steps_file(project)) == rows
