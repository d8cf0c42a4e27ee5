"""Writing new files atomically and without ever replacing an existing one.

A revision script or config file appears whole or not at all: the text goes to a
temporary file in the same folder, which is then hard-linked (or, where links are not
supported, renamed after a check) to its final name.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

from offline_sql.errors import OutputError


def write_new_file(path: Path, text: str) -> None:
    """Create ``path`` with ``text``; ``FileExistsError`` if it already exists."""
    folder = path.parent
    temp = folder / f".{path.name}.{secrets.token_hex(4)}.tmp"
    try:
        # os.open with 0o666 lets the umask decide permissions, like any new file.
        handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise OutputError(f"cannot write in {folder}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        _publish(temp, path)
    except FileExistsError:
        raise
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def _publish(temp: Path, path: Path) -> None:
    """Give ``temp`` its final name, refusing to replace an existing file."""
    try:
        os.link(temp, path)
    except FileExistsError:
        raise
    except OSError:
        if path.exists():
            raise FileExistsError(str(path)) from None
        os.replace(temp, path)


def append_text(path: Path, text: str) -> None:
    """Append ``text`` to an existing file by writing a full new copy and renaming it.

    Used to add ``[tool.mig]`` to ``pyproject.toml``: a crash never leaves half a table.
    """
    try:
        original = path.read_text(encoding="utf-8")
        mode = path.stat().st_mode
    except OSError as exc:
        raise OutputError(f"cannot read {path}: {exc.strerror or exc}") from None
    separator = "" if not original or original.endswith("\n") else "\n"
    try:
        handle, temp_name = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
        )
    except OSError as exc:
        raise OutputError(f"cannot write in {path.parent}: {exc.strerror or exc}") from None
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(original + separator + text)
        os.chmod(temp, mode & 0o7777)
        os.replace(temp, path)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
