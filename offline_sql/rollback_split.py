"""The lower part of a long rollback walk, rendered by a forked child while the parent
renders the upper part.

A ``-o DIR`` run renders its rollback walk (the downgrades, from the head down) after the
upgrade walk, on one core: the review child, the second core's work during the upgrade
walk, has finished by then or nearly (:mod:`offline_sql.review_child`). The walk is
sequential: each downgrade renders against the schema the ones above it left. But where
every downgrade undoes its upgrade, the schema before the downgrade of revision R is the one
the upgrade walk had just after R's upgrade. So the upgrade walk keeps a copy of its state
after the revision where the lower part of the rollback will begin (:func:`snapshot_at`,
:meth:`offline_sql.stepcache.Chain.snapshot`); at the rollback, a child forked from the
parent renders the lower part from that copy while the parent renders the upper part.

Nothing here changes what a run writes or says:

* The parent uses the child's steps only if the walk it made down to where they begin
  reached a state with the same content key as the copy (the key by which the step cache
  already takes two states for one: :meth:`offline_sql.stepcache.Chain.snapshot`), and the
  same state key: then the child rendered exactly what the parent would have.
* The child's answer is used only when it rendered every step of its part without a word:
  no warning raised (shown or not), no log record, nothing written to stdout or stderr
  (both go to a file of its own), no error, no stop at a revision without a way back.
* Anything else (a state that differs, a child that failed or said something, a parent
  whose own part stopped or raised) and the child is ended and its work dropped: the parent
  renders the lower part itself, as it always did, saying, raising or stopping where it
  always did. A real history's downgrades often leave a state that differs (ckan's, on
  PostgreSQL: a downgrade that creates a table again puts it last, and the content key
  counts the order): such a walk gains nothing, and costs the child's time on the core
  that was idle, and the copy.
* The rows the child queued for the step cache come back with its answer and are queued
  in the parent's store after its own, as the walk would have queued them; the bytecode
  the parent kept for the child's scripts is dropped, as their second load would have.

What the child cannot see is what the upper part's downgrades do to the process besides the
schema (a module-level registry a helper module keeps, say): the step cache already takes a
step's rendering to depend only on the state, the script and the files it reads, and reuses
it across runs on that ground; the split rests on the same ground. On a terminal the
parent's progress line counts its own part (the child draws none).
"""

from __future__ import annotations

import io
import os
import pickle
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from offline_sql.forking import Helper, can_fork, fork_helper
from offline_sql.tablemap import PICKLE_PROTOCOL

if TYPE_CHECKING:
    from offline_sql.generate import RenderedStep, RollbackKeeper
    from offline_sql.plan import Step
    from offline_sql.script.header import RevisionHeader
    from offline_sql.state import SchemaState
    from offline_sql.stepcache import Chain, StepCache

MIN_STEPS = 128
"""Shorter rollback walks are not split. Forking took 2 to 7 ms and reading the answer of
500 steps 19 ms (N = 1,000); a walk of 128 steps takes about 60 ms (0.5 ms a step), so
splitting a shorter one would save less than it costs."""

Walk = Callable[[Sequence["Step"], list["RenderedStep"]], object]
"""Renders the given steps of the rollback walk, appending what is kept of each to the list;
returns None when every step was rendered (anything else: the walk stopped)."""

Headers = Callable[["Step"], "RevisionHeader | None"]
"""The header of a step's revision, as the walk takes it (the project's graph)."""


def upper_count(count: int) -> int:
    """How many steps of a rollback walk of ``count`` the parent renders itself: half (it
    also checks the state and reads the child's answer)."""
    return count // 2


def snapshot_at(steps: Sequence[Step]) -> int | None:
    """The index in the upgrade walk ``steps`` after which its state is copied for the
    lower part of the rollback (None: the walk is too short to split). The rollback walks
    the same revisions down: its step ``k`` is the downgrade of the upgrade walk's step
    ``len(steps) - 1 - k``, and needs the state just after it."""
    if len(steps) < MIN_STEPS:
        return None
    return len(steps) - 1 - upper_count(len(steps))


@dataclass
class Snapshot:
    """The upgrade walk's state after one revision (a copy), and its content key."""

    revision: str
    state: SchemaState | None
    """None once handed to the child (:func:`fork_lower`)."""
    key: str


class LowerPart:
    """The child rendering ``back[start:]`` (:func:`fork_lower`), as the parent sees it."""

    def __init__(
        self, helper: Helper, start: int, back: Sequence[Step], key: str, headers: Headers
    ) -> None:
        self.helper = helper
        self.start = start
        self._back = back
        self._key = key
        self._headers = headers

    def answer(
        self, chain: Chain, cache: StepCache, keeper: RollbackKeeper | None
    ) -> list[RenderedStep] | None:
        """The child's steps, when the parent's ``chain`` reached the state the child started
        from and the child rendered its part without a word; None otherwise (the child is
        ended: the parent renders the part itself)."""
        if chain.key != self._child_key_for(cache) or chain.content_key() != self._key:
            self.end()
            return None
        ok, data = self.helper.answer()
        if not ok or not data:
            return None
        lower = self._back[self.start :]
        return _adopt(data, lower, [self._headers(s) for s in lower], cache, keeper)

    def _child_key_for(self, cache: StepCache) -> str | None:
        return self._key if cache.enabled else None

    def end(self) -> None:
        """End the child (if still running) and reap it."""
        self.helper.end()


def fork_lower(
    back: Sequence[Step],
    snapshot: Snapshot | None,
    chain: Chain,
    cache: StepCache,
    keeper: RollbackKeeper | None,
    walk: Walk,
    headers: Headers,
) -> LowerPart | None:
    """Fork the child rendering the lower part of the rollback walk ``back`` from
    ``snapshot`` (see the module's doc); None when the walk is not split (too short, no
    snapshot of the state it needs, or no fork here)."""
    if snapshot is None:
        return None
    # Only the child keeps the copy: the parent checks the key.
    state, snapshot.state = snapshot.state, None
    if state is None or len(back) < MIN_STEPS or not can_fork():
        return None
    start = upper_count(len(back))
    if back[start].revision != snapshot.revision or back[start].direction != "down":
        return None
    key = snapshot.key if cache.enabled else None

    def work(fd: int) -> bool:  # pragma: no cover - runs in the child
        from offline_sql.script import ahead

        with _silenced() as heard:
            ahead.leave()
            cache.store.detach()
            chain.restart(state, key)
            if keeper is not None:
                keeper.reserve(start)
            done: list[RenderedStep] = []
            if walk(back[start:], done) is not None:
                return False  # stopped: the parent stops there itself
            files = keeper.kept_from(start) if keeper is not None else None
            if keeper is not None and files is None:
                return False  # a file that could not be framed raises in the parent
            lower = back[start:]
            payload = (
                _steps_bytes(done, lower, [headers(s) for s in lower]),
                files,
                cache.store.take_queued(),
                cache.used,
            )
            answer = pickle.dumps(payload, protocol=PICKLE_PROTOCOL)
            if heard():
                return False  # said something: the parent says it, where it always did
        with os.fdopen(fd, "wb") as pipe:
            pipe.write(answer)
        return True

    try:
        helper = fork_helper(work)
    except OSError:
        return None
    return LowerPart(helper, start, back, snapshot.key, headers)


@contextmanager
def _silenced() -> Iterator[Callable[[], bool]]:
    """In the child: stdout and stderr go to a file of the child's own, and what is said is
    heard (:mod:`offline_sql.said`); yields whether anything was said or written."""
    import tempfile

    from offline_sql.said import listening

    sink = tempfile.TemporaryFile()  # noqa: SIM115 - the child leaves with os._exit
    os.dup2(sink.fileno(), 1)
    os.dup2(sink.fileno(), 2)
    # New streams on the file: the parent's buffers, inherited, are never flushed here.
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), write_through=True)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), write_through=True)
    with listening() as said:

        def heard() -> bool:
            for stream in (sys.stdout, sys.stderr):
                stream.flush()
            return said.anything or os.fstat(sink.fileno()).st_size > 0

        yield heard


class _Pickler(pickle.Pickler):
    """Writes the walk's own steps and their headers as their place in the walk: the parent
    holds them already."""

    def __init__(self, file: io.BytesIO, places: dict[int, tuple[str, int]]) -> None:
        super().__init__(file, protocol=PICKLE_PROTOCOL)
        self._places = places

    def persistent_id(self, obj: object) -> tuple[str, int] | None:
        return self._places.get(id(obj))


class _Unpickler(pickle.Unpickler):
    def __init__(
        self,
        file: io.BytesIO,
        steps: Sequence[Step],
        headers: Sequence[RevisionHeader | None],
    ) -> None:
        super().__init__(file)
        self._found = {"step": steps, "header": headers}

    def persistent_load(self, pid: Any) -> object:
        kind, index = pid
        return self._found[kind][index]


def _steps_bytes(
    done: Sequence[RenderedStep], steps: Sequence[Step], headers: Sequence[RevisionHeader | None]
) -> bytes:
    places: dict[int, tuple[str, int]] = {}
    for index, (step, header) in enumerate(zip(steps, headers, strict=True)):
        places[id(step)] = ("step", index)
        if header is not None:
            places[id(header)] = ("header", index)
    out = io.BytesIO()
    _Pickler(out, places).dump(list(done))
    return out.getvalue()


def _adopt(
    data: bytes,
    steps: Sequence[Step],
    headers: Sequence[RevisionHeader | None],
    cache: StepCache,
    keeper: RollbackKeeper | None,
) -> list[RenderedStep] | None:
    """The child's answer taken in: its steps (returned), its files, its cache rows."""
    from offline_sql.script.loader import forget_compiled

    try:
        steps_data, files, rows, used = pickle.loads(data)
        done = _Unpickler(io.BytesIO(steps_data), steps, headers).load()
    except Exception:  # a damaged answer can raise anything while unpickling
        return None
    if not isinstance(done, list) or len(done) != len(steps):
        return None
    cache.store.adopt(rows)
    cache.used.update(used)
    if keeper is not None:
        keeper.adopt(files)
    forget_compiled(r.header.path for r in done if r.header is not None)
    return done
