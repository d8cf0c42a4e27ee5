"""SQLAlchemy dialects that compile our constructs to script text, with our literals.

For each :class:`~offline_sql.dialect_api.base.Dialect` we build its SQLAlchemy dialect from
``sqlalchemy_url`` without importing any DBAPI driver, with paramstyle ``named`` (so ``%``
is never doubled) and with a statement compiler whose literal rendering is ours
(:mod:`offline_sql.dialect_api.literals`) and which refuses a bind parameter without a value
instead of writing NULL. Server defaults, CHECK constraints and ``CREATE TYPE ... AS ENUM``
all go through that statement compiler, so one hook covers DDL and DML.

Compiled text is returned as SQLAlchemy produced it, tabs included (Alembic replaces them
by spaces, which changes string literals); only the surrounding blank lines go.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect as SADialect
from sqlalchemy.engine.mock import MockConnection
from sqlalchemy.sql.base import NO_ARG
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter

from offline_sql.dialect_api.literals import LiteralError, Literals
from offline_sql.errors import RenderError

if TYPE_CHECKING:
    from offline_sql.dialect_api.base import Dialect

_CACHE_ATTRIBUTE = "_offline_sql_compilation"


def unbound_parameter(name: str) -> LiteralError:
    return LiteralError(
        f"statement has parameter :{name} with no value; pass it in "
        f"op.execute(..., {{'{name}': ...}}) or escape the colon as \\:"
    )


_PENDING_ATTRIBUTE = "_mig_text_values"
"""Where a compiler keeps the literals of the text clause it is compiling."""

_PLACEHOLDER = re.compile("\x00mig(\\d+)\x00")
"""Stands for a bound value inside a compiled text clause until the text is final. NUL
never reaches the server inside a statement (PostgreSQL refuses it, clients read C
strings): text holding one is refused, so a placeholder is never the text's own."""


def _placeholder(pending: list[str]) -> str:
    return f"\x00mig{len(pending) - 1}\x00"


def _compiler_class(base: type[SQLCompiler], literals: Literals) -> type[SQLCompiler]:
    """``base`` with our literal rendering, the unbound-parameter check, and text clauses
    whose ``\\:`` escapes are undone before the bound values go in."""

    def render_literal_value(self: SQLCompiler, value: Any, type_: Any) -> str:
        return literals.render(value, type_)

    def render_literal_bindparam(
        self: SQLCompiler,
        bindparam: BindParameter[Any],
        render_literal_value: Any = NO_ARG,
        bind_expression_template: Any = None,
        **kw: Any,
    ) -> str:
        collected = getattr(self, "_collected_params", None) or {}
        if (
            render_literal_value is NO_ARG
            and bindparam.key not in collected
            and bindparam.required
            and bindparam.callable is None
        ):
            raise unbound_parameter(str(bindparam.key))
        rendered: str = base.render_literal_bindparam(  # type: ignore[no-untyped-call]
            self,
            bindparam,
            render_literal_value=render_literal_value,
            bind_expression_template=bind_expression_template,
            **kw,
        )
        pending: list[str] | None = getattr(self, _PENDING_ATTRIBUTE, None)
        if pending is None:
            return rendered
        pending.append(rendered)
        return _placeholder(pending)

    def visit_textclause(self: SQLCompiler, textclause: sa.TextClause, **kw: Any) -> str:
        """SQLAlchemy's, with the bound values put in only after it has turned ``\\:``
        into ``:`` in the text: it does that on the whole result, values included, so a
        value holding ``\\:`` (``C:\\new\\:dir``) lost its backslash, offline and
        online alike. Values are rendered in place as numbered placeholders first."""
        if "\x00" in textclause.text:
            raise LiteralError(
                "SQL text contains a NUL character (\\x00), which no client passes on: "
                "remove it"
            )
        outer = getattr(self, _PENDING_ATTRIBUTE, None)
        pending: list[str] = []
        setattr(self, _PENDING_ATTRIBUTE, pending)
        try:
            text: str = base.visit_textclause(self, textclause, **kw)  # type: ignore[no-untyped-call]
        finally:
            setattr(self, _PENDING_ATTRIBUTE, outer)
        if not pending:
            return text
        return _PLACEHOLDER.sub(lambda match: pending[int(match.group(1))], text)

    namespace = {
        "render_literal_value": render_literal_value,
        "render_literal_bindparam": render_literal_bindparam,
        "visit_textclause": visit_textclause,
        "__doc__": f"{base.__name__} writing literals with {type(literals).__name__}.",
    }
    return type(f"Offline{base.__name__}", (base,), namespace)


@dataclass(frozen=True)
class Compilation:
    """A SQLAlchemy dialect set up for offline scripts, and the literals it writes."""

    sa_dialect: SADialect
    literals: Literals

    def compile(self, element: Any) -> str:
        """``element`` (a clause, DDL construct or plain SQL string) as SQL with literal
        values, without terminator or surrounding blank lines; whitespace inside is kept."""
        if isinstance(element, str):
            element = sa.text(element)
        if isinstance(element, sa.Insert):
            # inline: no implicit RETURNING/OUTPUT of the primary key (Oracle would get
            # "RETURNING ... INTO :ret_0", unusable in a script); explicit returning() stays.
            element = element.inline()
        try:
            compiled = element.compile(
                dialect=self.sa_dialect, compile_kwargs={"literal_binds": True}
            )
        except sa.exc.CompileError as error:
            cause = error.__cause__
            if isinstance(cause, RenderError):
                raise cause from None
            raise
        finally:
            bound_caches(self.sa_dialect)
        return str(compiled).strip()


CACHE_LIMIT = 2000
"""Entries SQLAlchemy's per-dialect caches may hold before :func:`bound_caches` empties them."""


def bound_caches(sa_dialect: SADialect) -> None:
    """Empty SQLAlchemy's per-dialect caches once they hold :data:`CACHE_LIMIT` entries.

    The dialect remembers each type it compiled (an adapted copy and its processors, for
    as long as the type lives: the schema state keeps every column's type) and each
    identifier it quoted. One dialect renders a whole history, so without a bound both
    grow with it (about 2 MB a thousand revisions); rebuilding an entry costs microseconds."""
    memos: Any = getattr(sa_dialect, "_type_memos", None)
    if memos is not None and len(memos) > CACHE_LIMIT:
        memos.clear()
    strings: Any = getattr(sa_dialect.identifier_preparer, "_strings", None)
    if isinstance(strings, dict) and len(strings) > CACHE_LIMIT:
        strings.clear()


def build(
    url: str,
    literals_class: type[Literals],
    assume_server: Callable[[SADialect], None] | None = None,
) -> Compilation:
    """The compilation for a SQLAlchemy URL such as ``"mariadb://"`` (no driver imported):
    ``assume_server`` (a Dialect's) first sets what SQLAlchemy cannot know offline."""
    engine = sa.create_mock_engine(url, _refuse, paramstyle="named")
    sa_dialect = engine.dialect
    if assume_server is not None:
        assume_server(sa_dialect)
    literals = literals_class(sa_dialect)
    sa_dialect.statement_compiler = _compiler_class(sa_dialect.statement_compiler, literals)
    return Compilation(sa_dialect, literals)


def _refuse(sql: Any, *multiparams: Any, **params: Any) -> None:
    raise AssertionError("the compilation engine executes nothing; use mock_engine()")


def compilation_for(dialect: Dialect) -> Compilation:
    """The cached compilation of one Dialect instance (built on first use)."""
    cached = vars(dialect).get(_CACHE_ATTRIBUTE)
    if isinstance(cached, Compilation):
        return cached
    compilation = build(dialect.script_url(), dialect.literals, dialect.assume_server)
    vars(dialect)[_CACHE_ATTRIBUTE] = compilation
    return compilation


@dataclass
class CapturingEngine:
    """A mock engine for ``table.create(capture.engine)``, ``index.drop(...)``, ...:
    whatever SQLAlchemy would execute is kept in :attr:`constructs` (in order) instead.
    On PostgreSQL, creating a table with a named Enum also captures its ``CREATE TYPE``."""

    compilation: Compilation
    constructs: list[Any] = field(default_factory=list)
    engine: MockConnection = field(init=False)

    def __post_init__(self) -> None:
        self.engine = MockConnection(self.compilation.sa_dialect, self._collect)

    def _collect(self, construct: Any, parameters: Any = None) -> None:
        if parameters:
            raise TypeError("offline statements carry literal values: use .values()")
        self.constructs.append(construct)

    def statements(self) -> list[str]:
        """Each captured construct compiled (see :meth:`Compilation.compile`)."""
        return [self.compilation.compile(construct) for construct in self.constructs]


def mock_engine(dialect: Dialect) -> CapturingEngine:
    """A fresh :class:`CapturingEngine` for ``dialect`` (shares its cached SA dialect)."""
    return CapturingEngine(compilation_for(dialect))
