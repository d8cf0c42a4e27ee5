"""Every error a user can cause, each with a message they can act on.

The CLI translates any :class:`MigError` into one line on stderr and exit code 1
(``UsageError`` exits 2). Anything else escaping is a bug in mig and keeps its
traceback.

Hierarchy::

    MigError
    +-- UsageError                 bad option or argument combination (exit 2)
    +-- ConfigError                mig.toml / [tool.mig] missing, unparsable or invalid
    +-- ScriptError                a revision script cannot be read or run
    |   +-- HeaderError            a module-level header is missing or not a literal
    +-- RevisionError              the revision graph or a target is wrong
    |   +-- UnknownRevisionError   no revision matches (close matches suggested)
    |   +-- AmbiguousRevisionError a prefix matches several revisions
    |   +-- MultipleHeadsError     "head" asked for while there are several
    |   +-- DuplicateRevisionError two files declare the same id
    |   +-- MissingParentError     down_revision / depends_on names no revision
    |   +-- CycleError             the graph has a cycle
    +-- RenderError                an operation cannot be expressed for the dialect
    |   +-- ClientCommandError     text would become a command of the database's client
    +-- OfflineReadError           a script tried to read the database offline
    +-- DatabaseError              online mode: a statement failed or the version is wrong
    +-- MissingDriverError         online mode: the DBAPI driver extra is not installed
    +-- OutputError                the output directory cannot be written
    +-- ReviewError                --strict and the review found error-level findings
    +-- CacheWarning (a Warning)   a cache could not be used; never an error
    +-- OfflineReadWarning         a script replayed below a range read data: answered empty
"""

from __future__ import annotations

import os
from pathlib import Path


class MigError(Exception):
    """Base class: the message is the whole story for the user."""

    exit_code = 1


class UsageError(MigError):
    exit_code = 2


class ConfigError(MigError):
    pass


class ScriptError(MigError):
    pass


class HeaderError(ScriptError):
    pass


class RevisionError(MigError):
    pass


class UnknownRevisionError(RevisionError):
    pass


class AmbiguousRevisionError(RevisionError):
    pass


class MultipleHeadsError(RevisionError):
    pass


class DuplicateRevisionError(RevisionError):
    pass


class MissingParentError(RevisionError):
    pass


class CycleError(RevisionError):
    pass


class RenderError(MigError):
    pass


class ClientCommandError(RenderError):
    """A line of the script would be run by the client itself (``\\! cmd``, ``.shell``,
    ``GO``, ``host``), not sent to the database: mig refuses to write it."""


class OfflineReadError(MigError):
    pass


class DatabaseError(MigError):
    pass


class MissingDriverError(MigError):
    pass


class OutputError(MigError):
    pass


class ReviewError(MigError):
    pass


class CacheWarning(UserWarning):
    """A cache entry was unreadable or unwritable and was ignored."""


class OfflineReadWarning(UserWarning):
    """A revision replayed below a range's start (already applied, nothing emitted) read
    data through the bind; mig answered as if the tables were empty."""


def one_line(text: str) -> str:
    """A message as the command line prints it: one line, with paths under the working
    directory shown relative to it."""
    line = " ".join(part.strip() for part in str(text).splitlines() if part.strip())
    return line.replace(f"{Path.cwd()}{os.sep}", "")
