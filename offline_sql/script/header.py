"""The header of a revision script, read with ``ast`` (the script is never imported here)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RevisionHeader:
    """Module-level literals of one revision script.

    ``down_revision`` and ``depends_on`` are normalised to tuples (empty for None) so the
    graph never has to tell a string from a tuple.
    """

    revision: str
    down_revisions: tuple[str, ...]
    branch_labels: tuple[str, ...]
    depends_on: tuple[str, ...]
    message: str
    """First line of the module docstring."""
    path: str
    """Path of the script file as found under ``versions/``."""
    allow_findings: tuple[str, ...] = ()
    """Review rule ids this revision allows (module-level ``mig_allow``), see the review."""
