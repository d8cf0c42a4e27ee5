"""The "in progress" marker: a version-table row saying a revision's block began and did not end.

Where DDL commits on its own (MySQL, MariaDB), a block that stops part-way leaves its first
statements applied while the version table still names the revision before it, so the
block's guard would let a re-run start it again over its own half. A dialect that
``marks_blocks_in_progress`` therefore writes a row ``~<revision>`` at the start of each
block and deletes it at the end, just before the version-table change: while the row is
there every guard stops with ``revision <revision> was left half-applied``, and online mode
and ``mig current`` say the same.

A revision id never starts with :data:`MARKER_PREFIX` (writing one to the version table is
refused), so a marker is never read as a revision: a guard of any database finds it among
the rows and does not match.
"""

from __future__ import annotations

from collections.abc import Iterable

MARKER_PREFIX = "~"
"""First character of a marker row; sorts after letters and digits."""

RESUME_NOTES = "the resume notes"
"""How the messages refer to the steps written at the top of each script (and in
docs/dialects.md, "Resuming a half-applied revision")."""


def marker_for(revision: str, width: int) -> str:
    """The marker row of ``revision``, cut to the version column's ``width``."""
    return (MARKER_PREFIX + revision)[:width]


def is_marker(row: str) -> bool:
    return row.startswith(MARKER_PREFIX)


def marked_revisions(rows: Iterable[str]) -> list[str]:
    """The revisions (as far as their marker keeps them) whose block was left half-applied."""
    return sorted(row[len(MARKER_PREFIX) :] for row in rows if is_marker(row))


def half_applied_message(revisions: Iterable[str]) -> str:
    """What every guard, online mode and ``mig current`` say about marker rows."""
    names = ", ".join(revisions)
    return f"revision {names} was left half-applied: see {RESUME_NOTES}"


def half_applied_parts() -> tuple[str, str]:
    """(text before the revisions, text after them) of :func:`half_applied_message`, with
    ``mig: `` in front, as a guard composes it in SQL around the revisions it read."""
    placeholder = "\x00"
    before, after = half_applied_message([placeholder]).split(placeholder)
    return "mig: " + before, after
