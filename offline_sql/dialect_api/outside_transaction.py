"""Raw SQL a database refuses inside a transaction, recognised with sqlglot.

``op.execute("CREATE INDEX CONCURRENTLY ...")`` must be framed like
``op.create_index(..., postgresql_concurrently=True)``: outside ``BEGIN`` ... ``COMMIT``.
Each dialect lists what its database refuses (:attr:`Refusal`) and asks :func:`refusal`
which of them a text holds; this module only parses.

sqlglot is imported on first use, not with this module: every dialect builds its refusals
when it is defined, and a run whose scripts execute no raw SQL (most first runs to stdout)
then never pays for sqlglot and the review's modules (about 60 ms and 9 MB).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlglot import exp


@dataclass(frozen=True)
class Refusal:
    """One kind of statement the database will not run inside a transaction."""

    what: str
    """How the note names it (``CREATE INDEX CONCURRENTLY``)."""
    matches: Callable[[exp.Expr], bool]


@contextmanager
def _quiet() -> Iterator[None]:
    """sqlglot logs a warning when it keeps a statement as a bare Command; that is expected."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def parsed(sql: str, sqlglot_name: str) -> list[exp.Expr] | None:
    """The statements of ``sql``, or None when sqlglot cannot read it."""
    from sqlglot.errors import ParseError, TokenError

    from offline_sql.review.classify import parse_all

    with _quiet():
        try:
            return [e for e in parse_all(sql, sqlglot_name or None) if e is not None]
        except (ParseError, TokenError):
            return None


def refusals(sql: str, sqlglot_name: str, kinds: Sequence[Refusal]) -> tuple[int, list[str]] | None:
    """(number of statements in ``sql``, what each refused one is), or None when the text
    cannot be parsed or holds nothing of ``kinds``."""
    statements = parsed(sql, sqlglot_name)
    if not statements:
        return None
    found = [k.what for e in statements for k in kinds if k.matches(e)]
    return (len(statements), found) if found else None


# ---- matchers the dialects combine --------------------------------------------------------


def concurrently(kind: str, target: str) -> Callable[[exp.Expr], bool]:
    """``CREATE``/``DROP`` of ``target`` (``INDEX``) with ``CONCURRENTLY``; ``kind`` names
    the sqlglot expression class (``"Create"``, ``"Drop"``), looked up when a statement is
    matched so that defining a dialect imports no sqlglot."""

    def matches(node: exp.Expr) -> bool:
        from sqlglot import exp

        return (
            isinstance(node, getattr(exp, kind))
            and str(node.args.get("kind") or "").upper() == target
            and bool(node.args.get("concurrently"))
        )

    return matches


def command(name: str, rest: str = "") -> Callable[[exp.Expr], bool]:
    """A statement sqlglot keeps as a bare command ``name``, whose remaining text matches
    the regular expression ``rest`` (case-insensitive, searched) when given."""
    pattern = re.compile(rest, re.IGNORECASE | re.DOTALL) if rest else None

    def matches(node: exp.Expr) -> bool:
        from sqlglot import exp

        if not isinstance(node, exp.Command) or str(node.this).upper() != name:
            return False
        if pattern is None:
            return True
        tail = node.args.get("expression")
        text = tail.name if isinstance(tail, exp.Literal) else str(tail or "")
        return pattern.search(text) is not None

    return matches


def created(kind: str) -> Callable[[exp.Expr], bool]:
    """``CREATE kind`` / ``DROP kind`` (``DATABASE``)."""

    def matches(node: exp.Expr) -> bool:
        from sqlglot import exp

        return (
            isinstance(node, (exp.Create, exp.Drop))
            and str(node.args.get("kind") or "").upper() == kind
        )

    return matches
