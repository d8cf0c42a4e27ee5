"""The command line as Alembic users type it: global options after the command, dialect
aliases, ``--format json``, ``-q``/``-v``, ``history -i``, ``current --check-heads``,
``stamp --purge``, ``upgrade --tag``, ``edit``, templates, ``-n``, help and completion."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from databases import ScratchDatabase
from helpers import BRANCHED, LINEAR, Rev, make_project

from offline_sql.cli import cli

MIG = Path(sys.executable).with_name("mig")

TABLES = (
    Rev(
        "aaa1",
        None,
        "create users",
        upgrade='op.create_table("users", sa.Column("id", sa.Integer, primary_key=True))',
        downgrade='op.drop_table("users")',
    ),
    Rev(
        "bbb2",
        "aaa1",
        "add email",
        upgrade='op.add_column("users", sa.Column("email", sa.String(50)))',
        downgrade='op.drop_column("users", "email")',
    ),
    Rev(
        "ccc3",
        "bbb2",
        "add tags",
        upgrade='op.create_table("tags", sa.Column("id", sa.Integer, primary_key=True))',
        downgrade='op.drop_table("tags")',
    ),
)
"""A linear history that really changes a SQLite database."""


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in list(os.environ):
        if name.startswith("MIG_"):
            monkeypatch.delenv(name)
    return CliRunner()


def mig(runner: CliRunner, config: Path, *args: str) -> Result:
    return runner.invoke(cli, ["-c", str(config), *args])


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


def one_error(result: Result, code: int, *fragments: str) -> None:
    assert result.exit_code == code, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("mig: error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def run_mig(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MIG_", "_MIG_"))}
    return subprocess.run(
        [str(MIG), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**clean, **env},
        check=False,
    )


# ---- 4. global options after the command; dialect aliases; a stale MIG_DIALECT ----------


def test_global_options_after_the_command_mean_the_same(tmp_path: Path, runner: CliRunner) -> None:
    config = make_project(tmp_path, TABLES)
    before = ok(
        runner.invoke(
            cli, ["-c", str(config), "--dialect", "postgresql", "upgrade", "head", "--sql"]
        )
    )
    after = ok(
        runner.invoke(
            cli, ["upgrade", "head", "--sql", "--dialect", "postgresql", "-c", str(config)]
        )
    )
    assert after.stdout == before.stdout
    assert "CREATE TABLE users" in after.stdout and "SERIAL" in after.stdout
    assert ok(runner.invoke(cli, ["heads", "-c", str(config)])).stdout == "ccc3 (head)\n"


def test_the_last_dialect_given_wins(tmp_path: Path, runner: CliRunner) -> None:
    config = make_project(tmp_path, TABLES)
    expected = ok(mig(runner, config, "--dialect", "mysql", "upgrade", "head", "--sql")).stdout
    result = ok(
        mig(runner, config, "--dialect", "oracle", "upgrade", "head", "--sql", "--dialect", "mysql")
    )
    assert result.stdout == expected


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("pg", "postgresql"),
        ("postgres", "postgresql"),
        ("postgresql+psycopg", "postgresql"),
        ("sqlserver", "mssql"),
        ("SQLServer", "mssql"),
        ("sqlite3", "sqlite"),
    ],
)
def test_dialect_aliases(tmp_path: Path, runner: CliRunner, alias: str, name: str) -> None:
    config = make_project(tmp_path, TABLES)
    expected = ok(mig(runner, config, "--dialect", name, "upgrade", "head", "--sql")).stdout
    assert (
        ok(mig(runner, config, "upgrade", "head", "--sql", "--dialect", alias)).stdout == expected
    )


def test_an_unknown_dialect_after_the_command_is_a_usage_error(
    tmp_path: Path, runner: CliRunner
) -> None:
    config = make_project(tmp_path, TABLES)
    one_error(
        mig(runner, config, "upgrade", "head", "--sql", "--dialect", "db2"),
        2,
        "'db2' is not one of",
        "mig upgrade --help",
    )


@pytest.mark.parametrize(
    "args",
    [("heads",), ("history",), ("show", "head"), ("branches",), ("revision", "-m", "next")],
)
def test_a_stale_mig_dialect_does_not_break_commands_needing_none(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    config = make_project(tmp_path, TABLES)
    monkeypatch.setenv("MIG_DIALECT", "db2")
    ok(mig(runner, config, *args))
    one_error(mig(runner, config, "upgrade", "head", "--sql"), 1, "MIG_DIALECT", "'db2'")


def test_a_stale_mig_dialect_does_not_break_init(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIG_DIALECT", "db2")
    ok(runner.invoke(cli, ["init", str(tmp_path / "app")]))
    assert (tmp_path / "app" / "mig.toml").is_file()


def test_mig_dialect_alias(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_project(tmp_path, TABLES)
    expected = ok(mig(runner, config, "--dialect", "postgresql", "upgrade", "head", "--sql")).stdout
    monkeypatch.setenv("MIG_DIALECT", "pg")
    assert ok(mig(runner, config, "upgrade", "head", "--sql")).stdout == expected


def test_traceback_after_the_command(tmp_path: Path, runner: CliRunner) -> None:
    config = make_project(tmp_path, TABLES)
    result = mig(runner, config, "show", "zzz9", "--traceback")
    assert result.exit_code != 0
    assert result.exception is not None and not isinstance(result.exception, SystemExit)


def test_console_script_global_options_after_the_command(tmp_path: Path) -> None:
    """End to end: the installed script, options after the command, an alias."""
    make_project(tmp_path, TABLES)
    done = run_mig("upgrade", "head", "--sql", "--dialect", "pg", "-c", "mig.toml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "CREATE TABLE users" in done.stdout
    assert "UPDATE mig_version SET version_num='ccc3' WHERE" in done.stdout


# ---- 5. --format json; -q / -v --------------------------------------------------------

REVISION_FIELDS: dict[str, type | tuple[type, ...]] = {
    "revision": str,
    "down_revisions": list,
    "branch_labels": list,
    "depends_on": list,
    "message": str,
    "path": str,
    "is_head": bool,
    "is_branch_point": bool,
    "is_merge_point": bool,
}
"""The fields docs/cli.md documents for a revision, and their JSON types."""


def revisions(result: Result) -> list[dict[str, Any]]:
    document = json.loads(ok(result).stdout)
    assert set(document) == {"format_version", "revisions"}
    assert document["format_version"] == 1
    records: list[dict[str, Any]] = document["revisions"]
    for record in records:
        for name, kind in REVISION_FIELDS.items():
            assert isinstance(record[name], kind), (name, record)
    return records


def test_heads_history_show_json(tmp_path: Path, runner: CliRunner) -> None:
    config = make_project(tmp_path, BRANCHED)
    heads = revisions(mig(runner, config, "heads", "--format", "json"))
    assert [r["revision"] for r in heads] == ["bbb2", "ccc3"]
    assert all(r["is_head"] and r["down_revisions"] == ["aaa1"] for r in heads)
    history = revisions(mig(runner, config, "history", "--format", "json"))
    assert [r["revision"] for r in history] == ["ccc3", "bbb2", "aaa1"]
    assert set(history[0]) == set(REVISION_FIELDS)  # is_current only with -i
    assert history[2]["is_branch_point"] and history[2]["down_revisions"] == []
    [shown] = revisions(mig(runner, config, "show", "bbb2", "--format", "json"))
    assert shown["message"] == "left side"
    assert Path(shown["path"]).name == "bbb2_left_side.py"
    ranged = revisions(mig(runner, config, "history", "-r", "aaa1:bbb2", "--format", "json"))
    assert [r["revision"] for r in ranged] == ["bbb2", "aaa1"]


def test_verify_json(tmp_path: Path, runner: CliRunner) -> None:
    config = make_project(tmp_path, TABLES)
    ticket = tmp_path / "ticket"
    ok(mig(runner, config, "upgrade", "head", "--sql", "-o", str(ticket)))
    document = json.loads(
        ok(runner.invoke(cli, ["verify", str(ticket), "--format", "json"])).stdout
    )
    assert document["ok"] is True and document["problems"] == []
    assert document["format_version"] == 1
    assert isinstance(document["files_checked"], int) and document["files_checked"] > 0
    next(ticket.glob("0001_*.sql")).write_text("-- edited\n")
    result = runner.invoke(cli, ["verify", str(ticket), "--format", "json"])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["ok"] is False and len(document["problems"]) == 1


def test_quiet_prints_only_errors(tmp_path: Path, runner: CliRunner) -> None:
    config = make_project(tmp_path, TABLES)
    result = ok(mig(runner, config, "-q", "revision", "-m", "quiet one"))
    assert (result.stdout, result.stderr) == ("", "")
    assert len(list((tmp_path / "migrations" / "versions").glob("*quiet_one.py"))) == 1
    result = ok(mig(runner, config, "revision", "-m", "quiet two", "--quiet"))
    assert (result.stdout, result.stderr) == ("", "")
    ticket = tmp_path / "ticket"
    result = ok(mig(runner, config, "upgrade", "head", "--sql", "-o", str(ticket), "-q"))
    assert (result.stdout, result.stderr) == ("", "")
    result = ok(runner.invoke(cli, ["-q", "verify", str(ticket)]))
    assert (result.stdout, result.stderr) == ("", "")
    # errors still print
    one_error(mig(runner, config, "-q", "show", "zzz9"), 1, "zzz9")


def test_quiet_silences_warnings(tmp_path: Path, runner: CliRunner) -> None:
    rev = Rev(
        "ddd4",
        "ccc3",
        "hint",
        upgrade='op.alter_column("users", "email", type_=sa.String(80), existing_nullable=False)',
    )
    config = make_project(tmp_path, (*TABLES, rev))
    loud = ok(mig(runner, config, "upgrade", "head", "--sql", "--no-cache"))
    assert "mig: warning: " in loud.stderr and "existing_nullable=False" in loud.stderr
    quiet = ok(mig(runner, config, "upgrade", "head", "--sql", "--no-cache", "-q"))
    assert quiet.stderr == ""
    assert quiet.stdout == loud.stdout


def test_verbose_before_or_after(tmp_path: Path, runner: CliRunner) -> None:
    config = make_project(tmp_path, TABLES)
    after = ok(mig(runner, config, "heads", "-v")).stdout
    assert "Path: " in after and "Parent: bbb2" in after
    assert ok(mig(runner, config, "-v", "heads")).stdout == after
    assert ok(mig(runner, config, "history", "--verbose")).stdout.count("Rev: ") == 3


def test_verbose_online_lists_statements(tmp_path: Path) -> None:
    make_project(tmp_path, TABLES)
    done = run_mig("-v", "upgrade", "head", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "mig: upgrade base -> aaa1: create users" in done.stderr
    assert re.search(r"^mig:   CREATE TABLE users", done.stderr, re.M), done.stderr
    quiet = run_mig("-q", "downgrade", "base", cwd=tmp_path)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")


# ---- 6. Alembic's options ------------------------------------------------------------


def versions_in(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT version_num FROM mig_version ORDER BY 1")]


def test_history_indicate_current(tmp_path: Path, runner: CliRunner) -> None:
    config = make_project(tmp_path, TABLES)
    ok(mig(runner, config, "upgrade", "bbb2"))
    text = ok(mig(runner, config, "history", "-i")).stdout
    assert text.splitlines() == [
        "bbb2 -> ccc3 (head), add tags",
        "aaa1 -> bbb2 (current), add email",
        "<base> -> aaa1, create users",
    ]
    records = revisions(mig(runner, config, "history", "--indicate-current", "--format", "json"))
    assert [(r["revision"], r["is_current"]) for r in records] == [
        ("ccc3", False),
        ("bbb2", True),
        ("aaa1", False),
    ]


def test_history_indicate_current_needs_the_database(tmp_path: Path, runner: CliRunner) -> None:
    config = make_project(tmp_path, TABLES, settings={"url": "sqlite:///missing/dir/app.db"})
    result = mig(runner, config, "history", "-i")
    assert result.exit_code == 1 and result.stderr.startswith("mig: error: ")


def test_current_check_heads(tmp_path: Path, runner: CliRunner) -> None:
    config = make_project(tmp_path, TABLES)
    ok(mig(runner, config, "upgrade", "bbb2"))
    result = mig(runner, config, "current", "--check-heads")
    assert result.stdout == "bbb2\n"
    one_error(result, 1, "not at head", "bbb2", "ccc3")
    ok(mig(runner, config, "upgrade", "head"))
    assert ok(mig(runner, config, "current", "--check-heads")).stdout == "ccc3 (head)\n"


def test_current_json(tmp_path: Path, runner: CliRunner) -> None:
    config = make_project(tmp_path, TABLES)
    ok(mig(runner, config, "upgrade", "bbb2"))
    document = json.loads(ok(mig(runner, config, "current", "--format", "json")).stdout)
    assert document == {
        "format_version": 1,
        "revisions": [
            {
                "revision": "bbb2",
                "is_head": False,
                "known": True,
                "half_applied": False,
                "message": "add email",
            }
        ],
    }


def test_stamp_purge(tmp_path: Path, runner: CliRunner) -> None:
    config = make_project(tmp_path, TABLES)
    db = tmp_path / "app.db"
    ok(mig(runner, config, "upgrade", "bbb2"))
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO mig_version VALUES ('zzz9')")  # from another branch
    one_error(mig(runner, config, "stamp", "head"), 2, "zzz9")
    assert versions_in(db) == ["bbb2", "zzz9"]
    ok(mig(runner, config, "stamp", "head", "--purge"))
    assert versions_in(db) == ["ccc3"]
    ok(mig(runner, config, "stamp", "aaa1", "--purge"))
    assert versions_in(db) == ["aaa1"]


def test_stamp_purge_on_a_fresh_database(tmp_path: Path, runner: CliRunner) -> None:
    config = make_project(tmp_path, TABLES)
    ok(mig(runner, config, "stamp", "bbb2", "--purge"))
    assert versions_in(tmp_path / "app.db") == ["bbb2"]


def test_stamp_purge_is_online_only(tmp_path: Path, runner: CliRunner) -> None:
    config = make_project(tmp_path, TABLES)
    one_error(mig(runner, config, "stamp", "head", "--purge", "--sql"), 2, "--purge", "online")


TAGGED = (
    *TABLES[:1],
    Rev(
        "bbb2",
        "aaa1",
        "tagged",
        upgrade="tag = op.get_context().get_tag_argument()\n"
        "op.execute(f\"INSERT INTO users (id) VALUES ({len(tag or '')})\")",
    ),
)


def test_upgrade_tag_reaches_the_scripts(tmp_path: Path, runner: CliRunner) -> None:
    config = make_project(tmp_path, TAGGED)
    plain = ok(mig(runner, config, "upgrade", "head", "--sql")).stdout
    assert "INSERT INTO users (id) VALUES (0);" in plain
    tagged = ok(mig(runner, config, "upgrade", "head", "--sql", "--tag", "release-42")).stdout
    assert "INSERT INTO users (id) VALUES (10);" in tagged  # not the cached untagged step
    assert ok(mig(runner, config, "upgrade", "head", "--sql")).stdout == plain
    ok(mig(runner, config, "upgrade", "head", "--tag", "abc"))  # online
    with sqlite3.connect(tmp_path / "app.db") as conn:
        assert [row[0] for row in conn.execute("SELECT id FROM users")] == [3]


def test_tag_outside_a_run_is_none(tmp_path: Path) -> None:
    from offline_sql.recorder import MigrationContext, Recorder, script_arguments

    context = MigrationContext(Recorder("r", "p.py", None, lambda op: None, True))  # type: ignore[arg-type]
    assert context.get_tag_argument() is None
    with script_arguments(tag="t"):
        assert context.get_tag_argument() == "t"


def test_edit_opens_the_revision_in_editor(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_project(tmp_path, TABLES)
    log = tmp_path / "edited.txt"
    editor = tmp_path / "editor.sh"
    editor.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{log}'\n")
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("VISUAL", raising=False)
    ok(mig(runner, config, "edit", "head"))
    ok(mig(runner, config, "edit", "aaa"))
    assert [Path(line).name for line in log.read_text().splitlines()] == [
        "ccc3_add_tags.py",
        "aaa1_create_users.py",
    ]


def test_edit_needs_one_revision(tmp_path: Path, runner: CliRunner) -> None:
    config = make_project(tmp_path, BRANCHED)
    one_error(mig(runner, config, "edit", "heads"), 1, "names 2 revisions", "bbb2, ccc3")


def test_list_templates_and_init_template(tmp_path: Path, runner: CliRunner) -> None:
    listed = ok(runner.invoke(cli, ["list_templates"])).stdout
    assert [line.split()[0] for line in listed.splitlines()] == ["generic", "pyproject"]
    ok(runner.invoke(cli, ["init", "--template", "pyproject", str(tmp_path / "a")]))
    pyproject = (tmp_path / "a" / "pyproject.toml").read_text()
    assert pyproject.startswith("[tool.mig]\n") and not (tmp_path / "a" / "mig.toml").exists()
    ok(runner.invoke(cli, ["-c", str(tmp_path / "a" / "pyproject.toml"), "revision", "-m", "x"]))
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "pyproject.toml").write_text('[project]\nname = "b"\n')
    ok(runner.invoke(cli, ["init", "-t", "generic", str(tmp_path / "b")]))
    assert (tmp_path / "b" / "mig.toml").is_file()
    assert "tool.mig" not in (tmp_path / "b" / "pyproject.toml").read_text()
    one_error(
        runner.invoke(cli, ["init", "-t", "fancy", str(tmp_path / "c")]),
        2,
        "'fancy'",
        "generic, pyproject",
    )
    assert not (tmp_path / "c").exists()


def test_name_needs_an_ini_config(tmp_path: Path, runner: CliRunner) -> None:
    config = make_project(tmp_path, TABLES)
    one_error(mig(runner, config, "-n", "db1", "heads"), 2, "-n/--name 'db1'", "alembic.ini")
    one_error(mig(runner, config, "heads", "--name", "db1"), 2, "alembic.ini")


# ---- 7. help and completion -------------------------------------------------------------


def all_commands() -> list[tuple[str, ...]]:
    assert isinstance(cli, click.Group)
    return [(), *((name,) for name in cli.commands)]


@pytest.mark.parametrize("path", all_commands(), ids=lambda p: " ".join(p) or "mig")
def test_help_has_examples_and_no_rest_markup(runner: CliRunner, path: tuple[str, ...]) -> None:
    text = ok(runner.invoke(cli, [*path, "--help"])).stdout
    assert "``" not in text, text
    assert not re.search(r":[a-z]+:`", text), text
    assert "Example" in text, text


def test_help_explains_targets(runner: CliRunner) -> None:
    top = ok(runner.invoke(cli, ["--help"])).stdout
    for word in ("head", "heads", "base", "label@head", "FROM:TO", "+1"):
        assert word in top
    for command in ("upgrade", "downgrade", "stamp"):
        assert "TARGET: a revision id" in ok(runner.invoke(cli, [command, "--help"])).stdout


def complete(cwd: Path, *words: str) -> subprocess.CompletedProcess[str]:
    """What bash completion gets for ``mig WORDS...`` (the last word being completed)."""
    return run_mig(
        cwd=cwd,
        _MIG_COMPLETE="bash_complete",
        COMP_WORDS=" ".join(["mig", *words]),
        COMP_CWORD=str(len(words)),
    )


def completions(done: subprocess.CompletedProcess[str]) -> list[str]:
    assert (done.returncode, done.stderr) == (0, "")
    found = [line.partition(",") for line in done.stdout.splitlines()]
    return [value for kind, _, value in found if kind == "plain"]


def test_completion_of_targets(tmp_path: Path) -> None:
    """Ids, words and labels, after FROM: too; the scripts are never imported (one that
    raises on import still completes) and nothing is printed on stderr."""
    revs = (
        Rev("aaa1", None, "create users", branch_labels="core"),
        Rev("bbb2", "aaa1", "add email", prelude="raise RuntimeError('imported!')"),
    )
    make_project(tmp_path, revs)
    assert completions(complete(tmp_path, "upgrade", "")) == [
        "head",
        "heads",
        "base",
        "aaa1",
        "bbb2",
        "core",
        "core@head",
        "core@base",
    ]
    assert completions(complete(tmp_path, "upgrade", "b")) == ["base", "bbb2"]
    assert completions(complete(tmp_path, "upgrade", "aaa1:h")) == ["aaa1:head", "aaa1:heads"]
    assert completions(complete(tmp_path, "show", "co")) == ["core", "core@head", "core@base"]
    assert completions(complete(tmp_path, "-c", "mig.toml", "downgrade", "a")) == ["aaa1"]
    assert completions(complete(tmp_path, "--dialect", "p")) == ["postgresql"]


def test_completion_never_fails_loudly(tmp_path: Path) -> None:
    assert completions(complete(tmp_path, "upgrade", "")) == []  # no config at all
    (tmp_path / "mig.toml").write_text("not toml [")
    assert completions(complete(tmp_path, "show", "a")) == []


def test_completion_imports_no_sqlalchemy(tmp_path: Path) -> None:
    make_project(tmp_path, LINEAR)
    code = (
        "import sys\n"
        "from offline_sql.cli import cli, _complete_target\n"
        "ctx = cli.make_context('mig', ['heads'], resilient_parsing=True)\n"
        "print([c.value for c in _complete_target(ctx, cli.params[0], 'c')])\n"
        "print('sqlalchemy' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "['ccc3']\nFalse\n"


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_documented_completion_scripts_exist(tmp_path: Path, shell: str) -> None:
    """README and docs/cli.md tell users to eval `_MIG_COMPLETE=<shell>_source mig`."""
    done = run_mig(cwd=tmp_path, _MIG_COMPLETE=f"{shell}_source")
    assert done.returncode == 0 and "_MIG_COMPLETE" in done.stdout, done.stderr
    docs = (Path(__file__).parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")
    assert f"_MIG_COMPLETE={shell}_source mig" in docs


def test_json_fields_are_documented() -> None:
    """Every field the JSON documents carry has a row in docs/cli.md (the schema users read)."""
    docs = (Path(__file__).parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")
    fields = [*REVISION_FIELDS, "is_current", "known", "half_applied", "ok", "differences"]
    fields += ["directory", "files_checked", "problems", "format_version"]
    for field in fields:
        assert f"`{field}`" in docs, field


# ---- on real servers ------------------------------------------------------------------


def test_alembic_options_on_a_real_database(
    tmp_path: Path, runner: CliRunner, any_database: ScratchDatabase
) -> None:
    """history -i, current --check-heads, stamp --purge and --tag on each database."""
    url = any_database.url.render_as_string(hide_password=False)
    config = make_project(tmp_path, TAGGED, settings={"url": url})
    ok(mig(runner, config, "upgrade", "aaa1"))
    one_error(mig(runner, config, "current", "--check-heads"), 1, "not at head")
    assert "aaa1 (current)" in ok(mig(runner, config, "history", "-i")).stdout
    ok(mig(runner, config, "upgrade", "head", "--tag", "abcd"))
    ok(mig(runner, config, "current", "--check-heads"))
    with any_database.engine().connect() as conn:
        assert [row[0] for row in conn.exec_driver_sql("SELECT id FROM users")] == [4]
        conn.exec_driver_sql("INSERT INTO mig_version (version_num) VALUES ('zzz9')")
        conn.commit()
    one_error(mig(runner, config, "current", "--check-heads"), 1, "zzz9")
    ok(mig(runner, config, "stamp", "aaa1", "--purge"))
    with any_database.engine().connect() as conn:
        rows = conn.exec_driver_sql("SELECT version_num FROM mig_version").all()
    assert [row[0] for row in rows] == ["aaa1"]


def test_main_in_process_leaves_no_logging_handler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``main`` shows progress while it runs only: a later in-process run (whose stderr may
    be another stream) gets no stale handler writing to a closed file."""
    import logging

    from offline_sql.cli import main

    make_project(tmp_path, TABLES)
    monkeypatch.chdir(tmp_path)
    logger = logging.getLogger("offline_sql")
    before = (list(logger.handlers), logger.level)
    with pytest.raises(SystemExit) as exited:
        main(["upgrade", "head"])
    assert exited.value.code == 0
    assert (list(logger.handlers), logger.level) == before
