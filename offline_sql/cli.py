"""The ``mig`` command line: parse options, call a command function, print. No logic here.

Kept cheap to import so ``mig --help`` is instant: SQLAlchemy, sqlglot and the revision
graph are imported inside the commands that need them. A :class:`MigError` becomes one
line ``mig: error: ...`` on stderr and its ``exit_code``; ``--traceback`` re-raises it.
Python warnings become ``mig: warning: ...`` lines on stderr.
"""

from __future__ import annotations

import io
import sys
import warnings
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

import click
from click.shell_completion import CompletionItem

from offline_sql import logs
from offline_sql._version import __version__
from offline_sql.dialect_api.registry import NAMES, canonical_name
from offline_sql.errors import MigError, one_line
from offline_sql.stdout import begin as begin_stdout
from offline_sql.stdout import echo

if TYPE_CHECKING:
    from offline_sql.baseline_command import Source
    from offline_sql.config import Config


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    click.echo(f"mig: warning: {one_line(str(message))}", err=True)


def _usage_error_line(exc: click.UsageError) -> str:
    """click's usage error as mig's one line: what is wrong, and where to read more (click
    prints three lines: usage, a hint, the error)."""
    path = exc.ctx.command_path.split()[1:] if exc.ctx is not None else []
    command = " ".join(["mig", *path])  # as the user types it, whatever the program name
    message = one_line(exc.format_message()).rstrip(".")
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
                click.echo(f"mig: error: {one_line(str(exc))}", err=True)
                ctx.exit(exc.exit_code)
            except click.exceptions.NoArgsIsHelpError:
                raise
            except click.UsageError as exc:  # a subcommand's option or argument
                click.echo(_usage_error_line(exc), err=True)
                ctx.exit(exc.exit_code)


# ---- global options ---------------------------------------------------------------------
#
# Accepted before and after the command (`mig upgrade head --sql --dialect postgresql`): each
# is an option of the group and, hidden, of every command, storing its value in ctx.meta
# (shared by the whole context tree) when given, so the last one given wins.


class _DialectType(click.ParamType[str]):
    """A dialect name or an alias (``pg``, ``postgres``, ``sqlserver``, ``name+driver``),
    as the registry (``offline_sql.dialect_api.registry``) resolves it; the help lists the names."""

    name = "dialect"

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str:
        return "[" + "|".join(NAMES) + "]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        found = canonical_name(str(value))
        if found is None:
            self.fail(f"{value!r} is not one of {', '.join(map(repr, NAMES))}", param, ctx)
        return found

    def shell_complete(
        self, ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[CompletionItem]:
        return [CompletionItem(name) for name in NAMES if name.startswith(incomplete)]


def _store(key: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if isinstance(value, tuple):  # a repeatable option: before and after the command add up
            if value:
                ctx.meta[key] = (*ctx.meta.get(key, ()), *value)
        elif value is not None and value is not False:
            ctx.meta[key] = value
        return value

    return callback


_GLOBAL_OPTIONS: tuple[tuple[tuple[str, ...], str, dict[str, Any]], ...] = (
    (
        ("-c", "--config"),
        "mig.config",
        {
            "type": click.Path(dir_okay=False, path_type=Path),
            "help": "Config file (default: mig.toml or [tool.mig] in pyproject.toml, "
            "searched upwards).",
        },
    ),
    (
        ("--dialect",),
        "mig.dialect",
        {
            "type": _DialectType(),
            "help": "Database dialect (aliases: pg, postgres, sqlserver, ...); wins over "
            "MIG_DIALECT and the config file.",
        },
    ),
    (
        ("-n", "--name"),
        "mig.section",
        {"help": "Section of a multi-database alembic.ini to use."},
    ),
    (
        ("-q", "--quiet"),
        "mig.quiet",
        {"is_flag": True, "help": "Print only errors (and what the command is for: SQL, lists)."},
    ),
    (
        ("-v", "--verbose"),
        "mig.verbose",
        {"is_flag": True, "help": "More detail: every header field; each statement online."},
    ),
    (
        ("-x",),
        "mig.x",
        {
            "multiple": True,
            "metavar": "KEY=VALUE",
            "help": "Argument for scripts' context.get_x_argument(), as in Alembic (repeatable).",
        },
    ),
    (("--traceback",), "mig.traceback", {"is_flag": True, "help": "Show the full traceback."}),
    (
        ("--no-cache",),
        "mig.no_cache",
        {
            "is_flag": True,
            "help": "Read every script header and run every script; read and write no cache.",
        },
    ),
)


def _global_params(hidden: bool) -> list[click.Parameter]:
    return [
        click.Option(
            list(decls),
            callback=_store(key),
            expose_value=False,
            hidden=hidden,
            is_eager=True,  # -q/-v take effect for the command's own callbacks too
            **attrs,
        )
        for decls, key, attrs in _GLOBAL_OPTIONS
    ]


_GLOBAL_EPILOG = (
    "Global options (-c, --dialect, -n, -q, -v, -x, --traceback, --no-cache) are accepted "
    "before or after the command; see `mig --help`."
)


class MigCommand(click.Command):
    """A mig command: accepts the global options after its name too, and applies -q/-v
    (warnings and progress lines) while it runs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("epilog", _GLOBAL_EPILOG)
        super().__init__(*args, **kwargs)
        self.params.extend(_global_params(hidden=True))

    def invoke(self, ctx: click.Context) -> Any:
        quiet, verbose = bool(ctx.meta.get("mig.quiet")), bool(ctx.meta.get("mig.verbose"))
        if quiet:
            warnings.simplefilter("ignore")  # inside MigGroup.invoke's catch_warnings
        if not quiet and not verbose:
            return super().invoke(ctx)
        with logs.configured(partial(_set_level, quiet=quiet)):
            return super().invoke(ctx)


def _set_level(*, quiet: bool) -> Callable[[], None]:
    """-q: mig's logger down to warnings; -v: to debug lines, when something shows them (the
    command line's handler, or an application's). Returns the undoing."""
    import logging

    logger = logging.getLogger(logs.NAME)
    level = logger.level
    if quiet:
        logger.setLevel(logging.WARNING)
    elif logger.handlers:
        logger.setLevel(logging.DEBUG)
    return partial(logger.setLevel, level)


def _config(ctx: click.Context, *, tag: str | None = None) -> Config:
    """The effective configuration, loaded on first use (``mig init`` needs none)."""
    from offline_sql import commands

    return commands.load_command_config(
        ctx.meta.get("mig.config"),
        dialect=ctx.meta.get("mig.dialect"),
        section=ctx.meta.get("mig.section"),
        no_cache=bool(ctx.meta.get("mig.no_cache")),
        tag=tag,
        x_arguments=tuple(ctx.meta.get("mig.x", ())),
    )


def _verbose(ctx: click.Context) -> bool:
    return bool(ctx.meta.get("mig.verbose"))


def _note(ctx: click.Context, text: str, *, err: bool = False) -> None:
    """A message about what was done (``Created ...``), silenced by ``-q``."""
    if not ctx.meta.get("mig.quiet"):
        if err:
            click.echo(text, err=True)
        else:
            echo(text)


def _echo_entries(entries: Sequence[str]) -> None:
    """Each entry on its own line(s), in one write: ``click.echo`` flushes each call, and
    ``mig history`` prints a line per revision."""
    if entries:
        echo("\n".join(entries))


def _echo_json(document: object) -> None:
    import json

    echo(json.dumps(document, indent=2, ensure_ascii=False))


_format = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one document with the fields listed in docs/cli.md.",
)


# ---- completion: reads the header index only, never a script; never fails ---------------

_TARGET_WORDS = ("head", "heads", "base")


def _complete_target(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Revision ids, labels and target words, after a ``FROM:`` too. Any problem (no
    config, a broken script header) completes nothing rather than printing an error."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from offline_sql import commands
            from offline_sql.project import load_graph

            graph = load_graph(
                commands.load_command_config(
                    ctx.meta.get("mig.config"), no_cache=bool(ctx.meta.get("mig.no_cache"))
                )
            )
            labels = sorted(graph.labels)
            words = [
                *_TARGET_WORDS,
                *sorted(graph.revisions),
                *labels,
                *(f"{label}@{end}" for label in labels for end in ("head", "base")),
            ]
    except Exception:  # completion must never break the shell
        return []
    start, colon, rest = incomplete.rpartition(":")
    prefix = start + colon
    return [CompletionItem(prefix + word) for word in words if word.startswith(rest)]


# ---- the group ----------------------------------------------------------------------------


@click.group(
    cls=MigGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Run `mig COMMAND --help` for a command's options and examples.",
)
@click.version_option(__version__, prog_name="mig")
def cli() -> None:
    """Write reviewed, dialect-specific .sql scripts from Alembic-style migrations.

    \b
    Examples:
      mig init                                   scaffold mig.toml and migrations/
      mig revision -m "add email"                a new revision script
      mig upgrade head --sql > deploy.sql        the whole history, offline
      mig upgrade ae10:head --sql --dialect pg   a range, for PostgreSQL
      mig upgrade head                           online, against `url`
      mig history -i                             the history, current marked

    \b
    Targets:
      ae10f3 or ae1         a revision id or a unique prefix
      head, heads, base     the single head, all heads, before the first revision
      label@head            the head of the branch labelled `label`
      ae10+2, ae10-1        two revisions after ae10, one before
      +1, -1                relative to where the database (or FROM) is
      FROM:TO               a range, for --sql (either side a target)
    """


for _param in _global_params(hidden=False):
    cli.params.append(_param)
cli.command_class = MigCommand


# ---- project ----------------------------------------------------------------------------


@cli.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "-t",
    "--template",
    help="Project template (`mig list_templates`); default: pyproject when DIRECTORY "
    "has a pyproject.toml, else generic.",
)
@click.option(
    "--from-alembic",
    is_flag=True,
    help="Write the mig.toml equivalent to DIRECTORY's alembic.ini (scripts stay as they are).",
)
@click.pass_context
def init(ctx: click.Context, directory: Path, template: str | None, from_alembic: bool) -> None:
    """Create mig.toml (or [tool.mig] in pyproject.toml) and migrations/ in DIRECTORY.

    \b
    Examples:
      mig init
      mig init --template pyproject services/billing
      mig init --from-alembic        (beside an alembic.ini)
    """
    from offline_sql import commands

    if from_alembic:
        if template is not None:
            raise click.UsageError("--from-alembic keeps the project as it is: drop --template")
        created = commands.init_from_alembic(directory, ctx.meta.get("mig.section") or "alembic")
    else:
        created = commands.init(directory, template)
    for path in created:
        _note(ctx, f"Created {path}" if path.name != "pyproject.toml" else f"Updated {path}")


@cli.command("list_templates")
def list_templates() -> None:
    """List the project templates `mig init --template` accepts.

    \b
    Example:
      mig list_templates
    """
    from offline_sql import commands

    _echo_entries(commands.list_templates())


@cli.command()
@click.option("-m", "--message", default="", help="What the revision does (its docstring).")
@click.option("--rev-id", help="Use this revision id instead of a random one.")
@click.option(
    "--head",
    default="head",
    show_default=True,
    help="Revision to build on.",
    shell_complete=_complete_target,
)
@click.option("--splice", is_flag=True, help="Allow --head to be a non-head revision (new branch).")
@click.option("--branch-label", "branch_labels", multiple=True, help="Label the new branch.")
@click.option(
    "--depends-on",
    "depends_on",
    multiple=True,
    help="Revision this one depends on.",
    shell_complete=_complete_target,
)
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
    """Create a new revision script (empty, or with --autogenerate filled from the models).

    \b
    Examples:
      mig revision -m "add email"
      mig revision -m "from the models" --autogenerate
      mig revision -m "reports" --head base --branch-label reports
    """
    from offline_sql import commands

    if autogenerate:
        if splice or branch_labels or depends_on or head != "head":
            raise click.UsageError(
                "--autogenerate builds on the single head; drop --head/--splice/"
                "--branch-label/--depends-on"
            )
        from offline_sql import autogen

        _note(ctx, f"Created {autogen.autogenerate(_config(ctx), message, rev_id)}")
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
    _note(ctx, f"Created {path}")


@cli.command()
@click.argument("revisions", nargs=-1, required=True, shell_complete=_complete_target)
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
    """Join two or more revisions (`heads` = all heads) with a merge revision.

    \b
    Examples:
      mig merge heads -m "join branches"
      mig merge ae10 bb20 -m "join"
    """
    from offline_sql import commands

    path = commands.merge(
        _config(ctx), revisions, message, rev_id=rev_id, branch_labels=branch_labels
    )
    _note(ctx, f"Created {path}")


@cli.command()
@click.argument("rev", shell_complete=_complete_target)
@click.pass_context
def edit(ctx: click.Context, rev: str) -> None:
    """Open the script of revision REV in $EDITOR (or $VISUAL).

    \b
    Examples:
      mig edit head
      EDITOR=code mig edit ae10
    """
    from offline_sql import commands
    from offline_sql.errors import UsageError

    path = commands.revision_path(_config(ctx), rev)
    try:
        click.edit(filename=str(path))
    except click.ClickException as exc:
        raise UsageError(f"cannot edit {path}: {exc.format_message()}; set $EDITOR") from None


# ---- browsing ---------------------------------------------------------------------------


@cli.command()
@_format
@click.pass_context
def heads(ctx: click.Context, fmt: str) -> None:
    """Show the head revisions.

    \b
    Examples:
      mig heads
      mig heads -v
      mig heads --format json
    """
    from offline_sql import commands

    if fmt == "json":
        _echo_json(commands.revisions_document(_config(ctx), "heads"))
        return
    _echo_entries(commands.heads(_config(ctx), verbose=_verbose(ctx)))


@cli.command()
@click.pass_context
def branches(ctx: click.Context) -> None:
    """Show the branch points.

    \b
    Examples:
      mig branches
      mig branches -v
    """
    from offline_sql import commands

    _echo_entries(commands.branches(_config(ctx), verbose=_verbose(ctx)))


@cli.command()
@click.option(
    "-r", "--rev-range", help="FROM:TO (either side may be empty).", shell_complete=_complete_target
)
@click.option(
    "-i",
    "--indicate-current",
    is_flag=True,
    help="Mark the revisions the database is at (connects to `url`).",
)
@_format
@click.pass_context
def history(ctx: click.Context, rev_range: str | None, indicate_current: bool, fmt: str) -> None:
    """List revisions, newest first.

    \b
    Examples:
      mig history
      mig history -r ae10:head
      mig history -r :ae10 -v
      mig history -i --format json
    """
    from offline_sql import commands

    config = _config(ctx)
    current = commands.database_revisions(config) if indicate_current else None
    if fmt == "json":
        _echo_json(
            commands.revisions_document(config, "history", rev_range=rev_range, current=current)
        )
        return
    _echo_entries(commands.history(config, rev_range, verbose=_verbose(ctx), current=current or ()))


@cli.command()
@click.argument("rev", shell_complete=_complete_target)
@_format
@click.pass_context
def show(ctx: click.Context, rev: str, fmt: str) -> None:
    """Show one revision's header (each revision, for `heads`).

    \b
    Examples:
      mig show head
      mig show ae10 --format json
    """
    from offline_sql import commands

    if fmt == "json":
        _echo_json(commands.revisions_document(_config(ctx), "show", rev=rev))
        return
    _echo_entries(commands.show(_config(ctx), rev))


# ---- migrating --------------------------------------------------------------------------


class _TargetCommand(MigCommand):
    """Reads a negative relative target (`mig downgrade -1`) as TARGET, as Alembic users
    type it, while unknown options stay usage errors."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        negative = [arg for arg in args if arg[:1] == "-" and arg[1:].isdigit()]
        if len(negative) == 1 and "--" not in args:
            args = [arg for arg in args if arg != negative[0]] + ["--", negative[0]]
        return super().parse_args(ctx, args)


def _migration_options(func: Any) -> Any:
    """The options shared by upgrade, downgrade and stamp."""
    decorators: list[Callable[[Any], Any]] = [
        click.argument("target", shell_complete=_complete_target),
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


def _run_migration(
    ctx: click.Context, name: str, target: str, *, tag: str | None = None, **options: Any
) -> None:
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
    text = command[name](_config(ctx, tag=tag), target, out=_Echo(), **options)
    if text is not None:
        echo(text, nl=False)
    elif options["output"] is not None:
        _note(ctx, f"Wrote {options['output']}", err=True)


_TARGETS_HELP = (
    "TARGET: a revision id or prefix, head, heads, base, label@head, REV+N, REV-N, +N, -N; "
    "with --sql a range FROM:TO."
)


@cli.command(cls=_TargetCommand, epilog=f"{_TARGETS_HELP} {_GLOBAL_EPILOG}")
@_migration_options
@click.option(
    "--tag",
    help="A string scripts read with op.get_context().get_tag_argument(), as in Alembic.",
)
def upgrade(ctx: click.Context, target: str, tag: str | None, **options: Any) -> None:
    """Upgrade to [FROM:]TO (offline with --sql).

    \b
    Examples:
      mig upgrade head --sql > deploy.sql
      mig upgrade ae10:head --sql -o ticket-4711/
      mig upgrade head --sql --dialect postgresql
      mig upgrade +1                     online, one revision
      mig upgrade head --tag release-42
    """
    _run_migration(ctx, "upgrade", target, tag=tag, **options)


@cli.command(cls=_TargetCommand, epilog=f"{_TARGETS_HELP} {_GLOBAL_EPILOG}")
@_migration_options
def downgrade(ctx: click.Context, target: str, **options: Any) -> None:
    """Downgrade to TO (offline with --sql needs FROM:TO).

    \b
    Examples:
      mig downgrade -1                   online, one revision down
      mig downgrade head:ae10 --sql > rollback.sql
    """
    _run_migration(ctx, "downgrade", target, **options)


@cli.command(cls=_TargetCommand, epilog=f"{_TARGETS_HELP} {_GLOBAL_EPILOG}")
@_migration_options
@click.option(
    "--purge",
    is_flag=True,
    help="Online: empty the version table first, whatever it holds (one transaction).",
)
def stamp(ctx: click.Context, target: str, purge: bool, **options: Any) -> None:
    """Set the version table to [FROM:]TO without running migrations.

    \b
    Examples:
      mig stamp head                     online
      mig stamp base:ae10 --sql          offline
      mig stamp head --purge             online, whatever the table held
    """
    if purge and options["sql"]:
        raise click.UsageError(
            "--purge is online only: offline, stamp FROM:TO so the script checks where "
            "the database is"
        )
    if purge:
        options["purge"] = True
    _run_migration(ctx, "stamp", target, **options)


@cli.command()
@click.option(
    "--check-heads",
    is_flag=True,
    help="Exit 1 unless the database is at every head (and nothing else).",
)
@_format
@click.pass_context
def current(ctx: click.Context, check_heads: bool, fmt: str) -> None:
    """Show the revision(s) the database is at (online).

    \b
    Examples:
      mig current
      mig current --check-heads          before starting the application
      mig current --format json
    """
    from offline_sql import commands, migrate

    config = _config(ctx)
    if fmt == "json":
        _echo_json(commands.current_document(config))
    else:
        _echo_entries(migrate.current(config, verbose=_verbose(ctx)))
    if check_heads:
        commands.check_heads(config)


@cli.command()
@click.argument("target", shell_complete=_complete_target)
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

    Exits 1 when a finding of severity error is not allowed (mig_allow / review_allow).

    \b
    Examples:
      mig review ae10:head
      mig review head:ae10 --downgrade --format markdown > REVIEW.md
    """
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
@_format
@click.pass_context
def verify(ctx: click.Context, directory: Path, fmt: str) -> None:
    """Check a directory written by --sql -o against its MANIFEST.json (exit 1 on any change).

    \b
    Examples:
      mig verify ticket-4711/
      mig verify ticket-4711/ --format json
    """
    from offline_sql.verify import verify_directory

    result = verify_directory(directory)
    if fmt == "json":
        _echo_json(
            {
                "format_version": 1,
                "directory": str(directory),
                "ok": result.ok,
                "files_checked": result.files_checked,
                "problems": list(result.problems),
            }
        )
    else:
        for problem in result.problems:
            echo(f"{directory}: {problem}")
        if result.ok:
            _note(ctx, f"{directory}: {result.files_checked} files match MANIFEST.json")
    if not result.ok:
        raise SystemExit(1)


@cli.command()
@_format
@click.pass_context
def check(ctx: click.Context, fmt: str) -> None:
    """Exit 1 and print the differences when target_metadata and the migrations disagree.

    \b
    Examples:
      mig check
      mig check --format json
    """
    from offline_sql import autogen

    differences = autogen.check(_config(ctx))
    if fmt == "json":
        _echo_json({"format_version": 1, "ok": not differences, "differences": differences})
    else:
        _echo_entries(differences)
        if not differences:
            _note(ctx, "No differences: the models match the migrations.")
    if differences:
        raise SystemExit(1)


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
    """Record the starting schema of a project that begins from an existing database.

    \b
    Examples:
      mig baseline --from database
      mig baseline --from models
    """
    from offline_sql import baseline_command as baseline_module

    path = baseline_module.write_baseline(_config(ctx), cast("Source", source))  # click.Choice
    _note(ctx, f"Created {path}")


def _show_progress() -> AbstractContextManager[None]:
    """Messages from mig's logger as ``mig: ...`` lines on stderr, while ``main`` runs: a
    caller running ``main`` in-process (a test, an application) is not left with a handler
    on a stream that may since have been closed. Set up when the logger is first used
    (:mod:`offline_sql.logs`): most commands log nothing and do not import logging."""
    return logs.configured(_stderr_handler)


def _stderr_handler() -> Callable[[], None]:
    """The handler of :func:`_show_progress` on mig's logger, at INFO, unless the
    application configured the logger itself; returns the undoing."""
    import logging

    class CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
        """Writes to ``sys.stderr`` as it is when a line is logged, not as it was when the
        handler was made: an embedding program or test runner may have replaced it since
        (a stream captured by an earlier run is closed by now)."""

        def emit(self, record: logging.LogRecord) -> None:
            self.stream = sys.stderr
            super().emit(record)

    logger = logging.getLogger(logs.NAME)
    if logger.handlers:  # the application configured it: leave it alone
        return lambda: None
    handler = CurrentStderr()
    handler.setFormatter(logging.Formatter("mig: %(message)s"))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)

    def undo() -> None:
        logger.removeHandler(handler)
        logger.setLevel(level)

    return undo


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    from offline_sql import gc_tuning

    with gc_tuning.enabled(), _show_progress():
        cli.main(args=list(argv) if argv is not None else None, prog_name="mig")
