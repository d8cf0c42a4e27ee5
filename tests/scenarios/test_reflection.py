"""The schema-comparison harness: equal schemas compare equal, each difference is named."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping

import pytest
import sqlalchemy as sa
from databases import DIALECTS, ScratchDatabase, scratch_database
from reflection import Snapshot, diff, is_generated_name, normalize_sql, snapshot

# ---- normalization (no database) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("NOW()", "now()"),
        ("((x > 0))", "x > 0"),
        ("x  >\n 0", "x > 0"),
        ("( a ) + ( b )", "(a) + (b)"),
        ("CURRENT_TIMESTAMP", "current_timestamp"),
        ("`age` > 0", "age > 0"),
    ],
)
def test_normalize_sql_equates(a: str, b: str) -> None:
    assert normalize_sql(a) == normalize_sql(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("'ABC'", "'abc'"),
        ("'a  b'", "'a b'"),
        ("(a) + (b)", "a + b"),
        ("'(x)'", "'x'"),
    ],
)
def test_normalize_sql_keeps_differences(a: str, b: str) -> None:
    assert normalize_sql(a) != normalize_sql(b)


@pytest.mark.parametrize(
    ("name", "table", "columns", "generated"),
    [
        (None, "t", (), True),
        ("t_pkey", "t", (), True),
        ("t_parent_id_fkey", "t", ("parent_id",), True),
        ("t_parent_id_fkey1", "t", ("parent_id",), True),
        ("t_code_key", "t", ("code",), True),
        ("t_ibfk_2", "t", ("parent_id",), True),
        ("CONSTRAINT_1", "t", (), True),
        ("PRIMARY", "t", ("id",), True),
        ("sqlite_autoindex_t_1", "t", ("code",), True),
        ("code_2", "t", ("code",), True),
        ("fk_t_parent", "t", ("parent_id",), False),
        ("uq_code", "t", ("code",), False),
        ("other_pkey", "t", (), False),
    ],
)
def test_generated_names(
    name: str | None, table: str, columns: tuple[str, ...], generated: bool
) -> None:
    assert is_generated_name(name, table, columns) is generated


def _snap(**tables: Mapping[str, object]) -> Snapshot:
    return {"tables": dict(tables), "versions": ["aaa"]}


def test_diff_reads_as_a_path() -> None:
    a = _snap(users={"columns": {"id": {"type": "VARCHAR(10)"}}})
    b = _snap(users={"columns": {"id": {"type": "VARCHAR(20)"}}})
    assert diff(a, b) == [
        "table users / column id / type: 'VARCHAR(10)' (first) != 'VARCHAR(20)' (second)"
    ]


def test_diff_names_what_is_missing_on_each_side() -> None:
    a = _snap(users={"indexes": {"ix_a": {}}})
    b = _snap(users={"indexes": {"ix_b": {}}}, extra={})
    assert diff(a, b, labels=("offline", "online")) == [
        "table users / index ix_a: only in offline",
        "table users / index ix_b: only in online",
        "table extra: only in online",
    ]


# ---- real databases ------------------------------------------------------------------------

BASE: dict[str, str] = {
    "code": "code VARCHAR(20) NOT NULL, UNIQUE (code)",
    "name": "name VARCHAR(50) NOT NULL DEFAULT 'x'",
    "check": ", CHECK (id > 0)",
    "ondelete": "ON DELETE CASCADE",
    "index": "CREATE INDEX ix_child_name ON child (name)",
    "comment": "",
    "version": "aaa",
}


def schema_sql(overrides: Mapping[str, str] | None = None) -> list[str]:
    """The test schema with some parts replaced; one statement per item."""
    part = {**BASE, **(overrides or {})}
    statements = [
        f"CREATE TABLE parent (id INTEGER NOT NULL PRIMARY KEY, {part['code']})",
        "CREATE TABLE child (id INTEGER NOT NULL PRIMARY KEY, parent_id INTEGER, "
        f"{part['name']}{part['check']}, "
        f"FOREIGN KEY (parent_id) REFERENCES parent (id) {part['ondelete']})",
        part["index"],
        part["comment"],
        "CREATE TABLE mig_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)",
        f"INSERT INTO mig_version (version_num) VALUES ('{part['version']}')",
    ]
    return [s for s in statements if s]


TABLE_COMMENT = {
    "postgresql": "COMMENT ON TABLE child IS 'kids'",
    "mariadb": "ALTER TABLE child COMMENT = 'kids'",
}
"""Table comments are spelled differently per database (SQLite has none)."""

COLUMN_COMMENT = {
    "postgresql": "COMMENT ON COLUMN child.name IS 'display name'",
    "mariadb": "ALTER TABLE child MODIFY name VARCHAR(50) NOT NULL DEFAULT 'x' "
    "COMMENT 'display name'",
}


def build(db: ScratchDatabase, statements: list[str]) -> Snapshot:
    """Drop the test tables, run ``statements``, return the snapshot."""
    engine = db.engine()
    with engine.begin() as conn:
        for table in ("child", "parent", "mig_version"):
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
        for statement in statements:
            conn.exec_driver_sql(statement)
    return snapshot(engine)


MARKS = {"postgresql": pytest.mark.postgresql, "mariadb": pytest.mark.mysql}


@pytest.fixture(
    scope="module",
    params=[pytest.param(name, marks=MARKS.get(name, ()), id=name) for name in DIALECTS],
)
def db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ScratchDatabase]:
    """One database per dialect for the module: :func:`build` starts from empty tables."""
    with scratch_database(request.param, tmp_path_factory.mktemp("reflection")) as database:
        yield database


def test_snapshot_is_json(db: ScratchDatabase) -> None:
    snap = build(db, schema_sql())
    assert json.loads(json.dumps(snap)) == snap
    assert sorted(snap["tables"]) == ["child", "mig_version", "parent"]
    assert snap["versions"] == ["aaa"]


def test_rebuilt_schema_compares_equal(db: ScratchDatabase) -> None:
    first = build(db, schema_sql())
    second = build(db, schema_sql())
    assert diff(first, second) == []


def test_inline_and_table_level_unique_compare_equal(db: ScratchDatabase) -> None:
    table_level = build(db, schema_sql())
    inline = build(db, schema_sql({"code": "code VARCHAR(20) NOT NULL UNIQUE"}))
    assert diff(table_level, inline) == []


def test_exclude_leaves_tables_out(db: ScratchDatabase) -> None:
    build(db, schema_sql())
    snap = snapshot(db.engine(), exclude=["child"])
    assert sorted(snap["tables"]) == ["mig_version", "parent"]


def test_missing_version_table_is_none(db: ScratchDatabase) -> None:
    snap = build(db, schema_sql()[:2])
    assert snap["versions"] is None


DIFFERENCES: dict[str, tuple[dict[str, str], str]] = {
    "type length": (
        {"name": "name VARCHAR(60) NOT NULL DEFAULT 'x'"},
        "table child / column name / type:",
    ),
    "nullability": ({"name": "name VARCHAR(50) DEFAULT 'x'"}, "column name / nullable:"),
    "default": ({"name": "name VARCHAR(50) NOT NULL DEFAULT 'y'"}, "column name / default:"),
    "fk ondelete": (
        {"ondelete": "ON DELETE SET NULL"},
        "table child / foreign key (parent_id) -> parent(id) / ondelete:",
    ),
    "index": ({"index": ""}, "table child / index ix_child_name: only in first"),
    "unique": ({"code": "code VARCHAR(20) NOT NULL"}, "unique constraint (code): only in first"),
    "check": ({"check": ""}, "table child / check id > 0: only in first"),
    "version row": ({"version": "bbb"}, "versions:"),
}


@pytest.mark.parametrize("case", DIFFERENCES)
def test_difference_is_reported(db: ScratchDatabase, case: str) -> None:
    overrides, expected = DIFFERENCES[case]
    first = build(db, schema_sql())
    second = build(db, schema_sql(overrides))
    differences = diff(first, second)
    assert any(expected in line for line in differences), differences


@pytest.mark.parametrize("comments", [TABLE_COMMENT, COLUMN_COMMENT], ids=["table", "column"])
def test_comment_difference_is_reported(db: ScratchDatabase, comments: dict[str, str]) -> None:
    if db.dialect not in comments:
        pytest.skip(f"{db.dialect} has no comments")
    first = build(db, schema_sql())
    second = build(db, schema_sql({"comment": comments[db.dialect]}))
    differences = diff(first, second)
    assert len(differences) == 1, differences
    assert "comment" in differences[0]
    assert differences[0].startswith("table child /")


def test_type_is_compiled_with_length(db: ScratchDatabase) -> None:
    snap = build(db, schema_sql())
    assert snap["tables"]["child"]["columns"]["name"]["type"] == "VARCHAR(50)"
    assert snap["tables"]["child"]["columns"]["name"]["nullable"] is False


def test_default_schema_foreign_key_has_no_schema(db: ScratchDatabase) -> None:
    snap = build(db, schema_sql())
    assert list(snap["tables"]["child"]["foreign_keys"]) == ["(parent_id) -> parent(id)"]


def test_sqlalchemy_inspector_agrees_on_tables(db: ScratchDatabase) -> None:
    """Guard against the snapshot silently missing tables the inspector sees."""
    snap = build(db, schema_sql())
    assert sorted(snap["tables"]) == sorted(sa.inspect(db.engine()).get_table_names())
