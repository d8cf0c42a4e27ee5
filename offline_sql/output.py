"""The output directory: all files written at once or not at all, with a MANIFEST.

A DBA receives a directory (``0001_<rev>_<slug>.sql``, ``rollback/...``, ``REVIEW.md``,
``MANIFEST.json``) and may apply it days later. Two promises follow:

* **Atomic**: everything is written into a fresh directory next to the target and renamed
  into place. A failure (disk full, a bug, Ctrl-C) leaves the old state: no directory, or
  the previous one untouched. ``--force`` replaces a directory exactly as mig wrote it (its
  MANIFEST.json is mig's, intact, and lists every file there, unedited, and nothing else) by
  renaming the old one aside, the new one in, then deleting the old one; any other non-empty
  directory is refused, so a mistyped ``-o`` cannot delete sources. A directory that already
  holds exactly the files (an unchanged ticket generated again) is kept as it is. The
  directory is verified once, before generating (:func:`check_target`); when writing, an
  ``lstat`` of each file tells whether anything changed since. The hidden folders a
  killed run leaves next to the target are removed by the next run (only those whose process
  is gone, see :func:`_remove_stale_siblings`).
* **Checkable**: MANIFEST.json lists every file with its sha256, the order, and the sha256 of
  each source script, so ``mig verify`` (:mod:`offline_sql.verify`) catches a file edited,
  removed, added or reordered after generation. The manifest carries a digest of its own
  content so an edit to it is caught as well. This guards against accidents, not attackers:
  anyone can recompute the digest.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath

from offline_sql.errors import OutputError
from offline_sql.manifest import MANIFEST_NAME, checked_relative, sha256_hex
from offline_sql.records import record

TYPE_CHECKING = False  # not typing's: importing it costs a memo-answered run 3 ms
if TYPE_CHECKING:
    from offline_sql.forking import Helper
    from offline_sql.verify import Snapshot

# ---- atomic directory write -----------------------------------------------------------------


def _write_file(root: Path, relative: PurePosixPath, data: bytes) -> None:
    """One file, not synced yet (see :func:`_sync`)."""
    target = root.joinpath(*relative.parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "xb") as handle:
        handle.write(data)


def _sync(root: Path, relatives: Sequence[PurePosixPath]) -> None:
    """Every file written under ``root`` on disk before the directory is renamed in: one
    ``syncfs`` where there is one, else an ``fsync`` per file."""
    if _sync_folder_filesystem(root):
        return
    for relative in relatives:
        descriptor = os.open(root.joinpath(*relative.parts), os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _sync_folder_filesystem(folder: Path) -> bool:
    """Flush everything written to ``folder``'s file system to disk with one ``syncfs``
    (Linux): a long history writes thousands of files, and one ``fsync`` each costs a
    journal commit each (about a millisecond: seconds in all). False where there is no
    ``syncfs``; the caller then syncs each file."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        syncfs = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return False
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        if syncfs(descriptor) != 0:
            number = ctypes.get_errno()
            raise OSError(number, os.strerror(number), str(folder))
    finally:
        os.close(descriptor)
    return True


def _remove_tree(path: Path | str) -> None:
    """Delete a folder and what it holds, whatever cannot be deleted left as it is."""
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def _host_tag() -> str:
    """A short, file-name-safe tag of this machine, so a run never judges another
    machine's folders (on a shared file system) by its own process table."""
    return hashlib.sha256(_host_name().encode()).hexdigest()[:8]


def _host_name() -> str:
    """The machine's name: ``uname``'s node name where there is one, which is what
    ``gethostname`` returns there, without importing ``socket`` (5 ms of a 130 ms run the
    result memo answers)."""
    uname = getattr(os, "uname", None)
    if uname is not None:
        return str(uname().nodename)
    import socket

    return socket.gethostname()


def _sibling(out_dir: Path, tag: str) -> Path:
    """``.<name>.<tag>-<host>-<pid>-<random>``: a folder next to ``out_dir`` that says which
    process on which machine made it, for :func:`_remove_stale_siblings`."""
    import secrets  # only when a directory is written (with shutil: 5 ms of a memo's answer)

    token = secrets.token_hex(6)
    return out_dir.parent / f".{out_dir.name}.{tag}-{_host_tag()}-{os.getpid()}-{token}"


def _process_gone(pid: int) -> bool:
    """Whether no process ``pid`` runs on this machine (unsure: False)."""
    if os.name != "posix" or pid <= 0:
        return False  # os.kill(pid, 0) is not a probe on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # exists, owned by someone else
    return False


def _remove_stale_siblings(out_dir: Path) -> None:
    """Delete the hidden folders a killed earlier run left next to ``out_dir``.

    Only folders named exactly as :func:`_sibling` names them for this ``out_dir``, made on
    this machine by a process that no longer runs: a run in progress, another machine's or
    another tool's folder is never touched. A leftover ``old`` folder is the previous output
    when the run died between the two renames; it is kept unless ``out_dir`` exists again.
    """
    pattern = re.compile(
        rf"\.{re.escape(out_dir.name)}\.(tmp|old)-{_host_tag()}-([0-9]+)-[0-9a-f]{{12}}"
    )
    try:
        names = [entry.name for entry in os.scandir(out_dir.parent)]
    except OSError:
        return
    for name in names:
        match = pattern.fullmatch(name)
        if match is None or not _process_gone(int(match.group(2))):
            continue
        if match.group(1) == "old" and not out_dir.is_dir():
            continue
        path = out_dir.parent / name
        if path.is_dir() and not path.is_symlink():
            _remove_tree(path)


@record
class Checked:
    """What :func:`check_target` found at the output directory, so that
    :func:`write_directory` need not read it all again."""

    out_dir: Path
    """The directory checked (absolute)."""
    force: bool
    exists: bool
    """Whether it exists (empty, or a directory mig wrote that ``--force`` replaces)."""
    snapshot: Snapshot | None = None
    """The directory mig wrote as :func:`offline_sql.verify.verify_directory` found it
    intact (None: it does not exist or is empty)."""

    def still(self) -> bool:
        """Whether the directory is still as checked (then it need not be verified again)."""
        if self.snapshot is None:
            return not self.exists and not self.out_dir.exists() and not self.out_dir.is_symlink()
        return self.snapshot.unchanged()


def _check_target(out_dir: Path, force: bool, *, known: bool = False) -> Checked:
    """What is at ``out_dir`` (and may be replaced); raises when it must not be touched.
    ``known``: the directory is known to be exactly as mig wrote it (see
    :func:`check_target`), so it is not verified again."""
    if out_dir.is_symlink():
        raise OutputError(f"output directory {out_dir} is a symlink: give the real path with -o")
    if not out_dir.exists():
        return Checked(out_dir, force, False)
    if not out_dir.is_dir():
        raise OutputError(f"output path {out_dir} exists and is not a directory: choose another -o")
    if not any(out_dir.iterdir()):
        return Checked(out_dir, force, True)
    if not force:
        raise OutputError(
            f"output directory {out_dir} is not empty: pass --force to replace it, "
            "or choose another -o"
        )
    here = Path.cwd().resolve()
    resolved = out_dir.resolve()
    if resolved == here or resolved in here.parents or resolved == Path.home().resolve():
        raise OutputError(
            f"refusing to replace {out_dir}: it contains the current or home directory; "
            "choose a dedicated -o directory"
        )
    if known:
        return Checked(out_dir, force, True)
    problem, snapshot = _not_mig_output(out_dir)
    if problem:
        raise OutputError(
            f"refusing to replace {out_dir}: {problem}; --force only replaces a directory "
            "exactly as mig wrote it: move or delete it yourself, or choose another -o"
        )
    return Checked(out_dir, force, True, snapshot)


def check_target(out_dir: Path, force: bool, *, known: bool = False) -> Checked:
    """Refuse before any work what :func:`write_directory` would refuse after it: a long
    history should not run for minutes to be told the directory is not empty, not a
    directory, or cannot be created. Raises :class:`OutputError`. What it found is given
    to :func:`write_directory` (``checked=``), which then only makes sure nothing changed
    since (an ``lstat`` per file, see :meth:`offline_sql.verify.Snapshot.unchanged`).

    ``known``: the result memo (:mod:`offline_sql.result_memo`) found the directory exactly
    as mig wrote it (every entry's ``lstat``); every other refusal is made, in the same
    order, but the directory is not read and hashed again."""
    out_dir = Path(out_dir).absolute()
    checked = _check_target(out_dir, force, known=known)
    ancestor = out_dir.parent
    while not ancestor.exists() and not ancestor.is_symlink() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputError(
            f"cannot create output directory {out_dir}: {ancestor} is not a directory; "
            "choose another -o"
        )
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputError(
            f"cannot create output directory {out_dir}: {ancestor} is not writable; "
            "choose another -o"
        )
    return checked


def keep_as_written(out_dir: Path, force: bool) -> None:
    """What a run that keeps ``out_dir`` as it is (it already holds exactly the new files)
    does there, for a run the result memo answers (:mod:`offline_sql.result_memo`): the
    refusals of :func:`check_target` (raised as they would be) and the removal of the
    folders killed runs left beside it; nothing is read or written in it."""
    checked = check_target(out_dir, force, known=True)
    _remove_stale_siblings(checked.out_dir)


def _not_mig_output(out_dir: Path) -> tuple[str | None, Snapshot | None]:
    """Why ``out_dir`` is not a directory mig wrote and nobody changed since (None: it is,
    with the directory as found).

    A file named MANIFEST.json is not enough (web apps and other tools have one): the
    manifest must be mig's, in a format this mig knows, with an intact digest, and the
    directory must hold exactly the files it lists, unedited (``mig verify``'s check)."""
    from offline_sql.verify import verify_directory

    manifest = out_dir / MANIFEST_NAME
    if not manifest.is_file() or manifest.is_symlink():
        return f"it has no {MANIFEST_NAME}, so mig did not write it", None
    import json

    try:
        document = json.loads(manifest.read_bytes())
    except (OSError, ValueError):
        document = None
    if not isinstance(document, dict) or document.get("tool") != "mig":
        return f"its {MANIFEST_NAME} is not one mig writes", None
    result = verify_directory(out_dir)
    if result.problems:
        return f"{result.problems[0]}", None
    return None, result.snapshot


def _same_content(
    snapshot: Snapshot,
    relatives: Sequence[PurePosixPath],
    files: Sequence[tuple[str, bytes]],
    digests: Mapping[str, str] | None,
) -> bool:
    """Whether the directory ``snapshot`` holds (verified intact) is exactly ``files``: the
    same files and folders, each file with the same sha256."""
    if not snapshot.has_manifest:
        return False
    names = {str(relative) for relative in relatives}
    folders = {str(parent) for relative in relatives for parent in relative.parents}
    folders.discard(".")
    if snapshot.entries.keys() != names | folders:
        return False
    for name, data in files:
        if name in folders:
            return False
        known = snapshot.digests.get(name)
        if known is None:
            return False
        digest = digests.get(name) if digests is not None else None
        if (digest if digest is not None else sha256_hex(data)) != known:
            return False
    return True


def _swap_in(new: Path, out_dir: Path, exists: bool) -> None:
    if not exists:
        os.rename(new, out_dir)
        return
    old = _sibling(out_dir, "old")
    os.rename(out_dir, old)
    try:
        os.rename(new, out_dir)
    except BaseException:
        os.rename(old, out_dir)
        raise
    _remove_tree(old)


def _fits(staged: Staging, out_dir: Path, files: Sequence[tuple[str, bytes]]) -> bool:
    """Whether what ``staged`` writes is for ``out_dir`` and among ``files``, byte for byte."""
    if staged.out_dir != out_dir:
        return False
    wanted = dict(files)
    return all(wanted.get(name) == data for name, data in staged.files.items())


def _may_be_kept(snapshot: Snapshot, files: Sequence[tuple[str, bytes]]) -> bool:
    """Whether the directory mig wrote (``snapshot``) holds each of ``files`` as it is: it
    may then be kept as it is (:func:`_same_content`, once every file is known)."""
    return all(snapshot.digests.get(name) == sha256_hex(data) for name, data in files)


def _end_with(parent: int) -> None:
    """Have this process killed when ``parent`` ends (Linux's ``PR_SET_PDEATHSIG``): a
    writer whose run was killed must not go on writing into a folder the next run removes
    (:func:`_remove_stale_siblings`). Exits at once when ``parent`` is already gone."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)


_WRITER_FAILED = "the process writing the files ahead failed"


class Staging:
    """The script files of a directory written into its staging folder by a forked child
    process while the parent does other work (``-o DIR`` reviews and frames the rest):
    creating a file costs 0.03 to 0.7 ms depending on the file system's state, seconds for
    a long history, spent in the kernel. A process, not a thread: a thread would wait for
    the busy parent's interpreter lock after every system call. :func:`write_directory`
    then adds the rest and renames the folder into place, exactly as when it writes
    everything itself; :meth:`discard` removes the folder when the directory is not written
    after all. Not started for a directory mig wrote that holds these files as they are (it
    may hold exactly the new ones, and is then kept as it is), nor where mig does not fork
    (:func:`offline_sql.forking.can_fork`)."""

    def __init__(
        self, out_dir: Path, folder: Path, files: Sequence[tuple[str, bytes]], writer: Helper
    ) -> None:
        self.out_dir = out_dir
        self.folder = folder
        self.files = dict(files)
        self._writer = writer

    @classmethod
    def start(
        cls, out_dir: Path, files: Sequence[tuple[str, bytes]], checked: Checked | None
    ) -> Staging | None:
        """Start writing ``files`` for ``out_dir`` (as :func:`check_target` found it:
        ``checked``); None when it is not to be written ahead (see the class), or its
        names are not ones :func:`write_directory` accepts (it refuses them later, in
        order)."""
        from offline_sql.forking import can_fork, fork_helper  # here: a run the memo answers
        # stages nothing, and forking imports threading and signal

        out_dir = Path(out_dir).absolute()
        if checked is None or checked.out_dir != out_dir or not can_fork():
            return None
        if checked.snapshot is not None and _may_be_kept(checked.snapshot, files):
            return None
        try:
            relatives = _relative_names(files)
        except OutputError:
            return None
        try:
            out_dir.parent.mkdir(parents=True, exist_ok=True)
            folder = _sibling(out_dir, "tmp")
            folder.mkdir()
        except OSError:
            return None  # write_directory says why, where it always did
        parent = os.getpid()

        def write(report: int) -> bool:  # in the child
            _end_with(parent)
            try:
                for relative, (_, data) in zip(relatives, files, strict=True):
                    _write_file(folder, relative, data)
            except OSError as error:
                said = f"{error.errno or errno.EIO}\0{error.strerror or error}"
                os.write(report, said.encode("utf-8", "replace"))
                return False
            except Exception as error:  # a bug: say what it was, as the parent would have
                said = f"{errno.EIO}\0{_WRITER_FAILED}: {type(error).__name__}: {error}"
                os.write(report, said.encode("utf-8", "replace"))
                return False
            return True

        return cls(out_dir, folder, files, fork_helper(write))

    def wait(self) -> None:
        """Until every file is written; raises (:class:`OSError`) what stopped the writer."""
        ok, said = self._writer.answer()
        if not ok:
            number, _, reason = said.decode("utf-8", "replace").partition("\0")
            code = int(number) if number.isdigit() else errno.EIO
            status = self._writer.exit_code or 0
            ended = f"ended by signal {-status}" if status < 0 else f"ended with status {status}"
            raise OSError(code, reason or f"{_WRITER_FAILED} ({ended}); run the command again")

    def discard(self) -> None:
        """End the writer if it still runs, then remove the folder."""
        self._writer.end()
        _remove_tree(self.folder)


def _relative_names(files: Sequence[tuple[str, bytes]]) -> list[PurePosixPath]:
    """Each file's name as a path inside the directory; raises :class:`OutputError` for a
    name that would leave it, or for two names that differ only in case."""
    relatives = [checked_relative(name) for name, _ in files]
    seen: set[str] = set()
    for relative in relatives:
        key = str(relative).casefold()
        if key in seen:
            raise OutputError(f"two output files are both named {relative}: this is a mig bug")
        seen.add(key)
    return relatives


def write_directory(
    out_dir: Path,
    files: Sequence[tuple[str, bytes]],
    *,
    force: bool,
    checked: Checked | None = None,
    digests: Mapping[str, str] | None = None,
    staged: Staging | None = None,
) -> bool:
    """Write ``files`` (relative path, bytes) as the whole content of ``out_dir``, atomically.

    An existing non-empty ``out_dir`` is refused unless ``force`` and it holds a manifest
    (mig wrote it); then it is replaced, never merged, unless it already holds exactly
    ``files`` (verified intact, every file's sha256 the same): then it is kept as it is,
    and False is returned (True: written). Missing parent directories are created.
    ``checked`` is what :func:`check_target` found there before the files were rendered
    (the directory is then only checked for changes since, not verified again);
    ``digests`` (name -> sha256) the files' digests when the caller has them; ``staged``
    some of ``files`` already being written (:class:`Staging`: used, or discarded when it
    does not fit). Raises :class:`OutputError`.
    """
    out_dir = Path(out_dir).absolute()
    staging: Path | None = None
    try:
        relatives = _relative_names(files)
        same = checked is not None and (checked.out_dir, checked.force) == (out_dir, force)
        if checked is None or not same or not checked.still():
            checked = _check_target(out_dir, force)
        _remove_stale_siblings(out_dir)
        if checked.snapshot is not None and _same_content(
            checked.snapshot, relatives, files, digests
        ):
            return False
        if staged is not None and not _fits(staged, out_dir, files):
            staged.discard()
            staged = None
        ahead = staged.files if staged is not None else {}
        try:
            out_dir.parent.mkdir(parents=True, exist_ok=True)
            staging = staged.folder if staged is not None else _sibling(out_dir, "tmp")
            if staged is None:
                staging.mkdir()
            for relative, (name, data) in zip(relatives, files, strict=True):
                if name not in ahead:
                    _write_file(staging, relative, data)
            if staged is not None:
                staged.wait()
            _sync(staging, relatives)
            _swap_in(staging, out_dir, checked.exists)
            staging = staged = None
        except OSError as error:
            reason = error.strerror or str(error)
            raise OutputError(f"cannot write {out_dir}: {reason}; nothing was changed") from error
    finally:
        if staged is not None:
            staged.discard()  # ends its writer before its folder is removed
        if staging is not None:
            _remove_tree(staging)
    return True
