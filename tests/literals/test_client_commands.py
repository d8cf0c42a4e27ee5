"""Nothing a developer writes may become a command of the DBA's client (issue 11).

Raw SQL, names, comments, defaults and data with a line the client runs itself (``\\!``,
``.shell``, ``system``, ``GO``, ``:!!``, ``$(``, ``/``, ``host``) are refused at generation
with one line naming the script line; what mig writes is proven harmless with the real
``psql``, ``mariadb`` and ``sqlite3``: a marker file the command would create never appears.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from databases import ScratchDatabase, ScriptFailed
from helpers import Rev, make_project

from offline_sql.cli import cli
from offline_sql.client_commands import find_client_command
from offline_sql.dialect_api.registry import NAMES, get_dialect
from offline_sql.errors import ClientCommandError
from offline_sql.frame import FramedStep, FrameOptions, frame_script
from offline_sql.statements import Statement

ALL = NAMES


def generate(runner: CliRunner, root: Path, dialect: str, *args: str) -> Result:
    return runner.invoke(
        cli, ["-c", str(root / "mig.toml"), "--dialect", dialect, "upgrade", "head", "--sql", *args]
    )


def project(root: Path, upgrade: str, prelude: str = "") -> Path:
    make_project(root, (Rev("a1", None, "hazard", upgrade=upgrade, prelude=prelude),))
    return root


def assert_refused(result: Result, *fragments: str, online: bool = False) -> None:
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    error = result.stderr
    if online:  # online progress ("mig: upgrade base -> a1: ...") may come before the error
        *progress, error = result.stderr.splitlines(keepends=True)
        assert all(line.startswith("mig: upgrade ") for line in progress), result.stderr
    assert error.startswith("mig: error: "), result.stderr
    assert error.count("\n") == 1, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


# ---- what each client treats as a command ----------------------------------------------------

COMMANDS = [
    ("postgresql", "\\! touch x"),
    ("postgresql", "SELECT 1; \\! touch x"),
    ("postgresql", "SELECT 1\n  \\i evil.sql"),
    ("mysql", "\\! touch x"),
    ("mariadb", "SELECT 1;\nsystem touch x"),
    ("mariadb", "SELECT 1; system touch x"),
    ("mariadb", "SELECT 1;\nsource evil.sql"),
    ("mariadb", "CREATE TABLE `a\\` (id INT); \\! touch x"),
    ("sqlite", ".shell touch x"),
    ("sqlite", "SELECT 1;\n.system touch x"),
    ("sqlite", "SELECT 1\ngo"),
    ("mssql", ":!! touch x"),
    ("mssql", "!! touch x"),
    ("mssql", "SELECT 1\nGO"),
    ("mssql", "SELECT 'a\nGO\nb'"),
    ("mssql", "SELECT '$(secret)'"),
    ("mssql", "SELECT 1\n:r evil.sql"),
    ("oracle", "host touch x"),
    ("oracle", "!touch x"),
    ("oracle", "@evil.sql"),
    ("oracle", "SELECT 1 FROM dual\n/"),
    ("oracle", "SELECT 'a;\nb' FROM dual"),
    ("oracle", "SELECT 1 FROM dual;\nhost touch x"),
    ("oracle", "SELECT 1\n#host touch x"),
]


@pytest.mark.parametrize(("dialect", "sql"), COMMANDS)
def test_client_command_found(dialect: str, sql: str) -> None:
    assert find_client_command(sql, get_dialect(dialect).client_syntax) is not None


PLAIN = [
    ("postgresql", "INSERT INTO t VALUES ('a\n\\! b', E'\\\\x', $$\n\\q$$) -- \\! c"),
    ("postgresql", 'CREATE TABLE "a\n\\! touch x" (id INTEGER)'),
    ("mysql", "INSERT INTO t VALUES ('it\\'s \\n\n\\! x') # \\! c"),
    ("mysql", "CREATE TABLE t (\n\tstatus INTEGER,\n\tsource TEXT,\n\t`system\nx` INT\n)"),
    ("sqlite", "INSERT INTO t VALUES ('a\n.shell touch x')"),
    ("sqlite", "SELECT\n  .5"),
    ("mssql", "CREATE TABLE t (\n\texit INTEGER,\n\tgo_on INTEGER\n)"),
    ("oracle", "UPDATE t\nSET x = 1"),
    ("oracle", "CREATE TABLE t (\n\thost INTEGER,\n\tstart_at DATE\n)"),
    ("oracle", "BEGIN\n  x := 1;\n  EXECUTE IMMEDIATE 'SELECT 1 FROM dual';\nEND;"),
]


@pytest.mark.parametrize(("dialect", "sql"), PLAIN)
def test_plain_sql_is_not_a_client_command(dialect: str, sql: str) -> None:
    block = sql.startswith("BEGIN")
    assert find_client_command(sql, get_dialect(dialect).client_syntax, block=block) is None


# ---- generation refuses, naming the script line -------------------------------------------------

RAW = {
    "postgresql": "\\\\! touch {marker}",
    "mariadb": "SELECT 1;\\nsystem touch {marker}",
    "mysql": "\\\\! touch {marker}",
    "sqlite": ".shell touch {marker}",
    "mssql": ":!! touch {marker}",
    "oracle": "host touch {marker}",
}
"""Raw SQL (as Python source) that each client runs as a shell command."""


@pytest.mark.parametrize("dialect", ALL)
def test_raw_sql_with_client_command_is_refused(
    tmp_path: Path, runner: CliRunner, dialect: str
) -> None:
    raw = RAW[dialect].format(marker=tmp_path / "marker")
    root = project(tmp_path, f'op.execute("SELECT 0")\nop.execute("{raw}")')
    result = generate(runner, root, dialect)
    assert_refused(result, "a1_hazard.py:", "op.execute", "client", "refuses")
    source = (root / "migrations" / "versions" / "a1_hazard.py").read_text().splitlines()
    number = source.index(f'    op.execute("{raw}")') + 1
    assert f"a1_hazard.py:{number} " in result.stderr


@pytest.mark.parametrize("dialect", ALL)
@pytest.mark.parametrize(
    "strict", [pytest.param(("--strict",), id="strict"), pytest.param((), id="plain")]
)
def test_refused_also_with_output_dir_and_strict(
    tmp_path: Path, runner: CliRunner, dialect: str, strict: tuple[str, ...]
) -> None:
    raw = RAW[dialect].format(marker=tmp_path / "marker")
    root = project(tmp_path, f'op.execute("{raw}")')
    result = generate(runner, root, dialect, "-o", str(tmp_path / "out"), *strict)
    assert_refused(result, "op.execute")
    assert not (tmp_path / "out").exists()


NAME_HAZARDS = {
    "table name": 'op.create_table("t\\n{cmd}", sa.Column("id", sa.Integer))',
    "column name": 'op.create_table("t", sa.Column("c\\n{cmd}", sa.Integer))',
    "comment": 'op.create_table("t", sa.Column("id", sa.Integer, comment="c\\n{cmd}"))',
    "default": 'op.create_table("t", sa.Column("c", sa.Text, server_default="d\\n{cmd}"))',
    "data": (
        't = op.create_table("t", sa.Column("c", sa.Text))\n'
        'op.bulk_insert(t, [{{"c": "v\\n{cmd}"}}])'
    ),
}
"""Places where a developer's text lands in a statement, with ``{cmd}`` after a newline."""

QUOTE_BLIND = {"mssql": "GO", "oracle": "/"}
"""Clients that read their commands inside quoted text too: a newline + command in any text
is refused."""


@pytest.mark.parametrize("dialect", list(QUOTE_BLIND))
@pytest.mark.parametrize("place", list(NAME_HAZARDS))
def test_quote_blind_clients_never_see_a_command_line_from_text(
    tmp_path: Path, runner: CliRunner, dialect: str, place: str
) -> None:
    """Refused, or written so that no line of the script is the command (the literal is
    spelled with NCHAR(10)/CHR(10)): the script has exactly the framer's own ``GO``/``/``."""
    command = QUOTE_BLIND[dialect]

    def command_lines(text: str, folder: str) -> int:
        root = project(tmp_path / folder, NAME_HAZARDS[place].format(cmd=text))
        result = generate(runner, root, dialect)
        if result.exit_code:
            assert_refused(result, "a1_hazard.py:", "client")
            return -1
        return sum(line.strip() == command for line in result.stdout.splitlines())

    hazard = command_lines(command, "hazard")
    assert hazard in (-1, command_lines("x", "plain"))


def test_framer_refuses_what_reaches_it_another_way() -> None:
    dialect = get_dialect("postgresql")
    step = FramedStep(
        revision="a1",
        message="m",
        direction="up",
        heads_before=(),
        heads_after=("a1",),
        statements=(),
        version_statements=(Statement("SELECT 1;\n\\! touch x", kind="version"),),
    )
    with pytest.raises(ClientCommandError, match=r"revision a1: line \d+ of the generated"):
        frame_script(dialect, [step], FrameOptions())


# ---- the real clients ------------------------------------------------------------------------

CLIENT_RAW = {
    "postgresql": "\\! touch {marker}",
    "mariadb": "SELECT 1;\nsystem touch {marker}",
    "sqlite": ".shell touch {marker}",
}


@pytest.mark.parametrize(
    "database",
    [
        pytest.param("postgresql", marks=pytest.mark.postgresql),
        pytest.param("mariadb", marks=pytest.mark.mysql),
        "sqlite",
    ],
)
def test_real_client_would_run_it_and_mig_refuses(
    tmp_path: Path, runner: CliRunner, database: str, request: pytest.FixtureRequest
) -> None:
    """The hazard is real (the client runs the raw text), and mig refuses to emit it."""
    db: ScratchDatabase = request.getfixturevalue(f"{database}_database")
    marker = tmp_path / "marker"
    raw = CLIENT_RAW[database].format(marker=marker)
    db.apply_script(raw + "\n")
    assert marker.exists(), "the client did not run the command: the test proves nothing"
    marker.unlink()
    root = project(tmp_path, f"op.execute({raw!r})")
    assert_refused(generate(runner, root, database), "op.execute", "client")


@pytest.mark.parametrize("place", list(NAME_HAZARDS))
def test_quoted_text_with_commands_stays_text(
    tmp_path: Path, runner: CliRunner, any_database: ScratchDatabase, place: str
) -> None:
    """psql, mariadb and sqlite3 read quotes: the text lands in the database as written and
    the command never runs."""
    marker = tmp_path / "marker"
    cmd = {
        "postgresql": f"\\\\! touch {marker}",
        "mariadb": f"system touch {marker}",
        "sqlite": f".shell touch {marker}",
    }[any_database.dialect]
    root = project(tmp_path, NAME_HAZARDS[place].format(cmd=cmd))
    result = generate(runner, root, any_database.dialect)
    if result.exit_code == 0:
        # The database may refuse such a name; the client must still not run the command.
        with contextlib.suppress(ScriptFailed):
            any_database.apply_script(result.stdout)
    else:
        assert_refused(result, "a1_hazard.py:")
    assert not marker.exists()


TRAILING = [
    "INSERT INTO t (v) VALUES ('a') -- note",
    "INSERT INTO t (v) VALUES ('b -- not a comment'); -- note",
    "INSERT INTO t (v) VALUES ('c') /* note */ -- note",
    "INSERT INTO t (v) VALUES ('d') -- note;\n-- more",
]


def test_trailing_comments_do_not_swallow_the_next_statement(
    tmp_path: Path, runner: CliRunner, any_database: ScratchDatabase
) -> None:
    rows = ["a", "b -- not a comment", "c", "d", "e"]
    hash_comment = any_database.dialect == "mariadb"
    body = ['op.create_table("t", sa.Column("v", sa.String(40)))']
    body += [f"op.execute({sql!r})" for sql in TRAILING]
    last = "INSERT INTO t (v) VALUES ('e')" + (" # note" if hash_comment else "")
    body.append(f"op.execute({last!r})")
    root = project(tmp_path, "\n".join(body))
    result = generate(runner, root, any_database.dialect)
    assert result.exit_code == 0, result.output
    any_database.apply_script(result.stdout)
    with any_database.engine().connect() as connection:
        found = [row[0] for row in connection.exec_driver_sql("SELECT v FROM t ORDER BY v")]
    assert found == rows


@pytest.mark.parametrize("dialect", ALL)
@pytest.mark.parametrize("sql", ["SELECT 1 /* open", "SELECT 'open"])
def test_unterminated_raw_sql_is_refused(
    tmp_path: Path, runner: CliRunner, dialect: str, sql: str
) -> None:
    root = project(tmp_path, f"op.execute({sql!r})")
    assert_refused(generate(runner, root, dialect), "a1_hazard.py:", "unterminated")


# ---- what a script prints, and scripts that exit ---------------------------------------------


def test_print_goes_to_stderr_and_output_is_the_same_cold_and_warm(
    tmp_path: Path, runner: CliRunner
) -> None:
    marker = tmp_path / "marker"
    root = project(
        tmp_path,
        f'print("\\\\! touch {marker}")\nop.execute("SELECT 1")',
        prelude=f'print("\\\\! touch {marker}")',
    )
    cold = generate(runner, root, "postgresql")
    warm = generate(runner, root, "postgresql")
    assert cold.exit_code == warm.exit_code == 0, cold.output
    assert "touch" not in cold.stdout
    assert cold.stdout == warm.stdout
    assert cold.stderr.count(f"\\! touch {marker}") == 2


def test_print_goes_to_stderr_from_the_python_api(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from offline_sql import commands
    from offline_sql.config import load_config

    root = project(tmp_path, 'print("printed")\nop.execute("SELECT 1")')
    config = load_config(root / "mig.toml")
    script = commands.upgrade(config, "head", sql=True)
    assert script is not None and "printed" not in script
    captured = capsys.readouterr()
    assert "printed" not in captured.out
    assert "printed" in captured.err
    # -o DIR on a project of its own: on the same one the step cache serves the step
    # without running the script again (nothing printed at all).
    fresh = project(tmp_path / "fresh", 'print("printed")\nop.execute("SELECT 1")')
    commands.upgrade(load_config(fresh / "mig.toml"), "head", sql=True, output=tmp_path / "out")
    captured = capsys.readouterr()
    assert "printed" not in captured.out and "printed" in captured.err
    assert not any("printed" in p.read_text() for p in (tmp_path / "out").rglob("*.sql"))


def test_print_goes_to_stderr_in_a_real_subprocess(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = project(tmp_path, 'print("printed")\nop.execute("SELECT 1")')
    mig = shutil.which("mig", path=str(Path(sys.executable).parent)) or "mig"
    done = subprocess.run(
        [mig, "-c", str(root / "mig.toml"), "upgrade", "head", "--sql"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "printed" not in done.stdout and "printed" in done.stderr


EXITS = {
    "sys.exit(0)": "import sys\nsys.exit(0)",
    "exit()": "exit()",
    "quit(3)": "quit(3)",
    "raise SystemExit": "raise SystemExit",
}


@pytest.mark.parametrize("where", ["upgrade", "import"])
@pytest.mark.parametrize("call", list(EXITS))
def test_a_script_that_exits_is_an_error(
    tmp_path: Path, runner: CliRunner, call: str, where: str
) -> None:
    code = EXITS[call]
    if where == "upgrade":
        root = project(tmp_path, 'op.execute("SELECT 1")\n' + code)
    else:
        root = project(tmp_path, "pass", prelude=code)
    assert_refused(generate(runner, root, "sqlite"), "a1_hazard.py:", "must not exit")


# ---- online mode refuses the same, and keeps prints off stdout -----------------------------------


def test_online_refuses_the_same_raw_sql(tmp_path: Path, runner: CliRunner) -> None:
    marker = tmp_path / "marker"
    root = project(tmp_path, f'op.execute(".shell touch {marker}")')
    result = runner.invoke(cli, ["-c", str(root / "mig.toml"), "upgrade", "head"])
    assert_refused(result, "a1_hazard.py:", "sqlite3", online=True)
    assert not marker.exists()


def test_online_prints_go_to_stderr(tmp_path: Path, runner: CliRunner) -> None:
    root = project(tmp_path, 'print("printed")\nop.execute("SELECT 1")')
    result = runner.invoke(cli, ["-c", str(root / "mig.toml"), "upgrade", "head"])
    assert result.exit_code == 0, result.output
    assert "printed" not in result.stdout and "printed" in result.stderr


def test_messages_are_comments_and_checked_as_such(tmp_path: Path, runner: CliRunner) -> None:
    """A message is written as a comment line: harmless for psql, but sqlcmd replaces
    ``$(name)`` inside comments too, so the framer refuses it there, naming the revision."""
    marker = tmp_path / "marker"
    make_project(tmp_path, (Rev("a1", None, "hazard"),))
    (tmp_path / "migrations" / "versions" / "a1_hazard.py").write_text(
        f'"""msg \\\\! touch {marker} $(HOME)"""\n\nrevision = "a1"\ndown_revision = None\n\n\n'
        "def upgrade() -> None:\n    pass\n\n\ndef downgrade() -> None:\n    pass\n"
    )
    written = generate(runner, tmp_path, "postgresql")
    assert written.exit_code == 0, written.output
    assert f"-- a1: msg \\! touch {marker} $(HOME) (base -> a1)" in written.stdout
    assert_refused(
        generate(runner, tmp_path, "mssql"), "revision a1: line", "generated mssql script", "$("
    )
