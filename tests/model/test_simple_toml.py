""":mod:`offline_sql.simple_toml` reads what ``tomllib`` reads, or declines.

Every document it reads must be read the same by ``tomllib`` (same keys in the same order,
same values of the same types: ``repr`` compared); what it declines goes to ``tomllib``,
which reads it or says why not. Documents are generated from lines mig.toml files have and
from near misses (escapes, control characters, dotted keys, duplicates, other numbers)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from cli_probe import imported_by
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from offline_sql import simple_toml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

WHITESPACE = st.sampled_from(["", " ", "  ", "\t", " \t "])
KEYS = st.sampled_from(
    ["url", "dialect", "script_location", "a", "b", "x-y", "1", "_", "tool", "mig", "true"]
)
NEAR_KEYS = st.sampled_from(["a.b", '"q"', "'q'", "", "a b", "é"])
TEXT = st.text(
    st.characters(codec="utf-8")
    | st.sampled_from(['"', "'", "\\", "\t", "\x00", "\x7f", "#", "\r", "]", ","]),
    max_size=12,
)
STRINGS = st.one_of(
    st.builds(lambda body: f'"{body}"', TEXT),
    st.builds(lambda body: f"'{body}'", TEXT),
    st.sampled_from(['""', "''", '"sqlite:///app.db"', '"a\\nb"', "'''x'''", '"""x"""']),
)
NUMBERS = st.sampled_from(
    [
        *("0", "-0", "+0", "7", "+7", "-7", "300", "01", "1_000", "1.5", "-0.0", "300.0"),
        *("1.", ".5", "1e3", "inf", "nan", "0x1F", "00.1", "99999999999999999999", "+2.50"),
    ]
)
BOOLEANS = st.sampled_from(["true", "false", "True", "FALSE"])


@st.composite
def arrays(draw: st.DrawFn) -> str:
    items = draw(st.lists(st.one_of(STRINGS, NUMBERS), max_size=3))
    separator = draw(st.sampled_from([",", ", ", " ,", ",\t"]))
    trailing = draw(st.sampled_from(["", ",", " , "]))
    inner = separator.join(items) + (trailing if items else "")
    return f"[{draw(WHITESPACE)}{inner}{draw(WHITESPACE)}]"


VALUES = st.one_of(STRINGS, NUMBERS, BOOLEANS, arrays())
COMMENTS = st.one_of(st.just(""), st.builds(lambda body: f"#{body}", TEXT))


@st.composite
def pairs(draw: st.DrawFn) -> str:
    key = draw(st.one_of(KEYS, NEAR_KEYS)) if draw(st.booleans()) else draw(KEYS)
    w = [draw(WHITESPACE) for _ in range(4)]
    return f"{w[0]}{key}{w[1]}={w[2]}{draw(VALUES)}{w[3]}{draw(COMMENTS)}"


@st.composite
def headers(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.one_of(KEYS, NEAR_KEYS), min_size=1, max_size=3))
    dot = draw(st.sampled_from([".", " . ", "\t."]))
    brackets = draw(st.sampled_from([("[", "]"), ("[ ", " ]"), ("[[", "]]")]))
    return f"{brackets[0]}{dot.join(parts)}{brackets[1]}{draw(WHITESPACE)}{draw(COMMENTS)}"


LINES = st.one_of(
    pairs(), pairs(), pairs(), headers(), st.builds(lambda w, c: w + c, WHITESPACE, COMMENTS)
)


@st.composite
def documents(draw: st.DrawFn) -> str:
    lines = draw(st.lists(LINES, max_size=8))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join(lines) + draw(st.sampled_from(["", newline]))


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
@example('script_location = "migrations"\ndialect = "postgresql"\nversion_table = "v"\n')
@example("[tool.mig]\nurl = 'sqlite://' # here\nreview_allow = [\"R1\", 'R2',]\n")
@example("a = 1\na = 2\n")
@example("[a.b]\n[a]\nc = 1\n")
@example("[a]\n[a]\n")
@example("a = 1\n[a]\n")
@example('a = "x\\ty"\n')
@example("a = -0.0\nb = +0\nc = true\n")
def test_what_it_reads_tomllib_reads_the_same(document: str) -> None:
    read = simple_toml.loads(document)
    if read is None:
        return
    assert repr(read) == repr(tomllib.loads(document))


SAFE_TEXT = st.text(
    st.characters(codec="utf-8", exclude_characters="\"'\\", exclude_categories=["Cc"]),
    max_size=10,
)
SAFE_STRINGS = st.one_of(
    st.builds(lambda body: f'"{body}"', SAFE_TEXT), st.builds(lambda body: f"'{body}'", SAFE_TEXT)
)
SAFE_NUMBERS = st.sampled_from(["0", "-0", "+0", "7", "-7", "300", "1.5", "-0.0", "+2.50"])


@st.composite
def safe_lines(draw: st.DrawFn) -> str:
    """A line of the kind this module reads (a duplicate makes the document invalid)."""
    kind = draw(st.sampled_from(["pair", "pair", "pair", "header", "blank"]))
    comment = draw(st.one_of(st.just(""), st.builds(lambda body: f" # {body}", SAFE_TEXT)))
    if kind == "blank":
        return draw(WHITESPACE) + comment
    if kind == "header":
        parts = draw(st.lists(KEYS, min_size=1, max_size=2))
        return f"[{'.'.join(parts)}]{comment}"
    items = draw(st.lists(SAFE_STRINGS, max_size=3))
    value = draw(st.one_of(SAFE_STRINGS, SAFE_NUMBERS, BOOLEANS, st.just(f"[{', '.join(items)}]")))
    return f"{draw(KEYS)} = {value}{comment}"


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(safe_lines(), max_size=8).map("\n".join))
def test_a_document_of_such_lines_is_read_here_unless_it_is_not_toml(document: str) -> None:
    read = simple_toml.loads(document)
    if read is None:
        with pytest.raises(tomllib.TOMLDecodeError):
            tomllib.loads(document)
    else:
        assert repr(read) == repr(tomllib.loads(document))


@pytest.mark.parametrize(
    "document",
    [
        'script_location = "migrations"\nurl = "sqlite:///app.db"\nversion_table = "mig_version"\n',
        "[project]\nname = 'pkg'\n\n[tool.mig]\ndialect = \"oracle\"  # the target\n",
        "migration_lock_timeout = 300.0\ntransaction_per_migration = true\ncache = false\r\n",
        'version_locations = ["migrations/versions", "more"]\nreview_allow = []\n',
        "",
    ],
)
def test_the_usual_configurations_are_read_here(document: str) -> None:
    read = simple_toml.loads(document)
    assert read is not None
    assert repr(read) == repr(tomllib.loads(document))


@pytest.mark.parametrize(
    "document",
    [
        'url = "a\\"b"\n',  # an escape
        "a.b = 1\n",  # a dotted key
        'dialect = """x"""\n',  # a multi-line string
        "x = [\n  'a',\n]\n",  # an array on several lines
        "x = {a = 1}\n",  # an inline table
        "[[steps]]\n",  # an array of tables
        "a = 1\na = 2\n",  # a duplicate, which tomllib reports
        "a = 1\n[a]\n",
        "[a]\n[a]\n",
        "a = 1e3\n",
        "a = 1\rb = 2\n",  # a lone carriage return
        "\ufeffa = 1\n",  # a byte order mark
        "a = " + "9" * 5000 + "\n",  # past Python's limit on an integer's digits
    ],
)
def test_anything_else_is_left_to_tomllib(document: str) -> None:
    assert simple_toml.loads(document) is None


def test_reading_a_configuration_imports_no_tomllib_nor_typing(tmp_path: Path) -> None:
    """Issue 16: importing tomllib (and typing, which it imports) was 6 ms of a
    memo-answered run's 52."""
    (tmp_path / "mig.toml").write_text('script_location = "migrations"\ndialect = "sqlite"\n')
    code = "from offline_sql.config import load_config\nload_config(None)"
    imported = imported_by(code, cwd=tmp_path)
    assert not imported & {"tomllib", "tomli", "typing"}, imported
