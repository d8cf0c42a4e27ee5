"""``mig verify DIR`` and ``mig review [FROM:]TO`` through the CLI, on the example project.

verify: a fresh directory passes; a one-byte edit of any file (first, middle or last byte),
a deleted file and an added file each make it exit 1 naming the problem.
review: text, Markdown and JSON of ``r1:head``; exit 1 exactly when an error-level finding
is not allowed. The SQLite table rebuild (rows copied aside and back) is not a drop-table.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from helpers import Rev, make_project

from offline_sql.cli import cli
from offline_sql.dialect_api.registry import NAMES
from offline_sql.review import ReviewedStep, review
from offline_sql.statements import Statement

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shop" / "mig.toml"
REVISIONS = ("1f0e2a3b4c5d", "2a7b8c9d0e1f", "3c4d5e6f7a8b")

FILES = (
    "0001_*.sql",
    "0002_*.sql",
    "0003_*.sql",
    "rollback/0001_*.sql",
    "rollback/0002_*.sql",
    "rollback/0003_*.sql",
    "REVIEW.md",
    "MANIFEST.json",
)
"""Every file of the example's directory, as a pattern matching exactly one file."""


def mig(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated") / "out"
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MIG_URL", raising=False)
        patch.delenv("MIG_DIALECT", raising=False)
        result = mig("-c", str(EXAMPLE), "upgrade", "base:head", "--sql", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    return out


@pytest.fixture
def out(generated: Path, tmp_path: Path) -> Path:
    """A private copy of the generated directory, free to damage."""
    return Path(shutil.copytree(generated, tmp_path / "out"))


def one(root: Path, pattern: str) -> Path:
    matches = sorted(root.glob(pattern))
    assert len(matches) == 1, (pattern, matches)
    return matches[0]


def verify(root: Path) -> Result:
    return mig("verify", str(root))


# ---- verify ----------------------------------------------------------------------------------


def test_fresh_directory_verifies(out: Path) -> None:
    result = verify(out)
    assert result.exit_code == 0, result.stdout
    assert "7 files match MANIFEST.json" in result.stdout


def test_every_file_is_listed(generated: Path) -> None:
    found = sorted(p.relative_to(generated).as_posix() for p in generated.rglob("*.*"))
    assert found == sorted(one(generated, f).relative_to(generated).as_posix() for f in FILES)


@pytest.mark.parametrize("position", ["first", "middle", "last"])
@pytest.mark.parametrize("pattern", FILES)
def test_one_byte_edit_is_caught(out: Path, pattern: str, position: str) -> None:
    path = one(out, pattern)
    data = bytearray(path.read_bytes())
    index = {"first": 0, "middle": len(data) // 2, "last": len(data) - 1}[position]
    data[index] ^= 0x01
    path.write_bytes(bytes(data))
    result = verify(out)
    assert result.exit_code == 1
    assert path.relative_to(out).as_posix() in result.stdout


@pytest.mark.parametrize("pattern", FILES)
def test_deleted_file_is_caught(out: Path, pattern: str) -> None:
    path = one(out, pattern)
    path.unlink()
    result = verify(out)
    assert result.exit_code == 1
    name = path.relative_to(out).as_posix()
    assert f"missing: {name}" in result.stdout or f"{name} is missing" in result.stdout


@pytest.mark.parametrize("name", ["notes.txt", "0004_extra.sql", "rollback/0000_first.sql"])
def test_added_file_is_caught(out: Path, name: str) -> None:
    (out / name).write_bytes(b"SELECT 1;\n")
    result = verify(out)
    assert result.exit_code == 1
    assert f"added: {name}" in result.stdout


def test_swapped_upgrade_files_are_caught(out: Path) -> None:
    first, second = one(out, "0001_*.sql"), one(out, "0002_*.sql")
    a, b = first.read_bytes(), second.read_bytes()
    first.write_bytes(b)
    second.write_bytes(a)
    result = verify(out)
    assert result.exit_code == 1
    assert first.name in result.stdout and second.name in result.stdout


# ---- review ----------------------------------------------------------------------------------


def review_example(*extra: str, dialect: str = "sqlite") -> Result:
    return mig("-c", str(EXAMPLE), "--dialect", dialect, "review", f"{REVISIONS[0]}:head", *extra)


@pytest.mark.parametrize("dialect", NAMES)
def test_review_text_lists_the_range(dialect: str) -> None:
    result = review_example(dialect=dialect)
    assert result.exit_code == 0, result.stdout
    assert result.stdout.startswith(f"review ({dialect}): 0 errors")
    assert f"{REVISIONS[1]} upgrade: add loyalty points" in result.stdout
    assert f"{REVISIONS[2]} upgrade: seed order statuses" in result.stdout
    assert REVISIONS[0] not in result.stdout


def test_review_markdown() -> None:
    result = review_example("--format", "markdown", dialect="postgresql")
    assert result.exit_code == 0
    text = result.stdout
    assert text.startswith("# Migration review (postgresql)\n")
    assert f"## 1. {REVISIONS[1]}: add loyalty points to customers (upgrade)" in text
    assert "`pg-fk-not-valid`" in text and "- Rollback: available" in text


def test_review_json() -> None:
    result = review_example("--format", "json", dialect="postgresql")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert [step["revision"] for step in document["steps"]] == list(REVISIONS[1:])
    assert document["summary"]["error"] == 0 and document["summary"]["warning"] == 1
    rules = [f["rule"] for step in document["steps"] for f in step["findings"]]
    assert rules == ["pg-fk-not-valid"]


def test_review_markdown_equals_the_directory_review(generated: Path) -> None:
    result = mig("-c", str(EXAMPLE), "review", "base:head", "--format", "markdown")
    assert result.stdout == (generated / "REVIEW.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_review_exits_1_on_an_error_finding(fmt: str) -> None:
    result = mig("-c", str(EXAMPLE), "review", "head:base", "--downgrade", "--format", fmt)
    assert result.exit_code == 1
    assert "drop-table" in result.stdout


DROPS = (
    Rev("a1", None, "create users",
        upgrade='op.create_table("users", sa.Column("id", sa.Integer, primary_key=True))'),
    Rev("b2", "a1", "drop users", upgrade='op.drop_table("users")'),
)  # fmt: skip


@pytest.mark.parametrize("allowed", [False, True], ids=["counted", "allowed"])
def test_review_exit_follows_allow(tmp_path: Path, allowed: bool) -> None:
    history = (DROPS[0], Rev("b2", "a1", "drop users", upgrade='op.drop_table("users")',
               prelude='mig_allow = ("drop-table",)\n' if allowed else ""))  # fmt: skip
    config = make_project(tmp_path / "project", history)
    result = mig("-c", str(config), "review", "head")
    assert result.exit_code == (0 if allowed else 1)
    assert "drop-table" in result.stdout


# ---- the SQLite rebuild is not a drop-table --------------------------------------------------


def rebuild_statements(put_back: bool) -> list[Statement]:
    statements = [
        Statement("CREATE TABLE _mig_old_orders AS SELECT * FROM orders", table="orders"),
        Statement("DROP TABLE orders", table="orders"),
        Statement("CREATE TABLE orders (id INTEGER NOT NULL, PRIMARY KEY (id))", table="orders"),
    ]
    if put_back:
        statements.append(
            Statement("INSERT INTO orders (id) SELECT id FROM _mig_old_orders", table="orders")
        )
    return [*statements, Statement("DROP TABLE _mig_old_orders", table="orders")]


@pytest.mark.parametrize(("put_back", "flagged"), [(True, False), (False, True)])
def test_rebuild_keeps_rows_unless_they_are_not_put_back(put_back: bool, flagged: bool) -> None:
    step = ReviewedStep(
        "ab12", "m", "upgrade", rebuild_statements(put_back), existing_tables=frozenset({"orders"})
    )
    rules = [(f.rule, f.statement) for f in review([step], "sqlite", "sqlite").findings]
    assert (("drop-table", 1) in rules) == flagged
    assert ("drop-table", 4 if put_back else 3) not in rules  # the stash, created in the step


def test_example_on_sqlite_reviews_clean() -> None:
    """The example widens a column; SQLite rebuilds the table, and that loses no rows."""
    result = review_example()
    assert result.exit_code == 0
    assert "drop-table" not in result.stdout
