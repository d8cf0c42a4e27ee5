"""The core reviews of a ticket's steps, made by a child process while the parent renders.

A ``-o DIR`` (or ``--strict``) run reviews every step it renders: sqlglot parses each
statement (:func:`offline_sql.review.core_review`). That work goes to the second core. At the
first step to review, the parent forks one child, which imports sqlglot while the parent goes
on rendering. Each step to review is then streamed to it as it is rendered: pickled in
batches (:data:`BATCH`) through an :class:`~offline_sql.forking.Outbox`, so the parent never
waits for the child while it renders, with what changed in the schema's timeline since the
batch before (:attr:`offline_sql.review.before.Timeline.journal`): the child's copy of the
timeline, inherited at the fork and replayed, answers as the parent's. The child sends every
review back when the steps end. The parent itself then imports no sqlglot at all
(:mod:`offline_sql.review.lazy`): it judges only the steps' flags.

Until stop 26 a child was forked after the walk (and a second one halfway from 200 steps
on): it inherited the rendered steps instead of receiving them, but imported sqlglot only
then, and the parent, which had imported it too at the walk's start, waited for it. A real
history of 81 revisions written with ``-o DIR`` (medians of 11 alternating cold runs):
0.68 s before, 0.65 s with the stream alone, 0.60 s with the parent's sqlglot left to the
child too; at N = 1,000 the same as before, the stream's cost (30 ms) paying for itself.

The child stops at the first step whose review fails or says anything (a warning, a log
record), and goes on reading the steps to their end without reviewing them: the parent
reviews that step and the rest itself (:func:`offline_sql.ticket.review_of`), so errors and
messages are exactly those of a run without the child, in the same order.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, cast

from offline_sql.forking import Helper, Outbox, can_fork, fork_helper, messages

if TYPE_CHECKING:
    from offline_sql.generate import RenderedStep
    from offline_sql.project import Project
    from offline_sql.review.before import Event, Timeline
    from offline_sql.stepcache import DialectContext

PIPE_BYTES = 1 << 20
"""The size asked for the pipe of steps (Linux gives 64 KiB unless asked; 1 MiB is what an
unprivileged process may ask): room for a few hundred steps sent while the child is still
importing, so that the parent's last write seldom waits."""

BATCH = 32
"""Steps per message: one pickling and one write for that many (a write a step, which
also wakes the child, cost the parent 60 us a step at N = 1,000)."""

_STEPS = b"S"

_Sent = tuple[int, "int | None", "list[Event]", "RenderedStep"]
"""(index in the walk, the step's number on the timeline, the timeline's changes since the
step sent before, the rendered step without its view of the timeline)."""


class CoreReviews:
    """The child reviewing the steps of one walk (:func:`start_core_reviews`), as the parent
    sees it: :meth:`send` each step to review, :meth:`finish` when the steps are all
    rendered (waiting only for what the pipe could not take yet), then :meth:`take` the
    reviews; :meth:`close` ends the child when they are no longer wanted (generation
    failed)."""

    def __init__(self, helper: Helper, pipe: int, timeline: Timeline | None) -> None:
        """``pipe``: the writing end of the pipe the child reads the steps from."""
        self.helper = helper
        self.pid = helper.pid
        self._outbox: Outbox | None = Outbox(pipe)
        self._timeline = timeline
        self._batch: list[_Sent] = []
        self.sent = 0
        """Steps sent so far (a test reads it)."""

    def send(self, index: int, rendered: RenderedStep) -> None:
        """Stream one rendered step (its index in the walk) to the child, with the
        timeline's changes since the last one."""
        outbox = self._outbox
        if outbox is None:
            return
        events: list[Event] = []
        step = None
        if rendered.before is not None:
            step = rendered.before.step
            timeline = rendered.before.timeline
            if timeline is self._timeline and timeline.journal is not None:
                events, timeline.journal = timeline.journal, []
        self._batch.append((index, step, events, replace(rendered, before=None)))
        self.sent += 1
        if len(self._batch) >= BATCH:
            self._send_batch(outbox)

    def _send_batch(self, outbox: Outbox) -> None:
        batch, self._batch = self._batch, []
        try:
            outbox.send(_STEPS, batch)
        except OSError:  # the child has gone (or stopped reading): the parent reviews
            self._stop()

    def finish(self) -> None:
        """The last step was sent: write what waits and end the stream (the child then
        sends its reviews)."""
        outbox = self._outbox
        if outbox is None:
            return
        if self._batch:
            self._send_batch(outbox)
        with contextlib.suppress(OSError):
            outbox.flush()
        self._stop()

    def _stop(self) -> None:
        outbox, self._outbox = self._outbox, None
        if self._timeline is not None:
            self._timeline.journal = None
        if outbox is not None:
            outbox.pending.clear()
            with contextlib.suppress(OSError):
                os.close(outbox.fd)

    def take(self) -> dict[int, bytes]:
        """index -> core review, of the steps the child reviewed ({} if it failed), as
        :func:`offline_sql.review.stored.review_bytes` wrote it: read it with the step's
        statements (:func:`~offline_sql.review.stored.review_from`)."""
        import pickle

        self.finish()
        ok, data = self.helper.answer()
        if not ok or not data:
            return {}
        try:
            found = pickle.loads(data)
        except Exception:  # a truncated answer: everything is reviewed here instead
            return {}
        if not isinstance(found, dict):
            return {}
        return {i: r for i, r in found.items() if isinstance(i, int) and isinstance(r, bytes)}

    def close(self) -> None:
        """End the child if its reviews were not taken (nothing is left running)."""
        self._stop()
        self.helper.end()


def start_core_reviews(
    project: Project, context: DialectContext, first: RenderedStep
) -> CoreReviews | None:
    """Fork the child that reviews the steps of this walk, ``first`` being the first one
    rendered to review (it is to be sent too). None when mig does not fork here
    (:func:`can_fork`): then :func:`offline_sql.ticket.review_of` reviews every step itself."""
    if not can_fork():
        return None
    timeline = first.before.timeline if first.before is not None else None
    read, write = os.pipe()
    with contextlib.suppress(OSError, AttributeError):  # F_SETPIPE_SZ: Linux only
        fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, PIPE_BYTES)

    def review(answer: int) -> bool:  # in the child
        import pickle

        from offline_sql.tablemap import PICKLE_PROTOCOL

        os.close(write)
        if timeline is not None:
            timeline.journal = None
        steps = _received(messages(read), timeline)
        found = _core_reviews_quietly(project, context, steps)
        for _ in steps:  # the rest is the parent's: read to the end, so it never waits
            pass
        with os.fdopen(answer, "wb") as pipe:
            pipe.write(pickle.dumps(found, protocol=PICKLE_PROTOCOL))
        return True

    try:
        helper = fork_helper(review)
    except OSError:
        os.close(read)
        os.close(write)
        return None
    os.close(read)
    if timeline is not None:
        timeline.journal = []
    return CoreReviews(helper, write, timeline)


def _received(
    stream: Iterable[tuple[bytes, object]], timeline: Timeline | None
) -> Iterator[tuple[int, RenderedStep]]:
    """(index, rendered step) of each step the parent sends, its view of the schema before
    it rebuilt on the child's copy of the timeline."""
    for kind, payload in stream:
        if kind != _STEPS:
            continue
        for index, step, events, rendered in cast("list[_Sent]", payload):
            if timeline is not None and step is not None:
                timeline.replay(events)
                rendered = replace(rendered, before=timeline.view(step))
            yield index, rendered


def _core_reviews_quietly(
    project: Project,
    context: DialectContext,
    steps: Iterable[tuple[int, RenderedStep]],
) -> dict[int, bytes]:
    """The child's work: the core review of each step, in order, up to the first that
    fails, warns or logs (nothing of it is shown: the parent redoes that step), each
    pickled against its step's statements (:mod:`offline_sql.review.stored`): the parent
    holds them already, and stores the bytes as they are."""
    import logging
    import warnings

    from offline_sql.review import core_review
    from offline_sql.review.stored import review_bytes
    from offline_sql.ticket import reviewed_step

    said: list[object] = []

    def keep(self: logging.Logger, record: logging.LogRecord) -> None:
        said.append(record)

    found: dict[int, bytes] = {}
    handlers = logging.Logger.callHandlers
    logging.Logger.callHandlers = keep  # type: ignore[method-assign]
    try:
        target = context.review
        if target is not None:
            sqlglot_name, rules = target.sqlglot_name, target.rules()
        else:
            sqlglot_name, rules = project.dialect.sqlglot_name, project.dialect.review_rules
        allow = frozenset(project.config.review_allow)
        with warnings.catch_warnings(record=True) as warned:
            warnings.simplefilter("always")
            for index, rendered in steps:
                try:
                    step = reviewed_step(project, context.spelling, rendered)
                    review = core_review(step, sqlglot_name, allow, rules)
                except Exception:
                    break
                if said or warned:
                    break
                found[index] = review_bytes(review, rendered.statements)
    finally:
        logging.Logger.callHandlers = handlers  # type: ignore[method-assign]
    return found
