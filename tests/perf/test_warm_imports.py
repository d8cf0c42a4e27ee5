"""A run the result memo answers imports neither the generation, the framer nor SQLAlchemy.

Such a run (the same command again, nothing changed) only checks the memo's key and
writes the remembered script; importing ``generate``, ``frame`` and what they import cost
it about 10 ms of its 100. Nor does it import the step cache's walking and table pickling
(``stepcache.cache``, ``tablemap``) or the header reading and its helper process
(``script.header``, ``script.ahead``): 35 M of its 391 M instructions at N = 1,000; nor
``logging`` (3 ms: the command line sets its logger up when first used,
:mod:`offline_sql.logs`). Each case runs in a fresh interpreter."""

from __future__ import annotations

import os
from pathlib import Path

from cli_probe import copy_of_example, probe

HEAVY = (
    "offline_sql.generate",
    "offline_sql.frame",
    "offline_sql.ticket",
    "sqlalchemy",
    "offline_sql.stepcache.cache",
    "offline_sql.tablemap",
    "offline_sql.script.header",
    "offline_sql.script.ahead",
    "logging",
)
IMPORTED = f"','.join(sorted(m for m in sys.modules if m in {HEAVY!r}))"
OLD = 1_000_000_000_000_000_000
"""Script files long unchanged, as the step cache and the memo trust them."""


def test_a_run_the_memo_answers_imports_little(tmp_path: Path) -> None:
    project = copy_of_example(tmp_path)
    for script in project.rglob("*.py"):
        os.utime(script, ns=(OLD, OLD))
    args = ("--dialect", "postgresql", "upgrade", "head", "--sql")
    first, imported_first = probe(project, IMPORTED, *args)
    assert set(imported_first.split(",")) >= {"offline_sql.generate", "sqlalchemy"}
    again, imported = probe(project, IMPORTED, *args)
    assert again == first
    assert imported == ""


def test_a_directory_run_the_memo_answers_imports_no_socket(tmp_path: Path) -> None:
    """The name of the machine (for the staging folders' names) comes from ``os.uname``:
    importing ``socket`` was 5 ms of a 130 ms ``-o DIR`` run the memo answers. Nor does it
    import ``logging``, which only the generation's listening (:mod:`offline_sql.said`)
    needs."""
    project = copy_of_example(tmp_path)
    for script in project.rglob("*.py"):
        os.utime(script, ns=(OLD, OLD))
    args = ("--dialect", "postgresql", "upgrade", "head", "--sql", "-o", "out", "--force")
    wanted = ("logging", "socket", "sqlalchemy")
    report = f"'imported:' + ','.join(sorted(m for m in sys.modules if m in {wanted!r}))"
    assert "sqlalchemy" in probe(project, report, *args)[1]  # the first run generates
    assert probe(project, report, *args)[1] == "imported:"


def test_browsing_an_indexed_history_imports_no_hashes_nor_the_reader_process(
    tmp_path: Path,
) -> None:
    """``heads`` and ``history`` on a history the index knows make every header from the
    index: they import neither ``hashlib`` (loading OpenSSL's hashes, 2 ms of a 55 ms
    ``mig heads``) nor the header reader's helper process (``script.ahead``, 1.5 ms); the
    first run, which parses the scripts, does. Nor ``logging`` (3 ms), which nothing logs
    to."""
    project = copy_of_example(tmp_path)
    for script in project.rglob("*.py"):
        os.utime(script, ns=(OLD, OLD))
    wanted = ("hashlib", "logging", "offline_sql.script.ahead")
    report = f"'imported:' + ','.join(sorted(m for m in sys.modules if m in {wanted!r}))"
    first, imported_first = probe(project, report, "heads")
    assert "hashlib" in imported_first
    for args in (("heads",), ("history",), ("history", "--verbose")):
        out, imported = probe(project, report, *args)
        assert imported == "imported:", args
        assert out.strip(), args
    assert probe(project, report, "heads")[0] == first
