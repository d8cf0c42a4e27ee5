"""Offline: rendered steps framed into one script, spooled so a failure writes nothing.

The glue between generation (:mod:`offline_sql.generate`: what each step renders to) and
the framer (:mod:`offline_sql.frame`: how a script is laid out for the database's client):
each :class:`~offline_sql.generate.RenderedStep` becomes a
:class:`~offline_sql.frame.FramedStep`, framed with the options of the command.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, TextIO

from offline_sql.errors import OutputError

if TYPE_CHECKING:
    from offline_sql.config import Config
    from offline_sql.frame import FramedStep, FrameOptions, Spelling
    from offline_sql.generate import Generated, Planned, RenderedStep
    from offline_sql.output_options import OutputOptions
    from offline_sql.statements import Statement
    from offline_sql.stepcache import StepCache


def framed_step(rendered: RenderedStep) -> FramedStep:
    from offline_sql.frame import FramedStep

    step = rendered.step
    return FramedStep(
        revision=step.revision,
        message=rendered.header.message if rendered.header else "",
        direction=step.direction,
        heads_before=step.heads_before,
        heads_after=step.heads_after,
        statements=rendered.statements,
        version_statements=rendered.version_statements,
        guard=rendered.guard,
        notes=() if step.run_script else ("stamp: only the version table changes",),
        progress=rendered.progress,
    )


def frame(
    generated: Generated,
    steps: Sequence[RenderedStep],
    options: OutputOptions,
    *,
    title: str,
    setup: Sequence[Statement] = (),
) -> str:
    return frame_in(
        generated.spelling,
        generated.session,
        generated.project.config,
        steps,
        options,
        title=title,
        setup=setup,
    )


def frame_in(
    spelling: Spelling,
    session: Sequence[Statement],
    config: Config,
    steps: Sequence[RenderedStep],
    options: OutputOptions,
    *,
    title: str,
    setup: Sequence[Statement] = (),
) -> str:
    """:func:`frame` from the parts of a run it reads, before the run is :class:`Generated`
    (a ticket's rollback steps are framed as the rollback walk renders them)."""
    from offline_sql.frame import frame_script

    return frame_script(
        spelling,
        [framed_step(r) for r in steps],
        _frame_options(config, options, title, setup, session),
    )


def _frame_options(
    config: Config,
    options: OutputOptions,
    title: str,
    setup: Sequence[Statement],
    session: Sequence[Statement],
) -> FrameOptions:
    from offline_sql.frame import FrameOptions

    return FrameOptions(
        transaction_per_migration=config.transaction_per_migration,
        preamble=options.preamble,
        title=title,
        setup=tuple(setup),
        session_settings=tuple(session),
    )


def write_script(
    config: Config, command: str, target: str, options: OutputOptions, out: TextIO
) -> None:
    """The offline script for ``[FROM:]TO`` written to ``out``, once all of it is generated
    (a failure writes nothing). Each step is framed as soon as it is rendered and spooled
    to a temporary file, so a long history is never held in memory whole. The same run
    repeated with nothing changed is answered by the result memo
    (:mod:`offline_sql.result_memo`)."""
    from offline_sql import result_memo

    if result_memo.replay_script(config, command, target, options, out):
        return
    # Imported only now: a run the memo answers generates nothing (nor logs: ``said``
    # imports logging).
    import shutil

    from offline_sql.generate import Planned, ahead_session
    from offline_sql.project import with_cache
    from offline_sql.said import listening

    cached: list[StepCache] = []
    with listening() as said, ahead_session(config):
        planned = Planned.of(config, command, target)
        spool = with_cache(
            planned.project, lambda cache: _spool(planned, options, cache, cached)
        )
    with spool:
        spool.seek(0)
        shutil.copyfileobj(spool, out)
        if cached:
            scripts = result_memo.scripts_of(planned.project)
            result_memo.remember_script(
                config, command, target, options, cached[0], spool, said, scripts
            )


def _spool(
    planned: Planned, options: OutputOptions, cache: StepCache, cached: list[StepCache]
) -> IO[str]:
    """The framed script, in a spool; ``cache`` is appended to ``cached`` when every step
    went through it (nothing ran that it did not track)."""
    import tempfile

    from offline_sql.frame import frame_to
    from offline_sql.generate import dialect_context, iter_rendered, unencodable
    from offline_sql.project import start_chain

    project = planned.project
    chain = start_chain(project, planned.steps, planned.start, cache)
    context = dialect_context(project, cache)
    steps = iter_rendered(project, planned.steps, chain, guard=options.guard)
    frame_options = _frame_options(
        project.config, options, planned.title, planned.setup(context), context.session
    )
    # Returned open to the caller, which closes it after copying it out.
    spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115
        max_size=SPOOL_IN_MEMORY, mode="w+", encoding="utf-8", newline=""
    )

    def write(text: str) -> None:
        try:
            spool.write(text)
        except UnicodeEncodeError as exc:
            raise unencodable(exc, f"the script for {planned.title}") from exc
        except OSError as exc:  # the spool outgrew memory and the temporary folder is full
            raise OutputError(
                f"cannot hold the script in the temporary folder {tempfile.gettempdir()}: "
                f"{exc.strerror or exc}; free space there or point TMPDIR at a larger folder"
            ) from exc

    try:
        frame_to(write, context.spelling, map(framed_step, steps), frame_options)
    except BaseException:
        spool.close()
        raise
    if chain.key is not None and cache.enabled:
        cached.append(cache)
    return spool


SPOOL_IN_MEMORY = 1 << 20
"""Bytes of script kept in memory before the spool moves to a temporary file."""
