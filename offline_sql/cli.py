"""The ``mig`` command line: parse options, call a command function, print. No logic here.

Kept cheap to import so ``mig --help`` is instant: SQLAlchemy, sqlglot and the revision
graph are imported inside the commands that need them. A :class:`MigError` becomes one
line ``mig: error: ...`` on stderr and its ``exit_code``; ``--traceback`` re-raises it.
Python warnings become ``mig: warning: ...`` lines on stderr.
"""

from __future__ import annotations

import io
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

import click

from offline_sql._version import __version__
from offline_sql.dialects import NAMES
from offline_sql.errors import MigError
from offline_sql.stdout import begin as begin_stdout
from offline_sql.stdout import echo

if TYPE_CHECKING:
    from offline_sql.baseline_command import Source
    from offline_sql.config import Config


def _one_line(text: str) -> str:
    """One line, with paths under the working directory shown relative to it."""
    line = " ".join(part.strip() for part in str(text).splitlines() if part.strip())
    return line.replace(f"{Path.cwd()}{os.sep}", "")


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    click.echo(f"mig: warning: {_one_line(str(message))}", err=True)


def _usage_error_line(exc: click.UsageError) -> str:
    """click's usage error as mig's one line: what is wrong, and where to read more (click
    prints three lines: usage, a hint, the error)."""
    path = exc.ctx.command_path.split()[1:] if exc.ctx is not None else []
    command = " ".join(["mig", *path])  # as the user types it, whatever the program name
    message = _one_line(exc.format_message()).rstrip(".")
    return f"mig: error: {message} (see `{command} --help`)"


class MigGroup(click.Group):
    """Translates :class:`MigError`, click's usage errors and warnings at the edge, for
    every subcommand: each error is one line on stderr (exit 1, usage errors 2)."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.exceptions.NoArgsIsHelpError:
            raise  # bare `mig`: the help, as click shows it
        except click.UsageError as exc:  # --dialect db2, an unknown option or command
            click.echo(_usage_error_line(exc), err=True)
            raise click.exceptions.Exit(exc.exit_code) from None

    def invoke(self, ctx: click.Context) -> Any:
        begin_stdout()
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = _show_warning
            try:
                return super().invoke(ctx)
            except MigError as exc:
                if ctx.meta.get("mig.traceback"):
                    raise
                click.echo(f"mig: error: {_one_line(str(exc))}", err=True)
                ctx.exit(exc.exit_code)
            except click.exceptions.NoArgsIsHelpError:
                raise
            except click.UsageError as exc:  # a subcommand's option or argument
                click.echo(_usage_error_line(exc), err=True)
                ctx.exit(exc.exit_code)


def _config(ctx: click.Context) -> Config:
    """The effective configuration, loaded on first use (``mig init`` needs none)."""
    from dataclasses import replace

    from offline_sql.config import load_config

    config: Config = load_config(ctx.meta.get("mig.config"), dialect=ctx.meta.get("mig.dialect"))
    if ctx.meta.get("mig.no_cache"):
        config = replace(config, cache_dir=None)
    if ctx.meta.get("mig.x"):
        config = replace(config, x_arguments=tuple(ctx.meta["mig.x"]))
    return config


def _echo_entries(entries: Sequence[str]) -> None:
    for entry in entries:
        echo(entry)


@click.group(cls=MigGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-c",
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file (default: mig.toml or [tool.mig] in pyproject.toml, searched upwards).",
)
@click.option(
    "--dialect",
    type=click.Choice(NAMES),
    help="Database dialect; wins over MIG_DIALECT and the config file.",
)
@click.option("--traceback", is_flag=True, help="Show the full traceback of errors.")
@click.option(
    "--no-cache",
    is_flag=True,
    help="Read every script header and run every script; read and write no cache.",
)
@click.option(
    "-x",
    "x_arguments",
    multiple=True,
    metavar="KEY=VALUE",
    help="Argument for scripts' context.get_x_argument(), as in Alembic (repeatable).",
)
@click.version_option(__version__, prog_name="mig")
@click.pass_context
def cli(
    ctx: click.Context,
    config_file: Path | None,
    dialect: str | None,
    traceback: bool,
    no_cache: bool,
    x_arguments: tuple[str, ...],
) -> None:
    """Write reviewed, dialect-specific .sql scripts from Alembic-style migrations."""
    ctx.meta["mig.config"] = config_file
    ctx.meta["mig.dialect"] = dialect
    ctx.meta["mig.traceback"] = traceback
    ctx.meta["mig.no_cache"] = no_cache
    ctx.meta["mig.x"] = x_arguments


# ---- project ----------------------------------------------------------------------------


@cli.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--from-alembic",
    is_flag=True,
    help="Write the mig.toml equivalent to DIRECTORY's alembic.ini (scripts stay as they are).",
)
def init(directory: Path, from_alembic: bool) -> None:
    """Create mig.toml (or [tool.mig] in pyproject.toml) and migrations/ in DIRECTORY."""
    from offline_sql import commands

    created = commands.init_from_alembic(directory) if from_alembic else commands.init(directory)
    for path in created:
        echo(f"Created {path}" if path.name != "pyproject.toml" else f"Updated {path}")


@cli.command()
@click.option("-m", "--message", default="", help="What the revision does (its docstring).")
@click.option("--rev-id", help="Use this revision id instead of a random one.")
@click.option("--head", default="head", show_default=True, help="Revision to build on.")
@click.option("--splice", is_flag=True, help="Allow --head to be a non-head revision (new branch).")
@click.option("--branch-label", "branch_labels", multiple=True, help="Label the new branch.")
@click.option("--depends-on", "depends_on", multiple=True, help="Revision this one depends on.")
@click.option(
    "--autogenerate",
    is_flag=True,
    help="Fill the script with what target_metadata needs, compared offline with the migrations.",
)
@click.pass_context
def revision(
    ctx: click.Context,
    message: str,
    rev_id: str | None,
    head: str,
    splice: bool,
    branch_labels: tuple[str, ...],
    depends_on: tuple[str, ...],
    autogenerate: bool,
) -> None:
    """Create a new revision script (empty, or with --autogenerate filled from the models)."""
    from offline_sql import commands

    if autogenerate:
        if splice or branch_labels or depends_on or head != "head":
            raise click.UsageError(
                "--autogenerate builds on the single head; drop --head/--splice/"
                "--branch-label/--depends-on"
            )
        from offline_sql import autogen

        echo(f"Created {autogen.autogenerate(_config(ctx), message, rev_id)}")
        return
    path = commands.revision(
        _config(ctx),
        message,
        rev_id=rev_id,
        head=head,
        splice=splice,
        branch_labels=branch_labels,
        depends_on=depends_on,
    )
    echo(f"Created {path}")


@cli.command()
@click.argument("revisions", nargs=-1, required=True)
@click.option("-m", "--message", default="", help="What the merge is for.")
@click.option("--rev-id", help="Use this revision id instead of a random one.")
@click.option("--branch-label", "branch_labels", multiple=True, help="Label the merge revision.")
@click.pass_context
def merge(
    ctx: click.Context,
    revisions: tuple[str, ...],
    message: str,
    rev_id: str | None,
    branch_labels: tuple[str, ...],
) -> None:
    """Join two or more revisions (``heads`` = all heads) with a merge revision."""
    from offline_sql import commands

    path = commands.merge(
        _config(ctx), revisions, message, rev_id=rev_id, branch_labels=branch_labels
    )
    echo(f"Created {path}")


# ---- browsing ---------------------------------------------------------------------------

_verbose = click.option("-v", "--verbose", is_flag=True, help="Show every header detail.")


@cli.command()
@_verbose
@click.pass_context
def heads(ctx: click.Context, verbose: bool) -> None:
    """Show the head revisions."""
    from offline_sql import commands

    _echo_entries(commands.heads(_config(ctx), verbose=verbose))


@cli.command()
@_verbose
@click.pass_context
def branches(ctx: click.Context, verbose: bool) -> None:
    """Show the branch points."""
    from offline_sql import commands

    _echo_entries(commands.branches(_config(ctx), verbose=verbose))


@cli.command()
@click.option("-r", "--rev-range", help="FROM:TO (either side may be empty).")
@_verbose
@click.pass_context
def history(ctx: click.Context, rev_range: str | None, verbose: bool) -> None:
    """List revisions, newest first."""
    from offline_sql import commands

    _echo_entries(commands.history(_config(ctx), rev_range, verbose=verbose))


@cli.command()
@click.argument("rev")
@click.pass_context
def show(ctx: click.Context, rev: str) -> None:
    """Show one revision's header."""
    from offline_sql import commands

    _echo_entries(commands.show(_config(ctx), rev))


# ---- migrating --------------------------------------------------------------------------


class _TargetCommand(click.Command):
    """Reads a negative relative target (``mig downgrade -1``) as TARGET, as Alembic users
    type it, while unknown options stay usage errors."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        negative = [arg for arg in args if arg[:1] == "-" and arg[1:].isdigit()]
        if len(negative) == 1 and "--" not in args:
            args = [arg for arg in args if arg != negative[0]] + ["--", negative[0]]
        return super().parse_args(ctx, args)


def _migration_options(func: Any) -> Any:
    """The options shared by upgrade, downgrade and stamp."""
    decorators: list[Callable[[Any], Any]] = [
        click.option("--sql", is_flag=True, help="Write the SQL instead of running it."),
        click.option(
            "-o",
            "--output",
            type=click.Path(path_type=Path),  # a file there is refused by _run_migration
            help="With --sql: write files into this directory instead of stdout.",
        ),
        click.option(
            "--force", is_flag=True, help="With -o: replace a directory mig wrote before."
        ),
        click.option(
            "--no-guard",
            "guard",
            is_flag=True,
            flag_value=False,
            default=True,
            help="Omit the check that the database is at the expected revision.",
        ),
        click.option(
            "--no-preamble",
            "preamble",
            is_flag=True,
            flag_value=False,
            default=True,
            help="Omit client directives (\\set ON_ERROR_STOP, .bail on, ...).",
        ),
        click.option(
            "--strict", is_flag=True, help="With --sql: error-level findings stop generation."
        ),
        click.pass_context,
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


class _Echo(io.TextIOBase):
    """stdout as click writes it, for a script streamed piece by piece."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        echo(text, nl=False)
        return len(text)


def _run_migration(ctx: click.Context, name: str, target: str, **options: Any) -> None:
    from offline_sql import migrate

    command: dict[str, Callable[..., str | None]] = {
        "upgrade": migrate.upgrade,
        "downgrade": migrate.downgrade,
        "stamp": migrate.stamp,
    }
    if not options["sql"]:
        offline_only = [
            flag
            for flag, given in (
                ("-o/--output", options["output"] is not None),
                ("--force", options["force"]),
                ("--no-guard", not options["guard"]),
                ("--no-preamble", not options["preamble"]),
                ("--strict", options["strict"]),
            )
            if given
        ]
        if offline_only:
            raise click.UsageError(f"{', '.join(offline_only)} only make(s) sense with --sql")
    if options["force"] and options["output"] is None:
        raise click.UsageError("--force only makes sense with -o/--output")
    output = options["output"]
    if output is not None and output.exists() and not output.is_dir():
        raise click.UsageError(
            f"-o/--output {output} is a file, not a directory: give -o a directory "
            "(a new one, or one mig wrote)"
        )
    text = command[name](_config(ctx), target, out=_Echo(), **options)
    if text is not None:
        echo(text, nl=False)
    elif options["output"] is not None:
        click.echo(f"Wrote {options['output']}", err=True)


@cli.command(cls=_TargetCommand)
@click.argument("target")
@_migration_options
def upgrade(ctx: click.Context, target: str, **options: Any) -> None:
    """Upgrade to [FROM:]TO (offline with --sql)."""
    _run_migration(ctx, "upgrade", target, **options)


@cli.command(cls=_TargetCommand)
@click.argument("target")
@_migration_options
def downgrade(ctx: click.Context, target: str, **options: Any) -> None:
    """Downgrade to TO (offline with --sql needs FROM:TO)."""
    _run_migration(ctx, "downgrade", target, **options)


@cli.command(cls=_TargetCommand)
@click.argument("target")
@_migration_options
def stamp(ctx: click.Context, target: str, **options: Any) -> None:
    """Set the version table to [FROM:]TO without running migrations."""
    _run_migration(ctx, "stamp", target, **options)


@cli.command()
@_verbose
@click.pass_context
def current(ctx: click.Context, verbose: bool) -> None:
    """Show the revision(s) the database is at (online)."""
    from offline_sql import migrate

    _echo_entries(migrate.current(_config(ctx), verbose=verbose))


@cli.command()
@click.argument("target")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
)
@click.option("--downgrade", "direction", flag_value="downgrade", help="Review a downgrade range.")
@click.option("--upgrade", "direction", flag_value="upgrade", default=True, hidden=True)
@click.pass_context
def review(ctx: click.Context, target: str, fmt: str, direction: str) -> None:
    """Review the SQL of [FROM:]TO: destructive, locking and other risky statements.

    Exits 1 when a finding of severity error is not allowed (mig_allow / review_allow)."""
    from offline_sql import migrate
    from offline_sql.review import report

    result = migrate.review(_config(ctx), target, command=direction)
    render = {
        "text": report.render_text,
        "markdown": report.render_markdown,
        "json": report.render_json,
    }[fmt]
    echo(render(result), nl=False)
    if result.has_errors():
        ctx.exit(1)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def verify(directory: Path) -> None:
    """Check a directory written by --sql -o against its MANIFEST.json (exit 1 on any change)."""
    from offline_sql.verify import verify_directory

    result = verify_directory(directory)
    for problem in result.problems:
        echo(f"{directory}: {problem}")
    if not result.ok:
        raise SystemExit(1)
    echo(f"{directory}: {result.files_checked} files match MANIFEST.json")


@cli.command()
@click.pass_context
def check(ctx: click.Context) -> None:
    """Exit 1 and print the differences when target_metadata and the migrations disagree."""
    from offline_sql import autogen

    differences = autogen.check(_config(ctx))
    _echo_entries(differences)
    if differences:
        raise SystemExit(1)
    echo("No differences: the models match the migrations.")


@cli.command()
@click.option(
    "--from",
    "source",
    type=click.Choice(["database", "models"]),
    required=True,
    help="Record the schema of the configured database, or of target_metadata.",
)
@click.pass_context
def baseline(ctx: click.Context, source: str) -> None:
    """Record the starting schema of a project that begins from an existing database."""
    from offline_sql import baseline_command as baseline_module

    path = baseline_module.write_baseline(_config(ctx), cast("Source", source))  # click.Choice
    echo(f"Created {path}")


def _show_progress() -> None:
    """Online progress from ``offline_sql.migrate`` as ``mig: ...`` lines on stderr."""
    import logging

    class CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
        """Writes to ``sys.stderr`` as it is when a line is logged, not as it was when the
        handler was made: an embedding program or test runner may have replaced it since
        (a stream captured by an earlier run is closed by now)."""

        def emit(self, record: logging.LogRecord) -> None:
            self.stream = sys.stderr
            super().emit(record)

    logger = logging.getLogger("offline_sql")
    if not logger.handlers:
        handler = CurrentStderr()
        handler.setFormatter(logging.Formatter("mig: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    _show_progress()
    cli.main(args=list(argv) if argv is not None else None, prog_name="mig")
