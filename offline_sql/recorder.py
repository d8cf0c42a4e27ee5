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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import inspection

from offline_sql.errors import MigError, OfflineReadError
from offline_sql.operations import CreateTable, Operation, Origin
from offline_sql.script_arguments import ScriptArguments as ScriptArguments
from offline_sql.script_arguments import current_arguments
from offline_sql.script_arguments import script_arguments as script_arguments

if TYPE_CHECKING:
    from offline_sql.dialects.base import Dialect

_CURRENT: contextvars.ContextVar[Recorder | None] = contextvars.ContextVar(
    "offline_sql_recorder", default=None
)


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
    ) -> None:
        self.revision = revision
        self.path = path
        self.dialect = dialect
        self.sink = sink
        self.offline = offline
        self.bind = bind
        self._paths = {os.path.normcase(path), os.path.normcase(os.path.realpath(path))}

    # ---- origins ------------------------------------------------------------------------

    def script_line(self) -> int:
        """Line of the innermost frame running the revision script (0 when none is)."""
        frame = sys._getframe(1)
        while frame is not None:
            if os.path.normcase(frame.f_code.co_filename) in self._paths:
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
        self.sink(op)

    def prerender_create_table(self, op: CreateTable, table: Any) -> Any:
        """The dialect's statements for the table ``op.create_table`` is about to hand the
        script, or None (see ``Dialect.prerender_create_table``; a stand-in dialect of a
        test renders nothing ahead)."""
        from offline_sql.dialects.base import Dialect

        if not isinstance(self.dialect, Dialect):
            return None
        return self.dialect.prerender_create_table(op, table)

    # ---- database access ----------------------------------------------------------------

    def get_bind(self) -> Any:
        """Online: the real connection. Offline: a stand-in that knows the dialect and
        refuses to read."""
        if not self.offline:
            return self.bind
        return OfflineBind(self)

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

    def get_tag_argument(self) -> str | None:
        """``upgrade --tag``'s value (None without), as Alembic's
        ``context.get_tag_argument()``."""
        arguments = current_arguments()
        return arguments.tag if arguments is not None else None


class OfflineBind:
    """What ``op.get_bind()`` returns offline: ``.dialect`` works, reading raises.

    Every other public attribute (``execute``, ``scalar``, ``connect``, ``engine`` ...) is
    an error naming the script line, since no database is there to answer.
    """

    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder

    @property
    def dialect(self) -> Any:
        return self._recorder.dialect.sa_dialect()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        raise self.read_error(f"op.get_bind().{name}")

    def read_error(self, what: str) -> OfflineReadError:
        """The error for ``what`` (an attribute or call) that would read the database."""
        recorder = self._recorder
        return OfflineReadError(
            f"{recorder.path}:{recorder.script_line()} (revision {recorder.revision}): "
            f"{what} needs a database, and offline scripts cannot read the "
            "database; guard the code with `if not op.get_context().is_offline_mode():` "
            "or use op.execute for writes"
        )


@inspection._inspects(OfflineBind)
def _inspect_offline_bind(bind: OfflineBind) -> Any:
    """``sa.inspect(op.get_bind())``, ``MetaData.reflect(bind=...)`` and
    ``Table(..., autoload_with=...)`` offline: mig's error naming the script line, instead
    of SQLAlchemy's NoInspectionAvailable (real scripts check tables and indexes this way)."""
    raise bind.read_error("sa.inspect(op.get_bind()) (reflection)")


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
