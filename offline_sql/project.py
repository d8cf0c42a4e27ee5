"""The project a command runs on: its history, its dialect, its scripts recorded and replayed.

:class:`Project` holds the revision graph, read from the script headers (no script is
imported), and imports the dialect on first use, so a run the step cache answers entirely
never imports SQLAlchemy. :func:`record_operations` runs one script's ``upgrade()`` or
``downgrade()`` with ``op`` bound to a recorder; :func:`replay_chain` walks the history from
base (or the baseline) through the step cache to the state a command starts from.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

from offline_sql.errors import ConfigError

TYPE_CHECKING = False  # not typing's: importing it costs a memo-answered run 3 ms
if TYPE_CHECKING:
    from types import ModuleType
    from typing import Literal, TypeVar

    from offline_sql.config import Config
    from offline_sql.dialect_api.base import Dialect
    from offline_sql.graph import RevisionGraph
    from offline_sql.operations import Operation
    from offline_sql.plan import Step
    from offline_sql.script.header import RevisionHeader
    from offline_sql.script.index import RevisionIndex
    from offline_sql.state import SchemaState
    from offline_sql.stepcache import Chain, StepCache

    _T = TypeVar("_T")

    Direction = Literal["up", "down"]


class Project:
    """A configured project: its history, and its dialect, imported on first use (a run the
    step cache answers entirely never imports SQLAlchemy)."""

    def __init__(
        self,
        config: Config,
        graph: RevisionGraph,
        dialect: Dialect | None = None,
        *,
        index: RevisionIndex | None = None,
    ) -> None:
        self.config = config
        self.graph = graph
        self._dialect = dialect
        self._index = index

    @property
    def seal(self) -> str | None:
        """The versions folder's seal as its scripts were read (:func:`scripts_seal`), or
        None (several folders, a racy file): what the result memo compares to tell the
        scripts are still those the run read. Made when asked (3 ms at 5,000 scripts)."""
        return None if self._index is None else self._index.seal

    @classmethod
    def load(cls, config: Config) -> Project:
        from offline_sql.graph import RevisionGraph

        config.require_dialect()
        headers, index = _read_headers(config)
        return cls(config, RevisionGraph.from_headers(headers), index=index)

    @property
    def dialect(self) -> Dialect:
        if self._dialect is None:
            from offline_sql import gc_tuning
            from offline_sql.dialect_api.registry import get_dialect

            with gc_tuning.importing():
                self._dialect = get_dialect(self.config.dialect_name, self.config.url)
            gc_tuning.imports_settled()
        return self._dialect

    def header(self, revision: str) -> RevisionHeader:
        return self.graph.revisions[revision]


def load_graph(config: Config) -> RevisionGraph:
    """The revision graph from script headers (cached index; no script is imported)."""
    from offline_sql.graph import RevisionGraph

    return RevisionGraph.from_headers(script_headers(config))


def script_headers(config: Config) -> list[RevisionHeader]:
    """Every revision script's header, each with its SHA-256 (the header index, which
    re-reads only the files whose ``stat`` changed)."""
    return _read_headers(config)[0]


def _read_headers(config: Config) -> tuple[list[RevisionHeader], RevisionIndex | None]:
    """The headers, and the index that read them (None for several folders: its seal)."""
    from offline_sql.script.index import RevisionIndex, load_index

    folders = config.versions_dirs
    for folder in folders:
        if not folder.is_dir():
            raise ConfigError(
                f"{config.config_file}: versions folder {folder} does not exist: "
                "fix `script_location` (or `version_locations`) or run `mig init`"
            )
    if len(folders) == 1:
        index = RevisionIndex(folders[0], config.cache_dir)
        return index.load(), index
    # The header index caches one folder: several are read without it.
    return [h for f in folders for h in load_index(f, None)], None


def scripts_seal(config: Config) -> str | None:
    """The seal of the versions folder now (:func:`offline_sql.script.index.seal`: a
    ``stat`` of each script, nothing read), None for several folders or a racy file."""
    from offline_sql.script.index import RevisionIndex

    folders = config.versions_dirs
    if len(folders) != 1 or not folders[0].is_dir():
        return None
    return RevisionIndex(folders[0], None).current_seal()


def script_hashes(config: Config) -> list[tuple[str, str]]:
    """Every revision script's path and SHA-256: from the header index's entries when it
    holds every script unchanged (a ``stat`` each), else as :func:`script_headers` reads
    them."""
    from offline_sql.script.index import RevisionIndex

    folders = config.versions_dirs
    if len(folders) == 1 and config.cache_dir is not None and folders[0].is_dir():
        known = RevisionIndex(folders[0], config.cache_dir).known_hashes()
        if known is not None:
            return known
    return [(h.path, h.source_sha256) for h in script_headers(config)]


def record_operations(
    header: RevisionHeader,
    direction: Direction,
    dialect: Dialect,
    *,
    sink: Callable[[Operation], None] | None = None,
    offline: bool = True,
    bind: object | None = None,
    config: Config | None = None,
    ahead: bool = True,
    state: SchemaState | None = None,
    replaying: bool = False,
    module: ModuleType | None = None,
) -> list[Operation]:
    """Run one script's upgrade()/downgrade() with ``op`` bound to a recorder. Inside a
    :func:`~offline_sql.script.imports.script_run` the script comes imported with the run's
    others (``ahead=False``: imported alone; ``module``: the caller's import of it);
    ``config`` is what ``alembic.context`` tells. Offline, ``state`` is the schema before
    the script (reflection through the bind reads it, never changes it) and ``replaying``
    says the script runs below a range's start, where reads are answered as on empty
    tables (:mod:`offline_sql.offline_bind`)."""
    from offline_sql.alembic_compat.settings import ScriptSettings, script_settings
    from offline_sql.recorder import Recorder, recording
    from offline_sql.script.imports import active_run, imported_script
    from offline_sql.script.loader import run_revision

    collected: list[Operation] = []

    def collect(op: Operation) -> None:
        collected.append(op)
        if sink is not None:
            sink(op)

    run = active_run()
    settings = ScriptSettings.of(config or (run.config if run else None), offline)
    with script_settings(settings):
        if module is None:
            module = imported_script(header, ahead=ahead)
        recorder = Recorder(
            header.revision,
            header.path,
            dialect,
            collect,
            offline,
            bind,
            state=state,
            replaying=replaying,
        )
        with recording(recorder):
            run_revision(module, "upgrade" if direction == "up" else "downgrade")
    return collected


def step_cache(project: Project, *, enabled: bool = True) -> StepCache:
    """The step cache of a command on ``project`` (disabled: a cache that never hits)."""
    from offline_sql.stepcache import StepCache

    config = project.config
    return StepCache(config, baseline_file(config), enabled=enabled)


def baseline_file(config: Config) -> str:
    """Where the project's baseline is (``baseline.json``; hashed into every cache key)."""
    from offline_sql.config import BASELINE_FILE

    return str(config.script_location / BASELINE_FILE)


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
        way: Direction = "up" if direction == "up" else "down"
        for op in record_operations(
            header,
            way,
            project.dialect,
            config=project.config,
            ahead=False,
            state=state,
            replaying=True,
        ):
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
    from offline_sql.script.imports import script_run

    start = chain.begin_walk()
    with script_run(project.config, headers):
        for header in headers:
            if chain.skip(header, "up"):
                continue
            with chain.run(header, "up") as run:
                with run.script():
                    ops = record_operations(
                        header, "up", project.dialect, state=run.state, replaying=True
                    )
                for op in ops:
                    run.state.apply(op)
    chain.end_walk(start, "replay", items)
    return chain


def replay_state(project: Project, heads: Sequence[str]) -> SchemaState:
    """The schema after applying every revision up to ``heads`` (from base)."""
    return with_cache(project, lambda cache: thawed(replay_chain(project, heads, cache)))


def thawed(chain: Chain) -> SchemaState:
    """The chain's state with every table unpickled now, inside :func:`with_cache`: a
    caller keeping the state must not meet a cached table that does not decode later."""
    state = chain.state()
    state.tables.thaw_all()
    return state


def with_cache(project: Project, work: Callable[[StepCache], _T]) -> _T:
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
