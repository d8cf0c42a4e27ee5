"""What ``sqlcmd`` reads as its own, so no text of a migration reaches it as a command.

``sqlcmd`` reads a script line by line before SQL Server sees it. A line whose first word is
one of its commands is run by the client: ``GO`` ends a batch, ``:r``/``:setvar``/``:connect``
... and ``!! cmd`` (a shell command) start with ``:`` or ``!!``, and ``ED``, ``RESET``,
``QUIT`` and ``EXIT`` are recognised without the colon. ``$(name)`` is replaced by a scripting
variable anywhere in the text, inside quotes and comments too (``$(SQLCMDPASSWORD)`` ...).
(Microsoft's sqlcmd reference, "sqlcmd commands" and "Use sqlcmd with scripting variables".)

String literals never hold a raw line break or ``$(`` (``dialect_api/literals.py``). What is
left is text mig cannot rewrite: identifiers, raw SQL (``op.execute``, ``sa.text`` defaults
and CHECK conditions). :func:`hazard` finds such a line or ``$(`` in a statement; the
dialect refuses it with one line naming the operation.
"""

from __future__ import annotations

import re

COMMAND_WORDS = frozenset({"go", "ed", "reset", "quit", "exit"})
"""Commands sqlcmd recognises at the start of a line without a leading ``:``. An identifier
spelled so is quoted (``[go]``), so that a column on a line of its own in ``CREATE TABLE``
never starts with the word."""

COMMAND_LINE = re.compile(r"^[ \t]*(?::|!!|(?:GO|ED|RESET|QUIT|EXIT)(?![\w$#@]))", re.I | re.M)
"""A line sqlcmd would run as one of its commands."""

SUBSTITUTION = "$("
"""What starts a scripting variable."""


def hazard(sql: str, comment: str | None = None) -> str | None:
    """Why sqlcmd would not pass ``sql`` (and the comment lines above it) to the server as
    written, or None. Comment lines are written ``-- ...`` and cannot be commands."""
    match = COMMAND_LINE.search(sql)
    if match is not None:
        end = sql.find("\n", match.start())
        line = sql[match.start() : end if end >= 0 else None].strip()
        return f"the line {line[:40]!r} would be run by sqlcmd as a command"
    for text in (sql, comment or ""):
        if SUBSTITUTION in text:
            at = text.index(SUBSTITUTION)
            return f"sqlcmd would substitute the variable in {text[at : at + 20]!r}"
    return None
