"""Lines a database's command-line client would run itself instead of sending them as SQL.

psql runs ``\\! cmd``, the mariadb client ``system cmd``, sqlite3 ``.shell cmd``, sqlcmd
``:!! cmd`` and SQL*Plus ``host cmd``: each starts a shell on the DBA's machine. A script
mig writes carries such directives only where the framer puts them on purpose (the client
preamble, ``GO``, ``/``); text a developer wrote (raw SQL, names, comments, defaults, data,
revision ids) must never become one. This module holds the mechanism; what each client
treats as a command is data on the dialect (:class:`ClientSyntax`, ``Dialect.client_syntax``).

:func:`find_client_command` is asked twice: by ``Dialect.render`` for every statement an
operation renders (the error names the script line), and by the framer for every line it
writes from a statement, as the last line of defence (the error names the revision and the
line of the generated script).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

Where = Literal["line", "anywhere", "statement_start"]


@dataclass(frozen=True)
class ClientCommand:
    """One kind of line (or text) a client runs itself."""

    pattern: str
    """A regular expression (``re.match`` for ``line``/``statement_start``, ``re.search``
    for ``anywhere``)."""
    meaning: str
    """What the client would do, for the error message ("psql runs it as a meta-command")."""
    where: Where = "line"
    """``line``: at the start of any line; ``statement_start``: where the client starts
    reading a new statement (first line, or after a ``;``); ``anywhere``: anywhere outside
    quotes and comments."""


@dataclass(frozen=True)
class ClientSyntax:
    """What a database's client reads as its own commands, and how it sees quotes.

    Picklable and SQLAlchemy-free: the framer of a cached run holds a copy."""

    commands: tuple[ClientCommand, ...] = ()
    quotes_hide_commands: bool = True
    """The client tracks string literals, quoted names and comments, so a command-like line
    inside them is plain text (psql, mariadb, sqlite3). False where the client reads every
    line (sqlcmd's ``GO``/``$(``, SQL*Plus's ``/``): then text inside quotes counts too."""
    line_end_semicolon_ends_statement: bool = False
    """A ``;`` ending any line ends the statement, inside a literal or not (SQL*Plus): such a
    line in the middle of a plain statement splits it."""
    backslash_escapes: bool = False
    """Backslash escapes the next character inside string literals (MySQL)."""
    dollar_quotes: bool = False
    """``$tag$ ... $tag$`` quotes text (PostgreSQL)."""
    hash_comments: bool = False
    """``#`` starts a comment to the end of the line (MySQL)."""
    dash_comment_needs_space: bool = False
    """``--`` starts a comment only when whitespace follows (MySQL)."""

    @cached_property
    def matchers(self) -> tuple[_Matcher, ...]:
        """The commands compiled once, in their order: ``(where, match, meaning)``, where
        ``match`` is the compiled pattern's ``search`` (``anywhere``) or ``match``."""
        return tuple(
            (
                command.where,
                re.compile(command.pattern).search
                if command.where == "anywhere"
                else re.compile(command.pattern).match,
                command.meaning,
            )
            for command in self.commands
        )

    @cached_property
    def has_statement_start(self) -> bool:
        """Whether a command is matched where a statement starts (so the starts are needed)."""
        return any(command.where == "statement_start" for command in self.commands)

    def __getstate__(self) -> dict[str, Any]:
        # The compiled matchers are rebuilt on first use, not pickled with the syntax.
        return {k: v for k, v in self.__dict__.items() if k not in _DERIVED}


_Matcher = tuple[Where, Callable[[str], "re.Match[str] | None"], str]
_DERIVED = frozenset({"matchers", "has_statement_start"})


@dataclass(frozen=True)
class FoundCommand:
    line: int
    """0-based line of the text where the command is."""
    text: str
    """The line, as the client would read it."""
    meaning: str

    def describe(self) -> str:
        """``<line text>`` and what the client would do, on one line."""
        shown = self.text.strip()
        if len(shown) > 60:
            shown = shown[:57] + "..."
        if not shown.isprintable():
            shown = repr(shown)[1:-1]
        return f"`{shown}`: {self.meaning}"


_HIDDEN = "\x00"
"""Stands for a character inside quotes or a comment in masked text."""

_LINE_BREAK = re.compile(r"\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
"""Every line break ``str.splitlines`` knows: more than any client splits on, so a line a
client reads is never missed (a few more are checked than needed)."""

_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$")


def mask(sql: str, syntax: ClientSyntax) -> tuple[str, str | None]:
    """``sql`` with every character inside a literal, quoted name or comment replaced by
    :data:`_HIDDEN` (quotes, comment markers and line breaks kept), and the kind of
    construct left open at the end (``"'"``, ``"/*"``, ``"--"``, ...; None when closed)."""
    out = list(sql)
    i, n = 0, len(sql)

    def hide(start: int, end: int) -> None:
        for k in range(start, min(end, n)):
            if not _LINE_BREAK.match(sql[k]):
                out[k] = _HIDDEN

    while i < n:
        c = sql[i]
        nxt = sql[i + 1] if i + 1 < n else ""
        if c in "'\"`":
            escapes = (syntax.backslash_escapes and c != "`") or (
                c == "'" and i > 0 and sql[i - 1] in "eE" and not _word_char(sql, i - 2)
            )
            j = i + 1
            while j < n:
                if escapes and sql[j] == "\\":
                    j += 2
                    continue
                if sql[j] == c:
                    if j + 1 < n and sql[j + 1] == c:
                        j += 2
                        continue
                    break
                j += 1
            hide(i + 1, j)
            if j >= n:
                return "".join(out), c
            i = j + 1
        elif (
            c == "-"
            and nxt == "-"
            and (not syntax.dash_comment_needs_space or i + 2 >= n or sql[i + 2].isspace())
        ):
            j = _line_end(sql, i)
            hide(i + 2, j)
            if j >= n:
                return "".join(out), "--"
            i = j
        elif c == "#" and syntax.hash_comments:
            j = _line_end(sql, i)
            hide(i + 1, j)
            if j >= n:
                return "".join(out), "#"
            i = j
        elif c == "/" and nxt == "*":
            j = sql.find("*/", i + 2)
            hide(i + 2, n if j < 0 else j)
            if j < 0:
                return "".join(out), "/*"
            i = j + 2
        elif c == "$" and syntax.dollar_quotes and not _word_char(sql, i - 1):
            tag = _DOLLAR_TAG.match(sql, i)
            if tag is None:
                i += 1
                continue
            close = sql.find(tag.group(0), tag.end())
            hide(tag.end(), n if close < 0 else close)
            if close < 0:
                return "".join(out), tag.group(0)
            i = close + len(tag.group(0))
        else:
            i += 1
    return "".join(out), None


def _word_char(sql: str, i: int) -> bool:
    return 0 <= i < len(sql) and (sql[i].isalnum() or sql[i] == "_")


def _line_end(sql: str, i: int) -> int:
    found = _LINE_BREAK.search(sql, i)
    return len(sql) if found is None else found.start()


def lines(text: str) -> list[str]:
    """``text`` cut at every line break (see :data:`_LINE_BREAK`)."""
    # ``str.splitlines`` breaks at exactly these, in C; it drops the empty piece after a
    # final break (and returns nothing for ""), which the regular expression keeps.
    found = text.splitlines()
    if not text or text[-1] in _BREAK_CHARS:
        found.append("")
    return found


_BREAK_CHARS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
"""The characters :data:`_LINE_BREAK` matches (``\\r\\n`` ends with one of them)."""


def find_client_command(
    sql: str, syntax: ClientSyntax, *, block: bool = False
) -> FoundCommand | None:
    """The first line of ``sql`` (one statement, as the framer writes it, without its
    terminator) that the client would run as its own command, or None.

    ``block``: a procedural block, whose inner ``;`` do not end it."""
    if not syntax.commands and not syntax.line_end_semicolon_ends_statement:
        return None
    originals = lines(sql)
    # Unmasked text can only match more: most statements are settled without masking.
    if not _any_command(originals, syntax, block):
        return None
    masked, _ = mask(sql, syntax)
    plain = lines(masked)
    seen = plain if syntax.quotes_hide_commands else originals
    return _scan(seen, plain, originals, syntax, block)


def _scan(
    seen: list[str],
    plain: list[str],
    originals: list[str],
    syntax: ClientSyntax,
    block: bool,
) -> FoundCommand | None:
    """``seen``: the lines as the client matches commands on them; ``plain``: with quotes
    hidden (where statements end); ``originals``: as written (for the message)."""
    matchers = syntax.matchers
    need_starts = syntax.has_statement_start
    semicolon_ends = syntax.line_end_semicolon_ends_statement and not block
    last = len(seen) - 1
    for number, line in enumerate(seen):
        starts: list[str] = []
        if need_starts:
            if number == 0 or _ends_statement(plain[number - 1], block):
                starts.append(line)
            if not block and ";" in plain[number]:
                starts += plain[number].split(";")[1:]
        for where, match, meaning in matchers:
            if where == "statement_start":
                hit = any(match(start) for start in starts)
            else:
                hit = match(line) is not None
            if hit:
                return FoundCommand(number, originals[number], meaning)
        if semicolon_ends and number < last and originals[number].rstrip().endswith(";"):
            return FoundCommand(
                number, originals[number], "the client ends the statement at this line's ';'"
            )
    return None


def _any_command(text_lines: list[str], syntax: ClientSyntax, block: bool) -> bool:
    """Whether :func:`_scan` of ``text_lines`` (as seen, plain and original) finds a
    command: the same tests, each over all the lines at once instead of in order."""
    starts: list[str] = []
    if syntax.has_statement_start:
        for number, line in enumerate(text_lines):
            if number == 0 or _ends_statement(text_lines[number - 1], block):
                starts.append(line)
            if not block and ";" in line:
                starts += line.split(";")[1:]
    for where, match, _ in syntax.matchers:
        if any(map(match, starts if where == "statement_start" else text_lines)):
            return True
    return (
        syntax.line_end_semicolon_ends_statement
        and not block
        and any(line.rstrip().endswith(";") for line in text_lines[:-1])
    )


def _ends_statement(previous: str, block: bool) -> bool:
    return not block and previous.rstrip().endswith(";")


def unterminated(sql: str, syntax: ClientSyntax) -> str | None:
    """The literal, quoted name or block comment ``sql`` leaves open (``"'"``, ``"/*"``...),
    or None; a trailing line comment is not counted (see :func:`strip_trailing_comment`)."""
    _, open_kind = mask(sql, syntax)
    return None if open_kind in (None, "--", "#") else open_kind


def strip_trailing_comment(sql: str, syntax: ClientSyntax) -> str:
    """``sql`` without a line comment that runs to its very end: the terminator the framer
    appends would land inside it and the next statement would merge with this one."""
    masked, open_kind = mask(sql, syntax)
    if open_kind not in ("--", "#"):
        return sql
    start = masked.rfind(open_kind)
    return sql[:start].rstrip()
