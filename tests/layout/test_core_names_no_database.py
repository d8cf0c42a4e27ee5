"""The core never names a database: database knowledge lives in the top-level
``dialects/`` folder (installed as ``offline_sql.dialects``).

Scans every module of ``offline_sql/``, ``offline_sql/dialect_api/`` (the dialect interface)
included, with :mod:`ast` for a string literal equal (case-insensitively) to a dialect name,
an alias, a URL alias, a sqlglot dialect name or a SQLAlchemy dialect package. Docstrings and
comments do not count: they may explain what a dialect does; code may not branch on it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import offline_sql
from offline_sql.dialect_api.registry import ALIASES, NAMES, URL_ALIASES, get_dialect

PACKAGE = Path(offline_sql.__file__).resolve().parent


def database_words() -> frozenset[str]:
    """Every spelling of a database the registry knows, case-folded."""
    words = set(NAMES) | set(ALIASES) | set(URL_ALIASES)
    for name in NAMES:
        dialect = get_dialect(name)
        words |= {dialect.sqlglot_name, dialect.sqlalchemy_package}
    return frozenset(word.casefold() for word in words if word)


def core_modules() -> list[Path]:
    """Python files of the package (``dialects/`` left out, where a wheel installs it)."""
    return sorted(
        path for path in PACKAGE.rglob("*.py") if path.relative_to(PACKAGE).parts[0] != "dialects"
    )


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of string constants that are bare expression statements (docstrings, including
    the attribute docstrings written under an assignment)."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }


def database_literals(source: str, words: frozenset[str]) -> Iterator[tuple[int, str]]:
    """(line, literal) for each string literal in ``source`` that names a database."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in skip
            and node.value.casefold() in words
        ):
            yield node.lineno, node.value


def test_the_core_is_scanned() -> None:
    modules = {path.relative_to(PACKAGE).as_posix() for path in core_modules()}
    assert {"online.py", "config.py", "baseline.py", "review/rules.py"} <= modules
    assert {"dialect_api/base.py", "dialect_api/registry.py", "dialect_api/literals.py"} <= modules
    assert not any(name.startswith("dialects/") for name in modules)


def test_the_words_cover_every_spelling() -> None:
    words = database_words()
    assert set(NAMES) <= words
    assert {"postgres", "pgsql", "tsql"} <= words  # aliases / sqlglot names differ from ours


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ('x = "postgresql"', [(1, "postgresql")]),
        ("if name == 'MySQL':\n    pass", [(1, "MySQL")]),
        ('d = {"tsql": 1}', [(1, "tsql")]),
        ('"""Names sqlite in a docstring."""\nx = 1', []),
        ('def f() -> None:\n    """sqlite"""', []),
        ('X = 1\n"""postgres"""', []),
        ("# mysql\nx = 'postgresql+psycopg'", []),
        ('x = f"{a}sqlite"', [(1, "sqlite")]),  # a piece of an f-string counts too
    ],
)
def test_the_scan_sees_literals_not_docstrings(source: str, found: list[tuple[int, str]]) -> None:
    assert list(database_literals(source, database_words())) == found


def test_the_core_names_no_database() -> None:
    words = database_words()
    hits = [
        f"{path.relative_to(PACKAGE.parent).as_posix()}:{line}: {literal!r}"
        for path in core_modules()
        for line, literal in database_literals(path.read_text(encoding="utf-8"), words)
    ]
    assert not hits, (
        "the core names a database (move the knowledge into a flag or method of "
        "offline_sql/dialect_api/base.py, set in dialects/<database>/):\n" + "\n".join(hits)
    )
