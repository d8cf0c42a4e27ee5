"""Project commands callable from Python: init, revision, merge and the browsing commands.

The CLI only parses options and prints what these return. Browsing reads script headers
through the index (``ast``, never an import), so a script that fails on import still lists.
The migration commands themselves (upgrade, downgrade, stamp, current) live in
:mod:`offline_sql.migrate`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from offline_sql.config import CONFIG_FILE, PYPROJECT_FILE, TEMPLATE_FILE, Config
from offline_sql.errors import ConfigError, DuplicateRevisionError, RevisionError, UsageError
from offline_sql.project import load_graph
from offline_sql.revision_ids import NEW_ID_RULE, is_valid_new_id

TYPE_CHECKING = False  # not typing's: importing it costs a memo-answered run 3 ms
if TYPE_CHECKING:
    from typing import Any

    from offline_sql.graph import RevisionGraph
    from offline_sql.script.header import RevisionHeader

DEFAULT_SETTINGS = (
    'script_location = "migrations"\nurl = "sqlite:///app.db"\nversion_table = "mig_version"\n'
)
"""What ``mig init`` writes: SQLite so online mode works with nothing else installed."""

_LABEL = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_RESERVED = frozenset({"head", "heads", "base", "current"})
"""Words with a meaning in targets; a revision id or label equal to one would be unreachable."""


# ---- init -------------------------------------------------------------------------------


TEMPLATES: dict[str, str] = {
    "generic": f"settings in {CONFIG_FILE}, scripts in migrations/versions/",
    "pyproject": f"settings in [tool.mig] of {PYPROJECT_FILE} (created if missing), "
    "scripts in migrations/versions/",
}
"""``mig init --template NAME`` -> what it sets up (``mig list_templates`` prints these)."""


def list_templates() -> list[str]:
    """One line per project template, as ``mig list_templates`` prints them."""
    width = max(map(len, TEMPLATES))
    return [f"{name.ljust(width)} - {what}" for name, what in TEMPLATES.items()]


def init(directory: Path, template: str | None = None) -> list[Path]:
    """Scaffold a project in ``directory``; return what was created or changed.

    ``template`` is a name from :data:`TEMPLATES`; without one, ``pyproject`` when
    ``directory`` has a pyproject.toml, else ``generic``. Nothing is written unless nothing
    would be overwritten.
    """
    from offline_sql.config import has_tool_mig
    from offline_sql.script.template import package_template
    from offline_sql.script.writer import append_text, write_new_file

    if template is not None and template not in TEMPLATES:
        raise UsageError(
            f"--template {template!r}: no such template; choose one of {', '.join(TEMPLATES)} "
            "(`mig list_templates`)"
        )
    directory = directory.resolve()
    pyproject = directory / PYPROJECT_FILE
    mig_toml = directory / CONFIG_FILE
    script_location = directory / "migrations"
    versions = script_location / "versions"
    template_file = script_location / TEMPLATE_FILE
    if template is None:
        template = "pyproject" if pyproject.is_file() else "generic"
    use_pyproject = template == "pyproject"
    if use_pyproject and pyproject.is_file() and has_tool_mig(pyproject):
        raise ConfigError(f"{pyproject} already has a [tool.mig] table: nothing to do")
    for path in (mig_toml, versions, template_file):
        if path.exists():
            raise ConfigError(f"{path} already exists: mig init never overwrites; remove it first")
    if not use_pyproject and pyproject.is_file() and has_tool_mig(pyproject):
        raise ConfigError(
            f"{pyproject} already has a [tool.mig] table: a {CONFIG_FILE} beside it would "
            "make two configurations; use it, or remove the table first"
        )

    versions.mkdir(parents=True)
    write_new_file(template_file, package_template())
    if use_pyproject and pyproject.is_file():
        append_text(pyproject, "\n[tool.mig]\n" + DEFAULT_SETTINGS)
        config_path = pyproject
    elif use_pyproject:
        write_new_file(pyproject, "[tool.mig]\n" + DEFAULT_SETTINGS)
        config_path = pyproject
    else:
        write_new_file(mig_toml, DEFAULT_SETTINGS)
        config_path = mig_toml
    return [config_path, versions, template_file]


# ---- configuration as the command line gives it ----------------------------------------


def load_command_config(
    config_file: Path | None,
    *,
    dialect: str | None = None,
    section: str | None = None,
    no_cache: bool = False,
    tag: str | None = None,
    x_arguments: tuple[str, ...] = (),
) -> Config:
    """The configuration for a command: ``-c``, ``--dialect``, ``-n/--name`` (the section
    of a multi-database ini file), ``--no-cache``, ``upgrade --tag`` and ``-x`` applied."""
    from offline_sql.config import load_config
    from offline_sql.records import replace

    config = load_config(config_file, dialect=dialect, section=section or "alembic")
    if section is not None and config.config_file.suffix.lower() != ".ini":
        raise UsageError(
            f"-n/--name {section!r} needs an alembic.ini config (-c alembic.ini): "
            f"{config.config_file.name} has one section only; drop -n"
        )
    if no_cache:
        config = replace(config, cache_dir=None)
    if tag is not None:
        config = replace(config, tag=tag)
    if x_arguments:
        config = replace(config, x_arguments=x_arguments)
    return config


def init_from_alembic(directory: Path, section: str = "alembic") -> list[Path]:
    """``mig.toml`` (or ``[tool.mig]``) equivalent to ``directory``'s ``alembic.ini``: the
    scripts stay where they are and mig keeps Alembic's ``alembic_version`` table."""
    from offline_sql.config import has_tool_mig
    from offline_sql.config_ini import ALEMBIC_INI, read_ini, warn_ignored
    from offline_sql.script.writer import append_text, write_new_file

    directory = directory.resolve()
    ini = directory / ALEMBIC_INI
    if not ini.is_file():
        raise ConfigError(f"no {ALEMBIC_INI} in {directory}: run init --from-alembic beside it")
    pyproject = directory / PYPROJECT_FILE
    mig_toml = directory / CONFIG_FILE
    use_pyproject = pyproject.is_file()
    if use_pyproject and has_tool_mig(pyproject):
        raise ConfigError(f"{pyproject} already has a [tool.mig] table: nothing to do")
    if mig_toml.exists():
        raise ConfigError(f"{mig_toml} already exists: mig init never overwrites; remove it first")
    found = read_ini(ini, section)
    warn_ignored(ini, found.ignored)
    text = _toml_settings(found.settings, directory)
    if use_pyproject:
        append_text(pyproject, "\n[tool.mig]\n" + text)
        return [pyproject]
    write_new_file(mig_toml, text)
    return [mig_toml]


def _toml_settings(settings: dict[str, Any], directory: Path) -> str:
    """TOML lines for ``settings``, folders written relative to ``directory`` when inside."""
    import json

    def relative(folder: str) -> str:
        path = (directory / folder).resolve()
        try:
            return path.relative_to(directory).as_posix() or "."
        except ValueError:
            return str(path)

    lines = []
    for key, value in settings.items():
        if key == "script_location":
            value = relative(value)
        elif key in ("version_locations", "prepend_sys_path"):
            value = [relative(item) for item in value]
        lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}\n")
    return "".join(lines)


# ---- reading the history ----------------------------------------------------------------


# ---- revision and merge -----------------------------------------------------------------


def _check_new_id(graph: RevisionGraph, rev_id: str) -> None:
    if not is_valid_new_id(rev_id):
        raise UsageError(f"--rev-id {rev_id!r}: use {NEW_ID_RULE}")
    if rev_id.lower() in _RESERVED:
        raise UsageError(f"--rev-id {rev_id!r} is a reserved word in targets; choose another id")
    if rev_id in graph.revisions:
        path = graph.revisions[rev_id].path
        raise DuplicateRevisionError(f"revision id {rev_id!r} already exists in {path}")
    if rev_id in graph.labels:
        raise DuplicateRevisionError(f"{rev_id!r} is already a branch label; choose another id")


def _check_labels(graph: RevisionGraph, labels: Sequence[str]) -> tuple[str, ...]:
    seen: list[str] = []
    for label in labels:
        if not _LABEL.match(label) or label.lower() in _RESERVED:
            raise UsageError(
                f"--branch-label {label!r}: start with a letter, then letters, digits or _ "
                "(and not head/heads/base/current)"
            )
        if label in graph.labels or label in graph.revisions:
            raise DuplicateRevisionError(
                f"--branch-label {label!r} is already used by revision "
                f"{graph.labels.get(label, label)}; choose another label"
            )
        if label not in seen:
            seen.append(label)
    return tuple(seen)


def _new_id(graph: RevisionGraph, rev_id: str | None) -> str:
    if rev_id is None:
        import secrets  # only `mig revision` needs it: not imported by every command

        rev_id = secrets.token_hex(6)
        while rev_id in graph.revisions:  # pragma: no cover - 48 random bits
            rev_id = secrets.token_hex(6)
    _check_new_id(graph, rev_id)
    return rev_id


def _parents_for(graph: RevisionGraph, head: str, splice: bool) -> tuple[str, ...]:
    """What a new revision builds on, following Alembic's ``--head``/``--splice`` rules."""
    if head == "heads":
        raise UsageError(
            "--head heads is not allowed: name one head with --head, or join them first "
            "with `mig merge heads -m MESSAGE`"
        )
    if head == "base":
        return ()
    if head == "head" and not graph.revisions:
        return ()
    parents = tuple(graph.resolve(head))
    for parent in parents:
        if parent not in graph.heads and not splice:
            raise RevisionError(
                f"--head {head}: revision {parent} is not a head; pass --splice to start a "
                "new branch from it, or use --head with a head revision"
            )
    return parents


def _write_revision(
    config: Config,
    rev_id: str,
    message: str,
    parents: tuple[str, ...],
    labels: tuple[str, ...],
    depends: tuple[str, ...],
) -> Path:
    from offline_sql.script.new_revision import write_revision_script
    from offline_sql.script.template import RevisionSpec

    return write_revision_script(config, RevisionSpec(rev_id, message, parents, labels, depends))


def _resolve_all(graph: RevisionGraph, targets: Iterable[str]) -> tuple[str, ...]:
    found: list[str] = []
    for target in targets:
        for rev in graph.resolve(target):
            if rev not in found:
                found.append(rev)
    return tuple(found)


def revision(
    config: Config,
    message: str,
    *,
    rev_id: str | None = None,
    head: str = "head",
    splice: bool = False,
    branch_labels: Sequence[str] = (),
    depends_on: Sequence[str] = (),
) -> Path:
    """Create a new empty revision script; return its path."""
    graph = load_graph(config)
    new_id = _new_id(graph, rev_id)
    labels = _check_labels(graph, branch_labels)
    parents = _parents_for(graph, head, splice)
    depends = _resolve_all(graph, depends_on)
    return _write_revision(config, new_id, message, parents, labels, depends)


def merge(
    config: Config,
    revisions: Sequence[str],
    message: str,
    *,
    rev_id: str | None = None,
    branch_labels: Sequence[str] = (),
) -> Path:
    """Create a revision whose ``down_revision`` joins ``revisions`` (``heads`` = all heads)."""
    graph = load_graph(config)
    targets = [t for rev in revisions for t in (graph.heads if rev == "heads" else (rev,))]
    parents = _resolve_all(graph, targets)
    if len(parents) < 2:
        raise UsageError(
            f"mig merge needs at least two distinct revisions, got {', '.join(parents) or 'none'}"
        )
    for rev in parents:
        others = [other for other in parents if other != rev]
        if rev in graph.ancestors(others, include_dependencies=False):
            raise RevisionError(
                f"{rev} is already an ancestor of another revision given to merge; leave it out"
            )
    new_id = _new_id(graph, rev_id)
    labels = _check_labels(graph, branch_labels)
    return _write_revision(config, new_id, message, parents, labels, ())


# ---- browsing ---------------------------------------------------------------------------


def _short_line(
    graph: RevisionGraph,
    rev: str,
    *,
    parents: bool,
    doc: bool,
    tree: bool = True,
    current: frozenset[str] = frozenset(),
) -> str:
    """One revision as Alembic prints it: ``a, b -> rev (label) (head) (mergepoint), msg``;
    ``(current)`` when the database is at it (``history -i``)."""
    header = graph.revisions[rev]
    text = rev
    if parents:
        text = f"{', '.join(graph.parents(rev)) or '<base>'} -> {text}"
    if header.branch_labels:
        text += f" ({', '.join(header.branch_labels)})"
    if graph.is_head(rev):
        text += " (head)"
    if rev in current:
        text += " (current)"
    if tree and graph.is_branch_point(rev):
        text += " (branchpoint)"
    if tree and graph.is_merge_point(rev):
        text += " (mergepoint)"
    if doc:
        text += f", {header.message}"
    return text


def _verbose_entry(graph: RevisionGraph, rev: str) -> str:
    """Every header fact about one revision, for ``--verbose`` and ``show``."""
    header: RevisionHeader = graph.revisions[rev]
    lines = [f"Rev: {_short_line(graph, rev, parents=False, doc=False)}"]
    parents = graph.parents(rev)
    if len(parents) > 1:
        lines.append(f"Merges: {', '.join(parents)}")
    else:
        lines.append(f"Parent: {parents[0] if parents else '<base>'}")
    children = graph.children(rev)
    if len(children) > 1:
        lines.append(f"Branches into: {', '.join(children)}")
    if header.branch_labels:
        lines.append(f"Branch names: {', '.join(header.branch_labels)}")
    if header.depends_on:
        lines.append(f"Also depends on: {', '.join(header.depends_on)}")
    lines.append(f"Path: {header.path}")
    lines.append("")
    lines.append(f"    {header.message}" if header.message else "    (no message)")
    lines.append("")
    return "\n".join(lines)


def _newest_first(graph: RevisionGraph, revs: Iterable[str]) -> list[str]:
    return list(reversed(list(graph.topological(tuple(revs)))))


def heads(config: Config, verbose: bool = False) -> list[str]:
    """One entry per head revision."""
    graph = load_graph(config)
    if verbose:
        return [_verbose_entry(graph, rev) for rev in graph.heads]
    return [_short_line(graph, rev, parents=False, doc=False, tree=False) for rev in graph.heads]


def branches(config: Config, verbose: bool = False) -> list[str]:
    """Each branch point followed by the revisions it branches into."""
    graph = load_graph(config)
    entries: list[str] = []
    for rev in _newest_first(graph, graph.branch_points):
        first = (
            _verbose_entry(graph, rev)
            if verbose
            else _short_line(graph, rev, parents=True, doc=True)
        )
        pad = " " * len(rev)
        children = [
            f"{pad} -> {_short_line(graph, child, parents=False, doc=verbose)}"
            for child in graph.children(rev)
        ]
        entries.append("\n".join([first, *children]))
    return entries


def _in_range(graph: RevisionGraph, rev_range: str) -> set[str]:
    """Revisions between FROM and TO, both included; an empty side means "all the way"
    (``ae10:``, ``:ae10``), as in Alembic's ``history -r``."""
    lower, colon, upper = rev_range.partition(":")
    if not colon or ":" in upper:
        raise UsageError(
            f"-r {rev_range!r}: expected FROM:TO, where either side may be empty (ae10:, :head)"
        )
    selected = set(graph.revisions)
    if upper.strip():
        selected &= graph.ancestors(graph.resolve(upper))
    if lower.strip() and lower.strip() != "base":
        selected &= graph.descendants(graph.resolve(lower))
    return selected


def history(
    config: Config,
    rev_range: str | None = None,
    verbose: bool = False,
    current: Iterable[str] = (),
) -> list[str]:
    """Revisions newest first, optionally limited to ``FROM:TO``; those in ``current``
    (see :func:`database_revisions`) marked ``(current)``."""
    graph = load_graph(config)
    revs = _in_range(graph, rev_range) if rev_range else set(graph.revisions)
    if verbose:
        return [_verbose_entry(graph, rev) for rev in _newest_first(graph, revs)]
    at = frozenset(current)
    return [
        _short_line(graph, rev, parents=True, doc=True, current=at)
        for rev in _newest_first(graph, revs)
    ]


def show(config: Config, rev: str) -> list[str]:
    """Everything the header tells about ``rev`` (each revision when it names several)."""
    graph = load_graph(config)
    return [_verbose_entry(graph, found) for found in graph.resolve(rev)]


def revision_path(config: Config, rev: str) -> Path:
    """The script of the one revision ``rev`` names (``mig edit``)."""
    graph = load_graph(config)
    found = graph.resolve(rev)
    if len(found) != 1:
        raise RevisionError(
            f"{rev!r} names {len(found)} revisions ({', '.join(found) or 'none'}): "
            "name exactly one to edit"
        )
    return Path(graph.revisions[found[0]].path)


# ---- the same, as data (``--format json``; the schema is in docs/cli.md) ----------------

JSON_FORMAT_VERSION = 1
"""Bumped only when a field changes meaning or type; new fields may be added within one."""


def revision_record(
    graph: RevisionGraph, rev: str, current: frozenset[str] | None = None
) -> dict[str, Any]:
    """One revision as ``--format json`` prints it; ``is_current`` only when ``current``
    was asked for (``history -i``)."""
    header = graph.revisions[rev]
    record: dict[str, Any] = {
        "revision": rev,
        "down_revisions": list(graph.parents(rev)),
        "branch_labels": list(header.branch_labels),
        "depends_on": list(header.depends_on),
        "message": header.message,
        "path": str(header.path),
        "is_head": graph.is_head(rev),
        "is_branch_point": graph.is_branch_point(rev),
        "is_merge_point": graph.is_merge_point(rev),
    }
    if current is not None:
        record["is_current"] = rev in current
    return record


def revisions_document(
    config: Config,
    which: str,
    *,
    rev: str | None = None,
    rev_range: str | None = None,
    current: Iterable[str] | None = None,
) -> dict[str, Any]:
    """``{"format_version": 1, "revisions": [...]}`` for ``heads``, ``history`` (newest
    first) or ``show``."""
    graph = load_graph(config)
    if which == "heads":
        revs = list(graph.heads)
    elif which == "show":
        revs = list(graph.resolve(rev or ""))
    else:
        selected = _in_range(graph, rev_range) if rev_range else set(graph.revisions)
        revs = _newest_first(graph, selected)
    at = frozenset(current) if current is not None else None
    return {
        "format_version": JSON_FORMAT_VERSION,
        "revisions": [revision_record(graph, found, at) for found in revs],
    }


def database_revisions(config: Config) -> tuple[str, ...]:
    """The revisions the configured database is at ("in progress" markers left out)."""
    from offline_sql import migrate, progress

    _, rows = migrate.version_rows(config)
    return tuple(row for row in rows if not progress.is_marker(row))


def current_document(config: Config) -> dict[str, Any]:
    """``mig current --format json``: each version-table row with what the history says."""
    from offline_sql import migrate, progress

    project, rows = migrate.version_rows(config)
    graph = project.graph
    records: list[dict[str, Any]] = [
        {
            "revision": rev,
            "is_head": False,
            "known": rev in graph.revisions,
            "half_applied": True,
            "message": None,
        }
        for rev in progress.marked_revisions(rows)
    ]
    for rev in rows:
        if progress.is_marker(rev):
            continue
        header = graph.revisions.get(rev)
        records.append(
            {
                "revision": rev,
                "is_head": rev in graph.heads,
                "known": header is not None,
                "half_applied": False,
                "message": header.message if header is not None else None,
            }
        )
    return {"format_version": JSON_FORMAT_VERSION, "revisions": records}


def check_heads(config: Config) -> None:
    """Raise unless the database is at every head and nothing else (``current
    --check-heads``, as Alembic's: a deployment check before the application starts)."""
    from offline_sql import migrate, progress
    from offline_sql.errors import DatabaseError

    project, rows = migrate.version_rows(config)
    at = tuple(row for row in rows if not progress.is_marker(row))
    heads = tuple(project.graph.heads)
    if progress.marked_revisions(rows) or set(at) != set(heads):
        found = ", ".join(rows) or "no revision"
        raise DatabaseError(
            f"the database is not at head: it is at {found}, the head(s) are "
            f"{', '.join(heads) or 'none'}; run `mig upgrade heads`"
        )


# ---- migrations (programmatic API) -----------------------------------------------------
#
# Applications that migrate at start-up call these, as Alembic's ``command.upgrade``:
#
#     from offline_sql import commands
#     from offline_sql.config import load_config
#     commands.upgrade(load_config("mig.toml"), "head")            # online
#     script = commands.upgrade(config, "base:head", sql=True)      # offline


def upgrade(config: Config, target: str, **options: Any) -> str | None:
    """Upgrade to ``target``; with ``sql=True`` return the script instead of applying it."""
    from offline_sql import migrate

    return migrate.upgrade(config, target, **options)


def downgrade(config: Config, target: str, **options: Any) -> str | None:
    """Downgrade to ``target``; offline (``sql=True``) it needs a range ``FROM:TO``."""
    from offline_sql import migrate

    return migrate.downgrade(config, target, **options)


def stamp(config: Config, target: str, **options: Any) -> str | None:
    """Set the version table to ``target`` without running scripts."""
    from offline_sql import migrate

    return migrate.stamp(config, target, **options)


def current(config: Config, verbose: bool = False) -> list[str]:
    """The revisions the configured database is at."""
    from offline_sql import migrate

    return migrate.current(config, verbose)
