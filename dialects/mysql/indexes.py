"""MySQL index key parts: a column (with a prefix length or a direction) or an expression.

MySQL 8.0.13+ indexes an expression only as a *functional key part* in its own parentheses:
``CREATE INDEX ix ON t ((lower(name)))``; ``(lower(name))`` alone is a syntax error.
SQLAlchemy adds those parentheses around functions and operators, but not around
``sa.text(...)``, ``sa.cast(...)`` or a function under ``sa.desc(...)``, so mig adds them
itself. MariaDB (10.11) has no functional key parts at all: both spellings are a syntax
error there, and its dialect refuses expressions (see ``dialects/mysql/dialect.py``).
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import (
    ClauseElement,
    ColumnClause,
    Grouping,
    TextClause,
    UnaryExpression,
)

_PLAIN_TEXT = re.compile(
    r"^\s*(`[^`]+`|\"[^\"]+\"|\w+)(\s*\(\s*\d+\s*\))?(\s+(ASC|DESC))?\s*$", re.IGNORECASE
)
"""``sa.text`` naming a column, with an optional prefix length and direction: not an expression."""

_DIRECTION = re.compile(r"\s+(ASC|DESC)\s*$", re.IGNORECASE)
"""A trailing direction, which stays outside a functional key part's parentheses."""

_DIRECTIONS = {operators.asc_op: sa.asc, operators.desc_op: sa.desc}


def is_functional(element: Any) -> bool:
    """Whether an index element (as ``render.index_element`` returns it) is an expression."""
    if isinstance(element, str):
        return False
    if isinstance(element, Grouping):
        return True
    if isinstance(element, ColumnClause):
        return bool(element.is_literal) and not _PLAIN_TEXT.match(element.name)
    if isinstance(element, TextClause):
        return not _PLAIN_TEXT.match(element.text)
    if isinstance(element, UnaryExpression) and element.modifier in _DIRECTIONS:
        return is_functional(element.element)
    return isinstance(element, ClauseElement)


def key_part(element: Any) -> Any:
    """The element as MySQL accepts it: an expression in parentheses of its own, a
    direction after them; anything else unchanged."""
    if not is_functional(element) or isinstance(element, Grouping):
        return element
    if isinstance(element, UnaryExpression) and element.modifier in _DIRECTIONS:
        return _DIRECTIONS[element.modifier](key_part(element.element))
    if isinstance(element, TextClause):
        found = _DIRECTION.search(element.text)
        expression = element.text[: found.start()] if found else element.text
        direction = found.group(0).rstrip() if found else ""
        grouped = sa.text(f"({expression.strip()}){direction}")
        return grouped.bindparams(*element._bindparams.values())
    return Grouping(element)


def element_sql(element: Any) -> str:
    """An index element as the script wrote it, for messages."""
    if isinstance(element, str):
        return element
    if isinstance(element, TextClause):
        return element.text
    return str(element.compile(compile_kwargs={"literal_binds": True}))
