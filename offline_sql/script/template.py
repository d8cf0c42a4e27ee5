"""Rendering a new revision script from a template.

The template is ``string.Template`` text (``${name}`` placeholders, ``$$`` for a literal
dollar) so a project can keep its own copy in ``<script_location>/script.py.tmpl`` without
learning a template language. Placeholders:

``message``, ``revision``, ``revises`` (human text for the docstring) and
``revision_literal``, ``down_revision_literal``, ``branch_labels_literal``,
``depends_on_literal`` (Python literals the header reader understands).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from offline_sql.errors import ConfigError, UsageError

PACKAGE_TEMPLATE = "revision.py.tmpl"
SLUG_LENGTH = 40


@dataclass(frozen=True)
class RevisionSpec:
    """What a new revision script declares."""

    revision: str
    message: str
    down_revisions: tuple[str, ...] = ()
    branch_labels: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()


def package_template() -> str:
    """The template shipped with mig (also what ``mig init`` copies into a project)."""
    return resources.files("offline_sql.script").joinpath(PACKAGE_TEMPLATE).read_text("utf-8")


def load_template(project_template: Path) -> tuple[str, str]:
    """The project's template when it exists, else the package's; with a name for messages."""
    if project_template.is_file():
        try:
            return project_template.read_text(encoding="utf-8"), str(project_template)
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"{project_template}: cannot read the revision template: {exc}"
            ) from None
    return package_template(), f"mig's {PACKAGE_TEMPLATE}"


def slugify(message: str) -> str:
    """File-name part from a message: lowercase, runs of non-alphanumerics become ``_``."""
    slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")
    return slug[:SLUG_LENGTH].rstrip("_")


def revision_filename(revision: str, message: str) -> str:
    slug = slugify(message)
    return f"{revision}_{slug}.py" if slug else f"{revision}.py"


def string_literal(value: str) -> str:
    """A double-quoted Python string (JSON string syntax is valid Python), as ruff formats."""
    return json.dumps(value, ensure_ascii=False)


def python_literal(values: tuple[str, ...]) -> str:
    """``None`` for none, a string for one, a tuple for several (as Alembic writes them)."""
    if not values:
        return "None"
    if len(values) == 1:
        return string_literal(values[0])
    return "(" + ", ".join(string_literal(value) for value in values) + ")"


def docstring_text(message: str) -> str:
    """Message text that cannot end the docstring early or start an escape sequence."""
    return message.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def check_message(message: str) -> None:
    """A message a UTF-8 script can hold, else a usage error saying what to check."""
    try:
        message.encode("utf-8")
    except UnicodeEncodeError:
        # Bytes the terminal could not decode reach us as lone surrogates; a script is UTF-8.
        raise UsageError(
            f"the revision message {message!r} is not valid UTF-8 text: check the "
            "terminal's encoding (LANG/LC_ALL) or write the message in plain ASCII"
        ) from None


def render_revision(spec: RevisionSpec, template: str, origin: str) -> str:
    """Fill the template; a placeholder it does not know is an error naming the template."""
    check_message(spec.message)
    values = {
        "message": docstring_text(spec.message) or "(no message)",
        "revision": spec.revision,
        "revises": ", ".join(spec.down_revisions) or "(none)",
        "revision_literal": string_literal(spec.revision),
        "down_revision_literal": python_literal(spec.down_revisions),
        "branch_labels_literal": python_literal(spec.branch_labels),
        "depends_on_literal": python_literal(spec.depends_on),
    }
    try:
        return Template(template).substitute(values)
    except KeyError as exc:
        raise ConfigError(
            f"{origin}: unknown placeholder ${{{exc.args[0]}}}; "
            f"known: {', '.join(sorted(values))} (write $$ for a literal $)"
        ) from None
    except ValueError as exc:
        raise ConfigError(f"{origin}: invalid template: {exc} (write $$ for a literal $)") from None
