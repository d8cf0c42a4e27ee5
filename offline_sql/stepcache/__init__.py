"""The step cache: what running and rendering each revision gave last time, so an unchanged
history is neither imported nor rendered again.

A command walks a *chain* of steps (the ancestors of its start, then its own steps). Each
step's key digests the state key before it, the revision, the direction and the script's
bytes. The first state key digests mig's code, the library versions, the whole
configuration and the baseline (:mod:`.keys`). After a step that ran, the state key is a
digest of what the state holds (every table's pickle, in order, enums, sequences and the
raw SQL it could not follow: all a stored step restores), under that first key; after a
step read from the cache, it is the key the run that stored the step found, kept in the
step's row. So an entry is reused only for the same script, reading the same files (its
row lists their hashes, :mod:`.deps`), on the same state, with the same tools and settings.
An edit misses from that step on until the state is again one a cached step began from:
rewriting a ticket after its last script changed runs that script's two steps, and its
rollback goes on from the cache as soon as that script's downgrade has undone it. A state
whose tables do not pickle has no such digest: the key after it is chained from the step's
key and the hashes of the files it read, so it is met again only after the same steps.

Entries (:mod:`.store`):

* ``state``: the step's effect on the schema state (:mod:`.delta`) and what its script
  warned: the state at any point is rebuilt by folding deltas, tables unpickled only when
  read. A step whose tables do not pickle (a column type holding a lambda, a class the
  script defines) stores :data:`.delta.RERUN` instead: rebuilding the state past it runs
  that one script again on the folded state, and every other step stays cached;
* ``render``: the step's statements, version-table and guard statements and the warnings
  rendering gave, keyed also by the step's plan (heads, version changes) and options;
* ``walk``: a whole walk at once (one lookup for thousands of steps), and the
  :class:`DialectContext` a fully cached run frames with.

Entries are written only when a command succeeds. Scripts are assumed to be functions of
their source and of what they read from the file system (as a migration must be to be
reviewed): one that reads the clock, the environment or a database gives what it gave when
it was cached. Run with ``--no-cache`` (or ``cache = false``) to run every script.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing it costs a memo-answered run 3 ms
if TYPE_CHECKING:
    from typing import Any

    from offline_sql.stepcache.cache import (
        Chain,
        CorruptCache,
        DialectContext,
        Rendered,
        ReviewTarget,
        StepCache,
        StepRun,
        WalkItem,
        render_plan,
        review_key,
    )

__all__ = [
    "Chain",
    "CorruptCache",
    "DialectContext",
    "Rendered",
    "ReviewTarget",
    "StepCache",
    "StepRun",
    "WalkItem",
    "render_plan",
    "review_key",
]


def __getattr__(name: str) -> Any:
    """The step cache's names (:mod:`.cache`), imported on first use (PEP 562). Any other
    name is not here: ``from offline_sql.stepcache import keys`` then imports the
    submodule, as for any package."""
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module("offline_sql.stepcache.cache"), name)
