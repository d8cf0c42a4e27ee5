"""New revisions from the project's ``script.py.mako``, so they look like Alembic's.

An Alembic project keeps its revision template in ``<script_location>/script.py.mako``;
``mig revision``/``merge``/``revision --autogenerate`` render it with the variables Alembic
passes (``up_revision``, ``down_revision``, ``branch_labels``, ``depends_on``,
``create_date``, ``message``, ``comma``, ``config``, and for autogenerate ``upgrades``,
``downgrades``, ``imports``). With Mako installed (``pip install 'mig[mako]'``) Mako renders
it; without, :mod:`offline_sql.script.mako_reader` renders the forms Alembic's own templates
use and refuses anything else with one line saying to install the extra.

The result is checked before it is written: it must be Python whose header declares the new
revision as mig was asked to, and generated operations must be in it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from offline_sql.alembic_compat.revisions import MAKO_TEMPLATE
from offline_sql.errors import ConfigError, MigError

if TYPE_CHECKING:
    from offline_sql.config import Config
    from offline_sql.script.template import RevisionSpec

MAKO_EXTRA = "mig[mako]"
"""The optional extra that installs Mako (pyproject.toml ``[project.optional-dependencies]``)."""


@dataclass(frozen=True)
class Bodies:
    """What autogenerate adds: ``upgrades``/``downgrades`` as Alembic passes them (the first
    line not indented: the template indents it) and ``imports`` (one per line)."""

    upgrades: str
    downgrades: str
    imports: str


def project_mako(config: Config) -> Path | None:
    """The project's ``script.py.mako`` when it has one and no mig template of its own."""
    if config.template_path.is_file():
        return None  # a project's own script.py.tmpl is its explicit choice for mig
    path = config.script_location / MAKO_TEMPLATE
    return path if path.is_file() else None


def format_as_comma(value: str | Iterable[str] | None) -> str:
    """Alembic's ``comma`` filter: ``a, b`` for several, the id for one, nothing for None."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return ", ".join(value)


def _scalar(values: Sequence[str]) -> str | Sequence[str] | None:
    """None, the one value, or all of them (Alembic's ``tuple_rev_as_scalar``)."""
    if not values:
        return None
    return values[0] if len(values) == 1 else values


def create_date(config: Config) -> datetime.datetime:
    """Now, as Alembic dates a revision: local time, or in ``timezone`` when configured."""
    from offline_sql.alembic_compat.settings import ScriptConfig, ScriptSettings

    zone = ScriptConfig(ScriptSettings.of(config)).get_main_option("timezone")
    if not zone:
        return datetime.datetime.now()
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    for name in (zone, zone.upper()):
        try:
            tzinfo = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        return datetime.datetime.now(tz=datetime.timezone.utc).astimezone(tzinfo)
    raise ConfigError(f"{config.config_file}: timezone {zone!r} is not a known time zone")


def template_values(
    config: Config,
    spec: RevisionSpec,
    date: datetime.datetime,
    bodies: Bodies | None = None,
) -> dict[str, Any]:
    """The names Alembic's ``ScriptDirectory.generate_revision`` passes to the template."""
    from offline_sql.alembic_compat.settings import ScriptConfig, ScriptSettings
    from offline_sql.script.template import docstring_text

    values: dict[str, Any] = {
        "up_revision": spec.revision,
        "down_revision": _scalar(spec.down_revisions),
        "branch_labels": tuple(spec.branch_labels) or None,
        "depends_on": _scalar(list(spec.depends_on)),
        "create_date": date,
        "comma": format_as_comma,
        # Alembic writes the message as given; escaped here only where it would otherwise
        # end the docstring early (a message holding \"\"\" or a backslash).
        "message": docstring_text(spec.message) if spec.message else "empty message",
        "config": ScriptConfig(ScriptSettings.of(config)),
    }
    if bodies is not None:
        values.update(
            upgrades=bodies.upgrades, downgrades=bodies.downgrades, imports=bodies.imports
        )
    return values


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the revision template: {exc}") from None


def _render_with_mako(path: Path, text: str, values: Mapping[str, Any]) -> str | None:
    """Mako's rendering, or None when Mako is not installed."""
    try:
        from mako.template import Template
    except ImportError:
        return None
    try:
        rendered: str = Template(text=text, uri=path.name).render_unicode(**values)
    except Exception as exc:
        raise ConfigError(
            f"{path}: rendering the revision template failed: {type(exc).__name__}: {exc}"
        ) from None
    return rendered


def render_mako(path: Path, values: Mapping[str, Any], *, use_mako: bool = True) -> str:
    """``path`` rendered with ``values``: by Mako when installed (and ``use_mako``), else by
    mig's reader of the common forms."""
    from offline_sql.script import mako_reader

    text = _read(path)
    if use_mako:
        rendered = _render_with_mako(path, text, values)
        if rendered is not None:
            return rendered
    try:
        return mako_reader.render(text, values)
    except mako_reader.NeedsMako as exc:
        raise ConfigError(
            f"{path}:{exc.line}: mig renders {exc.construct} only with Mako: "
            f"pip install '{MAKO_EXTRA}'"
        ) from None
    except mako_reader.TemplateError as exc:
        raise ConfigError(f"{path}: rendering the revision template failed: {exc}") from None


def _check(path: Path, text: str, spec: RevisionSpec, bodies: Bodies | None) -> None:
    """The rendered script declares what was asked, and holds the generated operations."""
    from offline_sql.script.header import parse_header

    try:
        header = parse_header(text, f"the script rendered from {path}")
    except MigError as exc:
        raise ConfigError(f"{exc}: fix the template {path}") from None
    expected = (spec.revision, spec.down_revisions, spec.branch_labels, spec.depends_on)
    found = (header.revision, header.down_revisions, header.branch_labels, header.depends_on)
    names = ("revision", "down_revision", "branch_labels", "depends_on")
    for name, want, got in zip(names, expected, found, strict=True):
        if want != got:
            raise ConfigError(
                f"{path}: the rendered script has {name} = {got!r}, expected {want!r}: the "
                f"template must write it (Alembic's writes {name} = ${{repr(...)}})"
            )
    if bodies is None:
        return
    for name, body in (("upgrades", bodies.upgrades), ("downgrades", bodies.downgrades)):
        if body.strip() != "pass" and body not in text:
            placed = f'${{{name} if {name} else "pass"}}'
            raise ConfigError(
                f"{path}: the template does not place ${{{name}}}: the generated operations "
                f"would be lost (Alembic's template writes {placed})"
            )


def render_revision_from_mako(
    config: Config,
    path: Path,
    spec: RevisionSpec,
    date: datetime.datetime,
    bodies: Bodies | None = None,
) -> str:
    """The new revision script from the project's ``script.py.mako``, checked."""
    from offline_sql.script.template import check_message

    check_message(spec.message)
    text = render_mako(path, template_values(config, spec, date, bodies))
    _check(path, text, spec, bodies)
    return text


def alembic_bodies(upgrade: str, downgrade: str, imports: Sequence[str]) -> Bodies:
    """mig's generated bodies (every line indented) in the form Alembic passes them."""
    return Bodies(upgrade.strip(), downgrade.strip(), "\n".join(imports))
