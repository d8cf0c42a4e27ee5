"""``mig revision --autogenerate`` and ``mig check``: models against migrations, no database.

Offline there is no database to inspect, but the migrations say what the schema is:
replaying them gives a :class:`~offline_sql.state.SchemaState` that is compared with the
application's ``target_metadata`` (:mod:`.compare`), and the differences are written as
``op.*`` calls in a new revision (:mod:`.pysource`).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from offline_sql.autogen.compare import Comparison, compare, compare_metadata, state_from_metadata
from offline_sql.autogen.pysource import RenderedScript, describe, render_script, render_script_body
from offline_sql.errors import ConfigError, MultipleHeadsError

if TYPE_CHECKING:
    import sqlalchemy as sa

    from offline_sql.config import Config

__all__ = [
    "Comparison",
    "RenderedScript",
    "autogenerate",
    "check",
    "compare",
    "compare_metadata",
    "describe",
    "load_target_metadata",
    "render_script",
    "render_script_body",
    "state_from_metadata",
]


@contextmanager
def _importable_from(folder: Path) -> Iterator[None]:
    """``folder`` first on ``sys.path`` while importing the application's models."""
    entry = str(folder)
    sys.path.insert(0, entry)
    try:
        yield
    finally:
        if entry in sys.path:
            sys.path.remove(entry)


def load_target_metadata(config: Config) -> sa.MetaData:
    """The ``MetaData`` named by ``target_metadata`` ("module:attribute", importable from the
    config file's folder; the attribute may be dotted, or a declarative base)."""
    import sqlalchemy as sa

    spec = config.target_metadata
    where = f"{config.config_file}: key 'target_metadata'"
    if not spec:
        raise ConfigError(
            f"{config.config_file}: no `target_metadata`: set it to 'package.module:metadata' "
            "so mig can compare the models with the migrations"
        )
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise ConfigError(f"{where} must look like 'package.module:metadata', got {spec!r}")
    with _importable_from(config.config_file.parent):
        try:
            found: Any = importlib.import_module(module_name)
        except ImportError as exc:
            raise ConfigError(f"{where}: cannot import {module_name!r}: {exc}") from None
    for part in attribute.split("."):
        if not hasattr(found, part):
            raise ConfigError(f"{where}: {module_name!r} has no attribute {attribute!r}")
        found = getattr(found, part)
    base_metadata = getattr(found, "metadata", None) if isinstance(found, type) else None
    if isinstance(base_metadata, sa.MetaData):
        found = base_metadata  # a declarative base class
    if not isinstance(found, sa.MetaData):
        raise ConfigError(
            f"{where}: {spec!r} is a {type(found).__name__}, not a sqlalchemy MetaData"
        )
    return found


def _compare_project(config: Config) -> tuple[Comparison, Any, tuple[str, ...]]:
    """The comparison at the project's head, the state it started from, and the head."""
    from offline_sql.project import Project, replay_state

    project = Project.load(config)
    heads = tuple(project.graph.heads)
    if len(heads) > 1:
        raise MultipleHeadsError(
            f"the history has several heads ({', '.join(heads)}): join them first with "
            "`mig merge heads -m MESSAGE`"
        )
    state = replay_state(project, heads)
    metadata = load_target_metadata(config)
    version = (config.version_table_schema, config.version_table)
    comparison = compare_metadata(metadata, state, config.dialect_name, exclude_tables=[version])
    return comparison, state, heads


def check(config: Config) -> list[str]:
    """Differences between the models and the migrations at head, one human line each;
    empty when they agree."""
    from offline_sql.dialect_api.registry import get_dialect

    comparison, _, _ = _compare_project(config)
    sa_dialect = get_dialect(config.dialect_name, config.url).sa_dialect()
    return [describe(op, sa_dialect) for op in comparison.ops] + list(comparison.notes)


def autogenerate(config: Config, message: str, rev_id: str | None = None) -> Path:
    """Write a new revision on the head whose operations turn the migrations' schema into
    the models'; return its path."""
    from offline_sql.commands import _new_id
    from offline_sql.project import load_graph
    from offline_sql.script.new_revision import write_revision_script
    from offline_sql.script.template import RevisionSpec

    comparison, state, heads = _compare_project(config)
    new_id = _new_id(load_graph(config), rev_id)
    rendered = render_script(comparison.ops, state, notes=comparison.notes)
    return write_revision_script(config, RevisionSpec(new_id, message, heads), rendered)
