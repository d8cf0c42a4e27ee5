"""Framing: turn rendered steps into the text a DBA runs with the database's own client.

The framer decides where transactions open and close, puts the terminators, batch
separators and block terminators the client needs, and writes the comments that tell a
reader where they are. It asks the dialect for every spelling; it never compares names.

Layout of a script::

    header comment (tool, dialect, range, how to apply, transaction note)
    client preamble                       (unless --no-preamble)
    BEGIN                                 (transactional DDL, one transaction)
    version table creation                (range starting at base)
    -- <rev>: <message> (<from> -> <to>)  for each step:
       [BEGIN]                            (transaction_per_migration)
       guard                              (unless --no-guard)
       statements of the revision
       version-table change
       [COMMIT]
    COMMIT
    client epilogue                       (unless --no-preamble: SQL*Plus's EXIT)

Statements that the database refuses inside a transaction are put between a COMMIT and a
fresh BEGIN, with a comment saying why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from offline_sql._version import __version__
from offline_sql.client_commands import ClientSyntax, find_client_command
from offline_sql.errors import ClientCommandError
from offline_sql.progress import MARKER_PREFIX
from offline_sql.statements import Statement


class Spelling(Protocol):
    """What the framer asks of a dialect: every spelling, no SQLAlchemy. A
    :class:`~offline_sql.dialect_api.base.Dialect` is one; so is :class:`SpellingOf`, the copy
    a cached run frames with without importing the dialect."""

    @property
    def name(self) -> str: ...
    @property
    def comment_prefix(self) -> str: ...
    @property
    def terminator(self) -> str: ...
    @property
    def block_terminator(self) -> str | None: ...
    @property
    def batch_separator(self) -> str | None: ...
    @property
    def transactional_ddl(self) -> bool: ...
    @property
    def begin_statement(self) -> str | None: ...
    @property
    def commit_statement(self) -> str | None: ...
    @property
    def marks_blocks_in_progress(self) -> bool: ...
    @property
    def revision_commit_statement(self) -> str | None: ...
    @property
    def apply_hint(self) -> str | None: ...
    @property
    def non_transactional_note(self) -> str | None: ...
    @property
    def client_preamble(self) -> Sequence[str]: ...
    @property
    def client_syntax(self) -> ClientSyntax: ...
    @property
    def client_epilogue(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class SpellingOf:
    """A plain copy of a dialect's :class:`Spelling` (picklable, SQLAlchemy-free)."""

    name: str
    comment_prefix: str
    terminator: str
    block_terminator: str | None
    batch_separator: str | None
    transactional_ddl: bool
    marks_blocks_in_progress: bool
    begin_statement: str | None
    commit_statement: str | None
    revision_commit_statement: str | None
    apply_hint: str | None
    non_transactional_note: str | None
    client_preamble: tuple[str, ...]
    client_syntax: ClientSyntax
    client_epilogue: tuple[str, ...] = ()

    @classmethod
    def of(cls, dialect: Spelling) -> SpellingOf:
        return cls(
            name=dialect.name,
            comment_prefix=dialect.comment_prefix,
            terminator=dialect.terminator,
            block_terminator=dialect.block_terminator,
            batch_separator=dialect.batch_separator,
            transactional_ddl=dialect.transactional_ddl,
            marks_blocks_in_progress=dialect.marks_blocks_in_progress,
            begin_statement=dialect.begin_statement,
            commit_statement=dialect.commit_statement,
            revision_commit_statement=dialect.revision_commit_statement,
            apply_hint=dialect.apply_hint,
            non_transactional_note=dialect.non_transactional_note,
            client_preamble=tuple(dialect.client_preamble),
            client_syntax=dialect.client_syntax,
            client_epilogue=tuple(dialect.client_epilogue),
        )


@dataclass(frozen=True)
class FramedStep:
    """One revision's part of a script, rendered but not yet framed."""

    revision: str
    message: str
    direction: str
    heads_before: tuple[str, ...]
    heads_after: tuple[str, ...]
    statements: Sequence[Statement]
    """The revision's own statements (empty for stamp)."""
    version_statements: Sequence[Statement]
    guard: Sequence[Statement] = ()
    notes: Sequence[str] = ()
    """Extra one-line comments for the block (e.g. 'stamp only')."""
    progress: Sequence[Statement] = ()
    """(writes the "in progress" row, deletes it), where the dialect
    ``marks_blocks_in_progress`` and the block has statements; empty otherwise."""


@dataclass(frozen=True)
class FrameOptions:
    transaction_per_migration: bool = False
    preamble: bool = True
    title: str = ""
    """What the script does, e.g. "upgrade base -> ae10"."""
    setup: Sequence[Statement] = ()
    """Statements before the first step (version table creation)."""
    session_settings: Sequence[Statement] = ()
    """Session settings after the preamble (PostgreSQL lock_timeout ...)."""


def describe_heads(heads: Sequence[str]) -> str:
    return ", ".join(heads) if heads else "base"


class _Writer:
    """Accumulates lines and tracks whether a transaction is open."""

    def __init__(self, dialect: Spelling, sink: Callable[[str], object] | None = None) -> None:
        self.dialect = dialect
        self.lines: list[str] = []
        self.in_transaction = False
        self.placed: list[bool] = []
        """Per revision statement framed so far: whether it went inside a transaction."""
        self._sink = sink
        self._written: str | None = None
        """The last line already handed to the sink (what :meth:`blank` looks back at)."""
        self._flushed = 0
        """How many lines the sink has had (to name a line of the script in errors)."""
        self.revision: str | None = None
        """The revision whose block is being written (None in the header and setup)."""

    def comment(self, text: str) -> None:
        """``text`` as comment lines; a comment may carry a revision's message or id, so it
        is checked like a statement (sqlcmd replaces ``$(name)`` inside comments too)."""
        for line in text.splitlines() or [""]:
            commented = f"{self.dialect.comment_prefix}{line}".rstrip()
            self._refuse_client_command(commented, block=False)
            self.lines.append(commented)

    def blank(self) -> None:
        last = self.lines[-1] if self.lines else self._written
        if last is not None and last != "":
            self.lines.append("")

    def flush(self) -> None:
        """Hand the lines so far to the sink, keeping trailing blank lines (the end of the
        script drops them, and only the end knows it is the end)."""
        end = len(self.lines)
        while end and self.lines[end - 1] == "":
            end -= 1
        if self._sink is not None and end:
            self._sink("\n".join(self.lines[:end]) + "\n")
            self._written = self.lines[end - 1]
            self._flushed += end
            del self.lines[:end]

    def raw(self, line: str) -> None:
        self.lines.append(line)

    def statement(self, stmt: Statement) -> None:
        d = self.dialect
        if stmt.comment:
            self.comment(stmt.comment)
        if stmt.kind == "note":
            return
        sql = stmt.sql.rstrip()
        if stmt.kind == "client":
            self.lines.append(sql)
            return
        self._refuse_client_command(sql, stmt.block)
        if stmt.block and d.block_terminator:
            self.lines.append(sql)
            self.lines.append(d.block_terminator)
        elif stmt.block and sql.endswith(d.terminator):
            self.lines.append(sql)
        else:
            self.lines.append(sql + d.terminator)
        if d.batch_separator:
            self.lines.append(d.batch_separator)

    def _refuse_client_command(self, sql: str, block: bool) -> None:
        """The last line of defence: no line of a statement (which may carry a developer's
        text: names, values, raw SQL, revision ids) may be one the client runs itself.
        ``Dialect.render`` refuses them first, naming the script line; this catches
        whatever reaches the framer another way (guards, version-table statements)."""
        found = find_client_command(sql, self.dialect.client_syntax, block=block)
        if found is None:
            return
        where = f"revision {self.revision}" if self.revision else "the script's setup"
        line = self._flushed + len(self.lines) + found.line + 1
        raise ClientCommandError(
            f"{where}: line {line} of the generated {self.dialect.name} script would be run "
            f"by the client itself, not sent as SQL: {found.describe()}; mig refuses to write it"
        )

    def begin(self) -> None:
        if (
            self.dialect.transactional_ddl
            and self.dialect.begin_statement
            and not self.in_transaction
        ):
            self.statement(Statement(self.dialect.begin_statement, kind="transaction"))
            self.in_transaction = True

    def commit(self) -> None:
        if self.in_transaction and self.dialect.commit_statement:
            self.statement(Statement(self.dialect.commit_statement, kind="transaction"))
            self.in_transaction = False

    def text(self) -> str:
        """The rest of the script (all of it without a sink), trailing blank lines dropped."""
        while self.lines and self.lines[-1] == "":
            self.lines.pop()
        if not self.lines and self._written is not None:
            return ""
        return "\n".join(self.lines) + "\n"


def frame_script(dialect: Spelling, steps: Sequence[FramedStep], options: FrameOptions) -> str:
    """The complete script text for ``steps``, deterministic for the same input."""
    parts: list[str] = []
    frame_to(parts.append, dialect, steps, options)
    return "".join(parts)


def frame_to(
    sink: Callable[[str], object],
    dialect: Spelling,
    steps: Iterable[FramedStep],
    options: FrameOptions,
) -> None:
    """:func:`frame_script`, handed to ``sink`` piece by piece as ``steps`` are produced:
    a long history is framed without holding every step (or the whole text) at once."""
    w = _Writer(dialect, sink)
    _header(w, dialect, options)
    if options.preamble and dialect.client_preamble:
        w.blank()
        for directive in dialect.client_preamble:
            w.raw(directive)
    if options.session_settings:
        w.blank()
        for stmt in options.session_settings:
            w.statement(stmt)
    whole = dialect.transactional_ddl and not options.transaction_per_migration
    w.blank()
    if whole:
        w.begin()
    if options.setup:
        if not whole:
            w.begin()
        _emit_in_transaction(w, options.setup)
        if not whole:
            w.commit()
    for step in steps:
        w.blank()
        _step(w, dialect, step, per_migration=not whole)
        w.flush()
    if whole:
        w.blank()
        w.commit()
    if options.preamble and dialect.client_epilogue:
        w.blank()
        for directive in dialect.client_epilogue:
            w.raw(directive)
    sink(w.text())


def _header(w: _Writer, dialect: Spelling, options: FrameOptions) -> None:
    w.comment(f"Generated by mig {__version__} for {dialect.name}.")
    if options.title:
        w.comment(options.title)
    if dialect.apply_hint:
        w.comment(f"Apply with: {dialect.apply_hint.format(file='<this file>')}")
    if dialect.transactional_ddl:
        if options.transaction_per_migration:
            w.comment("Each revision runs in its own transaction.")
        else:
            w.comment("The whole script runs in one transaction: all of it applies or none.")
    elif dialect.non_transactional_note:
        w.comment(dialect.non_transactional_note)
    if dialect.marks_blocks_in_progress:
        for line in RESUME_NOTES:
            w.comment(line)


RESUME_NOTES = (
    f"Resume notes. Each block writes the row '{MARKER_PREFIX}<revision>' to the version table",
    "after its guard and deletes it just before its version-table change. If a block stops",
    'part-way, the row stays and every guard stops with "revision <revision> was left',
    'half-applied". Then:',
    "  1. The client's error names the statement that failed: the block's statements above it",
    "     are applied, the ones from it on are not.",
    "  2. Either finish the block: make the failed statement work, run it and the rest of the",
    f"     block by hand (the DELETE of the '{MARKER_PREFIX}<revision>' row and the version-table",
    "     change included), then apply the blocks after it;",
    "  3. or undo the statements that were applied, by hand, run only the block's DELETE of",
    f"     the '{MARKER_PREFIX}<revision>' row, then apply the script again from that block.",
)
"""Written at the top of a script whose dialect ``marks_blocks_in_progress``
(and quoted in docs/dialects.md)."""


def _step(w: _Writer, dialect: Spelling, step: FramedStep, *, per_migration: bool) -> None:
    w.revision = step.revision
    arrow = f"{describe_heads(step.heads_before)} -> {describe_heads(step.heads_after)}"
    label = "downgrade " if step.direction == "down" else ""
    w.comment(f"{step.revision}: {label}{step.message} ({arrow})".rstrip())
    for note in step.notes:
        w.comment(note)
    marked = dialect.marks_blocks_in_progress and len(step.progress) == 2
    if not dialect.transactional_ddl:
        note = f" The row '{MARKER_PREFIX}{step.revision}' marks it half-applied." if marked else ""
        w.comment(
            "If this block stops part-way, the version table still says "
            f"{describe_heads(step.heads_before)}; statements before the failure stay applied."
            + note
        )
    if per_migration:
        w.begin()
    for stmt in step.guard:
        w.statement(stmt)
    if marked:
        w.statement(step.progress[0])
    _emit_in_transaction(w, step.statements)
    if marked:
        w.statement(step.progress[1])
    for stmt in step.version_statements:
        w.statement(stmt)
    if per_migration:
        w.commit()
    if not w.in_transaction and dialect.revision_commit_statement:
        w.statement(Statement(dialect.revision_commit_statement, kind="transaction"))


def _emit_in_transaction(w: _Writer, statements: Sequence[Statement]) -> None:
    """``statements`` where each may run: a run of ones the database refuses inside a
    transaction (or that ``autocommit_block()`` asked out of it) goes between one COMMIT and
    one fresh BEGIN, as Alembic's offline ``autocommit_block`` writes it. Where each went
    is recorded in ``w.placed``."""
    at = 0
    while at < len(statements):
        stmt = statements[at]
        if stmt.transactional or not w.in_transaction:
            w.placed.append(w.in_transaction)
            w.statement(stmt)
            at += 1
            continue
        end = at + 1
        while end < len(statements) and not statements[end].transactional:
            end += 1
        if end - at == 1:
            w.comment(
                "The next statement cannot run inside a transaction: the transaction is committed"
            )
            w.comment("before it and a new one begins after it.")
        else:
            w.comment(
                f"The next {end - at} statements cannot run inside a transaction: the "
                "transaction is committed"
            )
            w.comment("before them and a new one begins after them.")
        w.commit()
        for outside in statements[at:end]:
            w.placed.append(w.in_transaction)
            w.statement(outside)
        w.begin()
        at = end


def placements(dialect: Spelling, step: FramedStep, options: FrameOptions) -> tuple[bool, ...]:
    """Per statement of ``step``: whether the framer runs it inside a transaction, framing
    the step alone with ``options`` (as a ticket's file holds it; in a whole script the
    transaction around a step is the same). The review reads this instead of guessing."""
    w = _Writer(dialect)
    whole = dialect.transactional_ddl and not options.transaction_per_migration
    if whole:
        w.begin()
    _step(w, dialect, step, per_migration=not whole)
    return tuple(w.placed)
