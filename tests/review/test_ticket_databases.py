"""What a DBA receives (``upgrade --sql -o DIR``), applied with the real clients.

On PostgreSQL, MariaDB and SQLite the example project's three files are applied one by one
with ``psql``/``mariadb``/``sqlite3``. Before each file, every WRONG file (one behind: the
next-but-one file; re-applied: the previous file; never migrated: file 2 on a fresh
database) is applied first and must stop the client before it changes anything: exit
non-zero, a message naming the revisions found and expected, the schema snapshot unchanged.
The rollback files then take the database back to an empty version table, with the same
checks. Ranges not from base, the single-stream script and PostgreSQL's CREATE INDEX
CONCURRENTLY (which cannot run in a transaction block) are applied too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from databases import ScratchDatabase, ScriptFailed
from helpers import Rev, make_project
from reflection import diff, snapshot

from offline_sql.cli import cli
from offline_sql.dialect_api.registry import get_dialect

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shop" / "mig.toml"
REVISIONS = ("1f0e2a3b4c5d", "2a7b8c9d0e1f", "3c4d5e6f7a8b")
"""The example's history, base first."""
VERSION_TABLE = "mig_version"


def run_mig(*args: str) -> str:
    """``mig ARGS`` in process; returns stdout, fails the test on a non-zero exit."""
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


@dataclass(frozen=True)
class Ticket:
    """A generated directory and its scripts, in the order a DBA applies them."""

    root: Path
    files: tuple[Path, ...]
    rollback: tuple[Path, ...]


def generate_ticket(root: Path, dialect: str, target: str = "base:head") -> Ticket:
    run_mig("-c", str(EXAMPLE), "--dialect", dialect, "upgrade", target, "--sql", "-o", str(root))
    manifest = json.loads((root / "MANIFEST.json").read_text(encoding="utf-8"))
    files = tuple(root / entry["file"] for entry in manifest["entries"])
    rollback = tuple(sorted((root / "rollback").glob("*.sql")))
    return Ticket(root, files, rollback)


@pytest.fixture(scope="module")
def tickets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[str, str], Ticket]]:
    """(dialect, range) -> the directory, generated once for the module."""
    root = tmp_path_factory.mktemp("tickets")
    made: dict[tuple[str, str], Ticket] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MIG_URL", raising=False)
        patch.delenv("MIG_DIALECT", raising=False)
        for dialect in ("postgresql", "mariadb", "sqlite"):
            for target in ("base:head", f"{REVISIONS[0]}:head"):
                out = root / f"{dialect}-{target.replace(':', '-')}"
                made[dialect, target] = generate_ticket(out, dialect, target)
        yield made


# ---- helpers ---------------------------------------------------------------------------------


def versions(database: ScratchDatabase) -> list[str] | None:
    found: list[str] | None = snapshot(database.engine())["versions"]
    return found


def found_label(database: ScratchDatabase) -> str:
    """What a guard reports the database is at."""
    return ", ".join(versions(database) or ()) or "base"


def assert_refused(database: ScratchDatabase, script: Path, expected: str) -> None:
    """Applying ``script`` fails, names both revisions, and changes nothing."""
    before = snapshot(database.engine())
    found = found_label(database)
    with pytest.raises(ScriptFailed) as failure:
        database.apply_script(script)
    assert f"the database is at revision {found}, expected {expected}" in str(failure.value)
    after = snapshot(database.engine())
    assert diff(before, after, labels=("before", "after")) == []


def expected_before_upgrade(index: int) -> str:
    """The revision file ``index`` (0-based, base:head) expects to find."""
    return REVISIONS[index - 1] if index else "base"


def wrong_neighbours(scripts: tuple[Path, ...], applied: int) -> list[int]:
    """Indexes of wrong scripts with ``applied`` scripts already applied: the one after next
    (one behind; on a fresh database, never migrated) and the last one again (re-applied)."""
    wrong = [applied + 1] if applied + 1 < len(scripts) else []
    return wrong + ([applied - 1] if applied >= 1 else [])


def apply_upgrades(database: ScratchDatabase, ticket: Ticket, *, check_wrong: bool) -> None:
    for index, script in enumerate(ticket.files):
        if check_wrong:
            for wrong in wrong_neighbours(ticket.files, index):
                assert_refused(database, ticket.files[wrong], expected_before_upgrade(wrong))
        database.apply_script(script)
        assert versions(database) == [REVISIONS[index]]


def create_empty_version_table(database: ScratchDatabase) -> None:
    """Put ``database`` at base the way a first run leaves it: an empty version table."""
    dialect = get_dialect(database.dialect)
    statements = dialect.create_version_table(VERSION_TABLE, None)
    database.apply_script("".join(f"{s.sql}{dialect.terminator}\n" for s in statements))


# ---- the whole directory, file by file -------------------------------------------------------


def test_files_apply_in_order_and_wrong_files_change_nothing(
    any_database: ScratchDatabase, tickets: dict[tuple[str, str], Ticket]
) -> None:
    ticket = tickets[any_database.dialect, "base:head"]
    assert len(ticket.files) == 3
    apply_upgrades(any_database, ticket, check_wrong=True)
    tables = set(snapshot(any_database.engine())["tables"])
    assert tables == {"customers", "orders", "order_statuses", VERSION_TABLE}


def test_rollback_files_return_to_an_empty_version_table(
    any_database: ScratchDatabase, tickets: dict[tuple[str, str], Ticket]
) -> None:
    ticket = tickets[any_database.dialect, "base:head"]
    create_empty_version_table(any_database)
    empty = snapshot(any_database.engine())
    assert set(empty["tables"]) == {VERSION_TABLE} and empty["versions"] == []
    apply_upgrades(any_database, ticket, check_wrong=False)
    assert len(ticket.rollback) == 3
    for index, script in enumerate(ticket.rollback):
        for wrong in wrong_neighbours(ticket.rollback, index):
            assert_refused(any_database, ticket.rollback[wrong], REVISIONS[-1 - wrong])
        any_database.apply_script(script)
        below = len(REVISIONS) - 2 - index
        assert versions(any_database) == ([REVISIONS[below]] if below >= 0 else [])
    assert diff(empty, snapshot(any_database.engine()), labels=("before", "after")) == []


def test_upgrade_files_apply_again_after_rollback(
    any_database: ScratchDatabase, tickets: dict[tuple[str, str], Ticket]
) -> None:
    """A full round trip leaves a database the first file accepts again."""
    ticket = tickets[any_database.dialect, "base:head"]
    apply_upgrades(any_database, ticket, check_wrong=False)
    head = snapshot(any_database.engine())
    for script in ticket.rollback:
        any_database.apply_script(script)
    apply_upgrades(any_database, ticket, check_wrong=False)
    assert diff(head, snapshot(any_database.engine()), labels=("first", "second")) == []


# ---- a range not from base -------------------------------------------------------------------


def test_range_from_a_revision_expects_that_revision(
    any_database: ScratchDatabase, tickets: dict[tuple[str, str], Ticket]
) -> None:
    partial = tickets[any_database.dialect, f"{REVISIONS[0]}:head"]
    assert len(partial.files) == 2
    assert f"expected {REVISIONS[0]}" in partial.files[0].read_text(encoding="utf-8")
    assert_refused(any_database, partial.files[0], REVISIONS[0])
    any_database.apply_script(tickets[any_database.dialect, "base:head"].files[0])
    for script, revision in zip(partial.files, REVISIONS[1:], strict=True):
        any_database.apply_script(script)
        assert versions(any_database) == [revision]
    assert len(partial.rollback) == 2
    assert_refused(any_database, partial.rollback[1], REVISIONS[1])
    for script in partial.rollback:
        any_database.apply_script(script)
    assert versions(any_database) == [REVISIONS[0]]


def test_downgrade_directory_and_its_rollback(
    any_database: ScratchDatabase, tickets: dict[tuple[str, str], Ticket], tmp_path: Path
) -> None:
    """``downgrade head:base -o DIR`` takes a database at head to base; its rollback files
    (upgrades) bring it back to the same schema."""
    apply_upgrades(any_database, tickets[any_database.dialect, "base:head"], check_wrong=False)
    head = snapshot(any_database.engine())
    down = tmp_path / "down"
    run_mig("-c", str(EXAMPLE), "--dialect", any_database.dialect, "downgrade", "head:base",
            "--sql", "-o", str(down))  # fmt: skip
    files = sorted(down.glob("*.sql"))
    assert_refused(any_database, files[1], REVISIONS[1])
    for script in files:
        any_database.apply_script(script)
    assert set(snapshot(any_database.engine())["tables"]) == {VERSION_TABLE}
    for script in sorted((down / "rollback").glob("*.sql")):
        any_database.apply_script(script)
    assert diff(head, snapshot(any_database.engine()), labels=("head", "back")) == []


# ---- the single stream -----------------------------------------------------------------------


def test_stream_carries_the_guard(any_database: ScratchDatabase) -> None:
    """``upgrade r1:head --sql > deploy.sql`` on a database still at base stops at once."""
    stream = run_mig(
        "-c", str(EXAMPLE), "--dialect", any_database.dialect, "upgrade",
        f"{REVISIONS[0]}:head", "--sql",
    )  # fmt: skip
    before = snapshot(any_database.engine())
    with pytest.raises(ScriptFailed) as failure:
        any_database.apply_script(stream)
    assert f"the database is at revision base, expected {REVISIONS[0]}" in str(failure.value)
    assert diff(before, snapshot(any_database.engine())) == []


def test_stream_from_base_applies(any_database: ScratchDatabase) -> None:
    stream = run_mig(
        "-c", str(EXAMPLE), "--dialect", any_database.dialect, "upgrade", "base:head", "--sql"
    )
    any_database.apply_script(stream)
    assert versions(any_database) == [REVISIONS[-1]]


# ---- PostgreSQL: CREATE INDEX CONCURRENTLY ---------------------------------------------------

CONCURRENT = (
    Rev(
        "c0a1",
        None,
        "create items",
        upgrade='op.create_table("items", sa.Column("id", sa.Integer, primary_key=True),\n'
        '    sa.Column("sku", sa.String(20), nullable=False))',
        downgrade='op.drop_table("items")',
    ),
    Rev(
        "c0b2",
        "c0a1",
        "index sku concurrently",
        upgrade='op.create_index("ix_items_sku", "items", ["sku"], postgresql_concurrently=True)',
        downgrade='op.drop_index("ix_items_sku", table_name="items", postgresql_concurrently=True)',
    ),
)


@pytest.fixture
def concurrent_project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project", CONCURRENT)


def statement_lines(script: str) -> list[str]:
    return [line for line in script.splitlines() if line and not line.startswith("--")]


@pytest.mark.postgresql
def test_concurrent_index_sits_outside_the_transaction_and_applies(
    postgresql_database: ScratchDatabase, concurrent_project: Path
) -> None:
    stream = run_mig(
        "-c", str(concurrent_project), "--dialect", "postgresql", "upgrade", "head", "--sql"
    )
    lines = statement_lines(stream)
    create = lines.index("CREATE INDEX CONCURRENTLY ix_items_sku ON items (sku);")
    assert lines[create - 1] == "COMMIT;" and lines[create + 1] == "BEGIN;"
    assert "cannot run inside a transaction" in stream.split("CREATE INDEX CONCURRENTLY")[0]
    postgresql_database.apply_script(stream)
    indexes = snapshot(postgresql_database.engine())["tables"]["items"]["indexes"]
    assert "ix_items_sku" in indexes
    assert versions(postgresql_database) == ["c0b2"]


@pytest.mark.postgresql
def test_concurrent_index_files_and_rollback_apply(
    postgresql_database: ScratchDatabase, concurrent_project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    run_mig(
        "-c", str(concurrent_project), "--dialect", "postgresql", "upgrade", "base:head",
        "--sql", "-o", str(out),
    )  # fmt: skip
    files = sorted(out.glob("*.sql"))
    for script in files:
        postgresql_database.apply_script(script)
    assert versions(postgresql_database) == ["c0b2"]
    for script in sorted((out / "rollback").glob("*.sql")):
        postgresql_database.apply_script(script)
    assert set(snapshot(postgresql_database.engine())["tables"]) == {VERSION_TABLE}
