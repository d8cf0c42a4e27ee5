"""The revision graph: validation, navigation and target resolution, from headers alone.

Edges: a revision *revises* its ``down_revision`` (its parents) and *depends on* its
``depends_on`` revisions (given as ids or branch labels). Both kinds of edge order the
revisions; only ``down_revision`` shapes branches, so ``heads``, ``bases``, ``children``,
``branch_points`` and ``merge_points`` follow ``down_revision`` alone (as in Alembic).

Deterministic topological order (:meth:`RevisionGraph.topological`)
    A Kahn traversal: a revision is *ready* once all its parents and dependencies have been
    placed. Among ready revisions the one made ready most recently goes next, and ties are
    broken by the revision id string. So after placing a revision its child follows at once
    (each branch's revisions stay together, a merge follows the last branch it joins), the
    siblings of a branch point follow one another in id order, and independent bases come in
    id order. The order depends only on the graph, never on file names or dict order.

Targets (:meth:`RevisionGraph.resolve`) resolve to the set of heads the database should be
at, ``()`` meaning base. Forms, tried in this order: ``base``, ``heads``, ``head``, a full
revision id, a bare branch label (the revision declaring it), a unique id prefix,
``label@head`` / ``label@base`` / ``label@REV``, and relative forms ``REV+N``, ``REV-N``
(``head-1``, ``label@head-2``, ...) or ``+N`` / ``-N`` from the ``start`` heads.

Nothing here imports SQLAlchemy or any revision script: listing heads must stay fast.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from offline_sql.errors import (
    AmbiguousRevisionError,
    CycleError,
    DuplicateRevisionError,
    MissingParentError,
    MultipleHeadsError,
    RevisionError,
    UnknownRevisionError,
    UsageError,
)
from offline_sql.revision_ids import RULE as ID_RULE
from offline_sql.revision_ids import is_valid_id
from offline_sql.script.header import RevisionHeader

SYMBOLS = ("base", "head", "heads")
"""Reserved target names; no revision id or branch label may use them."""

_LISTED = 10
"""At most this many candidates are listed in an ambiguity error."""

_RELATIVE = re.compile(r"(?P<anchor>.*?)(?P<sign>[+-])(?P<steps>\d+)")


def parse_range(text: str) -> tuple[str | None, str]:
    """Split ``"FROM:TO"`` into ``(FROM, TO)``; a plain ``"TO"`` gives ``(None, TO)``."""
    parts = text.split(":")
    if len(parts) == 1 and parts[0].strip():
        return None, parts[0].strip()
    if len(parts) == 2 and parts[0].strip() and parts[1].strip():
        return parts[0].strip(), parts[1].strip()
    raise UsageError(
        f"invalid revision range {text!r}: expected TARGET or FROM:TO (e.g. ae10:head)"
    )


class RevisionGraph:
    """A validated revision graph. Build it with :meth:`from_headers`."""

    def __init__(self, headers: Iterable[RevisionHeader]) -> None:
        self._revs = _index_headers(headers)
        self._parents = {rev: h.down_revisions for rev, h in self._revs.items()}
        self._labels = _index_labels(self._revs)
        self._deps = {rev: self._resolve_dependencies(h) for rev, h in self._revs.items()}
        self._check_parents()
        self._prereqs = {
            rev: tuple(dict.fromkeys(self._parents[rev] + self._deps[rev])) for rev in self._revs
        }
        self._children = _invert(self._parents, self._revs)
        self._dependents = _invert(self._deps, self._revs)
        self._next = _invert(self._prereqs, self._revs)
        order, leftover = self._kahn(self._revs.keys())
        if leftover:
            raise CycleError(self._describe_cycle(leftover))
        self._order = tuple(order)
        self._heads = tuple(rev for rev in self._revs if not self._children[rev])
        self._bases = tuple(rev for rev in self._revs if not self._parents[rev])
        # Computed once: the graph is never changed after construction, and browsing
        # commands ask for each revision whether it is one (O(1) instead of O(N) a line).
        self._branch_points = tuple(rev for rev in self._revs if len(self._children[rev]) > 1)
        self._merge_points = tuple(rev for rev in self._revs if len(self._parents[rev]) > 1)
        self._head_set = frozenset(self._heads)
        self._closures: dict[tuple[int, frozenset[str]], frozenset[str]] = {}
        """Memo of :meth:`_closure` (a run asks for the ancestors of the same revisions from
        several places: the plan, its checks, the replay up to the range's start)."""

    @classmethod
    def from_headers(cls, headers: Iterable[RevisionHeader]) -> RevisionGraph:
        """Validate ``headers`` (duplicates, missing parents, labels, cycles) into a graph."""
        return cls(headers)

    # -- structure ---------------------------------------------------------------------

    @property
    def revisions(self) -> Mapping[str, RevisionHeader]:
        """Every revision by id, in id order."""
        return MappingProxyType(self._revs)

    @property
    def heads(self) -> tuple[str, ...]:
        """Revisions no other revision revises (``down_revision``), in id order."""
        return self._heads

    @property
    def bases(self) -> tuple[str, ...]:
        """Revisions without ``down_revision``, in id order."""
        return self._bases

    @property
    def branch_points(self) -> tuple[str, ...]:
        """Revisions revised by more than one revision, in id order."""
        return self._branch_points

    @property
    def merge_points(self) -> tuple[str, ...]:
        """Revisions with more than one ``down_revision``, in id order."""
        return self._merge_points

    def is_head(self, rev: str) -> bool:
        """Whether ``rev`` is one of :attr:`heads` (in constant time)."""
        return self._known(rev) in self._head_set

    def is_branch_point(self, rev: str) -> bool:
        """Whether ``rev`` is one of :attr:`branch_points` (in constant time)."""
        return len(self._children[self._known(rev)]) > 1

    def is_merge_point(self, rev: str) -> bool:
        """Whether ``rev`` is one of :attr:`merge_points` (in constant time)."""
        return len(self._parents[self._known(rev)]) > 1

    @property
    def labels(self) -> Mapping[str, str]:
        """Branch label -> the revision declaring it."""
        return MappingProxyType(self._labels)

    def parents(self, rev: str) -> tuple[str, ...]:
        """The ``down_revision`` ids of ``rev``, as written."""
        return self._parents[self._known(rev)]

    def dependencies(self, rev: str) -> tuple[str, ...]:
        """The ``depends_on`` revisions of ``rev`` (labels resolved), minus its parents."""
        return self._deps[self._known(rev)]

    def prerequisites(self, rev: str) -> tuple[str, ...]:
        """Parents then dependencies: everything that must be applied before ``rev``."""
        return self._prereqs[self._known(rev)]

    def children(self, rev: str) -> tuple[str, ...]:
        """Revisions whose ``down_revision`` names ``rev``, in id order."""
        return self._children[self._known(rev)]

    def dependents(self, rev: str) -> tuple[str, ...]:
        """Revisions whose ``depends_on`` names ``rev``, in id order."""
        return self._dependents[self._known(rev)]

    def ancestors(self, revs: Iterable[str], include_dependencies: bool = True) -> frozenset[str]:
        """``revs`` and everything below them (through ``depends_on`` too, by default)."""
        edges = self._prereqs if include_dependencies else self._parents
        return self._closure(revs, edges)

    def descendants(self, revs: Iterable[str], include_dependencies: bool = True) -> frozenset[str]:
        """``revs`` and everything above them (through ``depends_on`` too, by default)."""
        edges = self._next if include_dependencies else self._children
        return self._closure(revs, edges)

    def heads_of(self, revs: Iterable[str]) -> tuple[str, ...]:
        """The version rows of a database where ``revs`` (and so their ancestors) are applied.

        That is the applied revisions that no other applied revision revises or depends on,
        in id order.
        """
        applied = self.ancestors(revs)
        return tuple(sorted(r for r in applied if not any(n in applied for n in self._next[r])))

    def topological(self, revs: Iterable[str] | None = None) -> list[str]:
        """``revs`` (default: all) in the deterministic order of the module docstring."""
        if revs is None:
            return list(self._order)
        subset = {self._known(rev) for rev in revs}
        if len(subset) == len(self._revs):
            # The whole graph (upgrade from base, history): the order built with the graph.
            return list(self._order)
        order, _ = self._kahn(subset)
        return order

    # -- targets -------------------------------------------------------------------------

    def resolve(self, target: str, *, start: tuple[str, ...] = ()) -> tuple[str, ...]:
        """The heads (id order) ``target`` names; ``start`` anchors ``+N`` / ``-N`` / label@base."""
        target = target.strip()
        if not target:
            raise UnknownRevisionError(
                "empty revision target: name a revision, head, heads or base"
            )
        for rev in start:
            self._known(rev)
        if target == "base":
            return ()
        if target == "heads":
            return self._heads
        if target == "head":
            return (self._single_head(self._heads, "head"),)
        if target in self._revs:
            return (target,)
        if target in self._labels:
            return (self._labels[target],)
        matches = [rev for rev in self._revs if rev.startswith(target)]
        if len(matches) == 1:
            return (matches[0],)
        if matches:
            listed = ", ".join(self._describe(rev) for rev in matches[:_LISTED])
            if len(matches) > _LISTED:
                listed += f", ... ({len(matches) - _LISTED} more)"
            raise AmbiguousRevisionError(
                f"{target!r} is ambiguous: it matches {len(matches)} revisions: {listed}; "
                "give more characters"
            )
        relative = _RELATIVE.fullmatch(target)
        if relative:
            return self._resolve_relative(relative, start)
        if "@" in target:
            label, _, rest = target.partition("@")
            return self._resolve_in_branch(label, rest, start)
        raise UnknownRevisionError(self._unknown_message(target))

    def _resolve_relative(self, match: re.Match[str], start: tuple[str, ...]) -> tuple[str, ...]:
        anchor_text, sign, steps = match["anchor"], match["sign"], int(match["steps"])
        text = match.group(0)
        anchor = self.resolve(anchor_text, start=start) if anchor_text else start
        if len(anchor) > 1:
            where = f"{anchor_text!r} is" if anchor_text else "the current heads are"
            raise MultipleHeadsError(
                f"{text!r} needs a single revision to count from, but {where} "
                f"{', '.join(anchor)}; write REV{sign}{steps} with one of them"
            )
        current: str | None = anchor[0] if anchor else None
        for done in range(steps):
            if sign == "+":
                nxt = self._children[current] if current is not None else self._bases
                if len(nxt) != 1:
                    raise RevisionError(self._step_error(text, current, done, nxt, "up"))
                current = nxt[0]
            else:
                if current is None:
                    raise RevisionError(
                        f"{text!r} goes below base: only {done} step(s) down are possible"
                    )
                down = self._parents[current]
                if len(down) > 1:
                    raise RevisionError(self._step_error(text, current, done, down, "down"))
                current = down[0] if down else None
        return () if current is None else (current,)

    def _step_error(
        self, text: str, at: str | None, done: int, options: tuple[str, ...], way: str
    ) -> str:
        where = "base" if at is None else at
        if not options:
            return f"{text!r} goes past head {where} after {done} step(s) {way}"
        if way == "down":
            kind = "merge point"
        else:
            kind = "branch point" if at else "choice of several bases"
        return (
            f"{text!r} is ambiguous after {done} step(s) {way}: {where} is a {kind} "
            f"({', '.join(options)}); name the revision or branch label to go to"
        )

    def _resolve_in_branch(self, label: str, rest: str, start: tuple[str, ...]) -> tuple[str, ...]:
        if label not in self._labels:
            import difflib  # an error's hint only: not imported by every run

            close = difflib.get_close_matches(label, list(self._labels), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else " (see `mig branches`)"
            raise UnknownRevisionError(f"no branch label {label!r}{hint}")
        labelled = self._labels[label]
        root = self._branch_root(labelled)
        if rest in ("head", "heads"):
            above = self.descendants([labelled], include_dependencies=False)
            heads = tuple(h for h in self._heads if h in above)
            return heads if rest == "heads" else (self._single_head(heads, f"{label}@head"),)
        if rest == "base":
            below = self.ancestors(start + self._parents[root])
            return self.heads_of(below - self.descendants([root]))
        revs = self.resolve(rest, start=start)
        members = self.descendants([root], False)
        outside = [rev for rev in revs if rev not in members]
        if outside:
            raise RevisionError(f"{', '.join(outside)} is not on branch {label!r}")
        return revs

    def _branch_root(self, rev: str) -> str:
        """The lowest revision of the line ``rev`` is on (down to a branch/merge point)."""
        current = rev
        while len(self._parents[current]) == 1:
            parent = self._parents[current][0]
            if len(self._children[parent]) != 1 or len(self._parents[parent]) > 1:
                break
            current = parent
        return current

    def _single_head(self, heads: tuple[str, ...], asked: str) -> str:
        if len(heads) == 1:
            return heads[0]
        if not heads:
            raise RevisionError(f"{asked!r}: there are no revisions yet (create one: mig revision)")
        listed = ", ".join(self._describe(rev) for rev in heads)
        raise MultipleHeadsError(
            f"{asked!r} is ambiguous: there are {len(heads)} heads: {listed}. Name one, use "
            "'heads' for all of them, or join them with `mig merge heads` (see `mig heads`)"
        )

    def _unknown_message(self, target: str) -> str:
        import difflib  # an error's hint only: not imported by every run

        candidates = [*SYMBOLS, *self._labels, *self._revs]
        close = difflib.get_close_matches(target, candidates, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else " (see `mig history`)"
        return f"no revision matches {target!r}{hint}"

    def _describe(self, rev: str) -> str:
        message = self._revs[rev].message
        return f"{rev} ({message})" if message else rev

    # -- construction helpers ------------------------------------------------------------

    def _known(self, rev: str) -> str:
        if rev not in self._revs:
            raise UnknownRevisionError(self._unknown_message(rev))
        return rev

    def _resolve_dependencies(self, header: RevisionHeader) -> tuple[str, ...]:
        deps: list[str] = []
        for dep in header.depends_on:
            rev = dep if dep in self._revs else self._labels.get(dep)
            if rev is None:
                raise MissingParentError(
                    f"{header.path}: revision {header.revision} depends_on {dep!r}, which is no "
                    "revision id or branch label in versions/ (fix depends_on or restore the "
                    "missing script)"
                )
            if rev not in header.down_revisions and rev not in deps:
                deps.append(rev)
        return tuple(deps)

    def _check_parents(self) -> None:
        for rev, parents in self._parents.items():
            for parent in parents:
                if parent not in self._revs:
                    raise MissingParentError(
                        f"{self._revs[rev].path}: revision {rev} has down_revision {parent!r}, "
                        "which no script in versions/ declares (fix down_revision or restore "
                        "the missing script)"
                    )

    def _closure(self, revs: Iterable[str], edges: Mapping[str, tuple[str, ...]]) -> frozenset[str]:
        start = frozenset(self._known(rev) for rev in revs)
        key = (id(edges), start)  # edges: one of the graph's own maps, alive as long as it
        found = self._closures.get(key)
        if found is not None:
            return found
        seen = set(start)
        todo = list(seen)
        while todo:
            for nxt in edges[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        if len(self._closures) >= _CLOSURE_MEMO:
            self._closures.clear()
        found = self._closures[key] = frozenset(seen)
        return found

    def _kahn(self, subset: Iterable[str]) -> tuple[list[str], set[str]]:
        """Order ``subset`` (see the module docstring); also return what a cycle blocked."""
        members = set(subset)
        waiting = {rev: sum(1 for p in self._prereqs[rev] if p in members) for rev in members}
        ready = [(1, rev) for rev, count in waiting.items() if count == 0]
        heapq.heapify(ready)
        order: list[str] = []
        while ready:
            _, rev = heapq.heappop(ready)
            step = len(order)
            order.append(rev)
            del waiting[rev]
            for nxt in self._next[rev]:
                if nxt in waiting:
                    waiting[nxt] -= 1
                    if waiting[nxt] == 0:
                        heapq.heappush(ready, (-step, nxt))
        return order, set(waiting)

    def _describe_cycle(self, blocked: set[str]) -> str:
        current = min(blocked)
        path: list[str] = []
        position: dict[str, int] = {}
        while current not in position:
            position[current] = len(path)
            path.append(current)
            current = min(p for p in self._prereqs[current] if p in blocked)
        cycle = [*path[position[current] :], current]
        files = ", ".join(sorted({self._revs[rev].path for rev in cycle}))
        return (
            f"the revision graph has a cycle (each revises or depends on the next): "
            f"{' -> '.join(cycle)}; fix down_revision/depends_on in {files}"
        )


_CLOSURE_MEMO = 64
"""Closures the graph remembers (a command asks for a handful; a long loop of different
questions starts the memo again rather than growing it)."""


def _index_headers(headers: Iterable[RevisionHeader]) -> dict[str, RevisionHeader]:
    by_id: dict[str, RevisionHeader] = {}
    for header in headers:
        other = by_id.get(header.revision)
        if other is not None:
            first, second = sorted((other.path, header.path))
            raise DuplicateRevisionError(
                f"revision id {header.revision!r} is declared by both {first} and {second}: "
                "give one of them a new id (and update the down_revision of its children)"
            )
        if not is_valid_id(header.revision):
            raise RevisionError(
                f"{header.path}: revision id {header.revision!r} is not allowed: use {ID_RULE} "
                "(and update the down_revision of its children)"
            )
        if header.revision in SYMBOLS:
            raise RevisionError(
                f"{header.path}: {header.revision!r} is reserved and cannot be a revision id"
            )
        by_id[header.revision] = header
    return {rev: by_id[rev] for rev in sorted(by_id)}


def _index_labels(revs: Mapping[str, RevisionHeader]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for rev, header in revs.items():
        for label in header.branch_labels:
            if label in labels:
                raise RevisionError(
                    f"branch label {label!r} is declared by both {revs[labels[label]].path} and "
                    f"{header.path}: a label names one branch, rename one of them"
                )
            if label in revs or label in SYMBOLS or "@" in label:
                raise RevisionError(
                    f"{header.path}: branch label {label!r} clashes with a revision id, a reserved "
                    "word (base, head, heads) or contains '@': choose another label"
                )
            labels[label] = rev
    return dict(sorted(labels.items()))


def _invert(
    edges: Mapping[str, tuple[str, ...]], revs: Mapping[str, object]
) -> dict[str, tuple[str, ...]]:
    """``rev -> revisions pointing at it``, each tuple in id order (``revs`` is id-ordered)."""
    inverse: dict[str, list[str]] = {rev: [] for rev in revs}
    for rev in revs:
        for target in edges[rev]:
            inverse[target].append(rev)
    return {rev: tuple(found) for rev, found in inverse.items()}
