"""The result memo: a ``-o DIR`` run remembered whole, so that running it again unchanged
(``mig upgrade head --sql -o DIR --force``) costs a few ``stat`` calls, not a generation.

A warm run answered by the step cache still unpickles every rendering, reviews, frames
every file and verifies the old directory to find it already holds them (issue 16: 0.48 s
at N = 1,000, where the target is 0.14). After a successful run, :func:`remember` keeps one
row in the step cache's store (table ``result``, one row per output directory), under a
key that digests everything the directory's bytes depend on:

* the step cache's context key (:func:`offline_sql.stepcache.keys.namespace`: mig's code,
  the SQLAlchemy, sqlglot and Python installations, ``repr`` of the whole configuration,
  ``-x`` and ``--tag`` included, and the baseline);
* the command, the target, the output directory, ``--no-guard``, ``--no-preamble``,
  ``--strict``, and the working directory;
* every revision script's path and SHA-256 as the run read them, not only the scripts the
  run used: a new script may change the plan. The row keeps their digest with the
  versions folder's *seal* from when the run read them (every file's ``stat``,
  :func:`offline_sql.script.index.seal`); a check whose fresh seal is the same takes that
  digest without reading the header index, otherwise it asks the index for every
  script's hash (each validated by its file's ``stat``, the files that changed read),
  and a hit keeps the seal it took for the next check (a run right after an edit keeps
  none: the file is too recent to seal);

and, as the row's dependencies, the files the scripts read (every dependency of every
step cache row the run used or wrote, :attr:`offline_sql.stepcache.StepCache.used`), and
the directory's :class:`offline_sql.verify.Snapshot` taken after writing it (every entry's
``lstat``, the directory's own, and each file's SHA-256).

:func:`answered` uses the row only when the key is the same, every dependency has its hash,
and a fresh ``lstat`` scan of the directory matches the snapshot exactly; a file modified
within :data:`offline_sql.verify.RACY_NS` of the snapshot is read again (the rule the
``--force`` keep of an identical directory uses), and the snapshot is then taken again so
the next run reads nothing. Anything else (any doubt, a damaged row, an error, a warning
while checking) is a miss: the full run, which restores the directory as before.

Messages. A memo-answered run must print exactly what the full run would. Rather than
record and replay messages (a warning's text names a script line; a replayed one would
have to reproduce ``-q``, filters and the order against a script's own output), only runs
that said nothing (:mod:`offline_sql.said`: no warning raised, shown or not, no log record)
are remembered: the CLI's ``Wrote DIR`` line, printed after the command returns, is then
all either run prints. A run that failed is never remembered; nor one where a step could
not be cached (its reads were not tracked), nor ``--no-cache``, which neither reads nor
writes the memo. What the review found goes to ``REVIEW.md`` only, so it is part of the
directory's bytes, not a message. Without ``--force`` the memo is not consulted: an
existing directory is refused as it always was.

The script of a run to stdout (``mig upgrade head --sql``) is remembered the same way
(:func:`replay_script`, :func:`remember_script`): the same key, with ``-`` for the output,
and the script itself (zlib-compressed) in place of the directory's snapshot; one row per
command line (configuration, working directory, command, target, options), overwritten
when the history changes. A script longer than :data:`SCRIPT_LIMIT` is not remembered.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import time
import warnings
import zlib
from pathlib import Path

from offline_sql.records import record, replace
from offline_sql.stepcache import keys
from offline_sql.stepcache.deps import Hasher
from offline_sql.stepcache.store import CacheStore

TYPE_CHECKING = False  # not typing's: importing it costs a memo-answered run 3 ms
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import IO, TextIO

    from offline_sql.config import Config
    from offline_sql.generate import Generated
    from offline_sql.output_options import OutputOptions
    from offline_sql.project import Project
    from offline_sql.said import Said
    from offline_sql.stepcache import StepCache
    from offline_sql.stepcache.store import Deps
    from offline_sql.verify import Snapshot

FORMAT = 3
"""Bumped when what the key covers or the row holds changes."""

TABLE = "result"

STDOUT = "-"
"""What the key says for the output of a run to stdout (a directory's is absolute)."""

SCRIPT_LIMIT = 64 << 20
"""Characters of script beyond which a stdout run is not remembered (a data migration of
millions of rows): the memo keeps it whole in one row and replays it from memory."""

MEMO_BLOCK = 1 << 16
"""Characters of the spooled script compressed at a time. Remembering comes last in a first
run, where its peak memory is: blocks of 1 MiB raised that peak by 1 MiB at N = 1,000
(58.2 MiB against Alembic's 58.0); 64 KiB blocks compress as fast."""


_refused: str | None = None
"""The question (:func:`_question`) the memo has just said no to before mig's command line
was built (:mod:`offline_sql.quick`, ``note_no=True``). The command line asks the same
question next, in the same process: it has the same answer without every script's hash
being read again (40-50 ms at N = 1,000 after an edit). Taken by the next question, whatever
it is."""


def _question(config: Config, command: str, target: str, options: OutputOptions) -> str:
    return keys.digest("question", repr(config), os.getcwd(), command, target, repr(options))


def _refused_just_now(question: str) -> bool:
    """Whether ``question`` is the one the memo has just said no to (see :data:`_refused`)."""
    global _refused
    refused, _refused = _refused, None
    return refused == question


def _note_no(question: str, note_no: bool) -> bool:
    """False, noted as the answer to ``question`` when ``note_no``."""
    global _refused
    if note_no:
        _refused = question
    return False


def answered(
    config: Config, command: str, target: str, options: OutputOptions, *, note_no: bool = False
) -> bool:
    """Whether the memo answers this run: then the directory is already what the run would
    write, the refusals of the output check are made as the run would make them
    (:func:`offline_sql.output.keep_as_written`), and the caller does nothing else.
    ``note_no``: a no is kept for the same question asked next (:data:`_refused`)."""
    from offline_sql.output import keep_as_written

    if options.output is None or not options.force or config.cache_dir is None:
        return False
    question = _question(config, command, target, options)
    if _refused_just_now(question):
        return False
    out_dir = Path(options.output).absolute()
    with warnings.catch_warnings(record=True) as heard:
        warnings.simplefilter("always")
        try:
            hit = _holds(config, command, target, options, out_dir)
        except Exception:  # a damaged row, an unreadable file: the full run says what
            return _note_no(question, note_no)
    if not hit or heard:
        return _note_no(question, note_no)
    keep_as_written(out_dir, options.force)
    return True


def remember(
    config: Config,
    command: str,
    target: str,
    options: OutputOptions,
    generated: Generated,
    digests: Mapping[str, str],
    said: Said,
) -> None:
    """Remember a run that just wrote (or kept) ``options.output`` holding files of
    ``digests`` (name -> SHA-256), when it can be answered again (see the module's doc).
    Never fails the run: a memo that cannot be written is no memo."""
    cache = generated.cache
    if options.output is None or config.cache_dir is None or said.anything:
        return
    if cache is None or not cache.enabled or not _all_cached(generated):
        return
    from offline_sql.verify import Snapshot

    out_dir = Path(options.output).absolute()
    scripts = scripts_of(generated.project)
    if scripts is None:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the step cache warns about its store already
        try:
            snapshot = Snapshot.take(out_dir, digests)
            if not _holds_exactly(snapshot, digests):
                return  # something else wrote there meanwhile
            key = _key(cache.namespace, command, target, options, out_dir, scripts.digest)
            _write(config, out_dir, key, scripts, tuple(sorted(cache.used)), snapshot)
        except Exception:
            return


@record
class Scripts:
    """The revision scripts a run read: the digest of every path and SHA-256
    (:func:`_scripts_digest`), and the versions folder's seal when they were read."""

    digest: str
    seal: str | None


def scripts_of(project: Project) -> Scripts | None:
    """The scripts as the run read them (its revision graph; what
    :func:`offline_sql.project.script_hashes` gives when nothing changed), None when one
    has no SHA-256. A run's memo is keyed by the scripts it ran, not by what they hold by
    the time it is remembered: an edit during the run is then a miss next time, never a
    stale answer (the seal, too, is the one taken before they were read)."""
    hashes = [(h.path, h.source_sha256) for h in project.graph.revisions.values()]
    if any(not sha for _, sha in hashes):
        return None
    return Scripts(_scripts_digest(hashes), project.seal)


def _scripts_digest(hashes: Sequence[tuple[str, str]]) -> str:
    return keys.digest(*sorted(f"{path}\0{sha}" for path, sha in hashes))


def _scripts_now(config: Config, memo: Mapping[str, object]) -> tuple[str, str | None]:
    """The digest of the scripts as they are now, and the versions folder's seal taken
    before they were read: the row's own digest when that seal is the one it was
    remembered with, else from every script's hash."""
    from offline_sql.project import script_hashes, scripts_seal

    seal, digest = memo.get("seal"), memo.get("scripts")
    seal_now = scripts_seal(config)
    if isinstance(seal, str) and isinstance(digest, str) and seal == seal_now:
        return digest, seal_now
    hashes = script_hashes(config)
    if any(not sha for _, sha in hashes):
        raise ValueError("a script without its SHA-256: not remembered")
    return _scripts_digest(hashes), seal_now


def _holds(
    config: Config, command: str, target: str, options: OutputOptions, out_dir: Path
) -> bool:
    """Whether the row of ``out_dir`` has this run's key, its dependencies hold and the
    directory is as snapshot (taken again when its files had to be read)."""
    from offline_sql.verify import Snapshot

    store = CacheStore(config.cache_dir)
    try:
        loaded = _load(store, _slot(out_dir))
        if loaded is None:
            return False
        memo, deps = loaded
        snapshot = Snapshot.from_plain(memo.get("snapshot"))
        if snapshot is None:
            return False
        kept = _still_holds(config, command, target, options, out_dir, memo, deps)
        if kept is None or snapshot.root != out_dir:
            return False
        started = time.time_ns()
        if not snapshot.unchanged():
            return False
        if snapshot.racy():
            # Its files were read again and hold their bytes: taken again, they are not
            # read next time.
            retaken = replace(snapshot, taken_ns=started)
            _save(store, _slot(out_dir), deps, {**kept, "snapshot": retaken})
        elif kept is not memo:
            _refresh(store, _slot(out_dir), deps, dict(kept))
        return True
    finally:
        store.close()


def _still_holds(
    config: Config,
    command: str,
    target: str,
    options: OutputOptions,
    where: Path | str,
    memo: Mapping[str, object],
    deps: Deps,
) -> Mapping[str, object] | None:
    """The row as it should now be kept when this run's key, computed now, is the row's and
    every file of ``deps`` still has its hash, else None. Kept with the seal taken now when
    the row's is another (it was remembered while a script was too recent to seal, or the
    scripts were touched and hold the same bytes): the next check then takes the digest
    from the seal instead of reading every script's hash (6 ms at N = 1,000)."""
    from offline_sql.project import baseline_file

    hash_file = Hasher()
    namespace = keys.namespace(config, hash_file(baseline_file(config)))
    scripts, seal_now = _scripts_now(config, memo)
    key = _key(namespace, command, target, options, where, scripts)
    if key != memo["key"] or any(hash_file(path) != sha for path, sha in deps):
        return None
    if seal_now is not None and seal_now != memo.get("seal"):
        return {**memo, "seal": seal_now}
    return memo


def _key(
    namespace: str,
    command: str,
    target: str,
    options: OutputOptions,
    out_dir: Path | str,
    scripts: str,
) -> str:
    """``scripts``: the digest of every revision script's path and SHA-256."""
    return keys.digest(
        "result",
        str(FORMAT),
        namespace,
        os.getcwd(),
        command,
        target,
        str(out_dir),
        repr((options.guard, options.preamble, options.strict)),
        scripts,
    )


def _slot(out_dir: Path) -> str:
    """The row's key: one row per output directory (the run that wrote it last)."""
    return keys.digest("result-slot", str(out_dir))


def _all_cached(generated: Generated) -> bool:
    """Whether every step that ran a script is in the step cache: then what each read is
    among the cache's dependencies (a step that is not was not tracked)."""
    return all(
        rendered.cache_key is not None
        for rendered in (*generated.steps, *generated.rollback)
        if rendered.step.run_script and rendered.header is not None
    )


def _holds_exactly(snapshot: Snapshot, digests: Mapping[str, str]) -> bool:
    """Whether the directory snapshot holds exactly the files written, and their folders."""
    import stat
    from pathlib import PurePosixPath

    files = {name for name, key in snapshot.entries.items() if not stat.S_ISDIR(key[0])}
    folders = {name for name, key in snapshot.entries.items() if stat.S_ISDIR(key[0])}
    wanted = {str(parent) for name in digests for parent in PurePosixPath(name).parents}
    return files == set(digests) and folders == wanted - {"."}


def _write(
    config: Config, out_dir: Path, key: str, scripts: Scripts, deps: Deps, snapshot: Snapshot
) -> None:
    memo = {"key": key, **_scripts_fields(scripts), "snapshot": snapshot}
    _save(CacheStore(config.cache_dir), _slot(out_dir), deps, memo)


def _scripts_fields(scripts: Scripts) -> dict[str, object]:
    return {"seal": scripts.seal, "scripts": scripts.digest}


def _refresh(store: CacheStore, slot: str, deps: Deps, memo: dict[str, object]) -> None:
    """Write a row that only answers faster now (its seal): a store that cannot be written
    leaves the answer as it is, said nothing, since it is still right."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.suppress(Exception):
            _save(store, slot, deps, memo)


def _save(store: CacheStore, slot: str, deps: Deps, memo: dict[str, object]) -> None:
    """Write one memo row now (and close the store). The row is ``marshal``'s, its
    dependencies inside it: reading it back needs neither ``pickle`` nor ``json``, which a
    run the memo answers then does not import (3 ms; the store checksums every row)."""
    plain: dict[str, object] = {**memo, "deps": list(deps)}
    if "snapshot" in memo:
        from offline_sql.verify import Snapshot

        if isinstance(snapshot := memo["snapshot"], Snapshot):
            plain["snapshot"] = snapshot.plain()
    store.put(TABLE, slot, (), marshal.dumps(plain))
    store.flush()


def _load(store: CacheStore, slot: str) -> tuple[dict[str, object], Deps] | None:
    """A memo row :func:`_save` wrote and its dependencies, None when there is none (or it
    is not one)."""
    row = store.get(TABLE, slot)
    if row is None:
        return None
    memo = marshal.loads(row[1])
    if not isinstance(memo, dict):
        return None
    deps = memo.pop("deps", None)
    if not isinstance(deps, list) or not all(
        isinstance(dep, tuple) and len(dep) == 2 and all(isinstance(p, str) for p in dep)
        for dep in deps
    ):
        return None
    return memo, tuple(deps)


# ---- the script of a run to stdout ----------------------------------------------------------


def replay_script(
    config: Config,
    command: str,
    target: str,
    options: OutputOptions,
    out: TextIO,
    *,
    note_no: bool = False,
) -> bool:
    """Whether the memo holds this run's script: then it is written to ``out`` and the
    caller does nothing else (the run it remembers said nothing, see the module's doc).
    ``note_no``: a no is kept for the same question asked next (:data:`_refused`)."""
    if options.output is not None or options.strict or config.cache_dir is None:
        return False
    question = _question(config, command, target, options)
    if _refused_just_now(question):
        return False
    with warnings.catch_warnings(record=True) as heard:
        warnings.simplefilter("always")
        try:
            script = _script_held(config, command, target, options)
        except Exception:  # a damaged row, an unreadable file: the full run says what
            return _note_no(question, note_no)
    if script is None or heard:
        return _note_no(question, note_no)
    out.write(script)
    return True


def remember_script(
    config: Config,
    command: str,
    target: str,
    options: OutputOptions,
    cache: StepCache,
    spool: IO[str],
    said: Said,
    scripts: Scripts | None,
) -> None:
    """Remember the script of a stdout run that said nothing, every step of which went
    through the step cache (``cache.used`` then holds what its scripts read); ``spool``
    holds the script, ``scripts`` what the run read (:func:`scripts_of`). Never fails the
    run."""
    if config.cache_dir is None or said.anything or not cache.enabled or scripts is None:
        return

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the step cache warns about its store already
        try:
            spool.seek(0)
            packer = zlib.compressobj(1)
            chunks: list[bytes] = []
            size = 0
            while block := spool.read(MEMO_BLOCK):
                size += len(block)
                if size > SCRIPT_LIMIT:
                    return
                chunks.append(packer.compress(block.encode("utf-8", "surrogateescape")))
            chunks.append(packer.flush())
            key = _key(cache.namespace, command, target, options, STDOUT, scripts.digest)
            slot = _script_slot(config, command, target, options)
            memo = {"key": key, **_scripts_fields(scripts), "script": b"".join(chunks)}
            _save(CacheStore(config.cache_dir), slot, tuple(sorted(cache.used)), memo)
        except Exception:
            return


def _script_held(config: Config, command: str, target: str, options: OutputOptions) -> str | None:
    """The remembered script of this run when its key is the same and every file its
    scripts read still has its hash, else None."""
    store = CacheStore(config.cache_dir)
    try:
        loaded = _load(store, _script_slot(config, command, target, options))
        if loaded is None:
            return None
        memo, deps = loaded
        if not isinstance(packed := memo.get("script"), bytes):
            return None
        kept = _still_holds(config, command, target, options, STDOUT, memo, deps)
        if kept is None:
            return None
        if kept is not memo:
            _refresh(store, _script_slot(config, command, target, options), deps, dict(kept))
        return zlib.decompress(packed).decode("utf-8", "surrogateescape")
    finally:
        store.close()


def _script_slot(config: Config, command: str, target: str, options: OutputOptions) -> str:
    """The row's key: one row per command line run from one folder (the last run's), its
    global options (dialect, ``-x``) included through the configuration."""
    return keys.digest(
        "result-script-slot",
        repr(config),
        os.getcwd(),
        command,
        target,
        repr((options.guard, options.preamble, options.strict)),
    )
