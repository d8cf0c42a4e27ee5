"""New revision files in an Alembic project: named by ``file_template``, importing
``from alembic import op`` so that Alembic still runs them too."""

from __future__ import annotations

import datetime
import re
from typing import TYPE_CHECKING

from offline_sql.errors import ConfigError

if TYPE_CHECKING:
    from offline_sql.config import Config

MAKO_TEMPLATE = "script.py.mako"
"""Alembic's revision template: its presence says the project is run by Alembic too."""

_MIG_IMPORT = "from offline_sql import op"
_ALEMBIC_IMPORT = "from alembic import op"


def alembic_style(config: Config, template: str, origin: str) -> str:
    """mig's own template with Alembic's import, in a project Alembic also runs (configured
    by ``alembic.ini`` or holding ``script.py.mako``); a project's own template as it is."""
    if origin.startswith("mig's ") and (
        config.ini_section is not None or (config.script_location / MAKO_TEMPLATE).is_file()
    ):
        return template.replace(_MIG_IMPORT, _ALEMBIC_IMPORT)
    return template


def alembic_filename(
    file_template: str,
    rev_id: str,
    message: str,
    slug_length: int = 40,
    now: datetime.datetime | None = None,
) -> str:
    """The file name Alembic's ``file_template`` gives (``%(rev)s``, ``%(slug)s``, dates:
    ``now``, the revision's ``create_date`` when the template writes one)."""
    slug = "_".join(re.findall(r"\w+", message.lower()))[:slug_length]
    now = now or datetime.datetime.now()
    values = {
        "rev": rev_id,
        "slug": slug.rstrip("_"),
        "epoch": int(now.timestamp()),
        "year": now.year,
        "month": now.month,
        "day": now.day,
        "hour": now.hour,
        "minute": now.minute,
        "second": now.second,
    }
    try:
        name = file_template % values
    except (KeyError, ValueError, TypeError) as exc:
        raise ConfigError(f"file_template {file_template!r} cannot be filled: {exc}") from None
    if "/" in name or "\\" in name or not name:
        raise ConfigError(f"file_template {file_template!r} gives {name!r}: not a file name")
    return name + ".py"


def new_revision_name(
    config: Config, rev_id: str, message: str, now: datetime.datetime | None = None
) -> str:
    """The file name of a new revision: ``file_template`` when configured, else mig's."""
    from offline_sql.script.template import revision_filename

    if config.file_template:
        return alembic_filename(config.file_template, rev_id, message, now=now)
    return revision_filename(rev_id, message)
