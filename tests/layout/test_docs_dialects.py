"""docs/dialects.md stays true to the code.

The facts table of each database section is compared with the dialect's flags; the header
lines the doc quotes are the framer's; every refusal in ``offline_sql/dialect_api/`` and
``dialects/`` has its message in the "What it cannot do" table, and refusals actually raised
(golden ``.error`` files and a set of rendered operations) match a row that names their
database; the tests and files the doc cites exist.
"""

from __future__ import annotations

import ast
import datetime as dt
import math
import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from dialect_support import col, state_of, table
from sqlalchemy.dialects import postgresql

from offline_sql import operations as ops
from offline_sql.dialect_api.base import Dialect, guard_message_parts
from offline_sql.dialect_api.registry import NAMES, get_dialect
from offline_sql.dialects.sqlite.dialect import SQLiteDialect
from offline_sql.errors import RenderError
from offline_sql.frame import FramedStep, FrameOptions, frame_script
from offline_sql.state import SchemaState

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "dialects.md"
CANNOT_DO = "## What it cannot do"
NO_SERVER = {
    "mssql": "checked by golden files, sqlfluff parsing per batch and vendor-rule tests, "
    "no server in CI",
    "oracle": "checked by golden files and sqlglot parsing, no server in CI",
}


# ---- reading the doc -------------------------------------------------------------------------


@cache
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


def flat(text: str) -> str:
    """Whitespace collapsed, so a sentence wrapped over lines still matches."""
    return " ".join(text.split())


def sections() -> dict[str, str]:
    """``## Title`` -> the text up to the next ``## `` heading."""
    parts = re.split(r"^## ", doc(), flags=re.M)[1:]
    return {part.split("\n", 1)[0].strip(): part for part in parts}


def section_of(name: str) -> str:
    found = [text for title, text in sections().items() if title.endswith(f"(`{name}`)")]
    assert len(found) == 1, f"docs/dialects.md needs one section titled '... (`{name}`)'"
    return found[0]


def table_rows(text: str) -> list[list[str]]:
    """Cells of the Markdown table rows in ``text`` (header and separator rows left out)."""
    rows = [line.strip()[1:-1] for line in text.splitlines() if line.startswith("| ")]
    cells = [[c.strip() for c in row.split(" | ")] for row in rows]
    return [c for c in cells if not set(c[0]) <= {"-"}][1:]


def facts(name: str) -> dict[str, str]:
    return {row[0]: row[1] for row in table_rows(section_of(name).split("\n\n", 2)[1])}


def code_spans(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


# ---- the refusal table -----------------------------------------------------------------------

PLACEHOLDER = re.compile(r"<[^<>]*>")


def template_regex(template: str) -> re.Pattern[str]:
    """``<...>`` (nested too) matches anything; the rest literally, up to the message's end."""
    marked = template
    while PLACEHOLDER.search(marked):
        marked = PLACEHOLDER.sub("\x00", marked)
    pieces = marked.split("\x00")
    assert sum(map(len, pieces)) >= 12, f"template too vague to check anything: {template}"
    return re.compile(".*?".join(re.escape(p) for p in pieces) + "$", re.S)


def databases(cell: str) -> set[str]:
    """The dialects a row applies to: ``all``, ``none of the six``, or the names it mentions."""
    if cell == "all":
        return set(NAMES)
    return {name for name in NAMES if re.search(rf"\b{name}\b", cell)}


def refusal_rows() -> list[tuple[set[str], list[str]]]:
    """(dialects, message templates) of each row of the "What it cannot do" table."""
    text = sections()[CANNOT_DO.removeprefix("## ")].split("\n## ")[0]
    return [(databases(row[0]), code_spans(row[2])) for row in table_rows(text)]


def rows_matching(message: str) -> list[set[str]]:
    return [
        names
        for names, templates in refusal_rows()
        if any(template_regex(t).search(message) for t in templates)
    ]


def assert_documented(dialect: str, message: str) -> None:
    matches = rows_matching(message)
    assert matches, f"no row of '{CANNOT_DO}' has this message: {message}"
    assert any(dialect in names for names in matches), (
        f"the rows matching {message!r} do not name {dialect}"
    )


# ---- sections and facts ----------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_every_registered_dialect_has_a_section(name: str) -> None:
    assert section_of(name)


@pytest.mark.parametrize("name", NAMES)
def test_facts_table_matches_the_dialect(name: str) -> None:
    dialect = get_dialect(name)
    table_ = facts(name)
    assert table_["Client"] == f"`{dialect.client_name}`"
    assert table_["Apply with"] == f"`{dialect.apply_hint.format(file='<this file>')}`"
    preamble = code_spans(table_["Preamble"]) if dialect.client_preamble else [table_["Preamble"]]
    assert preamble == (list(dialect.client_preamble) or ["none"])
    assert table_["Transactions"] == ("atomic" if dialect.transactional_ddl else "not atomic")
    assert table_["Identifier limit"] == str(dialect.max_identifier_length)


@pytest.mark.parametrize("name", ["mssql", "oracle"])
def test_databases_without_a_server_say_so(name: str) -> None:
    assert facts(name)["Checked by"] == NO_SERVER[name]


@pytest.mark.parametrize("name", ["postgresql", "mariadb", "sqlite"])
def test_applied_databases_name_their_client(name: str) -> None:
    assert f"applied with `{get_dialect(name).client_name}`" in facts(name)["Checked by"]


def test_sqlite_minimum_version_is_the_dialects() -> None:
    version = ".".join(map(str, SQLiteDialect.minimum_version))
    assert f"SQLite {version} (`ALTER TABLE ... DROP COLUMN`)" in section_of("sqlite")


def framed_comments(dialect: Dialect, per_migration: bool) -> list[str]:
    """Comment lines the framer writes for a one-revision script, after ``Apply with``."""
    step = FramedStep(
        revision="r2",
        message="m",
        direction="up",
        heads_before=("<heads before>",),
        heads_after=("r2",),
        statements=(),
        version_statements=(),
    )
    options = FrameOptions(transaction_per_migration=per_migration)
    lines = frame_script(dialect, [step], options).splitlines()
    prefix = dialect.comment_prefix
    comments = [line.removeprefix(prefix) for line in lines if line.startswith(prefix)]
    return [c for c in comments[2:] if not c.startswith(("Apply with", "r2:"))]


@pytest.mark.parametrize("per_migration", [False, True], ids=["one", "per-revision"])
@pytest.mark.parametrize("name", NAMES)
def test_header_and_block_notes_are_quoted(name: str, per_migration: bool) -> None:
    comments = framed_comments(get_dialect(name), per_migration)
    assert comments
    text = flat(doc())
    for comment in comments:
        assert flat(comment) in text, f"docs/dialects.md does not quote: {comment}"


@pytest.mark.parametrize("name", NAMES)
def test_guard_message_is_shown(name: str) -> None:
    before, _ = guard_message_parts(())
    assert flat(before) in flat(section_of(name))


# ---- refusals --------------------------------------------------------------------------------


def error_calls(tree: ast.AST) -> Iterator[ast.Call]:
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (isinstance(func, ast.Name) and func.id in ("RenderError", "LiteralError")) or (
            isinstance(func, ast.Attribute) and func.attr in ("unsupported", "_unsupported")
        ):
            yield node


def fixed_text(call: ast.Call) -> str:
    """The longest piece of constant text in a call's message arguments."""
    pieces = [
        node.value
        for arg in [*call.args, *(k.value for k in call.keywords)]
        for node in ast.walk(arg)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]
    return max((flat(p) for p in pieces), key=len, default="")


def refusal_sites() -> list[tuple[str, str]]:
    """Every refusal of the dialect interface and of each database's folder."""
    out = []
    interface = (ROOT / "offline_sql" / "dialect_api").glob("*.py")
    for path in sorted([*interface, *(ROOT / "dialects").rglob("*.py")]):
        for call in error_calls(ast.parse(path.read_text(encoding="utf-8"))):
            out.append((f"{path.relative_to(ROOT).as_posix()}:{call.lineno}", fixed_text(call)))
    return out


@pytest.mark.parametrize(("site", "text"), refusal_sites(), ids=[s for s, _ in refusal_sites()])
def test_every_refusal_in_dialects_is_in_the_doc(site: str, text: str) -> None:
    assert len(text) >= 12, f"{site}: message has too little fixed text to look for"
    assert text in flat(doc()), f"{site}: '{text}' is not in docs/dialects.md"


def test_refusal_rows_name_their_databases() -> None:
    rows = refusal_rows()
    assert len(rows) >= 40
    for _names, templates in rows:
        assert templates
        for template in templates:
            template_regex(template)
    assert all(names for names, _ in rows[:-1]), "only the internal row names no database"


def golden_errors() -> list[tuple[str, str]]:
    return [
        (path.stem, path.read_text(encoding="utf-8").strip())
        for path in sorted((ROOT / "golden").glob("*/*.error"))
    ]


@pytest.mark.parametrize(("dialect", "line"), golden_errors())
def test_golden_refusals_are_in_the_table(dialect: str, line: str) -> None:
    assert line.startswith("mig: error: ")
    assert_documented(dialect, line.removeprefix("mig: error: "))


def notes_state() -> SchemaState:
    return state_of(
        table(
            "notes",
            col("id", sa.Integer(), False),
            col("body", sa.Text()),
            pk=("id",),
        )
    )


Refusal = Callable[[Dialect], object]


def render(op: ops.Operation, state: SchemaState | None = None) -> Refusal:
    return lambda d: d.render(op, state if state is not None else notes_state())


def literal(value: object, type_: sa.types.TypeEngine[Any] | None = None) -> Refusal:
    return lambda d: d.literal(value, type_)


MYSQLS = ("mysql", "mariadb")
RESTATING = ("mysql", "mariadb", "mssql")
REFUSALS: list[tuple[tuple[str, ...], str, Refusal]] = [
    (NAMES, "unbound parameter", render(ops.Execute(sqltext="SELECT :x"))),
    (NAMES, "NUL in a string", literal("a\x00b", sa.String())),
    (NAMES, "enum value", literal("c", sa.Enum("a", "b", name="ab"))),
    (MYSQLS, "TEXT index", render(ops.CreateIndex("notes", index_name="ix", columns=("body",)))),
    (MYSQLS, "drop unknown constraint", render(ops.DropConstraint("notes", constraint_name="c"))),
    (
        MYSQLS,
        "ON DELETE SET DEFAULT",
        render(
            ops.CreateForeignKey(
                "notes",
                constraint_name="fk",
                referent_table="notes",
                local_cols=("id",),
                remote_cols=("id",),
                ondelete="SET DEFAULT",
            )
        ),
    ),
    (
        ("oracle",),
        "ON UPDATE CASCADE",
        render(
            ops.CreateForeignKey(
                "notes",
                constraint_name="fk",
                referent_table="notes",
                local_cols=("id",),
                remote_cols=("id",),
                onupdate="CASCADE",
            )
        ),
    ),
    (
        RESTATING,
        "alter unknown column",
        render(ops.AlterColumn("ghost", column_name="c", type_=sa.String(5))),
    ),
    (
        ("mssql", "oracle"),
        "autoincrement",
        render(ops.AlterColumn("notes", column_name="id", autoincrement=True)),
    ),
    (("mssql",), "drop primary key column", render(ops.DropColumn("notes", column_name="id"))),
    (
        ("oracle",),
        "long identifier",
        render(ops.CreateTable("t" * 129, items=(sa.Column("id", sa.Integer),))),
    ),
    (
        ("sqlite",),
        "recreate never",
        render(
            ops.BatchAlterTable(
                "notes",
                operations=(ops.AlterColumn("notes", column_name="body", type_=sa.String(5)),),
                recreate="never",
            )
        ),
    ),
    (
        ("sqlite",),
        "rebuild unknown table",
        render(ops.AlterColumn("ghost", column_name="c", type_=sa.String(5))),
    ),
    (("oracle",), "time of day", literal(dt.time(7, 5, 3))),
    (
        ("oracle",),
        "LOB index",
        render(ops.CreateIndex("notes", index_name="ix", columns=("body",))),
    ),
    (
        ("oracle",),
        "LOB type change",
        render(ops.AlterColumn("notes", column_name="body", type_=sa.String(5))),
    ),
    (
        ("oracle",),
        "NUMBER narrowing",
        render(ops.AlterColumn("notes", column_name="id", type_=sa.Numeric(8, 2))),
    ),
    (
        ("oracle",),
        "name with a line break",
        render(ops.AddColumn("notes", column=sa.Column("a\nhost x", sa.Integer))),
    ),
    (
        ("oracle",),
        "line with nowhere to cut",
        render(ops.Execute(sqltext="SELECT '" + "x" * 3000 + "' FROM dual")),
    ),
    (("sqlite", "mysql", "mssql"), "NaN float", literal(math.nan)),
    (("sqlite", "mysql", "mssql", "oracle"), "negative zero", literal(-0.0, sa.Float())),
    (("sqlite",), "integer beyond 64 bits", literal(2**63)),
    (("postgresql", *MYSQLS, "mssql"), "integer beyond BIGINT", literal(2**63, sa.BigInteger())),
    (("oracle",), "integer beyond NUMBER(19)", literal(10**19, sa.BigInteger())),
    (
        ("postgresql",),
        "enum label of 64 bytes",
        render(ops.CreateTable("t", items=(sa.Column("m", sa.Enum("é" * 32, name="e")),))),
    ),
    (
        (*MYSQLS, "sqlite"),
        "aware datetime",
        literal(dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)),
    ),
    (("mssql", "sqlite", "mysql"), "timedelta", literal(dt.timedelta(days=1))),
    (("mysql", "sqlite", "mssql", "oracle"), "array", literal([1], sa.ARRAY(sa.Integer()))),
    (("postgresql",), "jsonb NUL", literal({"a": "\x00"}, postgresql.JSONB())),
]


@pytest.mark.parametrize(
    ("dialect", "refuse"),
    [
        pytest.param(name, refuse, id=f"{what}-{name}")
        for names, what, refuse in REFUSALS
        for name in names
    ],
)
def test_rendered_refusals_are_in_the_table(dialect: str, refuse: Refusal) -> None:
    with pytest.raises(RenderError) as raised:
        refuse(get_dialect(dialect))
    assert_documented(dialect, str(raised.value))


# ---- citations -------------------------------------------------------------------------------


def cited_tests() -> list[str]:
    return sorted(set(re.findall(r"tests/[\w/]+\.py(?:::\w+)?", doc())))


@pytest.mark.parametrize("citation", cited_tests())
def test_cited_tests_exist(citation: str) -> None:
    path, _, name = citation.partition("::")
    source = (ROOT / path).read_text(encoding="utf-8")
    if name:
        assert re.search(rf"^def {name}\(", source, re.M), f"{citation} does not exist"


def test_cited_chained_test_names_exist() -> None:
    """``tests/x.py::a``, ``::b``: the second name belongs to the same file."""
    for path, rest in re.findall(r"(tests/[\w/]+\.py)::\w+`((?:, `::\w+`)+)", doc()):
        source = (ROOT / path).read_text(encoding="utf-8")
        for name in re.findall(r"::(\w+)", rest):
            assert re.search(rf"^def {name}\(", source, re.M), f"{path}::{name} does not exist"


@pytest.mark.parametrize(
    "cited", sorted(set(re.findall(r"(?:golden|dialects|offline_sql|docs)/[\w/.-]+\w", doc())))
)
def test_cited_files_exist(cited: str) -> None:
    assert (ROOT / cited).exists() or list(ROOT.glob(cited)), f"{cited} does not exist"
