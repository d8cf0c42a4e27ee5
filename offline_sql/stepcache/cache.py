"""The step cache itself (see the package's doc): the store's rows walked step by step.

Its own module so that importing the package's light parts (:mod:`.keys`, :mod:`.deps`,
:mod:`.store`, which the result memo needs) does not import this one, nor the table
pickling and the deltas it brings (issue 16: a run the memo answers).
"""

from __future__ import annotations

import copy
import functools
import importlib
import json
import pickle
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from offline_sql.real_paths import forget_folders
from offline_sql.stepcache import deps as deps_mod
from offline_sql.stepcache import keys
from offline_sql.stepcache.delta import RERUN, Before, CorruptDelta, capture, fold
from offline_sql.stepcache.store import BATCH, CacheStore, Deps
from offline_sql.tablemap import PICKLE_PROTOCOL
from offline_sql.tablemap import CorruptCache as CorruptCache

if TYPE_CHECKING:
    from offline_sql.config import Config
    from offline_sql.frame import SpellingOf
    from offline_sql.script.header import RevisionHeader
    from offline_sql.script.imports import ScriptRun
    from offline_sql.state import SchemaState
    from offline_sql.statements import Statement

Rerun = Callable[["RevisionHeader", str, "SchemaState"], None]
"""Run one step's script again on a state (record its operations and apply them): how a
state is rebuilt past a step whose delta could not be stored."""

StoredWarning = tuple[str, str, str, str, int]
"""``(category module, category name, message, filename, lineno)``."""


@dataclass(frozen=True)
class Rendered:
    """A step's rendered output, as the render entries keep it."""

    statements: tuple[Statement, ...]
    version_statements: tuple[Statement, ...]
    guard: tuple[Statement, ...]
    operation_count: int
    warnings: tuple[StoredWarning, ...] = ()
    progress: tuple[Statement, ...] = ()
    """The "in progress" row statements of the step, when its dialect marks blocks."""


@dataclass(frozen=True)
class DialectContext:
    """What framing a script needs from the dialect for one configuration, kept so a run
    whose steps are all cached need not import the dialect (nor SQLAlchemy)."""

    spelling: SpellingOf
    version_table: tuple[Statement, ...]
    """The statements creating the version table (a range starting at base)."""
    session: tuple[Statement, ...]
    """Session settings at the top of a script."""
    review: ReviewTarget | None = None
    """What the review asks of the dialect (None: ask the dialect)."""


@dataclass(frozen=True)
class ReviewTarget:
    """What the review of ``-o DIR`` / ``--strict`` needs of the dialect when every step's
    review is cached: a run that reads them back imports no dialect (nor SQLAlchemy)."""

    name: str
    sqlglot_name: str
    rules_at: str
    """``module:attribute`` of the database's own rules ('' for none)."""

    def rules(self) -> tuple[Any, ...]:
        if not self.rules_at:
            return ()
        module, _, attribute = self.rules_at.partition(":")
        found: tuple[Any, ...] = getattr(importlib.import_module(module), attribute)
        return found


class StepCache:
    """The cache of one command (one configuration, one dialect)."""

    def __init__(self, config: Config, baseline_file: str, *, enabled: bool = True) -> None:
        self.config = config
        self.store = CacheStore(config.cache_dir if enabled else None)
        self.hash_file = deps_mod.Hasher()
        self.versioned: deps_mod.Versioned = {}
        """Which paths a script read lie where mig's and its libraries' files are."""
        forget_folders()
        self._baseline_file = baseline_file
        self.used: set[tuple[str, str]] = set()
        """The dependencies (``(path, sha256)``) of every row this command used or wrote:
        what the whole result rests on besides the scripts and the context, for the result
        memo (:mod:`offline_sql.result_memo`)."""

    @property
    def enabled(self) -> bool:
        return self.store.enabled

    @functools.cached_property
    def namespace(self) -> str:
        """The key every chain of this command starts from (see :func:`.keys.namespace`)."""
        return keys.namespace(self.config, self.hash_file(self._baseline_file))

    def chain(self, base: Callable[[], SchemaState], rerun: Rerun | None = None) -> Chain:
        """A chain starting at the empty history; ``base`` makes the starting state,
        ``rerun`` runs a step whose delta is :data:`.delta.RERUN` (a chain without it
        meeting such a step is a :class:`CorruptCache`: the command runs uncached)."""
        return Chain(self, self.namespace if self.enabled else "", base, rerun)

    def _context_key(self) -> str:
        return keys.digest("context", self.namespace)

    def context(self) -> DialectContext | None:
        """The cached :class:`DialectContext` of this configuration, if any."""
        if not self.enabled:
            return None
        row = self.store.get("walk", self._context_key())
        if row is None:
            return None
        try:
            context = pickle.loads(row[1])
        except Exception:  # a corrupt row can raise anything while unpickling
            return None
        return context if isinstance(context, DialectContext) else None

    def remember_context(self, context: DialectContext) -> None:
        if self.enabled:
            self.store.put(
                "walk", self._context_key(), (), pickle.dumps(context, protocol=PICKLE_PROTOCOL)
            )

    def deps_hold(self, deps: Deps) -> bool:
        """Whether every file of ``deps`` still has its hash (then the row is used, and its
        dependencies noted in :attr:`used`)."""
        if all(self.hash_file(path) == sha for path, sha in deps):
            self.used.update(deps)
            return True
        return False

    # ---- what the review found (``-o DIR``, ``--strict``) ----------------------------------

    def review_rows(self, keys: Sequence[str]) -> dict[str, bytes]:
        """``key -> data`` of the review rows found (their files unchanged); see
        :func:`review_key`. A missing or damaged row is left out: a miss."""
        if not self.enabled or not keys:
            return {}
        found = self.store.get_found("review", keys)
        return {key: data for key, (deps, data) in found.items() if self.deps_hold(deps)}

    def remember_review(self, key: str, data: bytes, deps: Deps = ()) -> None:
        if self.enabled:
            self.used.update(deps)
            self.store.put("review", key, deps, data)

    def hashed(self, paths: Iterator[str] | set[str]) -> Deps:
        """The files' hashes, for a row's dependencies."""
        return tuple(sorted((path, self.hash_file(path)) for path in paths))

    def flush(self) -> None:
        """Write the entries of this (successful) command."""
        self.store.flush()


@dataclass
class _Hit:
    key: str
    step: Pending
    deps: Deps
    notes: tuple[StoredWarning, ...]
    """What the script warned while it ran (shown again when the step is replayed)."""
    after: str
    """The state key after the step, as the run that stored it found it."""


class StepRun:
    """One step being run for real inside :meth:`Chain.run`."""

    def __init__(self, state: SchemaState, key: str | None) -> None:
        self.state = state
        self.key = key
        """The step's entry key; None when this step cannot be cached."""
        self.warnings: list[warnings.WarningMessage] = []
        """Everything the step warned (rendering included), for :meth:`Chain.store_rendered`."""
        self.notes: list[warnings.WarningMessage] = []
        """What the script itself warned while recording, stored with the state entry."""

    @contextmanager
    def script(self) -> Iterator[None]:
        """Around running the script: keep what it warns (and show it as usual)."""
        holder = StepRun(self.state, None)
        with _warnings_kept(holder, True):
            yield
        self.notes.extend(holder.warnings)


Pending = tuple[str, "RevisionHeader", str]
"""``(step key, header, direction)`` of a skipped step whose delta is not folded yet."""

WalkItem = tuple["RevisionHeader", str, str]
"""``(header, direction, plan)`` of one step of a walk (plan ``""`` for a replay)."""


class Chain:
    """The walk through one command's steps: reuse what is cached, run the rest."""

    def __init__(
        self,
        cache: StepCache,
        key: str,
        base: Callable[[], SchemaState],
        rerun: Rerun | None = None,
    ) -> None:
        self.cache = cache
        self.key: str | None = key if cache.enabled else None
        """The state key here; None once a step could not be cached (nothing after it is)."""
        self._base = base
        self._rerun = rerun
        self._pending: list[Pending] = []
        """Skipped steps whose deltas are not folded into the state yet (or whose scripts
        run again, for a step stored as :data:`.delta.RERUN`)."""
        self._state: SchemaState | None = None
        self._log: list[tuple[str, Deps, tuple[StoredWarning, ...]]] = []
        """``(step key, deps, notes)`` of every step passed since :meth:`begin_walk`."""
        self._unparsed: tuple[list[Any] | None, int, str] = (None, 0, "")
        """The list of unparsed statements :meth:`_content_key` last digested, how many of
        them, and their digest so far (a state's list only grows)."""

    # ---- the state ----------------------------------------------------------------------

    def state(self) -> SchemaState:
        """The schema state here, folded from cached deltas where steps were skipped."""
        if self._state is None:
            self._state = self._base()
        if self._pending:
            pending, self._pending = self._pending, []
            found = self.cache.store.get_many("state", [key for key, _, _ in pending])
            if found is None:
                raise CorruptCache("a cached step's state is missing or damaged")
            for key, header, direction in pending:
                if found[key] == RERUN:
                    self._run_again(header, direction)
                    continue
                try:
                    fold(self._state, found[key])
                except CorruptDelta as exc:
                    raise CorruptCache(str(exc)) from exc
        return self._state

    def snapshot(self) -> tuple[SchemaState, str] | None:
        """A copy of the state here and its content key (:meth:`_content_key`), for a walk
        to start from later (:mod:`offline_sql.rollback_split`); None where the state is
        not made yet, waits for cached steps to be folded in, or does not pickle."""
        if self._state is None or self._pending:
            return None
        key = self._content_key(self._state)
        if key is None:
            return None
        try:
            return copy.deepcopy(self._state), key
        except Exception:  # an object of a script's that copies as it likes: no copy
            return None

    def content_key(self) -> str | None:
        """The content key of the state here (None when a table does not pickle)."""
        return self._content_key(self.state())

    def restart(self, state: SchemaState, key: str | None) -> None:
        """Go on from ``state`` (a :meth:`snapshot`'s copy) under the state key ``key``: the
        chain as a walk that reached that state would be (a step that ran is followed by
        its state's content key)."""
        self._state = state
        self._pending = []
        self.key = key if self.cache.enabled else None
        self._unparsed = (None, 0, "")

    def _run_again(self, header: RevisionHeader, direction: str) -> None:
        """Rebuild a step that stored no delta by running its script on the folded state.
        Its warnings were shown again from the entry when the step was passed."""
        assert self._state is not None
        if self._rerun is None:
            raise CorruptCache(f"revision {header.revision} must run again and cannot here")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._rerun(header, direction, self._state)

    # ---- cached steps, one at a time ------------------------------------------------------

    def _step_key(self, header: RevisionHeader, direction: str) -> str | None:
        if self.key is None:
            return None
        return keys.step_key(self.key, header.revision, direction, _source_sha(header))

    def _lookup(self, header: RevisionHeader, direction: str) -> _Hit | None:
        key = self._step_key(header, direction)
        if key is None:
            return None
        head = self.cache.store.get_head("state", key)
        if head is None or not head[2] or not self.cache.deps_hold(head[0]):
            return None
        notes = _decode_notes(head[1])
        if notes is None:
            return None
        return _Hit(key, (key, header, direction), head[0], notes, head[2])

    def _take(self, hit: _Hit) -> None:
        self._pending.append(hit.step)
        self._passed(hit.key, hit.deps, hit.notes, hit.after)

    def _passed(self, key: str, deps: Deps, notes: tuple[StoredWarning, ...], after: str) -> None:
        self._log.append((key, deps, notes))
        self.key = after

    def _content_key(self, state: SchemaState) -> str | None:
        """The state key of what ``state`` holds (every table, in order, and the
        database-level objects), whatever steps led to it; None when a table does not
        pickle.

        A step that ran is followed by this key, not by one chained from the steps before:
        a walk that reaches a state met before (a ticket's rollback, after its last script
        was edited, undoing that revision to where the last run's rollback was) goes on
        with the entries cached from there."""
        tables = state.tables.content()
        if tables is None:
            return None
        seen, done, digest = self._unparsed
        unparsed = state.unparsed
        if unparsed is not seen or len(unparsed) < done:
            done, digest = 0, ""
        for entry in unparsed[done:]:  # one at a time: the same list, the same digest
            digest = keys.digest("unparsed", digest, repr(entry))
        self._unparsed = (unparsed, len(unparsed), digest)
        return keys.digest(
            "content",
            self.cache.namespace,
            f"{tables:x}",
            repr(list(state.enums.items())),
            repr(sorted(map(repr, state.sequences))),
            digest,
            state.sqlglot_dialect,
        )

    def skip(self, header: RevisionHeader, direction: str) -> bool:
        """Advance over the step from the cache; False when it must run."""
        hit = self._lookup(header, direction)
        if hit is None:
            return False
        self._take(hit)
        _show_notes(hit.notes)
        return True

    def render_key(self, header: RevisionHeader, direction: str, plan: str) -> str | None:
        """The key the next step's rendering is (or would be) cached under, None when this
        chain caches nothing; reviews of the step are keyed by it (:func:`review_key`)."""
        key = self._step_key(header, direction)
        return None if key is None else _render_key(key, plan)

    def state_watched(self) -> tuple[SchemaState, set[Any]]:
        """:meth:`state`, and the keys of the tables folding it changed (cached steps passed
        since the state was last asked for; none when it is made here)."""
        if self._state is None:
            return self.state(), set()
        with self._state.tables.watching() as changed:
            state = self.state()
        return state, changed

    def skip_rendered(self, header: RevisionHeader, direction: str, plan: str) -> Rendered | None:
        """The step's cached rendering (advancing over it), or None when it must run.
        ``plan`` describes everything about the step besides its script (see
        :func:`render_plan`)."""
        hit = self._lookup(header, direction)
        if hit is None:
            return None
        row = self.cache.store.get("render", _render_key(hit.key, plan))
        rendered = None if row is None else _decode_rendered(row[1])
        if rendered is None:
            return None
        self._take(hit)
        _show(rendered)
        return rendered

    # ---- cached steps, a whole walk at once ------------------------------------------------

    def begin_walk(self) -> str | None:
        """Start noting the steps passed; the walk's key (None: it cannot be cached)."""
        self._log = []
        return self.key

    def _walk_key(self, start: str | None, kind: str, items: Sequence[WalkItem]) -> str | None:
        if start is None:
            return None
        parts = [kind, start]
        for header, direction, plan in items:
            parts += (header.revision, direction, _source_sha(header), plan)
        return keys.digest("walk", *parts)

    def try_walk(
        self,
        kind: str,
        items: Sequence[WalkItem],
        accept: Callable[[Sequence[str]], bool] | None = None,
    ) -> Iterator[tuple[str, Rendered]] | None:
        """Pass every step of ``items`` at once when the same walk from the same state was
        cached and nothing it read changed: one lookup instead of one per step. ``kind``
        ``"render"`` also returns the steps' renderings with their keys (``"replay"``: an
        empty list). ``accept`` may still refuse the walk, given its render keys (nothing
        is passed then)."""
        walk = self._walk_key(self.key, kind, items)
        if walk is None or not items:
            return None
        row = self.cache.store.get("walk", walk)
        if row is None or not self.cache.deps_hold(row[0]):
            return None
        try:
            summary = pickle.loads(row[1])
            end, step_keys, render_keys = summary["end"], summary["steps"], summary["renders"]
            notes = tuple(summary["notes"])
            for stored in notes:
                _category(stored)
        except Exception:  # a corrupt row can raise anything while unpickling
            return None
        if len(step_keys) != len(items):
            return None
        if kind == "render" and not self.cache.store.has_all("render", render_keys):
            return None
        if accept is not None and not accept(render_keys):
            return None
        directions = [direction for _, direction, _ in items]
        headers = [header for header, _, _ in items]
        self._pending.extend(zip(step_keys, headers, directions, strict=True))
        self.key = end
        if kind == "render":
            return self._renderings(render_keys)
        _show_notes(notes)
        return iter(())

    def _renderings(self, render_keys: Sequence[str]) -> Iterator[tuple[str, Rendered]]:
        """The walk's renderings, read a batch at a time, each warning again what it warned.
        A row that no longer decodes here is a :class:`CorruptCache` (the walk is taken)."""
        for start in range(0, len(render_keys), BATCH):
            chunk = render_keys[start : start + BATCH]
            found = self.cache.store.get_many("render", chunk)
            if found is None:
                raise CorruptCache("a cached rendering is missing or damaged")
            for key in chunk:
                one = _decode_rendered(found[key])
                if one is None:
                    raise CorruptCache("a cached rendering does not decode")
                _show(one)
                yield key, one

    def end_walk(self, start: str | None, kind: str, items: Sequence[WalkItem]) -> None:
        """Remember the walk begun at ``start`` (when every step of it could be cached)."""
        walk = self._walk_key(start, kind, items)
        if walk is None or not items or self.key is None or len(self._log) != len(items):
            return
        step_keys = [key for key, _, _ in self._log]
        render_keys = (
            [_render_key(key, plan) for key, (_, _, plan) in zip(step_keys, items, strict=True)]
            if kind == "render"
            else []
        )
        deps = tuple(sorted({dep for _, step_deps, _ in self._log for dep in step_deps}))
        notes = [note for _, _, step_notes in self._log for note in step_notes]
        summary = {"end": self.key, "steps": step_keys, "renders": render_keys, "notes": notes}
        self.cache.store.put("walk", walk, deps, pickle.dumps(summary, protocol=PICKLE_PROTOCOL))

    # ---- steps run for real ---------------------------------------------------------------

    @contextmanager
    def run(
        self, header: RevisionHeader, direction: str, *, capture_warnings: bool = False
    ) -> Iterator[StepRun]:
        """Run a step's script on the state inside; on success store its delta.

        With ``capture_warnings`` the warnings raised inside are kept on the run (for
        :meth:`store_rendered`) and shown again afterwards, as they would have been."""
        state = self.state()
        run = StepRun(state, self._step_key(header, direction))
        if run.key is None:
            with _warnings_kept(run, capture_warnings):
                yield run
            return
        # Imported here: a run the cache answers runs and imports no script.
        from offline_sql.script.imports import active_run

        before = Before.of(state)
        scripts = active_run()
        if scripts is not None:
            scripts.forget_source(header.revision)
        tracking = state.tables.start_tracking()
        try:
            with (
                deps_mod.tracking(header.path, self.cache.versioned) as found,
                _warnings_kept(run, capture_warnings),
            ):
                yield run
        finally:
            state.tables.stop_tracking()
        sha = header.source_sha256 or ""
        if sha and _ran_sha256(header, scripts) != sha:
            # The script changed before it was read: what ran is not what the key says.
            self.key = run.key = None
            return
        try:
            delta = capture(state, tracking, before)
        except Exception:
            # A table holding what pickle cannot name again (a lambda in a column type, a
            # type class defined inside a revision script): this step's script runs again
            # whenever a state past it is rebuilt; its rendering and the steps after it
            # are cached as usual.
            delta = RERUN
        notes = tuple(_stored(w) for w in run.notes)
        if any(note is None for note in notes):
            self.key = run.key = None  # a warning category that cannot be found by name
            return
        kept_notes = tuple(note for note in notes if note is not None)
        step_deps = tuple(sorted((path, self.cache.hash_file(path)) for path in found))
        self.cache.used.update(step_deps)
        notes_text = json.dumps(kept_notes) if kept_notes else "[]"  # most steps warn nothing
        after = self._content_key(state) or keys.state_after(run.key, step_deps)
        self.cache.store.put("state", run.key, step_deps, delta, notes_text, after)
        self._passed(run.key, step_deps, kept_notes, after)

    def store_rendered(self, run: StepRun, plan: str, rendered: Rendered) -> str | None:
        """Keep a rendering made inside :meth:`run` (after the run's block ended); its key,
        or None when it is not kept."""
        if run.key is None or self.key is None:
            return None
        kept = tuple(_stored(w) for w in run.warnings)
        if any(w is None for w in kept):
            return None  # a warning category that cannot be found again by name
        payload = Rendered(
            rendered.statements,
            rendered.version_statements,
            rendered.guard,
            rendered.operation_count,
            tuple(w for w in kept if w is not None),
            rendered.progress,
        )
        try:
            data = pickle.dumps(payload, protocol=PICKLE_PROTOCOL)
        except Exception:
            return None  # something in the statements pickle cannot name: rendered each time
        key = _render_key(run.key, plan)
        self.cache.store.put("render", key, (), data)
        return key


def _ran_sha256(header: RevisionHeader, scripts: ScriptRun | None) -> str:
    """SHA-256 of the script bytes the step ran: those its module was compiled from when
    the run's imports handed it out (no second read of 1,000 files on a first run), else the
    file's bytes read again now."""
    ran = scripts.source_sha256(header.revision) if scripts is not None else None
    return ran if ran is not None else deps_mod.file_hash(header.path)


def _source_sha(header: RevisionHeader) -> str:
    return header.source_sha256 or deps_mod.file_hash(header.path)


@functools.lru_cache(maxsize=64)
def _render_key(step_key: str, plan: str) -> str:
    """Remembered for the last few steps, as :func:`keys.step_key` (asked up to three times)."""
    return keys.digest("render", step_key, plan)


def review_key(what: str, render_key: str) -> str:
    """The key of a review row about the step rendered under ``render_key``: ``what`` names
    the fact (the findings, or whether the script's other direction records anything).
    The render key digests the state before the step, the script and the step's plan, and
    the configuration is in every key, so the row holds as long as the rendering does."""
    return keys.digest("review", what, render_key)


def _decode_rendered(data: bytes) -> Rendered | None:
    try:
        rendered = pickle.loads(data)
        if not isinstance(rendered, Rendered):
            return None
        for stored in rendered.warnings:
            _category(stored)
    except Exception:  # a corrupt row can raise anything while unpickling
        return None
    return rendered


def _show(rendered: Rendered) -> None:
    """Warn again what rendering the step warned."""
    _show_notes(rendered.warnings)


def _show_notes(notes: Sequence[StoredWarning]) -> None:
    for stored in notes:
        warnings.warn_explicit(stored[2], _category(stored), stored[3], stored[4])


def _decode_notes(text: str) -> tuple[StoredWarning, ...] | None:
    """The warnings kept with a state entry, None when they do not decode."""
    try:
        value = json.loads(text)
        notes = tuple((str(a), str(b), str(c), str(d), int(e)) for a, b, c, d, e in value)
        for stored in notes:
            _category(stored)
    except Exception:  # a damaged row: a miss
        return None
    return notes


def render_plan(*parts: Any) -> str:
    """The text a render entry is keyed by besides the step (heads, version changes,
    options): ``repr`` of plain data, which is stable."""
    return repr(parts)


@contextmanager
def _warnings_kept(run: StepRun, keep: bool) -> Iterator[None]:
    """Record the warnings raised inside on ``run``, then show them as usual (also when
    the step fails)."""
    if not keep:
        yield
        return
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
    finally:
        run.warnings = list(caught)
        for warning in run.warnings:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )


def _stored(warning: warnings.WarningMessage) -> StoredWarning | None:
    category = warning.category
    stored = (
        category.__module__,
        category.__qualname__,
        str(warning.message),
        str(warning.filename),
        int(warning.lineno),
    )
    try:
        return stored if _category(stored) is category else None
    except Exception:
        return None


def _category(stored: StoredWarning) -> type[Warning]:
    found: Any = importlib.import_module(stored[0])
    for part in stored[1].split("."):
        found = getattr(found, part)
    if not (isinstance(found, type) and issubclass(found, Warning)):
        raise TypeError(f"{stored[0]}.{stored[1]} is not a warning category")
    return found
