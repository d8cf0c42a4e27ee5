"""Importing the scripts of a run before running any of them, as Alembic does.

Alembic imports every revision script when it reads the history, then runs ``upgrade()``
of each. Real histories rely on that: one script's ``import pkg.sub`` makes ``pkg.sub`` an
attribute another script reaches through ``import pkg``, whichever runs first. mig imports
scripts only when their steps run (a step the cache answers imports nothing), so a
:func:`script_run` names the scripts a walk may run, and the first one that must run
imports itself and every later script of the walk, in order, before its ``upgrade()`` runs.
Each module is handed out once; asking again imports the script afresh.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import TYPE_CHECKING

from offline_sql.script import ahead, loader

if TYPE_CHECKING:
    from offline_sql.config import Config
    from offline_sql.script.header import RevisionHeader


class ScriptRun:
    """The scripts one walk may run, in order, and those imported ahead so far."""

    def __init__(self, config: Config | None, headers: Sequence[RevisionHeader]) -> None:
        self.config = config
        self._headers = list(headers)
        self._modules: dict[str, ModuleType] = {}
        self._imported_from: int | None = None
        self._handed_out: dict[str, str | None] = {}
        """``revision -> SHA-256`` of the source of the module last handed out."""

    def module(self, header: RevisionHeader) -> ModuleType:
        """``header``'s module; the first call imports every later script of the run too."""
        module = self._import(header)
        self._handed_out[header.revision] = loader.source_sha256(module)
        return module

    def source_sha256(self, revision: str) -> str | None:
        """Hex SHA-256 of the bytes the module of ``revision`` handed out since
        :meth:`forget_source` was compiled from (None: none was): what the step ran,
        whatever the file holds now."""
        return self._handed_out.get(revision)

    def forget_source(self, revision: str) -> None:
        self._handed_out.pop(revision, None)

    def _import(self, header: RevisionHeader) -> ModuleType:
        ready = self._modules.pop(header.revision, None)
        if ready is not None:
            return ready
        position = next(
            (i for i, h in enumerate(self._headers) if h.revision == header.revision), None
        )
        if position is None or self._imported_from is not None:
            return loader.load_script(header.path, header.revision)
        self._imported_from = position
        helper = ahead.current()
        if helper is not None:
            helper.prepare([h.path for h in self._headers[position:]])
        module = loader.load_script(header.path, header.revision)
        seen = {header.revision}
        for later in self._headers[position + 1 :]:
            if later.revision not in seen:
                seen.add(later.revision)
                self._modules[later.revision] = loader.load_script(later.path, later.revision)
        return module


_RUN: contextvars.ContextVar[ScriptRun | None] = contextvars.ContextVar(
    "offline_sql_script_run", default=None
)


@contextmanager
def script_run(config: Config | None, headers: Sequence[RevisionHeader]) -> Iterator[ScriptRun]:
    """Scripts run inside the block are imported together, from the first that runs."""
    run = ScriptRun(config, headers)
    token = _RUN.set(run)
    try:
        yield run
    finally:
        _RUN.reset(token)


def active_run() -> ScriptRun | None:
    return _RUN.get()


def imported_script(header: RevisionHeader, *, ahead: bool = True) -> ModuleType:
    """The module of ``header``: from the current run (imported ahead), or imported now."""
    run = _RUN.get() if ahead else None
    if run is None:
        return loader.load_script(header.path, header.revision)
    return run.module(header)
