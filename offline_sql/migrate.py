"""The migration commands: upgrade, downgrade and stamp (offline or online), current, review.

One flow serves both modes (see docs/architecture.md)::

    project (project.py: history, dialect, recording, replay)
      -> generate.py: plan the steps, record each step's operations from its script,
         render them for the dialect against the replayed SchemaState
      -> offline: frame into a script (offline.py, frame.py) or a directory (ticket.py)
         online:  execute on a connection as each operation is recorded (online.py)

Everything is rendered before anything is written, so a failed generation writes nothing.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from offline_sql.errors import UsageError
from offline_sql.output_options import OutputOptions
from offline_sql.project import Project

if TYPE_CHECKING:
    from offline_sql.config import Config
    from offline_sql.generate import Generated
    from offline_sql.output import Staging
    from offline_sql.review import Review


# ---------------------------------------------------------------------------------------
# Public commands (the CLI calls these; applications may too)


def upgrade(
    config: Config,
    target: str,
    *,
    sql: bool = False,
    output: Path | None = None,
    force: bool = False,
    guard: bool = True,
    preamble: bool = True,
    strict: bool = False,
    out: TextIO | None = None,
) -> str | None:
    """Upgrade to ``target`` (``[FROM:]TO``). With ``sql`` return the script (write it to
    ``out`` instead, when given, or to the directory ``output``); without, apply it to the
    configured database."""
    return _run(
        config, "upgrade", target, sql, OutputOptions(output, force, guard, preamble, strict), out
    )


def downgrade(
    config: Config,
    target: str,
    *,
    sql: bool = False,
    output: Path | None = None,
    force: bool = False,
    guard: bool = True,
    preamble: bool = True,
    strict: bool = False,
    out: TextIO | None = None,
) -> str | None:
    """Downgrade to ``target``; offline needs a range ``FROM:TO`` (there is no database to
    ask where it is)."""
    return _run(
        config, "downgrade", target, sql, OutputOptions(output, force, guard, preamble, strict), out
    )


def stamp(
    config: Config,
    target: str,
    *,
    sql: bool = False,
    output: Path | None = None,
    force: bool = False,
    guard: bool = True,
    preamble: bool = True,
    strict: bool = False,
    out: TextIO | None = None,
    purge: bool = False,
) -> str | None:
    """Set the version table to ``target`` without running any script. ``purge`` (online
    only) first empties the version table, whatever it holds (Alembic's ``stamp --purge``)."""
    if purge and sql:
        raise UsageError(
            "stamp --purge is online only: offline, give the range the database is at "
            "(`mig stamp FROM:TO --sql`) so the script checks it before changing it"
        )
    return _run(
        config,
        "stamp",
        target,
        sql,
        OutputOptions(output, force, guard, preamble, strict),
        out,
        purge=purge,
    )


def _run(
    config: Config,
    command: str,
    target: str,
    sql: bool,
    options: OutputOptions,
    out: TextIO | None = None,
    *,
    purge: bool = False,
) -> str | None:
    from offline_sql.script_arguments import script_arguments

    with script_arguments(tag=config.tag):
        if sql:
            if out is not None and options.output is None and not options.strict:
                from offline_sql.offline import write_script

                write_script(config, command, target, options, out)
                return None
            return _offline(config, command, target, options)
        # Imported here: it imports SQLAlchemy, which an offline run answered from the step
        # cache never needs (a third of a warm run's time).
        from offline_sql import online

        online.run_command(config, command, target, purge=purge)
    return None


def review(config: Config, target: str, *, command: str = "upgrade") -> Review:
    """The review of the offline SQL for ``[FROM:]TO`` (``mig review``)."""
    from offline_sql import ticket
    from offline_sql.generate import generate

    generated = generate(config, command, target, OutputOptions(strict=True))
    return ticket.review_of(generated)


def version_rows(config: Config) -> tuple[Project, tuple[str, ...]]:
    """The project and what the configured database's version table holds (rows as
    stored, "in progress" markers included), for ``current`` and ``history -i``."""
    from offline_sql import online

    project = Project.load(config)
    runner = online.open_runner(config.url or "", project.dialect, config)
    try:
        return project, runner.current_heads()
    finally:
        runner.close()


def current(config: Config, verbose: bool = False) -> list[str]:
    """The revisions the configured database is at, one line each."""
    project, heads = version_rows(config)
    from offline_sql import progress

    half = progress.marked_revisions(heads)
    heads = tuple(rev for rev in heads if not progress.is_marker(rev))
    if not heads and not half:
        return ["(no revision: the version table is empty or missing)"]
    lines = [
        f"{rev} (left half-applied, not at this revision: see {progress.RESUME_NOTES} at the "
        "top of its script)"
        for rev in half
    ]
    for rev in heads:
        header = project.graph.revisions.get(rev)
        if header is None:
            lines.append(f"{rev} (not in this project's history)")
            continue
        is_head = " (head)" if rev in project.graph.heads else ""
        lines.append(f"{rev}{is_head}" + (f", {header.message}" if verbose else ""))
    return lines


def _offline(config: Config, command: str, target: str, options: OutputOptions) -> str | None:
    # Imported here, as in the modules below: a run the result memo answers needs neither
    # the generation nor the framer.
    from offline_sql.frame import describe_heads
    from offline_sql.offline import frame, write_script

    if options.output is None and not options.strict:
        buffer = io.StringIO()
        write_script(config, command, target, options, buffer)
        return buffer.getvalue()
    if options.output is None:  # --strict: reviewed, then the script
        generated, _ = _reviewed(config, command, target, options)
        title = f"{command} {describe_heads(generated.start)} -> {describe_heads(generated.end)}"
        return frame(generated, generated.steps, options, title=title, setup=generated.setup)
    from offline_sql import result_memo

    if result_memo.answered(config, command, target, options):
        return None
    from offline_sql.said import listening  # after: it imports logging (2 ms)

    with listening() as said:
        generated, digests = _reviewed(config, command, target, options)
    assert digests is not None
    result_memo.remember(config, command, target, options, generated, digests, said)
    return None


def _reviewed(
    config: Config, command: str, target: str, options: OutputOptions
) -> tuple[Generated, dict[str, str] | None]:
    """Generate and review; with ``-o``, write the directory and return its files' digests
    (name -> SHA-256; None without ``-o``: nothing is written)."""
    from offline_sql import review_child, ticket
    from offline_sql.frame import describe_heads
    from offline_sql.generate import generate, unencodable

    checked = ticket.check_output(options)
    forked: list[review_child.CoreReviews] = []

    def start_reviews(*args: Any) -> review_child.CoreReviews | None:
        started = review_child.start_core_reviews(*args)
        if started is not None:
            forked.append(started)
        return started

    framed: ticket.Framed | None = None
    framing_error: Exception | None = None
    staged: Staging | None = None
    try:
        generated = generate(
            config,
            command,
            target,
            options,
            start_reviews=start_reviews,
            start_rollback=functools.partial(ticket.RollbackFramer, options=options),
        )
        if forked and options.output is not None:
            # While the child reviews: the files, framed and written into the staging
            # folder, whose errors are raised where they always were (after the review's).
            try:
                framed = ticket.frame_files(generated, options)
            except Exception as error:
                framing_error = error
            else:
                staged = ticket.stage(framed, options, checked)
        review = ticket.review_of(generated, forked)
        if options.strict:
            ticket.refuse_on_errors(review)
        if options.output is None:
            return generated, None
        try:
            if framing_error is not None:
                raise framing_error
            digests = ticket.write(generated, review, options, checked, framed, staged)
            staged = None  # write_directory used or removed it
        except UnicodeEncodeError as exc:
            title = f"{command} {describe_heads(generated.start)} -> "
            title += describe_heads(generated.end)
            raise unencodable(exc, f"the files for {title}") from exc
    finally:
        for child in forked:
            child.close()
        if staged is not None:
            staged.discard()
    return generated, digests
