"""Raw SQL a database refuses inside a transaction, recognised with sqlglot.

``op.execute("CREATE INDEX CONCURRENTLY ...")`` must be framed like
``op.create_index(..., postgresql_concurrently=True)``: outside ``BEGIN`` ... ``COMMIT``.
Each dialect lists what its database refuses (:attr:`Refusal`) and asks :func:`refusal`
which of them a text holds; this module only parses.

sqlglot is imported on first use, not with this module: every dialect builds its refusals
when it is defined, and a run whose scripts execute no raw SQL (most first runs to stdout)
then never pays for sqlglot and the review's modules (about 60 ms and 9 MB). Each matcher
also names the words a statement it matches must hold (``CONCURRENTLY``, ``VACUUM``): a text
holding none of them for any refusal is not parsed at all (most raw SQL is an ``UPDATE``).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlglot import exp


@dataclass(frozen=True)
class Matcher:
    """Whether a parsed statement is of one kind, and the words any text of that kind holds."""

    test: Callable[[exp.Expr], bool]
    words: tuple[str, ...]
    """Keywords (upper case) every statement the test accepts holds, as whole words in any
    case: a keyword is one token, never split by a comment or a quote."""

    def __call__(self, node: exp.Expr) -> bool:
        return self.test(node)

    def may_match(self, sql: str) -> bool:
        """False when no statement of ``sql`` can be of this kind (a word is missing)."""
        return all(_word(word).search(sql) is not None for word in self.words)


@functools.lru_cache(maxsize=64)
def _word(word: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class Refusal:
    """One kind of statement the database will not run inside a transaction."""

    what: str
    """How the note names it (``CREATE INDEX CONCURRENTLY``)."""
    matches: Matcher


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
    if not any(kind.matches.may_match(sql) for kind in kinds):
        return None
    statements = parsed(sql, sqlglot_name)
    if not statements:
        return None
    found = [k.what for e in statements for k in kinds if k.matches(e)]
    return (len(statements), found) if found else None


# ---- matchers the dialects combine --------------------------------------------------------


def concurrently(kind: str, target: str) -> Matcher:
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

    return Matcher(matches, (target.upper(), "CONCURRENTLY"))


def command(name: str, rest: str = "", words: tuple[str, ...] = ()) -> Matcher:
    """A statement sqlglot keeps as a bare command ``name``, whose remaining text matches
    the regular expression ``rest`` (case-insensitive, searched) when given; ``words``: the
    keywords any text ``rest`` matches holds."""
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

    return Matcher(matches, (name.upper(), *(word.upper() for word in words)))


def created(kind: str) -> Matcher:
    """``CREATE kind`` / ``DROP kind`` (``DATABASE``)."""

    def matches(node: exp.Expr) -> bool:
        from sqlglot import exp

        return (
            isinstance(node, (exp.Create, exp.Drop))
            and str(node.args.get("kind") or "").upper() == kind
        )

    return Matcher(matches, (kind.upper(),))
