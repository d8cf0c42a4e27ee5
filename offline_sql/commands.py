"""Project commands callable from Python: init, revision, merge and the browsing commands.

The CLI only parses options and prints what these return. Browsing reads script headers
through the index (``ast``, never an import), so a script that fails on import still lists.
The migration commands themselves (upgrade, downgrade, stamp, current) live in
:mod:`offline_sql.migrate`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from offline_sql.config import CONFIG_FILE, PYPROJECT_FILE, TEMPLATE_FILE, Config
from offline_sql.errors import ConfigError, DuplicateRevisionError, RevisionError, UsageError
from offline_sql.project import load_graph
from offline_sql.revision_ids import NEW_ID_RULE, is_valid_new_id

if TYPE_CHECKING:
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


def init(directory: Path) -> list[Path]:
    """Scaffold a project in ``directory``; return what was created or changed.

    Nothing is written unless nothing would be overwritten.
    """
    from offline_sql.config import has_tool_mig
    from offline_sql.script.template import package_template
    from offline_sql.script.writer import append_text, write_new_file

    directory = directory.resolve()
    pyproject = directory / PYPROJECT_FILE
    mig_toml = directory / CONFIG_FILE
    script_location = directory / "migrations"
    versions = script_location / "versions"
    template = script_location / TEMPLATE_FILE
    use_pyproject = pyproject.is_file()
    if use_pyproject and has_tool_mig(pyproject):
        raise ConfigError(f"{pyproject} already has a [tool.mig] table: nothing to do")
    for path in (mig_toml, versions, template):
        if path.exists():
            raise ConfigError(f"{path} already exists: mig init never overwrites; remove it first")

    versions.mkdir(parents=True)
    write_new_file(template, package_template())
    if use_pyproject:
        append_text(pyproject, "\n[tool.mig]\n" + DEFAULT_SETTINGS)
        config_path = pyproject
    else:
        write_new_file(mig_toml, DEFAULT_SETTINGS)
        config_path = mig_toml
    return [config_path, versions, template]


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
    from offline_sql.alembic_compat.revisions import alembic_style, new_revision_name
    from offline_sql.script.template import (
        RevisionSpec,
        load_template,
        render_revision,
    )
    from offline_sql.script.writer import write_new_file

    template, origin = load_template(config.template_path)
    template = alembic_style(config, template, origin)
    spec = RevisionSpec(rev_id, message, parents, labels, depends)
    text = render_revision(spec, template, origin)
    path = config.versions_dir / new_revision_name(config, rev_id, message)
    try:
        write_new_file(path, text)
    except FileExistsError:
        raise DuplicateRevisionError(f"{path} already exists; choose another --rev-id") from None
    return path


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
) -> str:
    """One revision as Alembic prints it: ``a, b -> rev (label) (head) (mergepoint), msg``."""
    header = graph.revisions[rev]
    text = rev
    if parents:
        text = f"{', '.join(graph.parents(rev)) or '<base>'} -> {text}"
    if header.branch_labels:
        text += f" ({', '.join(header.branch_labels)})"
    if graph.is_head(rev):
        text += " (head)"
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


def history(config: Config, rev_range: str | None = None, verbose: bool = False) -> list[str]:
    """Revisions newest first, optionally limited to ``FROM:TO``."""
    graph = load_graph(config)
    revs = _in_range(graph, rev_range) if rev_range else set(graph.revisions)
    if verbose:
        return [_verbose_entry(graph, rev) for rev in _newest_first(graph, revs)]
    return [_short_line(graph, rev, parents=True, doc=True) for rev in _newest_first(graph, revs)]


def show(config: Config, rev: str) -> list[str]:
    """Everything the header tells about ``rev`` (each revision when it names several)."""
    graph = load_graph(config)
    return [_verbose_entry(graph, found) for found in graph.resolve(rev)]


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
