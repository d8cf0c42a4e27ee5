"""The migration commands: plan, record, render, frame; offline (a script) or online (executed).

One flow serves both modes (see docs/architecture.md)::

    index -> graph -> plan (Steps) -> record each step's operations from its script
          -> render each operation for the dialect against the replayed SchemaState
          -> offline: frame into a script (stdout or a directory)
             online:  execute on a connection as each operation is recorded

Everything is rendered before anything is written, so a failed generation writes nothing.
"""

from __future__ import annotations

import io
import logging
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Literal, TextIO, TypeVar

from offline_sql.emit import describe_heads
from offline_sql.errors import OutputError, RenderError, UsageError

log = logging.getLogger("offline_sql")
"""Online progress ("upgrade a1 -> b2: add email"); the CLI shows it on stderr."""

if TYPE_CHECKING:
    from offline_sql.config import Config
    from offline_sql.dialects.base import Dialect
    from offline_sql.emit import FramedStep, FrameOptions, Spelling
    from offline_sql.graph import RevisionGraph
    from offline_sql.online import OnlineRunner
    from offline_sql.operations import Operation
    from offline_sql.plan import Step
    from offline_sql.review import Review
    from offline_sql.script.header import RevisionHeader
    from offline_sql.state import SchemaState
    from offline_sql.statements import Statement
    from offline_sql.stepcache import Chain, DialectContext, Rendered, StepCache, WalkItem

_T = TypeVar("_T")

Direction = Literal["up", "down"]


@dataclass(frozen=True)
class OutputOptions:
    """How an offline run is written; the defaults are the safe ones."""

    output: Path | None = None
    force: bool = False
    guard: bool = True
    preamble: bool = True
    strict: bool = False


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
) -> str | None:
    """Set the version table to ``target`` without running any script."""
    return _run(
        config, "stamp", target, sql, OutputOptions(output, force, guard, preamble, strict), out
    )


def _run(
    config: Config,
    command: str,
    target: str,
    sql: bool,
    options: OutputOptions,
    out: TextIO | None = None,
) -> str | None:
    if sql:
        if out is not None and options.output is None and not options.strict:
            write_script(config, command, target, options, out)
            return None
        return _offline(config, command, target, options)
    _online(config, command, target)
    return None


def review(config: Config, target: str, *, command: str = "upgrade") -> Review:
    """The review of the offline SQL for ``[FROM:]TO`` (``mig review``)."""
    from offline_sql import ticket

    generated = generate(config, command, target, OutputOptions(strict=True))
    return ticket.review_of(generated)


def current(config: Config, verbose: bool = False) -> list[str]:
    """The revisions the configured database is at, one line each."""
    from offline_sql import online

    project = Project.load(config)
    dialect = project.dialect
    runner = online.open_runner(config.url or "", dialect, config)
    try:
        heads = runner.current_heads()
    finally:
        runner.close()
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


# ---------------------------------------------------------------------------------------
# The project: history and dialect


class Project:
    """A configured project: its history, and its dialect, imported on first use (a run the
    step cache answers entirely never imports SQLAlchemy)."""

    def __init__(
        self, config: Config, graph: RevisionGraph, dialect: Dialect | None = None
    ) -> None:
        self.config = config
        self.graph = graph
        self._dialect = dialect

    @classmethod
    def load(cls, config: Config) -> Project:
        from offline_sql.commands import load_graph

        config.require_dialect()
        return cls(config, load_graph(config))

    @property
    def dialect(self) -> Dialect:
        if self._dialect is None:
            from offline_sql.dialects import get_dialect

            self._dialect = get_dialect(self.config.dialect_name)
        return self._dialect

    def header(self, revision: str) -> RevisionHeader:
        return self.graph.revisions[revision]


# ---------------------------------------------------------------------------------------
# Recording and replay


def record_operations(
    header: RevisionHeader,
    direction: Direction,
    dialect: Dialect,
    *,
    sink: Callable[[Operation], None] | None = None,
    offline: bool = True,
    bind: object | None = None,
) -> list[Operation]:
    """Run one script's upgrade()/downgrade() with ``op`` bound to a recorder."""
    from offline_sql.recorder import Recorder, recording
    from offline_sql.script.loader import load_script, run_revision

    collected: list[Operation] = []

    def collect(op: Operation) -> None:
        collected.append(op)
        if sink is not None:
            sink(op)

    module = load_script(header.path, header.revision)
    recorder = Recorder(header.revision, header.path, dialect, collect, offline, bind)
    with recording(recorder):
        run_revision(module, "upgrade" if direction == "up" else "downgrade")
    return collected


def step_cache(project: Project, *, enabled: bool = True) -> StepCache:
    """The step cache of a command on ``project`` (disabled: a cache that never hits)."""
    from offline_sql.config import BASELINE_FILE
    from offline_sql.stepcache import StepCache

    config = project.config
    return StepCache(config, str(config.script_location / BASELINE_FILE), enabled=enabled)


def _base_state(project: Project) -> Callable[[], SchemaState]:
    """The state before the first revision: the baseline's, or an empty one."""

    def make() -> SchemaState:
        from offline_sql.baseline import load_baseline
        from offline_sql.state import SchemaState

        state = load_baseline(project.config.script_location) or SchemaState()
        # Raw SQL from op.execute is parsed as the target database writes it (MODIFY, AS (...)).
        state.sqlglot_dialect = project.dialect.sqlglot_name
        state.foreign_key_namer = project.dialect.foreign_key_namer
        return state

    return make


def _rerun(project: Project) -> Callable[[RevisionHeader, str, SchemaState], None]:
    """How the step cache rebuilds a step it could not store: run the script again."""

    def rerun(header: RevisionHeader, direction: str, state: SchemaState) -> None:
        for op in record_operations(header, "up" if direction == "up" else "down", project.dialect):
            state.apply(op)

    return rerun


def replay_chain(project: Project, heads: Sequence[str], cache: StepCache) -> Chain:
    """The chain through every revision up to ``heads`` (from base): cached steps are
    skipped, the others run (and are cached when the command succeeds)."""
    chain = cache.chain(_base_state(project), _rerun(project))
    graph = project.graph
    headers = [project.header(rev) for rev in graph.topological(graph.ancestors(tuple(heads)))]
    items = [(header, "up", "") for header in headers]
    if chain.try_walk("replay", items) is not None:
        return chain
    start = chain.begin_walk()
    for header in headers:
        if chain.skip(header, "up"):
            continue
        with chain.run(header, "up") as run:
            with run.script():
                ops = record_operations(header, "up", project.dialect)
            for op in ops:
                run.state.apply(op)
    chain.end_walk(start, "replay", items)
    return chain


def replay_state(project: Project, heads: Sequence[str]) -> SchemaState:
    """The schema after applying every revision up to ``heads`` (from base)."""
    return _with_cache(project, lambda cache: _thawed(replay_chain(project, heads, cache)))


def _thawed(chain: Chain) -> SchemaState:
    """The chain's state with every table unpickled now, inside :func:`_with_cache`: a
    caller keeping the state must not meet a cached table that does not decode later."""
    state = chain.state()
    state.tables.thaw_all()
    return state


def _with_cache(project: Project, work: Callable[[StepCache], _T]) -> _T:
    """``work`` with the project's step cache, written if it succeeds. A cached entry that
    does not decode is warned about and ``work`` runs again with no cache at all."""
    from offline_sql.errors import CacheWarning
    from offline_sql.stepcache import CorruptCache

    cache = step_cache(project, enabled=project.config.cache_dir is not None)
    try:
        result = work(cache)
    except CorruptCache as exc:
        warnings.warn(
            f"{project.config.cache_dir}: step cache ignored: {exc}", CacheWarning, stacklevel=2
        )
        return work(step_cache(project, enabled=False))
    cache.flush()
    return result


def start_chain(
    project: Project, steps: Sequence[Step], heads: Sequence[str], cache: StepCache
) -> Chain:
    """The chain at ``heads`` when a step runs a script; an empty state for a stamp, which
    renders nothing (so stamping past a script that no longer runs still works)."""
    if any(step.run_script for step in steps):
        return replay_chain(project, heads, cache)

    def empty() -> SchemaState:
        from offline_sql.state import SchemaState

        return SchemaState()

    return step_cache(project, enabled=False).chain(empty)


# ---------------------------------------------------------------------------------------
# Offline


@dataclass(frozen=True)
class RenderedStep:
    step: Step
    header: RevisionHeader | None
    statements: tuple[Statement, ...]
    version_statements: tuple[Statement, ...]
    guard: tuple[Statement, ...]
    operation_count: int = 0
    """Operations the script recorded (0 for stamp or an empty script)."""
    progress: tuple[Statement, ...] = ()
    """The "in progress" row's insert and delete (see ``offline_sql/progress.py``), where
    the dialect marks blocks and the step has statements."""
    existing_tables: frozenset[str] = frozenset()
    """Tables before the step, for the review (``name`` or ``schema.name``); empty unless
    rendered ``for_review``."""
    existing_columns: dict[str, dict[str, str]] | None = None
    """table -> column -> type as the database spells it, before the step (review only)."""


def resolve_range(
    project: Project, command: str, target: str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(current heads, target heads) for an offline ``[FROM:]TO``."""
    from offline_sql.graph import parse_range

    start_target, end_target = parse_range(target)
    graph = project.graph
    if start_target is None:
        if command == "downgrade":
            raise UsageError(
                f"offline downgrade needs a range FROM:TO (got {target!r}): there is no database "
                "to ask where it is, e.g. `mig downgrade head:base --sql`"
            )
        start: tuple[str, ...] = ()
    else:
        start = graph.resolve(start_target)
    end = graph.resolve(end_target, start=start)
    return start, end


def plan_steps(
    project: Project, command: str, start: tuple[str, ...], end: tuple[str, ...]
) -> list[Step]:
    from offline_sql import plan

    planner = {
        "upgrade": plan.plan_upgrade,
        "downgrade": plan.plan_downgrade,
        "stamp": plan.plan_stamp,
    }[command]
    return planner(project.graph, start, end)


def render_steps(
    project: Project,
    steps: Sequence[Step],
    state: SchemaState | Chain,
    *,
    guard: bool,
    for_review: bool = False,
) -> list[RenderedStep]:
    """Record and render every step, advancing the state (or chain); nothing is written
    here. A step the chain has cached is not run: its rendering is read back, unless a
    review needs the state before each step."""
    from offline_sql.stepcache import Chain

    if not isinstance(state, Chain):
        fixed = state
        state = step_cache(project, enabled=False).chain(lambda: fixed)
    return list(iter_rendered(project, steps, state, guard=guard, for_review=for_review))


def iter_rendered(
    project: Project,
    steps: Sequence[Step],
    chain: Chain,
    *,
    guard: bool,
    for_review: bool = False,
) -> Iterator[RenderedStep]:
    """:func:`render_steps` one step at a time, so a caller that writes each step as it
    comes never holds a long history's statements at once."""
    from offline_sql.stepcache import render_plan

    plans = {
        step: render_plan(
            step.revision,
            step.direction,
            step.heads_before,
            step.heads_after,
            [(v.action, v.revision, v.old) for v in step.version_ops],
            guard,
        )
        for step in steps
    }
    headers = {step: project.graph.revisions.get(step.revision) for step in steps}
    scripted = [(step, h) for step in steps if step.run_script and (h := headers[step])]
    items: list[WalkItem] = [(header, step.direction, plans[step]) for step, header in scripted]
    whole = None if for_review else chain.try_walk("render", items)
    if whole is not None:
        cached = iter(whole)
        for step in steps:
            one = next(cached) if step.run_script and headers[step] is not None else None
            yield _render_step(
                project, step, headers[step], chain, plans[step], one, guard, for_review
            )
        return
    start = chain.begin_walk()
    for step in steps:
        yield _render_step(
            project, step, headers[step], chain, plans[step], None, guard, for_review
        )
    chain.end_walk(start, "render", items)


def _render_step(
    project: Project,
    step: Step,
    header: RevisionHeader | None,
    chain: Chain,
    plan: str,
    cached: Rendered | None,
    guard: bool,
    for_review: bool,
) -> RenderedStep:
    """One step: from the whole-walk cache, the step cache, or run and rendered."""
    from offline_sql.operations import tables_dropped_later
    from offline_sql.stepcache import Rendered

    if not step.run_script or header is None:
        return _rendered_without_script(project, step, header, chain, guard, for_review)
    if cached is None and not for_review:
        cached = chain.skip_rendered(header, step.direction, plan)
    if cached is not None:
        return RenderedStep(
            step=step,
            header=header,
            statements=cached.statements,
            version_statements=cached.version_statements,
            guard=cached.guard,
            operation_count=cached.operation_count,
            progress=cached.progress,
        )
    dialect = project.dialect
    before = chain.state()
    # What the review reads (tables and column types before the step) costs a pass over
    # the whole state per step: only worth it when a review will read it.
    tables = frozenset(_table_label(key) for key in before.tables) if for_review else frozenset()
    columns = _column_types(before, dialect) if for_review else None
    statements: list[Statement] = []
    count = 0
    with chain.run(header, step.direction, capture_warnings=True) as run:
        with run.script():
            ops = record_operations(header, step.direction, dialect)
        try:
            for op, dropped_later in zip(ops, tables_dropped_later(ops), strict=True):
                run.state.dropped_later = dropped_later
                statements.extend(dialect.render(op, run.state))
                run.state.apply(op)
                count += 1
            for statement in statements:
                statement.sql.encode("utf-8")
                if statement.comment:
                    statement.comment.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise _unencodable(exc, f"revision {header.revision} ({header.path})") from exc
        finally:
            run.state.dropped_later = frozenset()
    done = RenderedStep(
        step=step,
        header=header,
        statements=tuple(statements),
        version_statements=tuple(version_statements(project, step)),
        guard=tuple(guard_statements(project, step) if guard else ()),
        operation_count=count,
        existing_tables=tables,
        existing_columns=columns,
        progress=progress_statements(project, step) if statements else (),
    )
    chain.store_rendered(
        run,
        plan,
        Rendered(
            done.statements, done.version_statements, done.guard, count, progress=done.progress
        ),
    )
    return done


def _unencodable(exc: UnicodeEncodeError, where: str) -> RenderError:
    """A lone surrogate (``"\\ud800"``, from bytes decoded with ``surrogateescape`` or a
    ``\\u`` escape) can be held by a Python string but by no UTF-8 file or database."""
    character = exc.object[exc.start : exc.end]
    return RenderError(
        f"{where}: the text {character!r} (a lone surrogate) cannot be written as UTF-8: "
        "fix the string in the script (decode the bytes it came from with their real encoding)"
    )


def _rendered_without_script(
    project: Project,
    step: Step,
    header: RevisionHeader | None,
    chain: Chain,
    guard: bool,
    for_review: bool,
) -> RenderedStep:
    """A stamp: only the version table changes."""
    before = chain.state() if for_review else None
    return RenderedStep(
        step=step,
        header=header,
        statements=(),
        version_statements=tuple(version_statements(project, step)),
        guard=tuple(guard_statements(project, step) if guard else ()),
        existing_tables=(
            frozenset(_table_label(key) for key in before.tables) if before else frozenset()
        ),
        existing_columns=_column_types(before, project.dialect) if before else None,
    )


def _table_label(key: tuple[str | None, str]) -> str:
    schema, name = key
    return f"{schema}.{name}" if schema else name


def _column_types(state: SchemaState, dialect: Dialect) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for key, table in state.tables.items():
        types: dict[str, str] = {}
        for name, column in table.columns.items():
            try:
                types[name] = dialect.type_sql(column.type)
            except Exception:  # a type this dialect cannot spell: the review skips it
                continue
        found[_table_label(key)] = types
    return found


def version_statements(project: Project, step: Step) -> list[Statement]:
    cfg, dialect = project.config, project.dialect
    table, schema = cfg.version_table, cfg.version_table_schema
    out: list[Statement] = []
    for vop in step.version_ops:
        if vop.action == "insert":
            out.append(dialect.insert_version(table, schema, vop.revision))
        elif vop.action == "delete":
            out.append(dialect.delete_version(table, schema, vop.revision))
        else:
            assert vop.old is not None
            out.append(dialect.update_version(table, schema, vop.old, vop.revision))
    return out


def progress_statements(project: Project, step: Step) -> tuple[Statement, ...]:
    """The step's "in progress" row statements (``()`` unless the dialect marks blocks)."""
    cfg = project.config
    return project.dialect.progress_markers(
        cfg.version_table, cfg.version_table_schema, step.revision
    )


def guard_statements(project: Project, step: Step) -> list[Statement]:
    cfg = project.config
    return project.dialect.guard_statements(
        cfg.version_table, cfg.version_table_schema, step.heads_before
    )


INVERSE = {"upgrade": "downgrade", "downgrade": "upgrade", "stamp": "stamp"}
"""The command whose plan undoes each command's plan (for rollback files)."""


@dataclass(frozen=True)
class Generated:
    """Everything an offline run produced, before anything is written."""

    project: Project
    command: str
    start: tuple[str, ...]
    end: tuple[str, ...]
    steps: list[RenderedStep]
    rollback: list[RenderedStep]
    """The inverse plan's steps (rollback files), in their apply order."""
    setup: tuple[Statement, ...]
    session: tuple[Statement, ...]
    spelling: Spelling
    """How the dialect frames a script (the dialect itself, or its cached copy)."""
    no_downgrade: frozenset[str] = frozenset()
    """Revisions whose downgrade() records nothing (review, manifest; no rollback file)."""


@dataclass(frozen=True)
class Planned:
    """An offline command resolved and planned, before anything runs."""

    project: Project
    command: str
    start: tuple[str, ...]
    end: tuple[str, ...]
    steps: list[Step]

    @classmethod
    def of(cls, config: Config, command: str, target: str) -> Planned:
        project = Project.load(config)
        start, end = resolve_range(project, command, target)
        return cls(project, command, start, end, plan_steps(project, command, start, end))

    @property
    def title(self) -> str:
        return f"{self.command} {describe_heads(self.start)} -> {describe_heads(self.end)}"

    def setup(self, context: DialectContext) -> tuple[Statement, ...]:
        """The version table's creation, for a range that starts at base."""
        return context.version_table if not self.start and self.command != "downgrade" else ()


def generate(config: Config, command: str, target: str, options: OutputOptions) -> Generated:
    """Plan, record and render an offline run (and its rollback when writing a directory)."""
    planned = Planned.of(config, command, target)
    return _with_cache(planned.project, lambda cache: _generate(planned, options, cache))


def _generate(planned: Planned, options: OutputOptions, cache: StepCache) -> Generated:
    project, command, start, end, steps = (
        planned.project,
        planned.command,
        planned.start,
        planned.end,
        planned.steps,
    )
    chain = start_chain(project, steps, start, cache)
    want_review = options.output is not None or options.strict
    rendered = render_steps(project, steps, chain, guard=options.guard, for_review=want_review)
    rollback: list[RenderedStep] = []
    no_downgrade: frozenset[str] = frozenset()
    if want_review:
        from offline_sql.ticket import missing_downgrades

        no_downgrade = missing_downgrades(project, rendered)
    if options.output is not None and steps:
        back = plan_steps(project, INVERSE[command], end, start)
        # No rollback is invented: the files stop above the first revision without one.
        for index, step in enumerate(back):
            if step.revision in no_downgrade:
                back = back[:index]
                break
        rollback = render_steps(project, back, chain, guard=options.guard)
    context = _context(project, cache)
    return Generated(
        project,
        command,
        start,
        end,
        rendered,
        rollback,
        planned.setup(context),
        context.session,
        context.spelling,
        no_downgrade,
    )


def _context(project: Project, cache: StepCache) -> DialectContext:
    """The cached :class:`DialectContext`, or the dialect's (cached for next time)."""
    context = cache.context()
    if context is None:
        context = _context_of(project)
        cache.remember_context(context)
    return context


def _context_of(project: Project) -> DialectContext:
    """What framing needs from the dialect besides the steps (this configuration)."""
    from offline_sql.emit import SpellingOf
    from offline_sql.stepcache import DialectContext

    config, dialect = project.config, project.dialect
    return DialectContext(
        spelling=SpellingOf.of(dialect),
        version_table=tuple(
            dialect.create_version_table(config.version_table, config.version_table_schema)
        ),
        session=tuple(
            dialect.session_settings(
                config.postgresql_lock_timeout, config.postgresql_statement_timeout
            )
        ),
    )


def framed_step(rendered: RenderedStep) -> FramedStep:
    from offline_sql.emit import FramedStep

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
    from offline_sql.emit import frame_script

    return frame_script(
        generated.spelling,
        [framed_step(r) for r in steps],
        _frame_options(generated.project.config, options, title, setup, generated.session),
    )


def _frame_options(
    config: Config,
    options: OutputOptions,
    title: str,
    setup: Sequence[Statement],
    session: Sequence[Statement],
) -> FrameOptions:
    from offline_sql.emit import FrameOptions

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
    to a temporary file, so a long history is never held in memory whole."""
    planned = Planned.of(config, command, target)
    spool = _with_cache(planned.project, lambda cache: _spool(planned, options, cache))
    with spool:
        spool.seek(0)
        shutil.copyfileobj(spool, out)


def _spool(planned: Planned, options: OutputOptions, cache: StepCache) -> IO[str]:
    from offline_sql.emit import frame_to

    project = planned.project
    chain = start_chain(project, planned.steps, planned.start, cache)
    context = _context(project, cache)
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
            raise _unencodable(exc, f"the script for {planned.title}") from exc
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
    return spool


SPOOL_IN_MEMORY = 1 << 20
"""Bytes of script kept in memory before the spool moves to a temporary file."""


def _offline(config: Config, command: str, target: str, options: OutputOptions) -> str | None:
    from offline_sql import ticket

    if options.output is None and not options.strict:
        buffer = io.StringIO()
        write_script(config, command, target, options, buffer)
        return buffer.getvalue()
    generated = generate(config, command, target, options)
    review = ticket.review_of(generated) if options.output is not None or options.strict else None
    if review is not None and options.strict:
        ticket.refuse_on_errors(review)
    if options.output is not None:
        assert review is not None
        try:
            ticket.write(generated, review, options)
        except UnicodeEncodeError as exc:
            title = (
                f"{command} {describe_heads(generated.start)} -> {describe_heads(generated.end)}"
            )
            raise _unencodable(exc, f"the files for {title}") from exc
        return None
    title = f"{command} {describe_heads(generated.start)} -> {describe_heads(generated.end)}"
    return frame(generated, generated.steps, options, title=title, setup=generated.setup)


# ---------------------------------------------------------------------------------------
# Online


def _online(config: Config, command: str, target: str) -> None:
    from offline_sql import online
    from offline_sql.locking import migration_lock

    project = Project.load(config)
    runner = online.open_runner(config.url or "", project.dialect, config)
    try:
        with migration_lock(runner, project.dialect, config.migration_lock_timeout):
            _run_online(project, runner, command, target)
    finally:
        runner.close()


def _run_online(project: Project, runner: OnlineRunner, command: str, target: str) -> None:
    """Apply the plan on a live connection, rendering each operation as it is recorded."""
    from offline_sql.graph import parse_range

    start_target, end_target = parse_range(target)
    if start_target is not None:
        raise UsageError(
            f"online {command} takes a target, not a range ({target!r}): the database says "
            "where it is; ranges FROM:TO are for --sql"
        )
    graph, dialect = project.graph, project.dialect
    current = runner.current_heads()
    refuse_half_applied(current)
    unknown = [rev for rev in current if rev not in graph.revisions]
    if unknown:
        raise UsageError(
            f"the database is at revision {', '.join(unknown)}, which this project's history "
            "does not have: check the branch you are on, or `mig stamp` the database"
        )
    end = graph.resolve(end_target, start=current)
    steps = plan_steps(project, command, current, end)
    if not steps:
        log.info("nothing to do: the database is at %s", describe_heads(current))
        return
    state = _with_cache(project, lambda cache: _thawed(start_chain(project, steps, current, cache)))
    cfg = project.config
    with runner:
        if not current and command != "downgrade":
            for stmt in dialect.create_version_table(cfg.version_table, cfg.version_table_schema):
                runner.execute(stmt, revision="base")
        for step in steps:
            with runner.revision(step.revision):
                header = graph.revisions[step.revision]
                log.info(
                    "%s %s -> %s: %s",
                    command,
                    describe_heads(step.heads_before),
                    describe_heads(step.heads_after),
                    header.message,
                )
                markers = progress_statements(project, step) if step.run_script else ()
                marked: list[Statement] = []
                if step.run_script:

                    def apply(
                        op: Operation,
                        revision: str = step.revision,
                        markers: tuple[Statement, ...] = markers,
                        marked: list[Statement] = marked,
                    ) -> None:
                        for stmt in dialect.render(op, state):
                            if markers and not marked:  # the row before the first statement
                                marked.append(markers[0])
                                runner.execute(markers[0], revision=revision)
                            runner.execute(stmt, revision=revision)
                        state.apply(op)

                    record_operations(
                        header,
                        step.direction,
                        dialect,
                        sink=apply,
                        offline=False,
                        bind=runner.connection,
                    )
                if marked:
                    runner.execute(markers[1], revision=step.revision)
                for stmt in version_statements(project, step):
                    runner.execute(stmt, revision=step.revision, expected=step.heads_before)


def refuse_half_applied(rows: Sequence[str]) -> None:
    """Stop online mode on a database a block was left half-applied in: starting it again
    would run its first statements twice (see ``offline_sql/progress.py``)."""
    from offline_sql import progress
    from offline_sql.errors import DatabaseError

    half = progress.marked_revisions(rows)
    if half:
        raise DatabaseError(
            f"{progress.half_applied_message(half)} (at the top of the script, and in "
            "docs/dialects.md): finish or undo the block by hand and delete its "
            f"'{progress.MARKER_PREFIX}<revision>' row from the version table"
        )
