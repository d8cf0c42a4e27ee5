"""Property: for every dialect and every place a developer's text lands (names, comments,
defaults, enum labels, data, raw SQL, messages, revision ids), no line of the script mig
writes is a client command that the text put there.

Either mig refuses (one line ``mig: error: ...``, exit 1) or the script is harmless:
PostgreSQL, MariaDB/MySQL and SQLite scripts are run by the real ``psql``, ``mariadb`` and
``sqlite3`` and the shell command the text carries (``touch <marker>``) must never run;
for sqlcmd and SQL*Plus (no client here) the script must hold no more command lines
(``GO``, ``/``, ``:!!``, ``host``, a line ending in ``;``...) than the same script written
with plain text in the same place.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from databases import DatabasePool, DialectName, ScratchDatabase, ScriptFailed
from helpers import toml_table
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from offline_sql.cli import cli

MARKER = "{marker}"

COMMANDS = (
    f"\\! touch {MARKER}",
    f"system touch {MARKER}",
    f".shell touch {MARKER}",
    f".system touch {MARKER}",
    f"\\o |touch {MARKER}",
    f"source {MARKER}",
    f":!! touch {MARKER}",
    f"!! touch {MARKER}",
    "GO",
    "go 2",
    "/",
    ".",
    f"host touch {MARKER}",
    f"!touch {MARKER}",
    f"@{MARKER}",
    f"#host touch {MARKER}",
    "$(SECRET)",
    ";",
)
"""Lines one client or another runs itself (each carries the marker when it can)."""

BREAKS = ("\n", "\r\n", "\r", "\n ", "\n\t")

PLACES: dict[str, str] = {
    "table name": "op.create_table({t!r}, sa.Column('id', sa.Integer))",
    "column name": "op.create_table('t', sa.Column({t!r}, sa.Integer))",
    "index name": (
        "op.create_table('t', sa.Column('id', sa.Integer))\n"
        "op.create_index({t!r}, 't', ['id'])"
    ),
    "comment": (
        "op.create_table('t', sa.Column('id', sa.Integer, comment={t!r}), comment={t!r})"
    ),
    "default": "op.create_table('t', sa.Column('c', sa.String(300), server_default={t!r}))",
    "enum label": "op.create_table('t', sa.Column('c', sa.Enum('a', {t!r}, name='e')))",
    "data": (
        "t = op.create_table('t', sa.Column('c', sa.String(300)))\n"
        "op.bulk_insert(t, [{{'c': {t!r}}}])"
    ),
    "raw sql": "op.execute('SELECT 1')\nop.execute({t!r})",
    "raw sql literal": "op.execute(\"SELECT '\" + {t!r}.replace(\"'\", \"''\") + \"'\")",
    "message": "op.execute('SELECT 1')",
    "revision id": "op.execute('SELECT 1')",
}
"""Python source of an ``upgrade()`` body with the text ``t`` in one place."""


def script_source(place: str, text: str) -> str:
    message = text if place == "message" else "hazard"
    revision = text if place == "revision id" else "a1"
    body = PLACES[place].format(t=text)
    indented = "\n".join(f"    {line}" for line in body.splitlines())
    return (
        f"{message!r}\n\nimport sqlalchemy as sa\n\nfrom offline_sql import op\n\n"
        f"revision = {revision!r}\ndown_revision = None\nbranch_labels = None\n"
        f"depends_on = None\n\n\ndef upgrade() -> None:\n{indented}\n\n\n"
        "def downgrade() -> None:\n    pass\n"
    )


def generate(root: Path, dialect: str, place: str, text: str) -> Result:
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    (root / "mig.toml").write_text(
        toml_table({"script_location": "migrations", "dialect": dialect, "cache": False})
    )
    (versions / "a1_hazard.py").write_text(script_source(place, text), encoding="utf-8")
    return CliRunner().invoke(cli, ["-c", str(root / "mig.toml"), "upgrade", "head", "--sql"])


def refused_or_written(result: Result) -> str | None:
    """The script, or None when mig refused it the way every user error is refused."""
    if result.exit_code == 0:
        return result.stdout
    assert result.exit_code == 1, (result.exit_code, result.output, result.exception)
    assert result.stderr.startswith("mig: error: "), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stdout == ""
    return None


@st.composite
def hazards(draw: st.DrawFn) -> tuple[str, str]:
    """(place, text with a newline and a client command in it); the text holds
    ``{marker}`` where the marker path goes."""
    place = draw(st.sampled_from(sorted(PLACES)))
    before = draw(st.sampled_from(["", "a", "x'", 'x"', "x;", "a b", "x -- c"]))
    after = draw(st.sampled_from(["", "\n", "\nz", "'", '"', ";", "\n;", " tail"]))
    command = draw(st.sampled_from(COMMANDS))
    return place, before + draw(st.sampled_from(BREAKS)) + command + after


# ---- clients that are here: the command must never run -------------------------------------

REAL: dict[str, DialectName] = {
    "postgresql": "postgresql",
    "mysql": "mariadb",
    "mariadb": "mariadb",
    "sqlite": "sqlite",
}
_MARKS = {"postgresql": pytest.mark.postgresql, "mariadb": pytest.mark.mysql}


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabasePool]:
    databases = DatabasePool(tmp_path_factory.mktemp("pool"))
    yield databases
    databases.close()


@pytest.mark.parametrize(
    "dialect",
    [pytest.param(d, marks=_MARKS.get(REAL[d], ()), id=d) for d in REAL],
)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=hazards())
@example(case=("raw sql", f"SELECT 1;\n\\! touch {MARKER}"))
@example(case=("raw sql", f"SELECT 1;\nsystem touch {MARKER}"))
@example(case=("raw sql", f"SELECT 1; system touch {MARKER}"))
@example(case=("raw sql", f"SELECT 1;\n.shell touch {MARKER}"))
@example(case=("raw sql literal", f"\n.shell touch {MARKER}"))
@example(case=("data", f"\n\\! touch {MARKER}"))
def test_real_client_never_runs_a_command_from_text(
    pool: DatabasePool, dialect: str, case: tuple[str, str]
) -> None:
    place, template = case
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        marker = root / "marker"
        text = template.replace(MARKER, str(marker))
        script = refused_or_written(generate(root / "project", dialect, place, text))
        if script is None:
            return
        (database,) = pool.take(REAL[dialect], 1)
        apply(database, script)
        assert not marker.exists(), f"{dialect} client ran a command from {place}: {text!r}"


def apply(database: ScratchDatabase, script: str) -> None:
    # A database may refuse such a name or value; what matters is that the client ran
    # no command of its own.
    with contextlib.suppress(ScriptFailed):
        database.apply_script(script)


# ---- clients that are not here: no more command lines than with plain text ------------------

COMMAND_LINE = {
    "mssql": re.compile(r"(?i)^\s*(?:GO\b|:|!!|(?:EXIT|QUIT|RESET|ED)\s*(?:\(.*)?$)|.*\$\("),
    "oracle": re.compile(r"(?i)^\s*(?:/\s*$|\.\s*$|#)|.*;\s*$"),
}
"""Lines sqlcmd and SQL*Plus read as their own on any line, inside quotes too (a simple
model, independent of mig's)."""

STATEMENT_START = {
    "mssql": re.compile(r"^$"),
    "oracle": re.compile(r"(?i)^\s*(?:@|!|\$|host\b|ho\b|start\b|sta\b|set\b|spool\b)"),
}
"""Lines SQL*Plus reads as its own where a statement starts: after a line ending in ``;``,
a ``/`` line, a comment line or another command line."""


def command_lines(dialect: str, script: str) -> int:
    count = 0
    starts = True
    for line in script.splitlines():
        if not line.strip():
            continue
        if line.startswith("--"):  # sqlcmd replaces $(name) in comments too
            command = dialect == "mssql" and "$(" in line
        else:
            command = bool(COMMAND_LINE[dialect].match(line)) or (
                starts and bool(STATEMENT_START[dialect].match(line))
            )
        count += command
        starts = command or line.startswith("--") or line.rstrip().endswith(";")
    return count


@pytest.mark.parametrize("dialect", list(COMMAND_LINE))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=hazards())
def test_no_command_line_comes_from_text(dialect: str, case: tuple[str, str]) -> None:
    place, template = case
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        text = template.replace(MARKER, str(root / "marker"))
        script = refused_or_written(generate(root / "hazard", dialect, place, text))
        if script is None:
            return
        # The same line breaks with harmless words: a text with a line break may be written
        # another way (Oracle runs such a comment through EXECUTE IMMEDIATE and a "/" line).
        harmless = re.sub(r"[^\r\n]+", "plain", text)
        plain = refused_or_written(generate(root / "plain", dialect, place, harmless))
        assert plain is not None
        assert command_lines(dialect, script) <= command_lines(dialect, plain), script
