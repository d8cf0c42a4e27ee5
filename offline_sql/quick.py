"""The result memo asked before the command line is built: a repeated run answered without
importing click.

A run the result memo answers (:mod:`offline_sql.result_memo`) does a few ``stat`` calls and
reads one row; what it costs is Python starting and mig importing what it needs. Importing
click, building mig's command line and parsing the arguments with it were a third of that
(issue 16 asks for 0.1 of Alembic's time on the near-head range and on a real history's
second run). So the console script (:mod:`offline_sql.entry`) first gives its arguments
here. Measured (11 alternating runs each, medians, one machine): the near-head range at
N = 1,000 185 -> 135 ms (Alembic 1.28 s); ironic's second run 182 -> 148 ms to stdout and
217 -> 165 ms with ``-o DIR --force`` (Alembic 1.11 s).

This module reads only the plainest command lines of the commands the memo answers
(``upgrade``, ``downgrade`` and ``stamp`` with ``--sql``, to stdout or ``-o DIR --force``):
each option spelled out as ``--name value``, ``--name=value`` or ``-o value``, the global
options mig's command line accepts around the command, and one target that does not
start with ``-``. Anything else it does not understand, it gives back, untouched, to the
full command line (:mod:`offline_sql.cli`), which parses, reports and runs as always:
``--help``, ``-v``, ``--no-cache``, a short option glued to its value, an unknown
option, a usage error, a negative target, shell completion.

It then does what the full command line would do up to the memo's answer, with the same
functions (:func:`offline_sql.commands.load_command_config`,
:func:`offline_sql.result_memo.answered` and :func:`offline_sql.result_memo.replay_script`),
and answers only when the outcome is certain to be the same: the memo holds the run, and
nothing was said on the way (no warning raised, no log record, no error). Otherwise
nothing has been written and the full command line runs from the start. When the memo
said no, the command line is given that no for the same question rather than reading
every script's hash again (:data:`offline_sql.result_memo._refused`): what the quick path
cost it then is reading the arguments and the configuration.

What an answered run prints is what the full command line prints for it: the script on
stdout, or ``Wrote DIR`` on stderr (not with ``-q``). A script it cannot write as click
would (an escape character, which click strips on a file, or a stream that is not UTF-8,
which click re-wraps) goes to the full command line too.
"""

from __future__ import annotations

import codecs
import errno
import io
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

TYPE_CHECKING = False  # not typing's: importing it costs a memo-answered run 3 ms
if TYPE_CHECKING:
    from typing import TextIO

    from offline_sql.logs import Setup

COMMANDS = ("upgrade", "downgrade", "stamp")
"""The commands whose offline runs the result memo answers."""

_GLOBAL_VALUES = {
    "-c": "config",
    "--config": "config",
    "--dialect": "dialect",
    "-n": "section",
    "--name": "section",
}
"""Global options with a value (``-x`` adds up; the others: the last one given wins)."""

_GLOBAL_FLAGS = {"-q": "quiet", "--quiet": "quiet", "--traceback": "traceback"}
"""Global flags an answered run can honour: ``-q`` silences ``Wrote DIR``; ``--traceback``
changes nothing where nothing fails. ``-v`` and ``--no-cache`` are left to the command
line (``--no-cache`` never reads the memo)."""

_COMMAND_VALUES = {"-o": "output", "--output": "output", "--tag": "tag"}
_COMMAND_FLAGS = {
    "--sql": "sql",
    "--force": "force",
    "--no-guard": "no_guard",
    "--no-preamble": "no_preamble",
    "--strict": "strict",
}

_ESCAPE = "\x1b"
"""click strips ANSI sequences from what it prints to a file; text holding one is left to it."""


class Asked:
    """A command line this module reads: what the full command line would pass on. (Not a
    dataclass: ``mig --help`` passes here, and the command line does not import them.)"""

    def __init__(self) -> None:
        self.command = ""
        self.target = ""
        self.values: dict[str, str] = {}
        self.flags: set[str] = set()
        self.x_arguments: list[str] = []


def read(argv: Sequence[str]) -> Asked | None:
    """The command line ``argv`` (without the program's name), or None when it is not one
    of the plain ones this module answers (see the module's doc)."""
    asked = Asked()
    targets: list[str] = []
    args = list(argv)
    at = 0
    while at < len(args):
        arg = args[at]
        at += 1
        if not arg.startswith("-"):
            if not asked.command:
                if arg not in COMMANDS:
                    return None
                asked.command = arg
            else:
                targets.append(arg)
            continue
        name, glued, value = arg.partition("=")
        if glued and not name.startswith("--"):
            return None  # -o=DIR: click reads "=DIR" as the value; left to it
        flags = {**_GLOBAL_FLAGS, **(_COMMAND_FLAGS if asked.command else {})}
        values = {**_GLOBAL_VALUES, **(_COMMAND_VALUES if asked.command else {})}
        if name in flags and not glued:
            asked.flags.add(flags[name])
        elif name in values or name == "-x":
            if not glued:
                if at == len(args):
                    return None
                value, at = args[at], at + 1
            if not value or value.startswith("-"):
                return None
            if name == "-x":
                asked.x_arguments.append(value)
            else:
                asked.values[values[name]] = value
        else:
            return None
    if not asked.command or len(targets) != 1 or "sql" not in asked.flags:
        return None
    if "tag" in asked.values and asked.command != "upgrade":
        return None
    if "force" in asked.flags and "output" not in asked.values:
        return None
    asked.target = targets[0]
    return asked


def answer(argv: Sequence[str]) -> bool:
    """Whether the run of ``argv`` was answered here from the result memo (then it is done,
    exit status 0); False: nothing was written, run the full command line."""
    if os.environ.get("_MIG_COMPLETE") is not None or sys.platform == "win32":
        return False
    asked = read(argv)
    if asked is None:
        return False
    found = _found(asked)
    if found is None:
        return False
    stream = sys.stdout if isinstance(found, str) else sys.stderr
    text = found if isinstance(found, str) else f"Wrote {found}\n"
    if not _writes_as_click(stream, text):
        return False
    if isinstance(found, str):
        _write_script(text, traceback="traceback" in asked.flags)
    elif "quiet" not in asked.flags:
        _write(stream, text)
    return True


def _writes_as_click(stream: TextIO | None, text: str) -> bool:
    """Whether writing ``text`` to ``stream`` writes what ``click.echo`` would: click keeps
    a text stream whose encoding is set and not ASCII as it is, and strips ANSI sequences
    on a file. Only UTF-8 streams and text without an escape character are taken here."""
    encoding = getattr(stream, "encoding", None)
    if stream is None or not isinstance(encoding, str) or getattr(stream, "errors", None) is None:
        return False
    try:
        if codecs.lookup(encoding).name != "utf-8":
            return False
    except LookupError:
        return False
    return _ESCAPE not in text


def _write_script(text: str, *, traceback: bool) -> None:
    """The script on stdout as :func:`offline_sql.stdout.echo` writes it: a failure cuts a
    regular file back and is one ``mig: error:`` line (exit 1; raised with ``--traceback``);
    a closed pipe ends quietly (exit 1), as click ends it."""
    from offline_sql import stdout
    from offline_sql.errors import one_line

    stdout.begin()
    try:
        _write(sys.stdout, text)
    except OSError as exc:  # not a closed pipe: _write ends the run there
        error = stdout.give_up(exc)
        if traceback:
            raise error from exc
        _write(sys.stderr, f"mig: error: {one_line(str(error))}\n")
        sys.exit(error.exit_code)


def _write(stream: TextIO, text: str) -> None:
    """``text`` written and flushed, as click writes; a closed pipe ends the run as click's
    main ends it (exit 1, the flush at exit silenced)."""
    try:
        stream.write(text)
        stream.flush()
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        sys.stdout = _Pacified(sys.stdout)
        sys.stderr = _Pacified(sys.stderr)
        sys.exit(1)


class _Pacified:
    """A stream whose flush ignores a closed pipe (click's ``_PacifyFlushWrapper``): the
    interpreter flushes stdout and stderr at exit."""

    def __init__(self, wrapped: TextIO) -> None:
        self.wrapped = wrapped

    def flush(self) -> None:
        try:
            self.wrapped.flush()
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise

    def __getattr__(self, name: str) -> object:
        return getattr(self.wrapped, name)


def _found(asked: Asked) -> str | Path | None:
    """The script the memo holds for a run to stdout, the directory it found as the run
    would write it, or None (not answered: nothing written)."""
    from offline_sql import logs

    heard: list[str] = []
    with warnings.catch_warnings(record=True) as warned, logs.configured(_refusing(heard)):
        warnings.simplefilter("always")
        try:
            found = _ask_memo(asked)
        except Exception:  # the full command line says what, as it always did
            return None
    if warned or heard:
        return None
    return found


def _refusing(heard: list[str]) -> Setup:
    """The logging setup of an answer: every record mig's logger is given, at any level,
    is kept in ``heard`` (the answer is then refused) and reaches no handler."""

    def refuse() -> Callable[[], None]:
        import logging

        from offline_sql import logs

        class Heard(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                heard.append(record.getMessage())

        logger = logging.getLogger(logs.NAME)
        hearing, level, propagate = Heard(), logger.level, logger.propagate
        logger.addHandler(hearing)
        logger.setLevel(logging.DEBUG)
        logger.propagate = False

        def undo() -> None:
            logger.removeHandler(hearing)
            logger.setLevel(level)
            logger.propagate = propagate

        return undo

    return refuse


def _ask_memo(asked: Asked) -> str | Path | None:
    """What :func:`_found` says, asked as ``cli._run_migration`` asks it: the same
    configuration, the same options. What click or that function would refuse before the
    memo is asked is None here, so the command line refuses it as it always did."""
    from offline_sql import result_memo
    from offline_sql.commands import load_command_config
    from offline_sql.dialect_api.registry import canonical_name
    from offline_sql.output_options import OutputOptions
    from offline_sql.script_arguments import script_arguments

    values = asked.values
    dialect = values.get("dialect")
    if dialect is not None and (dialect := canonical_name(dialect)) is None:
        return None
    config_file = values.get("config")
    if config_file is not None and not os.path.isfile(config_file):
        return None  # a directory (click refuses it) or a missing file (the configuration)
    output = Path(values["output"]) if "output" in values else None
    if output is not None and output.exists() and not output.is_dir():
        return None  # a file: _run_migration's usage error
    options = OutputOptions(
        output,
        force="force" in asked.flags,
        guard="no_guard" not in asked.flags,
        preamble="no_preamble" not in asked.flags,
        strict="strict" in asked.flags,
    )
    config = load_command_config(
        Path(config_file) if config_file is not None else None,
        dialect=dialect,
        section=values.get("section"),
        tag=values.get("tag"),
        x_arguments=tuple(asked.x_arguments),
    )
    with script_arguments(tag=config.tag):
        if output is not None:
            if result_memo.answered(config, asked.command, asked.target, options, note_no=True):
                return output
            return None
        if options.strict:
            return None
        script = io.StringIO()
        if result_memo.replay_script(
            config, asked.command, asked.target, options, script, note_no=True
        ):
            return script.getvalue()
    return None
