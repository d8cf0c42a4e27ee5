"""SQL*Plus text layout: every line of an Oracle script must reach the server as SQL.

SQL*Plus reads a script line by line before the server sees any of it (SQL*Plus User's
Guide and Reference, "SQL*Plus Limits" and "Entering and Executing Commands"):

* a line longer than the command-line limit (2,500 characters up to 12.1, 5,000 later) is
  ignored with SP2-0027; client errors are not trapped by ``WHENEVER SQLERROR``, so the rest
  of the statement runs without it, or the statement vanishes and the version row is still
  written. Lines are kept under :data:`LINE_LIMIT`, with room to spare for every release;
* inside a statement a line holding only ``/`` runs it, only ``.`` ends it, a blank line ends
  it unless ``SET SQLBLANKLINES ON``, and one starting with ``#`` (SQLPREFIX) runs the rest
  as a SQL*Plus command.

Our own text never holds a line break inside a string literal (``CHR(10)``), so a line
that is too long is wrapped between tokens: before ``||``, before a ``,`` of a list, and
only where all else fails at a space before a token that cannot start a SQL*Plus command.
Every continuation line thus starts with punctuation, a quote or a digit, never with a word
SQL*Plus would take for a command (``host``, ``@``, ``SET``, ``/``, ``.``).
"""

from __future__ import annotations

import bisect
import re

LINE_LIMIT = 2400
"""Longest line written for SQL*Plus: under its 2,499 readable characters, with room for a
terminator and an indentation."""

CONTINUATION_INDENT = "  "

_SAFE_AFTER_SPACE = frozenset("('\"=<>+*|,)0123456789")
"""Characters a wrapped line may start with when it is cut at a space (besides ``||``/``,``)."""

_Q_QUOTE_CLOSERS = {"[": "]", "{": "}", "<": ">", "(": ")"}


COMMAND_START = re.compile(
    r"""^\s*(?:[@!$\#]|/\s*$|\.\s*$
    |(?i:host|start|exit|quit|connect|conn|disconnect|spool|prompt|define|whenever|pause
        |accept|remark|rem|set\s+(?:define|echo|termout|sqlblanklines|sqlterminator
        |sqlprefix|blockterminator|serveroutput|feedback|verify|escape|scan|autocommit))\b)""",
    re.X,
)
"""A line that, inside a statement, starts like a SQL*Plus command. Only ``#``, ``/``, ``.``
are documented to act there; the words are kept off line starts all the same (a column
named ``host`` joins the line before it), so no reader of the script, human or client
release, can take a developer's name for a command."""


class LayoutError(ValueError):
    """A line SQL*Plus cannot read and that has no place to be cut outside a literal."""


def _join_command_like_lines(sql: str) -> str:
    """``sql`` with each line after the first that :data:`COMMAND_START` matches joined to
    the line before it, where the line break between them is plain whitespace (not inside
    a literal, a quoted name or a comment)."""
    lines = sql.split("\n")
    if not any(COMMAND_START.match(line) for line in lines[1:]):
        return sql
    plain = set(_plain_newlines(sql))
    out = lines[0]
    offset = len(lines[0])
    for line in lines[1:]:
        if COMMAND_START.match(line) and offset in plain:
            out += " " + line.lstrip()
        elif COMMAND_START.match(line):
            raise LayoutError(
                f"the line {line.strip()[:40]!r} starts like a SQL*Plus command and cannot be "
                "joined to the line before it (the line break is inside a literal or ends a -- "
                "comment); build the literal with CHR(10) or use a /* */ comment"
            )
        else:
            out += "\n" + line
        offset += 1 + len(line)
    return out


def _plain_newlines(sql: str) -> list[int]:
    """Positions of the line breaks outside literals, quoted names and comments."""
    found: list[int] = []
    i, n = 0, len(sql)
    while i < n:
        char = sql[i]
        if char == "-" and sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end + 1  # the break ending a -- comment is not plain
        elif char == "/" and sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif char == "'":
            i = _end_of_string(sql, i)
        elif char == '"':
            end = sql.find('"', i + 1)
            i = n if end < 0 else end + 1
        else:
            if char == "\n":
                found.append(i)
            i += 1
    return found


def _break_points(sql: str) -> list[tuple[int, int]]:
    """``(position, rank)`` of every place ``sql`` may be cut before, outside string
    literals, quoted identifiers and comments: rank 0 before ``||`` or ``,``, rank 1 at a
    space followed by a character in :data:`_SAFE_AFTER_SPACE`."""
    points: list[tuple[int, int]] = []
    i, n = 0, len(sql)
    while i < n:
        char = sql[i]
        if char == "-" and sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end
            continue
        if char == "/" and sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        if char == "'":
            i = _end_of_string(sql, i)
            continue
        if char == '"':
            end = sql.find('"', i + 1)
            i = n if end < 0 else end + 1
            continue
        if char == "|" and sql.startswith("||", i):
            points.append((i, 0))
            i += 2
            continue
        if char == ",":
            points.append((i, 0))
        elif char == " " and i + 1 < n and sql[i + 1] in _SAFE_AFTER_SPACE:
            points.append((i + 1, 1))
        i += 1
    return points


def _end_of_string(sql: str, start: int) -> int:
    """The index after the string literal opening at ``start`` (``'...'`` or ``q'[...]'``)."""
    before = sql[start - 1] if start else ""
    word_start = start - 1 if before in "qQ" else start
    if word_start > 0 and sql[word_start - 1] in "nN":
        word_start -= 1
    q_quote = before in "qQ" and (word_start == 0 or not _is_word(sql[word_start - 1]))
    if q_quote and start + 1 < len(sql):
        opener = sql[start + 1]
        closer = _Q_QUOTE_CLOSERS.get(opener, opener)
        end = sql.find(closer + "'", start + 2)
        return len(sql) if end < 0 else end + 2
    i = start + 1
    while i < len(sql):
        if sql[i] == "'":
            if sql.startswith("''", i):
                i += 2
                continue
            return i + 1
        i += 1
    return len(sql)


def _is_word(char: str) -> bool:
    return char.isalnum() or char in "_$#"


def lay_out(sql: str, limit: int = LINE_LIMIT) -> str:
    """``sql`` with every line longer than ``limit`` cut between tokens (see the module
    docstring); lines within the limit are left exactly as they are. Raises
    :class:`LayoutError` for a line with nowhere to cut (one literal or comment too long)."""
    sql = _join_command_like_lines(sql)
    if all(len(line) <= limit for line in sql.split("\n")):
        return sql
    points = _break_points(sql)
    positions = [p for p, _rank in points]
    out: list[str] = []
    offset = 0
    for line in sql.split("\n"):
        start, end = offset, offset + len(line)
        offset = end + 1
        if len(line) <= limit:
            out.append(line)
            continue
        first, last = bisect.bisect_right(positions, start), bisect.bisect_left(positions, end)
        out.extend(_cut(sql, start, end, points[first:last], limit))
    return "\n".join(out)


def _cut(sql: str, start: int, end: int, points: list[tuple[int, int]], limit: int) -> list[str]:
    """The line ``sql[start:end]`` as lines of at most ``limit`` characters, cut at the
    latest ``points`` (sorted, inside the line) that fit, preferring rank 0."""
    positions = [p for p, _rank in points]
    lines: list[str] = []
    prefix = ""
    while len(prefix) + end - start > limit:
        room = start + limit - len(prefix)
        low, high = bisect.bisect_right(positions, start), bisect.bisect_right(positions, room)
        window = points[low:high]
        ranked = [p for p, rank in window if rank == 0] or [p for p, _rank in window]
        cut = ranked[-1] if ranked else start
        head = sql[start:cut].rstrip()
        if not head.strip():
            raise LayoutError(
                f"a line of {end - start} characters has no place to be cut outside a string "
                f"literal, quoted name or comment within {limit} characters, and SQL*Plus "
                "ignores longer lines (SP2-0027); split the long literal into concatenated "
                "pieces or shorten the line"
            )
        lines.append(prefix + head)
        start = cut
        while start < end and sql[start] == " ":
            start += 1
        prefix = CONTINUATION_INDENT
    lines.append(prefix + sql[start:end])
    return lines
