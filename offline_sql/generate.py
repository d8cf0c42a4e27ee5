"""Generation: an offline command planned, each step recorded and rendered, nothing written.

``[FROM:]TO`` is resolved on the graph and planned into steps; each step's script is
recorded and its operations rendered by the dialect against the replayed state (or read
back from the step cache), giving a :class:`RenderedStep` each. Everything is rendered before
anything is framed (:mod:`offline_sql.offline`) or written (:mod:`offline_sql.ticket`), so
a failed generation writes nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Generator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from offline_sql import rollback_split
from offline_sql.errors import OfflineReadError, RenderError, ScriptError, UsageError
from offline_sql.frame import describe_heads
from offline_sql.meter import metered
from offline_sql.output_options import OutputOptions as OutputOptions  # re-exported
from offline_sql.project import Project, record_operations, start_chain, step_cache, with_cache

if TYPE_CHECKING:
    from offline_sql.config import Config
    from offline_sql.frame import Spelling
    from offline_sql.plan import Step
    from offline_sql.review import StepReview
    from offline_sql.review.before import Before
    from offline_sql.review_steps import ReviewSteps
    from offline_sql.script.header import RevisionHeader
    from offline_sql.state import SchemaState
    from offline_sql.statements import Statement
    from offline_sql.stepcache import (
        Chain,
        DialectContext,
        Rendered,
        ReviewTarget,
        StepCache,
        WalkItem,
    )


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
    before: Before | None = None
    """The schema before the step, for the review (only when rendered ``for_review`` and
    the step's review is not cached): followed step by step, never copied whole
    (:mod:`offline_sql.review_steps`)."""
    cache_key: str | None = None
    """The key of the step's cached rendering (None: not cached); what the review's rows
    about the step are keyed by (:func:`offline_sql.stepcache.review_key`)."""


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
    progress: str = "revisions",
) -> Generator[RenderedStep, None, None]:
    """:func:`render_steps` one step at a time, so a caller that writes each step as it
    comes never holds a long history's statements at once. ``progress``: what a terminal's
    progress line calls the steps (:mod:`offline_sql.meter`)."""
    from offline_sql.stepcache import render_plan

    # Lists in step order, not dicts keyed by the step: hashing a Step hashes its version
    # operations too, several times a step on every run.
    revisions = project.graph.revisions
    rows = [
        (
            step,
            revisions.get(step.revision),
            render_plan(
                step.revision,
                step.direction,
                step.heads_before,
                step.heads_after,
                [(v.action, v.revision, v.old) for v in step.version_ops],
                guard,
            ),
        )
        for step in steps
    ]
    review = None
    if for_review:
        from offline_sql.review_steps import ReviewSteps

        review = ReviewSteps(lambda: project.dialect, chain.cache)
    scripted = [(step, h, plan) for step, h, plan in rows if step.run_script and h]
    items: list[WalkItem] = [(header, step.direction, plan) for step, header, plan in scripted]
    # A review needs the schema before a step only when what it found there is not cached.
    whole = chain.try_walk("render", items, review.all_cached if review else None)
    if whole is not None:
        cached = iter(whole)
        for step, header, plan in metered(progress, rows, _revision_of_row):
            one = next(cached) if step.run_script and header is not None else None
            yield _render_step(project, step, header, chain, plan, one, guard, None)
        return
    from offline_sql.script.imports import script_run

    start = chain.begin_walk()
    with script_run(project.config, [header for _, header, _ in scripted]):
        for step, header, plan in metered(progress, rows, _revision_of_row):
            yield _render_step(project, step, header, chain, plan, None, guard, review)
    chain.end_walk(start, "render", items)


def _revision_of_row(row: tuple[Step, RevisionHeader | None, str]) -> str:
    return row[0].revision


def _render_step(
    project: Project,
    step: Step,
    header: RevisionHeader | None,
    chain: Chain,
    plan: str,
    cached: tuple[str, Rendered] | None,
    guard: bool,
    review: ReviewSteps | None,
) -> RenderedStep:
    """One step: from the whole-walk cache, the step cache, or run and rendered. For a
    review (``review``), the schema before the step is followed unless the review of the
    step is cached; a step whose rendering is cached is not run for it."""
    if not step.run_script or header is None:
        return _rendered_without_script(project, step, header, chain, guard, review)
    before = None
    if cached is None:
        key = chain.render_key(header, step.direction, plan)
        if review is not None and not review.cached(key):
            before = review.before(*chain.state_watched())
        found = chain.skip_rendered(header, step.direction, plan)
        cached = None if found is None or key is None else (key, found)
    if cached is not None:
        key, one = cached
        return RenderedStep(
            step=step,
            header=header,
            statements=one.statements,
            version_statements=one.version_statements,
            guard=one.guard,
            operation_count=one.operation_count,
            progress=one.progress,
            before=before,
            cache_key=key,
        )
    # Imported only here: they import SQLAlchemy, which a step read back from the cache
    # never needs.
    from offline_sql.operations import tables_dropped_later
    from offline_sql.stepcache import Rendered

    dialect = project.dialect
    state = chain.state()
    statements: list[Statement] = []
    count = 0
    # The review reads what the step touched before the chain pickles it back.
    with (
        chain.run(header, step.direction, capture_warnings=True) as run,
        review.step(state) if review else nullcontext(),
    ):
        with run.script():
            ops = record_operations(header, step.direction, dialect, state=run.state)
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
            raise unencodable(exc, f"revision {header.revision} ({header.path})") from exc
        finally:
            run.state.dropped_later = frozenset()
    rendered = Rendered(
        tuple(statements),
        tuple(version_statements(project, step)),
        tuple(guard_statements(project, step) if guard else ()),
        count,
        progress=progress_statements(project, step) if statements else (),
    )
    return RenderedStep(
        step=step,
        header=header,
        statements=rendered.statements,
        version_statements=rendered.version_statements,
        guard=rendered.guard,
        operation_count=count,
        before=before,
        progress=rendered.progress,
        cache_key=chain.store_rendered(run, plan, rendered) or None,
    )


def unencodable(exc: UnicodeEncodeError, where: str) -> RenderError:
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
    review: ReviewSteps | None,
) -> RenderedStep:
    """A stamp: only the version table changes."""
    return RenderedStep(
        step=step,
        header=header,
        statements=(),
        version_statements=tuple(version_statements(project, step)),
        guard=tuple(guard_statements(project, step) if guard else ()),
        before=review.before(*chain.state_watched()) if review else None,
    )


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
    empty_downgrades: frozenset[str] = frozenset()
    """Revisions of downgrade steps whose downgrade() records nothing while their
    upgrade() records operations (review)."""
    cache: StepCache | None = None
    """The step cache the run used (the review keeps what it found there)."""
    review_target: ReviewTarget | None = None
    """The dialect's name, sqlglot name and review rules (from the cache when it has them)."""
    reviews: dict[int, StepReview] = field(default_factory=dict)
    """Index in ``steps`` -> what the review found there last time (cached), without the
    step's flags (:func:`offline_sql.review.core_review`)."""
    rollback_keeper: RollbackKeeper | None = None
    """What kept the ``rollback`` steps as the walk rendered them (None: kept whole)."""


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


class ReviewSink(Protocol):
    """Where the steps to review go as they are rendered
    (:class:`offline_sql.review_child.CoreReviews`)."""

    def send(self, index: int, rendered: RenderedStep) -> None: ...

    def finish(self) -> None: ...

    def close(self) -> None: ...


class RollbackKeeper(Protocol):
    """What a rollback walk keeps of each step it renders: a ticket frames the step's file
    at once and keeps the step without its statements
    (:class:`offline_sql.ticket.RollbackFramer`)."""

    def take(self, rendered: RenderedStep) -> RenderedStep: ...

    def reserve(self, count: int) -> None:
        """The walk's first ``count`` steps are taken elsewhere: number the next one after
        them (:mod:`offline_sql.rollback_split`)."""

    def kept_from(self, start: int) -> Sequence[object] | None:
        """What was kept apart from the steps, from the walk's step ``start`` on, to hand
        to :meth:`adopt` in another process (None: it cannot be handed over)."""

    def adopt(self, kept: Sequence[Any]) -> None:
        """Take what another process's keeper kept (:meth:`kept_from`), in walk order."""


StartRollback = Callable[["Project", "DialectContext", int], RollbackKeeper]
"""Called before the rollback walk of a ``-o DIR`` run with the project, the dialect context
and the count of steps planned: the :class:`RollbackKeeper` of that walk."""


StartReviews = Callable[["Project", "DialectContext", "RenderedStep"], "ReviewSink | None"]
"""Called at the first rendered step to review (its core review is not cached), with the
project, the dialect context and that step: a :class:`ReviewSink` that takes it and every
later step to review as each is rendered, to review them while generation goes on
(:func:`offline_sql.review_child.start_core_reviews`); None when nothing does."""


def generate(
    config: Config,
    command: str,
    target: str,
    options: OutputOptions,
    *,
    start_reviews: StartReviews | None = None,
    start_rollback: StartRollback | None = None,
) -> Generated:
    """Plan, record and render an offline run (and its rollback when writing a directory).
    ``start_reviews``: see :data:`StartReviews`; ``start_rollback``: :data:`StartRollback`
    (None: the rollback steps are kept whole)."""
    hooks = _Hooks(start_reviews, start_rollback)
    with ahead_session(config):
        planned = Planned.of(config, command, target)
        return with_cache(planned.project, lambda cache: _generate(planned, options, cache, hooks))


@dataclass(frozen=True)
class _Hooks:
    start_reviews: StartReviews | None = None
    start_rollback: StartRollback | None = None


def ahead_session(config: Config) -> AbstractContextManager[object]:
    """Scripts read and compiled ahead by a helper process on a first run, while this one
    imports the dialect (:mod:`offline_sql.script.ahead`)."""
    from offline_sql.script import ahead

    def warm_up() -> None:
        from offline_sql import gc_tuning
        from offline_sql.dialect_api.registry import import_dialect_module

        with gc_tuning.importing():
            import_dialect_module(config.dialect_name)
        # Frozen now rather than when the dialect is first used: the collector's next full
        # pass comes before that (while the plan's modules load), and walked all of
        # SQLAlchemy for nothing (30 ms, 7% of a first run of an 81-revision history).
        gc_tuning.imports_settled()

    # Nothing to warm up once SQLAlchemy is imported (a second command in one process).
    return ahead.session(None if "sqlalchemy" in sys.modules else warm_up)


def _generate(
    planned: Planned, options: OutputOptions, cache: StepCache, hooks: _Hooks
) -> Generated:
    if options.output is None and not options.strict:
        return _generate_steps(planned, options, cache, hooks)
    # The checks and the rollback load each script again: compiled once.
    from offline_sql.script.loader import compiled_kept

    with compiled_kept():
        return _generate_steps(planned, options, cache, hooks)


def _generate_steps(
    planned: Planned, options: OutputOptions, cache: StepCache, hooks: _Hooks
) -> Generated:
    project, command, start, end, steps = (
        planned.project,
        planned.command,
        planned.start,
        planned.end,
        planned.steps,
    )
    chain = start_chain(project, steps, start, cache)
    want_review = options.output is not None or options.strict
    rollback: list[RenderedStep] = []
    no_downgrade: frozenset[str] = frozenset()
    empty: frozenset[str] = frozenset()
    reviews: dict[int, StepReview] = {}
    snapshot: rollback_split.Snapshot | None = None
    if not want_review:
        rendered = render_steps(project, steps, chain, guard=options.guard)
    else:
        # A directory's rollback walk may be split (its lower part rendered by a child
        # from the state the walk has at this index): rollback_split.
        at = rollback_split.snapshot_at(steps) if options.output is not None else None
        rendered, reviews, snapshot = _rendered_for_review(
            project, steps, chain, options.guard, cache, hooks.start_reviews, at
        )
        empty = empty_downgrades(project, rendered, cache)
        if options.output is None or not steps:
            no_downgrade = missing_downgrades(project, rendered, cache)
    context = dialect_context(project, cache)
    keeper: RollbackKeeper | None = None
    if options.output is not None and steps:
        back = plan_steps(project, INVERSE[command], end, start)
        start_rollback = hooks.start_rollback
        keeper = start_rollback(project, context, len(back)) if start_rollback else None
        rollback, no_downgrade = _rollback(
            project, rendered, back, chain, options.guard, cache, keeper, snapshot
        )
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
        empty,
        cache,
        context.review,
        reviews,
        keeper,
    )


def _rollback(
    project: Project,
    rendered: Sequence[RenderedStep],
    back: Sequence[Step],
    chain: Chain,
    guard: bool,
    cache: StepCache,
    keeper: RollbackKeeper | None = None,
    snapshot: rollback_split.Snapshot | None = None,
) -> tuple[list[RenderedStep], frozenset[str]]:
    """The rollback steps (``back``, the inverse plan, rendered from the state the walk
    reached) and the revisions of ``rendered`` without a way back (:func:`has_downgrade`).
    ``keeper``: what is kept of each step rendered (by default the step itself; a ticket
    frames its file at once, :class:`offline_sql.ticket.RollbackFramer`). ``snapshot``:
    the upgrade walk's state where the walk's lower part begins, for a child to render
    that part while this process renders the rest (:mod:`offline_sql.rollback_split`).

    No rollback is invented: the files stop above the first revision without one. The walk
    itself answers for the revisions it renders: a downgrade that records operations has
    a way back (it would without the state too: a read it makes is one the check counts as
    doing something), so the check, which runs each ``downgrade()`` again without the
    state, is asked only where the walk's step fails or records nothing while its upgrade
    did, and for the revisions below the first without a way back, which the walk does not
    reach. What is written is what checking every revision first gave (the check's error,
    when it has one, is raised as before); a ``-o`` run loads and runs each downgrade once
    less (the check was 5% of a first run at N = 1,000). Only the order of two errors in
    two scripts changes: the walk's, from the head down, comes first."""
    ups = {r.step.revision: r for r in rendered if r.step.direction == "up"}
    keep = keeper.take if keeper is not None else None

    def walk_back(steps: Sequence[Step], done: list[RenderedStep]) -> RenderedStep | None:
        """Render ``steps`` of the walk into ``done``; the upgrade step where the walk
        stopped (a revision without a way back), or None."""
        # Its own name on a terminal: the count starting again under "revisions" read as
        # the run going back to its beginning.
        walk = iter_rendered(project, steps, chain, guard=guard, progress="rollback")
        try:
            for step in steps:
                up = ups.get(step.revision)
                try:
                    one = next(walk)
                except Exception:
                    if up is None or _has_way_back(project, up, cache):
                        raise
                    return up
                records_nothing = one.operation_count == 0
                if up is not None and records_nothing and not _has_way_back(project, up, cache):
                    return up
                done.append(keep(one) if keep is not None else one)
        finally:
            walk.close()
        return None

    done: list[RenderedStep] = []
    revisions = project.graph.revisions
    lower = rollback_split.fork_lower(
        back, snapshot, chain, cache, keeper, walk_back, lambda s: revisions.get(s.revision)
    )
    try:
        stop = walk_back(back if lower is None else back[: lower.start], done)
        if lower is not None and stop is None:
            taken = lower.answer(chain, cache, keeper)
            if taken is not None:
                done.extend(taken)
            else:
                stop = walk_back(back[lower.start :], done)
    finally:
        if lower is not None:
            lower.end()
    if stop is None:
        return done, frozenset()
    reached = {r.step.revision for r in done}
    below = [r for r in rendered if r.step.revision not in reached and r is not stop]
    return done, missing_downgrades(project, below, cache) | {stop.step.revision}


def _has_way_back(project: Project, up: RenderedStep, cache: StepCache | None) -> bool:
    """:func:`has_downgrade` for one upgrade step, its answer kept as
    :func:`missing_downgrades` keeps it."""
    return up.step.revision not in missing_downgrades(project, [up], cache)


def _rendered_for_review(
    project: Project,
    steps: Sequence[Step],
    chain: Chain,
    guard: bool,
    cache: StepCache,
    start_reviews: StartReviews | None,
    snapshot_index: int | None = None,
) -> tuple[list[RenderedStep], dict[int, StepReview], rollback_split.Snapshot | None]:
    """The steps rendered for a review, and index -> the cached core review of each step
    that has one; each of the others is handed to ``start_reviews``' sink as it comes.
    With ``snapshot_index``, a copy of the state after that step too (None: not taken)."""
    from offline_sql.review_steps import cached_reviews

    rendered: list[RenderedStep] = []
    snapshot: rollback_split.Snapshot | None = None
    sink: ReviewSink | None = None
    asked = False
    try:
        for one in iter_rendered(project, steps, chain, guard=guard, for_review=True):
            # The steps to review are those rendered with the schema before them
            # (_render_step follows it only when the step's review is not cached): the
            # cache is not read here, so what it warns is warned where it always was.
            if one.before is not None:
                if not asked and start_reviews is not None:
                    asked = True
                    sink = _start(start_reviews, project, cache, one)
                if sink is not None:
                    sink.send(len(rendered), one)
            if len(rendered) == snapshot_index:
                taken = chain.snapshot()
                if taken is not None:
                    snapshot = rollback_split.Snapshot(one.step.revision, *taken)
            rendered.append(one)
        if sink is not None:
            sink.finish()
        reviews = cached_reviews(
            cache, [(r.cache_key, r.before is not None, r.statements) for r in rendered]
        )
    except BaseException:
        if sink is not None:
            sink.close()
        raise
    return rendered, reviews, snapshot


def _start(
    start_reviews: StartReviews, project: Project, cache: StepCache, first: RenderedStep
) -> ReviewSink | None:
    """Call ``start_reviews`` with the dialect context; a context that cannot be made now
    starts nothing (the error is raised where it always was, after the rollback)."""
    try:
        context = dialect_context(project, cache)
    except Exception:
        return None
    return start_reviews(project, context, first)


def dialect_context(project: Project, cache: StepCache) -> DialectContext:
    """The cached :class:`DialectContext`, or the dialect's (cached for next time)."""
    context = cache.context()
    if context is None:
        context = _context_of(project)
        cache.remember_context(context)
    return context


def _context_of(project: Project) -> DialectContext:
    """What framing needs from the dialect besides the steps (this configuration)."""
    from offline_sql.frame import SpellingOf
    from offline_sql.stepcache import DialectContext, ReviewTarget

    config, dialect = project.config, project.dialect
    return DialectContext(
        review=ReviewTarget(dialect.name, dialect.sqlglot_name, dialect.review_rules_at),
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


def has_downgrade(project: Project, rendered: RenderedStep) -> bool:
    """False when the revision's upgrade changes something and its downgrade() is missing,
    records nothing or raises ``NotImplementedError`` (how many scripts say so, Alembic
    running a downgrade only when asked): there is no way back, and we must not pretend
    there is. Any other exception is the script's error, reported as such."""
    from offline_sql.alembic_compat.settings import ScriptSettings, script_settings
    from offline_sql.script.loader import load_script

    header = rendered.header
    if header is None or _has_downgrade_without_script(rendered):
        return True
    with script_settings(ScriptSettings.of(project.config)):
        module = load_script(header.path, header.revision)
    if not callable(getattr(module, "downgrade", None)):
        return False
    try:
        return bool(
            record_operations(
                header, "down", project.dialect, config=project.config, ahead=False, module=module
            )
        )
    except OfflineReadError:
        # It asks the database (reflection needs the state before the step, not kept
        # here): it does something; the rollback file renders it with that state.
        return True
    except ScriptError as error:
        if isinstance(error.__cause__, NotImplementedError):
            return False
        raise


def _has_downgrade_without_script(rendered: RenderedStep) -> bool:
    """Whether :func:`has_downgrade` is True without running the script: no script, not an
    upgrade, or an upgrade that changes nothing (nothing to undo)."""
    return (
        rendered.header is None or rendered.step.direction != "up" or rendered.operation_count == 0
    )


def _not_empty_without_script(rendered: RenderedStep) -> bool:
    """Whether :func:`empty_downgrade` is False without running the script."""
    step = rendered.step
    return (
        rendered.header is None
        or step.direction != "down"
        or not step.run_script
        or rendered.operation_count != 0
    )


def empty_downgrade(project: Project, rendered: RenderedStep) -> bool:
    """True for a downgrade step whose downgrade() records nothing while the revision's
    upgrade() records operations: applying it moves the version table back, not the schema."""

    header = rendered.header
    if header is None or _not_empty_without_script(rendered):
        return False
    try:
        return bool(
            record_operations(header, "up", project.dialect, config=project.config, ahead=False)
        )
    except OfflineReadError:
        return False  # cannot tell without the state: not reported as empty


def missing_downgrades(
    project: Project, steps: Sequence[RenderedStep], cache: StepCache | None = None
) -> frozenset[str]:
    """The revisions of upgrade steps without a way back (:func:`has_downgrade`)."""
    # Only the steps whose answer needs the script are looked up, run and remembered.
    asked = [r for r in steps if not _has_downgrade_without_script(r)]
    return _revisions_where(project, asked, cache, "no-downgrade", has_downgrade, False)


def empty_downgrades(
    project: Project, steps: Sequence[RenderedStep], cache: StepCache | None = None
) -> frozenset[str]:
    """The revisions of downgrade steps that move only the version table
    (:func:`empty_downgrade`)."""
    # Only the steps whose answer needs the script: none in an upgrade, whose 1,000 steps
    # were otherwise 1,000 cache rows looked up and written for nothing (13 ms).
    asked = [r for r in steps if not _not_empty_without_script(r)]
    return _revisions_where(project, asked, cache, "empty-downgrade", empty_downgrade, True)


def _revisions_where(
    project: Project,
    steps: Sequence[RenderedStep],
    cache: StepCache | None,
    what: str,
    test: Callable[[Project, RenderedStep], bool],
    wanted: bool,
) -> frozenset[str]:
    """The revisions of ``steps`` where ``test`` gives ``wanted``. ``test`` runs the
    script's other direction, which the step's rendering did not: its answer is kept in the
    step cache beside the rendering (with the files the script read then), so an unchanged
    history imports no script for it."""
    from offline_sql.stepcache import deps as deps_mod
    from offline_sql.stepcache import review_key

    keys = {
        index: review_key(what, r.cache_key)
        for index, r in enumerate(steps)
        if r.cache_key is not None and cache is not None and cache.enabled
    }
    known = cache.review_rows(list(keys.values())) if cache is not None else {}
    found: set[str] = set()
    for index, rendered in enumerate(steps):
        key = keys.get(index)
        answer = known.get(key) if key is not None else None
        if answer in (b"0", b"1"):
            value = answer == b"1"
        elif key is None or cache is None or rendered.header is None:
            value = test(project, rendered)
        else:
            with deps_mod.tracking(rendered.header.path, cache.versioned) as read:
                value = test(project, rendered)
            cache.remember_review(key, b"1" if value else b"0", cache.hashed(read))
        if value == wanted:
            found.add(rendered.step.revision)
    return frozenset(found)
