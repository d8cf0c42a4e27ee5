"""How an offline run is written (``-o``, ``--force``, ``--no-guard`` ...).

A module of its own so that a command answered whole by the result memo
(:mod:`offline_sql.result_memo`) imports neither the generation nor the framer to say
how it was asked to write.
"""

from __future__ import annotations

from pathlib import Path

from offline_sql.records import record


@record
class OutputOptions:
    """How an offline run is written; the defaults are the safe ones."""

    output: Path | None = None
    force: bool = False
    guard: bool = True
    preamble: bool = True
    strict: bool = False
