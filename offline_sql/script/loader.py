"""Importing one revision script by path and running its upgrade() or downgrade().

Scripts are imported only when their operations are needed (headers are read with
``ast`` elsewhere). Each gets its own module name, ``offline_sql_rev_<revision>``, and
is never left in ``sys.modules`` or on ``sys.path``, so loading the same file in two runs
gives two independent modules. The source is compiled here (no ``__pycache__`` is written
next to the user's scripts) and every failure becomes a :class:`ScriptError` naming the
file and line, ``sys.exit()``/``exit()``/``quit()`` included: a script that exits has not
said what it does, so mig stops with exit 1 rather than write an empty script.

While a script is imported and run, ``alembic.op`` and ``alembic.context`` are mig's (see
:mod:`offline_sql.alembic_compat.overlay`), so Alembic scripts run unmodified. Reading the
script's own source is not a dependency of the step being cached (see
:func:`offline_sql.tracked_reads.untracked`): a run imports every script it will run first.

While a script runs, what it prints goes to stderr: stdout carries the generated SQL, and a
printed ``\\!`` line would otherwise reach the DBA's client (and only on a cold cache).
"""

from __future__ import annotations

import contextvars
import hashlib
import importlib.util
import os
import re
import sys
import traceback
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, redirect_stdout
from types import CodeType, ModuleType, TracebackType
from typing import Literal

from offline_sql.alembic_compat.overlay import alembic_modules
from offline_sql.errors import MigError, ScriptError
from offline_sql.script import ahead
from offline_sql.tracked_reads import untracked

Direction = Literal["upgrade", "downgrade"]

_REVISION_ATTR = "__mig_revision__"
_SOURCE_SHA_ATTR = "__mig_source_sha256__"


def module_name(revision: str) -> str:
    """The module name a revision is loaded under (identifier-safe)."""
    return "offline_sql_rev_" + re.sub(r"\W", "_", revision)


_KEPT: contextvars.ContextVar[dict[str, tuple[str, CodeType]] | None] = contextvars.ContextVar(
    "offline_sql_compiled_scripts", default=None
)


@contextmanager
def compiled_kept() -> Iterator[None]:
    """Inside, each script's bytecode is kept (by path, for the SHA-256 of the bytes it was
    compiled from) and reused when those bytes are loaded again, into a fresh module. A
    ticket directory's run loads every script twice (its step, its rollback step; a third
    time where the check that its other direction records something runs), and compiling
    was most of a load (0.12 ms of a small script, 0.25 s of a first ``-o`` run at
    N = 1,000). The code is kept from a script's first load to its next one, then dropped
    (a third load compiles again): kept to the block's end, every script's code (2 KB) was
    still held while the directory was written, 2 MiB more at its highest at N = 5,000.
    Only around such runs."""
    token = _KEPT.set({})
    try:
        yield
    finally:
        _KEPT.reset(token)


def forget_compiled(paths: Iterable[str]) -> None:
    """Drop the bytecode kept for these scripts (:func:`compiled_kept`): their next load
    happened elsewhere (a forked child's, :mod:`offline_sql.rollback_split`), where it
    would have dropped it."""
    kept = _KEPT.get()
    if kept is not None:
        for path in paths:
            kept.pop(path, None)


def load_script(path: str, revision: str) -> ModuleType:
    """Import the revision script at ``path`` as a fresh module."""
    try:
        with untracked(), open(path, "rb") as handle:
            source = handle.read()  # bytes: compile() honours a coding line and a BOM,
    except OSError as exc:  # as importing the script would (PEP 263)
        raise ScriptError(f"{path}: cannot read revision {revision}: {exc.strerror}") from exc
    sha = hashlib.sha256(source).hexdigest()
    kept = _KEPT.get()
    found = kept.pop(path, None) if kept is not None else None
    code = found[1] if found is not None and found[0] == sha else None
    if code is None:
        helper = ahead.current()
        code = helper.code(path, source) if helper is not None else None
        if code is None and kept is not None:
            code = ahead.compile_quietly(source, path)
        if code is not None and kept is not None:
            kept[path] = (sha, code)
    try:
        if code is None:
            code = compile(source, path, "exec", dont_inherit=True)
    except (ValueError, UnicodeDecodeError) as exc:  # NUL bytes; an undecodable file
        raise ScriptError(f"{path}: cannot read revision {revision}: {exc}") from exc
    except SyntaxError as exc:
        raise ScriptError(
            f"{path}:{exc.lineno}: {type(exc).__name__}: {exc.msg} (revision {revision})"
        ) from exc

    name = module_name(revision)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None:  # pragma: no cover - a path always gives a spec
        raise ScriptError(f"{path}: cannot load revision {revision}")
    module = importlib.util.module_from_spec(spec)
    setattr(module, _REVISION_ATTR, revision)
    setattr(module, _SOURCE_SHA_ATTR, sha)
    previous = sys.modules.get(name)
    # Registered while the body runs: dataclasses and typing look the module up by name.
    sys.modules[name] = module
    try:
        with redirect_stdout(sys.stderr), alembic_modules():
            exec(code, module.__dict__)
    except MigError:
        raise
    except SystemExit as exc:
        line = _script_line(exc.__traceback__, path)
        raise ScriptError(
            f"{path}:{line}: importing revision {revision} called {_exit_call(exc)}; a "
            "revision script must not exit (raise an exception to stop mig)"
        ) from exc
    except Exception as exc:
        line = _script_line(exc.__traceback__, path)
        raise ScriptError(
            f"{path}:{line}: importing revision {revision} raised {type(exc).__name__}: {exc}"
        ) from exc
    finally:
        if previous is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = previous
    return module


def source_sha256(module: ModuleType) -> str | None:
    """Hex SHA-256 of the bytes ``module`` was compiled from (None: not loaded here): what
    ran, which the step cache compares with the script's key."""
    found = getattr(module, _SOURCE_SHA_ATTR, None)
    return found if isinstance(found, str) else None


def run_revision(module: ModuleType, direction: Direction) -> None:
    """Call the script's ``upgrade()`` or ``downgrade()`` (under the caller's recorder)."""
    path = module.__file__ or module.__name__
    revision = getattr(module, _REVISION_ATTR, module.__name__)
    function = getattr(module, direction, None)
    if not callable(function):
        raise ScriptError(
            f"{path}: revision {revision} has no {direction}() function; define "
            f"`def {direction}() -> None:` (it may just `pass`)"
        )
    try:
        with redirect_stdout(sys.stderr), alembic_modules():
            function()
    except MigError:
        raise
    except SystemExit as exc:
        line = _script_line(exc.__traceback__, path)
        raise ScriptError(
            f"revision {revision} ({path}:{line}): {direction}() called {_exit_call(exc)}; a "
            "revision script must not exit (raise an exception to stop mig)"
        ) from exc
    except Exception as exc:
        line = _script_line(exc.__traceback__, path)
        raise ScriptError(
            f"revision {revision} ({path}:{line}): {direction}() raised {type(exc).__name__}: {exc}"
        ) from exc


def _exit_call(exc: SystemExit) -> str:
    """``sys.exit(0)`` as the script spelled it, near enough (exit()/quit() raise the same)."""
    return f"sys.exit({exc.code!r})" if exc.code is not None else "sys.exit()"


def _script_line(tb: TracebackType | None, path: str) -> int:
    """The deepest line of the traceback that is in the script itself (0 if none)."""
    wanted = {os.path.normcase(path), os.path.normcase(os.path.realpath(path))}
    line = 0
    for frame, lineno in traceback.walk_tb(tb):
        if os.path.normcase(frame.f_code.co_filename) in wanted:
            line = lineno
    return line
