"""The header of a revision script, read with ``ast`` (the script is never imported here).

Reading history (``heads``, ``history``, planning a range) must never execute migration code:
a script may import things that are not installed, or do work at import time. So the
header is the module-level literal assignments only, evaluated with ``ast.literal_eval``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from offline_sql.errors import HeaderError, ScriptError


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
    source_sha256: str = field(default="", compare=False)
    """Hex SHA-256 of the script's bytes as read: the step cache keys its entries by it
    (empty when the header was not read from a file; the cache then hashes the file).
    Not part of equality: two reads of one header are equal whatever the bytes around it."""


_HEADER_NAMES = frozenset({"revision", "down_revision", "branch_labels", "depends_on", "mig_allow"})
"""Module-level names that make up a header; every other assignment is ignored."""


def read_header(path: Path | str) -> RevisionHeader:
    """Read the header of the script at ``path`` without importing it."""
    path = Path(path)
    try:
        source = path.read_bytes()
    except OSError as exc:
        raise ScriptError(f"{path}: cannot read revision script: {exc.strerror or exc}") from exc
    return parse_header(source, str(path))


def parse_header(source: bytes | str, path: str) -> RevisionHeader:
    """Parse the header from ``source``; ``path`` is only used for messages and the result."""
    # Imported here: browsing an unchanged history makes its headers from the index
    # (:mod:`offline_sql.script.index`) and parses none; loading OpenSSL's hashes is 2 ms of
    # a 55 ms ``mig heads``.
    import hashlib

    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        raise ScriptError(f"{path}:{exc.lineno or 0}: syntax error: {exc.msg}") from exc
    except ValueError as exc:  # e.g. NUL bytes in the source
        raise ScriptError(f"{path}: cannot parse revision script: {exc}") from exc

    values: dict[str, object] = {}
    for name, node in _module_assignments(tree):
        try:
            values[name] = ast.literal_eval(node)
        except ValueError as exc:
            raise HeaderError(
                f"{path}:{node.lineno}: {name} must be a literal (a string, None or a tuple of "
                "strings): revision headers are read without importing the script"
            ) from exc

    if "revision" not in values:
        raise HeaderError(f"{path}: no module-level 'revision = \"...\"': not a revision script")
    revision = values["revision"]
    if not isinstance(revision, str) or not revision.strip():
        raise HeaderError(f"{path}: revision must be a non-empty string, got {revision!r}")
    message = _first_docstring_line(tree)
    try:
        message.encode("utf-8")
    except UnicodeEncodeError:
        raise HeaderError(
            f"{path}: the docstring {message!r} holds a lone surrogate that cannot be written "
            "as UTF-8: fix the text"
        ) from None
    return RevisionHeader(
        revision=revision,
        down_revisions=_string_tuple(values.get("down_revision"), "down_revision", path),
        branch_labels=_string_tuple(values.get("branch_labels"), "branch_labels", path),
        depends_on=_string_tuple(values.get("depends_on"), "depends_on", path),
        message=message,
        path=path,
        allow_findings=_string_tuple(values.get("mig_allow"), "mig_allow", path),
        source_sha256=hashlib.sha256(
            source if isinstance(source, bytes) else source.encode("utf-8")
        ).hexdigest(),
    )


def _module_assignments(tree: ast.Module) -> list[tuple[str, ast.expr]]:
    """``(name, value node)`` of header assignments directly in the module body, in order."""
    found: list[tuple[str, ast.expr]] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name) and target.id in _HEADER_NAMES:
                    found.append((target.id, stmt.value))
        elif (
            isinstance(stmt, ast.AnnAssign)
            and stmt.value is not None
            and isinstance(stmt.target, ast.Name)
            and stmt.target.id in _HEADER_NAMES
        ):
            found.append((stmt.target.id, stmt.value))
    return found


def _string_tuple(value: object, name: str, path: str) -> tuple[str, ...]:
    """Normalise None / a string / a tuple or list of strings to a tuple, without duplicates."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (tuple, list)) and all(isinstance(item, str) for item in value):
        return tuple(dict.fromkeys(value))
    raise HeaderError(f"{path}: {name} must be None, a string or a tuple of strings, got {value!r}")


def _first_docstring_line(tree: ast.Module) -> str:
    docstring = ast.get_docstring(tree, clean=True)
    if not docstring:
        return ""
    return docstring.strip().splitlines()[0].strip()
