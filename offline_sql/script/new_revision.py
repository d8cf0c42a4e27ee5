"""Writing a new revision script: from the project's template, filled, checked, never
replacing a file (``mig revision``, ``mig merge``, ``mig revision --autogenerate``)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import TYPE_CHECKING

from offline_sql.errors import ConfigError, DuplicateRevisionError

if TYPE_CHECKING:
    from offline_sql.autogen.pysource import RenderedScript
    from offline_sql.config import Config
    from offline_sql.script.template import RevisionSpec


def write_revision_script(
    config: Config, spec: RevisionSpec, generated: RenderedScript | None = None
) -> Path:
    """Write the new revision ``spec`` (with ``generated`` bodies from autogenerate): from
    the project's ``script.py.tmpl``, else its Alembic ``script.py.mako``, else mig's
    template; return its path."""
    from offline_sql.alembic_compat.revisions import alembic_style, new_revision_name
    from offline_sql.alembic_compat.script_template import (
        alembic_bodies,
        create_date,
        project_mako,
        render_revision_from_mako,
    )
    from offline_sql.script.template import load_template, render_revision
    from offline_sql.script.writer import write_new_file

    mako = project_mako(config)
    date = None
    if mako is not None:
        date = create_date(config)
        bodies = None
        if generated is not None:
            bodies = alembic_bodies(generated.upgrade, generated.downgrade, generated.imports)
        text = render_revision_from_mako(config, mako, spec, date, bodies)
    else:
        template, origin = load_template(config.template_path)
        template = alembic_style(config, template, origin)
        text = render_revision(spec, template, origin)
        if generated is not None:
            text = fill_bodies(text, generated, origin)
    path = config.versions_dir / new_revision_name(config, spec.revision, spec.message, date)
    try:
        write_new_file(path, text)
    except FileExistsError:
        raise DuplicateRevisionError(f"{path} already exists; choose another --rev-id") from None
    return path


def fill_bodies(text: str, rendered: RenderedScript, origin: str) -> str:
    """Put the generated bodies in place of the template's ``upgrade()`` and
    ``downgrade()`` bodies, and the imports they need after the template's last import.
    Works with any template that defines both functions at module level."""
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise ConfigError(f"{origin}: the revision template is not valid Python: {exc}") from None
    lines = text.splitlines(keepends=True)
    edits: list[tuple[int, int, str]] = []
    for name, body in (("upgrade", rendered.upgrade), ("downgrade", rendered.downgrade)):
        found = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name]
        if not found:
            raise ConfigError(f"{origin}: the revision template has no `def {name}()`; add one")
        statements = found[0].body
        start = statements[0].lineno - 1
        end = statements[-1].end_lineno or statements[-1].lineno
        edits.append((start, end, body + "\n"))
    imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    if rendered.imports:
        at = (imports[-1].end_lineno or 0) if imports else 0
        edits.append((at, at, "".join(f"{line}\n" for line in rendered.imports)))
    for start, end, replacement in sorted(edits, reverse=True):
        lines[start:end] = [replacement]
    return "".join(lines)
