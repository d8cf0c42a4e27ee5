"""The recorder of one run: where ``op.*`` calls go, bound through a context variable.

A revision script calls module-level functions of :mod:`offline_sql.op`; they look up the
:class:`Recorder` of the current run in :data:`_CURRENT` (a :class:`contextvars.ContextVar`,
never a global mutable proxy), so two runs in one process, in threads or nested, never
see each other's operations. The recorder stamps each operation with the script line that
asked for it and hands it to ``sink``: offline the caller collects, online the caller
renders and executes at once so that later reads see earlier changes.
"""

from __future__ import annotations

import contextvars
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from offline_sql.errors import MigError
from offline_sql.operations import CreateTable, Operation, Origin
from offline_sql.real_paths import real_path
from offline_sql.script_arguments import ScriptArguments as ScriptArguments
from offline_sql.script_arguments import current_arguments
from offline_sql.script_arguments import script_arguments as script_arguments

if TYPE_CHECKING:
    from offline_sql.dialect_api.base import Dialect
    from offline_sql.state import SchemaState

_CURRENT: contextvars.ContextVar[Recorder | None] = contextvars.ContextVar(
    "offline_sql_recorder", default=None
)


_NEVER_SCRIPTS = ("offline_sql.", "sqlalchemy.")
"""Module name prefixes whose frames are never a revision script's (scripts are loaded as
``offline_sql_rev_<revision>``, with no dot after ``offline_sql``)."""


class Recorder:
    """Collects the operations of one revision script run in one direction."""

    def __init__(
        self,
        revision: str,
        path: str,
        dialect: Dialect,
        sink: Callable[[Operation], None],
        offline: bool,
        bind: Any | None = None,
        *,
        state: SchemaState | None = None,
        replaying: bool = False,
    ) -> None:
        self.revision = revision
        self.path = path
        self.dialect = dialect
        self.sink = sink
        self.offline = offline
        self.bind = bind
        self.state = state
        """Offline: the schema replayed up to this script (before it), which reflection
        through the bind reads; never changed here."""
        self.replaying = replaying
        """True while the script is replayed below a range's start (already applied,
        nothing emitted): reads through the bind are answered as on empty tables."""
        self.recorded: list[Operation] = []
        self._view: SchemaState | None = None
        self._viewed = 0
        self._paths = {os.path.normcase(path), os.path.normcase(real_path(path))}
        self.autocommit = 0
        """How deep in ``autocommit_block()`` blocks the script is (0: not in one)."""

    # ---- origins ------------------------------------------------------------------------

    def script_line(self) -> int:
        """Line of the innermost frame running the revision script (0 when none is)."""
        frame = sys._getframe(1)
        while frame is not None:
            # mig's and SQLAlchemy's frames are passed by their module's name, without
            # reading ``f_code``: an audited attribute, and the step cache's audit hook
            # makes each read a Python call (20,000 of them in a 1,000-revision run).
            name = frame.f_globals.get("__name__")
            if not (isinstance(name, str) and name.startswith(_NEVER_SCRIPTS)) and (
                os.path.normcase(frame.f_code.co_filename) in self._paths
            ):
                return frame.f_lineno
            frame = frame.f_back  # type: ignore[assignment]
        return 0

    def origin_here(self) -> Origin:
        """The :class:`Origin` of the script line currently calling ``op``."""
        return Origin(self.path, self.script_line(), self.revision)

    # ---- recording ----------------------------------------------------------------------

    def stamp(self, op: Operation, origin: Origin | None = None) -> Operation:
        """Set ``op.origin`` (the calling script line unless given) without recording."""
        op.origin = origin if origin is not None else self.origin_here()
        return op

    def record(self, op: Operation, origin: Origin | None = None) -> None:
        """Stamp ``op`` with its script line and hand it to the sink."""
        self.stamp(op, origin)
        self.recorded.append(op)
        if self.autocommit:
            op.autocommit = True
        self.sink(op)

    def prerender_create_table(self, op: CreateTable, table: Any) -> Any:
        """The dialect's statements for the table ``op.create_table`` is about to hand the
        script, or None (see ``Dialect.prerender_create_table``; a stand-in dialect of a
        test renders nothing ahead)."""
        from offline_sql.dialect_api.base import Dialect

        if not isinstance(self.dialect, Dialect):
            return None
        return self.dialect.prerender_create_table(op, table)

    # ---- database access ----------------------------------------------------------------

    def get_bind(self) -> Any:
        """Online: the real connection. Offline: a stand-in that knows the dialect, records
        what is written through it and answers reflection from the replayed schema
        (:mod:`offline_sql.offline_bind`)."""
        if not self.offline:
            return self.bind
        from offline_sql.offline_bind import OfflineBind

        return OfflineBind(self)

    def schema_view(self) -> SchemaState:
        """The schema at this point of the script: the state before it with what it
        recorded so far applied (on a copy, kept up to date between questions)."""
        if self.state is None:
            from offline_sql.errors import OfflineReadError

            raise OfflineReadError(
                f"{self.path}:{self.script_line()} (revision {self.revision}): reflection "
                "needs the replayed schema, which this run does not have"
            )
        if self._view is None:
            self._view = self.state.copy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the real replay warns, once
            for op in self.recorded[self._viewed :]:
                self._view.apply(op)
        self._viewed = len(self.recorded)
        return self._view

    def get_context(self) -> MigrationContext:
        return MigrationContext(self)


@dataclass(frozen=True)
class ScriptInfo:
    """What ``get_context().script`` tells a script about itself."""

    revision: str
    path: str


class MigrationContext:
    """Enough of Alembic's ``MigrationContext`` for the checks scripts commonly make."""

    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder
        self.script = ScriptInfo(recorder.revision, recorder.path)
        self.as_sql = recorder.offline
        self.opts: dict[str, Any] = {"as_sql": recorder.offline}

    @property
    def dialect(self) -> Any:
        """The target SQLAlchemy dialect, as in Alembic (``.name`` is the database)."""
        if not self._recorder.offline and self._recorder.bind is not None:
            return self._recorder.bind.dialect
        return self._recorder.dialect.sa_dialect()

    @property
    def bind(self) -> Any:
        return self._recorder.get_bind()

    @property
    def connection(self) -> Any:
        """None offline, like Alembic's ``MigrationContext.connection`` in ``--sql`` mode."""
        return None if self._recorder.offline else self._recorder.bind

    def is_offline_mode(self) -> bool:
        return self._recorder.offline

    @contextmanager
    def autocommit_block(self) -> Iterator[None]:
        """Operations recorded in the block run outside the transaction, as Alembic's
        ``autocommit_block()`` runs them: offline, COMMIT before them and BEGIN after (where
        the database's DDL is transactional; elsewhere there is no transaction to leave),
        online, in autocommit with the transaction before them committed."""
        self._recorder.autocommit += 1
        try:
            yield
        finally:
            self._recorder.autocommit -= 1

    def get_tag_argument(self) -> str | None:
        """``upgrade --tag``'s value (None without), as Alembic's
        ``context.get_tag_argument()``."""
        arguments = current_arguments()
        return arguments.tag if arguments is not None else None


@contextmanager
def recording(recorder: Recorder) -> Iterator[Recorder]:
    """Bind ``recorder`` as the current one for the ``with`` block (this context only)."""
    token = _CURRENT.set(recorder)
    try:
        yield recorder
    finally:
        _CURRENT.reset(token)


def current_recorder(what: str) -> Recorder:
    """The recorder of the current run; ``what`` names the ``op`` function for the error."""
    recorder = _CURRENT.get()
    if recorder is None:
        raise MigError(
            f"op.{what} called outside a migration run: revision scripts are run by "
            "`mig upgrade`/`mig downgrade` (or offline_sql.recorder.recording() in tests)"
        )
    return recorder


def active_recorder() -> Recorder | None:
    """The current recorder or None, for code that works with and without a run."""
    return _CURRENT.get()
