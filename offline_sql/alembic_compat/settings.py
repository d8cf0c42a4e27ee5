"""What ``alembic.context`` tells a script about the run: ``-x`` arguments, the config.

Set for the duration of a run by :func:`script_settings` (a context variable, like the
recorder): the values come from the :class:`~offline_sql.config.Config`, whose ``repr`` is
part of every step-cache key, so a different ``-x`` never reuses a step a script ran with
another one. ``context.config`` reads ``alembic.ini`` only when a script asks, inside the
script's run, so the step cache records the file as something the step read.
"""

from __future__ import annotations

import configparser
import contextvars
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from offline_sql.config import Config


@dataclass(frozen=True)
class ScriptSettings:
    """The parts of a run's configuration scripts can see through ``alembic.context``."""

    x_arguments: tuple[str, ...] = ()
    config_file: Path | None = None
    """``alembic.ini`` (or ``mig.toml``) the run was configured from."""
    ini_section: str = "alembic"
    main_options: Mapping[str, str] = field(default_factory=dict)
    """Options of a ``mig.toml`` project, named as ``alembic.ini`` names them."""
    offline: bool | None = None
    """Whether the run writes SQL (None: not known yet, ``is_offline_mode`` asks the recorder)."""
    sys_path: tuple[str, ...] = ()
    """Alembic's ``prepend_sys_path``: first on ``sys.path`` while scripts import and run."""

    @classmethod
    def of(cls, config: Config | None, offline: bool | None = None) -> ScriptSettings:
        if config is None:
            return cls(offline=offline)
        options = {"script_location": str(config.script_location)}
        if config.url is not None:
            options["sqlalchemy.url"] = config.url
        return cls(
            x_arguments=config.x_arguments,
            config_file=config.config_file,
            ini_section=config.ini_section or "alembic",
            main_options=options,
            offline=offline,
            sys_path=tuple(str(p) for p in config.prepend_sys_path),
        )


_SETTINGS: contextvars.ContextVar[ScriptSettings | None] = contextvars.ContextVar(
    "offline_sql_script_settings", default=None
)


@contextmanager
def script_settings(settings: ScriptSettings) -> Iterator[ScriptSettings]:
    """Make ``settings`` what ``alembic.context`` answers for the ``with`` block, with its
    ``sys_path`` folders first on ``sys.path`` (taken off again after)."""
    token = _SETTINGS.set(settings)
    added = [p for p in reversed(settings.sys_path) if p not in sys.path]
    for folder in added:
        sys.path.insert(0, folder)
    try:
        yield settings
    finally:
        for folder in added:
            if folder in sys.path:
                sys.path.remove(folder)
        _SETTINGS.reset(token)


def current_settings() -> ScriptSettings:
    """The run's settings (empty ones outside a run: no ``-x``, no config file)."""
    return _SETTINGS.get() or ScriptSettings()


class ScriptConfig:
    """Enough of Alembic's ``Config`` for what revision scripts read from ``context.config``.

    Options come from the ``alembic.ini`` the run was configured from (read when first
    asked, ``%(here)s`` interpolated as Alembic does); for a ``mig.toml`` project,
    ``script_location`` and ``sqlalchemy.url`` answer as Alembic names them.
    """

    def __init__(self, settings: ScriptSettings) -> None:
        self._settings = settings
        self._parser: configparser.ConfigParser | None = None
        self.config_ini_section = settings.ini_section
        self.cmd_opts = SimpleNamespace(
            x=list(settings.x_arguments),
            sql=bool(settings.offline),
            tag=None,
            name=settings.ini_section,
        )
        self.attributes: dict[str, Any] = {}

    @property
    def config_file_name(self) -> str | None:
        file = self._settings.config_file
        return str(file) if file is not None else None

    def _ini(self) -> configparser.ConfigParser:
        if self._parser is None:
            file = self._settings.config_file
            self._parser = parser = configparser.ConfigParser(
                defaults={"here": str(file.parent) if file is not None else ""}
            )
            if file is not None and file.suffix == ".ini":
                parser.read(file, encoding="utf-8")
            else:
                parser.read_dict({self.config_ini_section: dict(self._settings.main_options)})
        return self._parser

    def get_section_option(self, section: str, name: str, default: str | None = None) -> str | None:
        parser = self._ini()
        if not parser.has_section(section):
            return default
        return parser.get(section, name) if parser.has_option(section, name) else default

    def get_main_option(self, name: str, default: str | None = None) -> str | None:
        return self.get_section_option(self.config_ini_section, name, default)

    def get_section(
        self, name: str, default: dict[str, str] | None = None
    ) -> dict[str, str] | None:
        parser = self._ini()
        return dict(parser.items(name)) if parser.has_section(name) else default

    def set_main_option(self, name: str, value: str) -> None:
        self.set_section_option(self.config_ini_section, name, value)

    def set_section_option(self, section: str, name: str, value: str) -> None:
        parser = self._ini()
        if not parser.has_section(section):
            parser.add_section(section)
        parser.set(section, name, value)
