"""Literal rendering and compiling for the six databases: one table, one sub-test per dialect."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mssql, mysql, postgresql
from sqlalchemy.schema import CreateTable

from offline_sql.dialect_api.base import Dialect
from offline_sql.dialect_api.compiling import compilation_for, mock_engine
from offline_sql.dialect_api.registry import NAMES, get_dialect
from offline_sql.errors import RenderError

ALL = NAMES


def make_dialect(name: str) -> Dialect:
    """A fresh instance of the registered dialect (its compilation is cached per instance)."""
    return get_dialect(name)


class Color(enum.Enum):
    RED = "r"
    GREEN = "g"


class Size(str, enum.Enum):
    BIG = "big"


UTC = dt.timezone.utc
PLUS_2 = dt.timezone(dt.timedelta(hours=2))
UID = uuid.UUID("12345678-1234-5678-1234-567812345678")


def every(expected: str) -> dict[str, str]:
    return dict.fromkeys(ALL, expected)


def by_family(pg: str, my: str, lite: str, ms: str, ora: str) -> dict[str, str]:
    """Expected literals where MySQL and MariaDB agree."""
    return dict(postgresql=pg, mysql=my, mariadb=my, sqlite=lite, mssql=ms, oracle=ora)


# (id, value, type, {dialect: expected literal})
CASES: list[tuple[str, Any, sa.types.TypeEngine[Any] | None, dict[str, str]]] = [
    ("none", None, None, every("NULL")),
    ("none-typed", None, sa.Integer(), every("NULL")),
    ("true", True, None, by_family("true", "1", "1", "1", "1")),
    ("false", False, sa.Boolean(), by_family("false", "0", "0", "0", "0")),
    ("int-as-boolean", 1, sa.Boolean(), by_family("true", "1", "1", "1", "1")),
    ("int", -42, None, every("-42")),
    # Untyped: exact where a longer literal is an exact number (SQLite reads a REAL: refused).
    ("big-int", 2**70, None, {k: str(2**70) for k in ALL if k != "sqlite"}),
    ("int64-edges", -(2**63), sa.BigInteger(), every(str(-(2**63)))),
    ("int64-max", 2**63 - 1, sa.BigInteger(), every(str(2**63 - 1))),
    ("int32-max", 2**31 - 1, sa.Integer(), every(str(2**31 - 1))),
    ("uint64-max", 2**64 - 1, mysql.BIGINT(unsigned=True), {"mysql": str(2**64 - 1)}),
    ("int-beyond-32-on-sqlite", 2**40, sa.Integer(), {"sqlite": str(2**40)}),
    ("numeric-untyped-precision", 10**12, sa.Numeric(), {"postgresql": str(10**12)}),
    ("float", 1.5, None, {**every("1.5"), "sqlite": "(3.0 / 2)"}),
    ("float-integral", -3.0, None, every("-3.0")),
    ("float-exponent", 1e-300, None, {k: "1e-300" for k in ALL if k != "sqlite"}),
    ("float-huge", 2.0**70, None, {"sqlite": f"({2**52}.0 * {2**18})"}),
    ("decimal", decimal.Decimal("1.50"), None, every("1.50")),
    ("decimal-exponent", decimal.Decimal("1E+3"), None, every("1000")),
    ("decimal-small", decimal.Decimal("1E-7"), None, every("0.0000001")),
    ("str", "it's", None, every("'it''s'")),
    ("percent", "100% %s %(x)s", None, every("'100% %s %(x)s'")),
    ("tab", "a\tb", None, every("'a\tb'")),
    ("colon", ":name", None, every("':name'")),
    (
        "backslash",
        "a\\b",
        None,
        by_family("'a\\b'", "'a\\\\b'", "'a\\b'", "'a\\b'", "'a\\b'"),
    ),
    (
        "crlf",
        "a\r\nb",
        None,
        by_family(
            "'a\r\nb'",
            "'a\\r\nb'",
            "('a' || char(13) || '\nb')",
            "('a' + NCHAR(13) + NCHAR(10) + 'b')",
            "('a' || CHR(13) || CHR(10) || 'b')",
        ),
    ),
    (
        "unicode",
        "\u00e9\U0001f600",
        None,
        by_family("'\u00e9\U0001f600'", "'\u00e9\U0001f600'", "'\u00e9\U0001f600'",
                  "N'\u00e9\U0001f600'", "'\u00e9\U0001f600'"),
    ),
    (
        "client-variables",
        "$(x)&y",
        None,
        by_family("'$(x)&y'", "'$(x)&y'", "'$(x)&y'", "('$' + '(x)&y')",
                  "('$(x)' || CHR(38) || 'y')"),
    ),
    (
        "bytes",
        b"\x00\xffA",
        None,
        by_family("'\\x00ff41'::bytea", "X'00FF41'", "X'00FF41'", "0x00FF41", "HEXTORAW('00FF41')"),
    ),
    ("empty-bytes", b"", None, by_family("'\\x'::bytea", "X''", "X''", "0x", "HEXTORAW('')")),
    ("memoryview", memoryview(b"\x01"), None, by_family("'\\x01'::bytea", "X'01'", "X'01'",
                                                         "0x01", "HEXTORAW('01')")),
    ("str-into-binary", "é", sa.LargeBinary(), by_family("'\\xc3a9'::bytea", "X'C3A9'",
                                                         "X'C3A9'", "0xC3A9", "HEXTORAW('C3A9')")),
    (
        "date",
        dt.date(2024, 2, 29),
        None,
        by_family("DATE '2024-02-29'", "'2024-02-29'", "'2024-02-29'", "'20240229'",
                  "DATE '2024-02-29'"),
    ),
    (
        "datetime",
        dt.datetime(2024, 2, 29, 13, 5, 9, 120000),
        None,
        by_family(
            "TIMESTAMP '2024-02-29 13:05:09.120000'",
            "'2024-02-29 13:05:09.120000'",
            "'2024-02-29 13:05:09.120000'",
            "'2024-02-29T13:05:09.120'",
            "TIMESTAMP '2024-02-29 13:05:09.120000'",
        ),
    ),
    (
        "datetime-micro",
        dt.datetime(2024, 1, 1, 0, 0, 0, 5),
        None,
        {"mssql": "CAST('2024-01-01T00:00:00.000005' AS DATETIME2)"},
    ),
    (
        "datetime-aware",
        dt.datetime(2024, 1, 1, 10, 0, tzinfo=PLUS_2),
        None,
        {
            "postgresql": "TIMESTAMP WITH TIME ZONE '2024-01-01 10:00:00+02:00'",
            "mssql": "'2024-01-01T10:00:00+02:00'",
            "oracle": "TIMESTAMP '2024-01-01 10:00:00.000000 +02:00'",
        },
    ),
    (
        "time",
        dt.time(1, 2, 3),
        None,
        {
            "postgresql": "TIME '01:02:03'",
            "mysql": "'01:02:03'",
            "sqlite": "'01:02:03.000000'",
            "mssql": "'01:02:03'",
        },
    ),
    (
        "uuid",
        UID,
        None,
        every("'12345678-1234-5678-1234-567812345678'"),
    ),
    (
        "uuid-typed",
        UID,
        sa.Uuid(),
        {
            "postgresql": "'12345678-1234-5678-1234-567812345678'",
            "mysql": "'12345678123456781234567812345678'",
            "mariadb": "'12345678-1234-5678-1234-567812345678'",  # native UUID type
            "sqlite": "'12345678123456781234567812345678'",
            "mssql": "'12345678-1234-5678-1234-567812345678'",
            "oracle": "'12345678123456781234567812345678'",
        },
    ),
    (
        "json",
        {"b": [1, "é\n"], "a": None},
        sa.JSON(),
        by_family(
            """'{"b": [1, "é\\n"], "a": null}'::json""",
            """'{"b": [1, "é\\\\n"], "a": null}'""",
            """'{"b": [1, "é\\n"], "a": null}'""",
            """N'{"b": [1, "é\\n"], "a": null}'""",
            "HEXTORAW('" + '{"b": [1, "é\\n"], "a": null}'.encode().hex().upper() + "')",
        ),
    ),
    ("jsonb", [1], postgresql.JSONB(), {"postgresql": "'[1]'::jsonb"}),
    ("json-none", None, sa.JSON(), {"postgresql": "'null'::json", "sqlite": "'null'"}),
    ("json-none-as-null", None, sa.JSON(none_as_null=True), every("NULL")),
    ("json-str", "x", sa.JSON(), {"sqlite": "'\"x\"'"}),
    ("enum-member", Color.RED, sa.Enum(Color), every("'RED'")),
    ("enum-name", "GREEN", sa.Enum(Color), every("'GREEN'")),
    (
        "enum-values-callable",
        Color.RED,
        sa.Enum(Color, values_callable=lambda e: [m.value for m in e]),
        every("'r'"),
    ),
    ("enum-untyped", Color.GREEN, None, every("'GREEN'")),
    ("str-enum-untyped", Size.BIG, None, every("'big'")),
    ("float-inf", float("inf"), None, {"postgresql": "'Infinity'::float8", "sqlite": "1e999",
                                        "oracle": "BINARY_DOUBLE_INFINITY"}),
    ("float-nan", float("nan"), None, {"postgresql": "'NaN'::float8",
                                        "oracle": "BINARY_DOUBLE_NAN"}),
    ("decimal-nan", decimal.Decimal("NaN"), None, {"postgresql": "'NaN'::numeric"}),
    ("float-negative-zero", -0.0, sa.Float(), {"postgresql": "'-0'::float8"}),
    ("float-positive-zero", 0.0, sa.Float(), every("0.0")),
    (
        "interval",
        dt.timedelta(days=1, seconds=2, microseconds=3),
        None,
        {
            "postgresql": "INTERVAL '1 days 2.000003 seconds'",
            "oracle": "INTERVAL '1 00:00:02.000003' DAY(9) TO SECOND(6)",
        },
    ),
    (
        "interval-typed",
        dt.timedelta(seconds=1),
        sa.Interval(),
        {"sqlite": "'1970-01-01 00:00:01.000000'", "mysql": "'1970-01-01 00:00:01'"},
    ),
    ("array", [1, 2], postgresql.ARRAY(sa.Integer), {"postgresql": "ARRAY[1, 2]"}),
    ("array-empty", [], postgresql.ARRAY(sa.Integer), {"postgresql": "'{}'"}),
]


def _flatten() -> list[Any]:
    return [
        pytest.param(name, value, type_, literal, id=f"{case}-{name}")
        for case, value, type_, expected in CASES
        for name, literal in expected.items()
    ]


@pytest.mark.parametrize(("dialect", "value", "type_", "expected"), _flatten())
def test_literal(dialect: str, value: Any, type_: Any, expected: str) -> None:
    assert make_dialect(dialect).literal(value, type_) == expected


# (id, value, type, dialects that must refuse it, words the message must contain)
ERRORS: list[tuple[str, Any, Any, tuple[str, ...], str]] = [
    ("nul", "a\x00b", None, ALL, "NUL"),
    ("nul-json", {"k": "\x00"}, postgresql.JSONB(), ("postgresql",), "jsonb"),
    ("object", object(), None, ALL, "builtins.object"),
    ("dict-untyped", {"a": 1}, None, ALL, "builtins.dict"),
    ("set", {1}, sa.JSON(), ALL, "JSON"),
    ("json-nan", [float("nan")], sa.JSON(), ALL, "JSON"),
    ("enum-unknown", "BLUE", sa.Enum(Color), ALL, "BLUE"),
    ("float-inf", float("inf"), None, ("mysql", "mariadb", "mssql"), "inf"),
    ("float-nan", float("nan"), None, ("mysql", "mariadb", "sqlite", "mssql"), "nan"),
    ("decimal-inf", decimal.Decimal("Infinity"), None, ("sqlite", "mssql", "oracle"), "Decimal"),
    ("int-beyond-64-bits", 2**63, None, ("sqlite",), "integers run from -9223372036854775808"),
    ("int-below-64-bits", -(2**63) - 1, sa.Float(), ("sqlite",), "rounded REAL"),
    (
        "bigint-overflow",
        2**63,
        sa.BigInteger(),
        ("postgresql", "mysql", "mariadb", "sqlite", "mssql"),
        "cannot store the integer 9223372036854775808",
    ),
    (
        "integer-overflow",
        2**31,
        sa.Integer(),
        ("postgresql", "mysql", "mariadb", "mssql"),
        r"in a column of type INTEGER \(-2147483648 to 2147483647\): use a wider",
    ),
    ("smallint-overflow", -(2**15) - 1, sa.SmallInteger(), ("postgresql", "mysql"), "SMALLINT"),
    ("tinyint-overflow", 128, mysql.TINYINT(), ("mysql", "mariadb"), "TINYINT"),
    ("tinyint-negative", -1, mssql.TINYINT(), ("mssql",), r"TINYINT \(0 to 255\)"),
    ("unsigned-negative", -1, mysql.BIGINT(unsigned=True), ("mysql",), "BIGINT UNSIGNED"),
    ("numeric-digits", 10**10, sa.Numeric(10, 0), ("postgresql", "mysql", "oracle"), "NUMERIC"),
    ("numeric-scale", 10**8, sa.Numeric(10, 2), ("postgresql", "mssql"), r"99999999\)"),
    ("mysql-bare-numeric", 10**10, sa.Numeric(), ("mysql",), r"9999999999\)"),
    ("oracle-number-19", 10**19, sa.BigInteger(), ("oracle",), r"NUMBER\(19\)"),
    (
        "float-negative-zero",
        -0.0,
        sa.Float(),
        ("mysql", "mariadb", "sqlite", "mssql", "oracle"),
        r"sign of the float -0\.0: .* pass 0\.0",
    ),
    ("aware", dt.datetime(2024, 1, 1, tzinfo=UTC), None, ("mysql", "mariadb", "sqlite"), "naive"),
    ("oracle-time", dt.time(1, 2), None, ("oracle",), "TIME"),
    ("oracle-big-raw", b"x" * 2001, None, ("oracle",), "2000"),
    ("timedelta-untyped", dt.timedelta(1), None, ("mysql", "sqlite", "mssql"), "Interval"),
    ("array-elsewhere", [1], sa.ARRAY(sa.Integer), ("mysql", "sqlite", "mssql", "oracle"), "JSON"),
]


def _flatten_errors() -> list[Any]:
    return [
        pytest.param(name, value, type_, words, id=f"{case}-{name}")
        for case, value, type_, names, words in ERRORS
        for name in names
    ]


@pytest.mark.parametrize(("dialect", "value", "type_", "words"), _flatten_errors())
def test_literal_refused(dialect: str, value: Any, type_: Any, words: str) -> None:
    with pytest.raises(RenderError, match=words):
        make_dialect(dialect).literal(value, type_)


def test_oracle_long_string_is_a_clob() -> None:
    text = "x" * 4500
    rendered = make_dialect("oracle").literal(text)
    assert rendered.startswith("(TO_CLOB('x")
    assert rendered.count("'x") == 5


# ---- compiling ---------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", ALL)
@pytest.mark.parametrize(
    "element",
    [
        pytest.param(sa.text("SELECT :who"), id="text"),
        pytest.param(sa.select(sa.bindparam("who")), id="bindparam"),
    ],
)
def test_unbound_parameter_is_an_error(dialect: str, element: Any) -> None:
    with pytest.raises(RenderError, match=r"parameter :who with no value; pass it in op.execute"):
        make_dialect(dialect).compile(element)


@pytest.mark.parametrize("dialect", ALL)
def test_bound_text_parameter_is_a_literal(dialect: str) -> None:
    element = sa.text("SELECT :who, '50%', 'a\tb'").bindparams(who="it's")
    assert make_dialect(dialect).compile(element) == "SELECT 'it''s', '50%', 'a\tb'"


@pytest.mark.parametrize("dialect", ALL)
def test_explicit_null_parameter_stays_null(dialect: str) -> None:
    assert make_dialect(dialect).compile(sa.select(sa.bindparam("x", None))).startswith(
        "SELECT NULL"
    )


TABLE = sa.Table(
    "t",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("note", sa.String(20), server_default="50% off\tnow"),
)


@pytest.mark.parametrize("dialect", ALL)
def test_insert_has_no_returning_and_keeps_whitespace(dialect: str) -> None:
    sql = make_dialect(dialect).compile(sa.insert(TABLE).values(note="x\ty%"))
    assert "RETURNING" not in sql
    assert "OUTPUT" not in sql
    assert ":ret" not in sql
    assert sql.endswith("'x\ty%')")


@pytest.mark.parametrize("dialect", ALL)
def test_create_table_keeps_tabs_and_has_no_terminator(dialect: str) -> None:
    sql = make_dialect(dialect).compile(CreateTable(TABLE))
    assert sql.startswith("CREATE TABLE t (")
    assert sql == sql.strip()
    assert not sql.endswith(";")
    assert "DEFAULT '50% off\tnow'" in sql


@pytest.mark.parametrize("dialect", ALL)
def test_sa_dialect_is_cached_and_named_paramstyle(dialect: str) -> None:
    instance = make_dialect(dialect)
    assert instance.sa_dialect() is instance.sa_dialect()
    assert instance.sa_dialect().paramstyle == "named"
    assert make_dialect(dialect).sa_dialect() is not instance.sa_dialect()


def test_mariadb_url_compiles_as_mariadb() -> None:
    assert getattr(make_dialect("mariadb").sa_dialect(), "is_mariadb", False) is True
    assert getattr(make_dialect("mysql").sa_dialect(), "is_mariadb", True) is False


def test_dialect_literals_class_overrides_the_default() -> None:
    postgresql_literals = get_dialect("postgresql").literals
    cls: type[Dialect] = type(
        "Odd", (Dialect,), {"sqlalchemy_url": "sqlite://", "literals": postgresql_literals}
    )
    assert cls().literal(True) == "true"


def test_mock_engine_captures_enum_type_then_table() -> None:
    dialect = make_dialect("postgresql")
    table = sa.Table(
        "paint", sa.MetaData(), sa.Column("color", sa.Enum(Color, name="color"))
    )
    capture = mock_engine(dialect)
    table.create(capture.engine)
    statements = capture.statements()
    assert statements[0] == "CREATE TYPE color AS ENUM ('RED', 'GREEN')"
    assert statements[1].startswith("CREATE TABLE paint (")
    assert capture.compilation is compilation_for(dialect)


def test_mock_engine_refuses_parameters() -> None:
    capture = mock_engine(make_dialect("sqlite"))
    with pytest.raises(TypeError, match="literal values"):
        capture.engine.execute(sa.insert(TABLE), {"note": "x"})
