"""Reading an Alembic project's ``alembic.ini`` (and, without running it, its ``env.py``).

An Alembic team points mig at the ``alembic.ini`` it already has: mig takes the settings
that mean the same thing to mig and says, in one warning line, which ones it ignored.
``env.py`` is never run (it connects, configures logging, reads the environment): its
``context.configure(...)`` call is read with ``ast`` for the literal values of
``target_metadata``, ``version_table``, ``version_table_schema``,
``transaction_per_migration``, ``include_schemas`` and ``compare_type``. The result is a
table of mig's own keys (as ``mig.toml`` spells them), so it is checked and used exactly as
a ``mig.toml`` would be.

Paths are resolved against the folder of ``alembic.ini`` (``%(here)s``), where Alembic
resolves them against the working directory: the same when Alembic is run from there.
"""

from __future__ import annotations

import ast
import configparser
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offline_sql.errors import ConfigError

ALEMBIC_INI = "alembic.ini"
ALEMBIC_VERSION_TABLE = "alembic_version"
DEFAULT_SECTION = "alembic"

_USED = frozenset(
    {
        "script_location",
        "sqlalchemy.url",
        "version_locations",
        "prepend_sys_path",
        "file_template",
        "timezone",
        "path_separator",
        "version_path_separator",
        "here",
    }
)
"""``[alembic]`` keys mig uses (``here`` is the interpolation default, not a setting;
``timezone`` dates revisions written from ``script.py.mako``)."""

_PLACEHOLDER_URL = "driver://"
"""The start of the URL ``alembic init`` writes until someone sets a real one."""


class IniWarning(UserWarning):
    """Settings of ``alembic.ini`` / ``env.py`` mig does not use."""


@dataclass
class IniSettings:
    """mig's keys read from ``alembic.ini`` and ``env.py``, and what was left out."""

    settings: dict[str, Any] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)


def _parser(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(defaults={"here": str(path.parent)})
    try:
        with path.open(encoding="utf-8") as handle:
            parser.read_file(handle)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except configparser.Error as exc:
        raise ConfigError(f"{path}: invalid ini file: {_one_line(str(exc))}") from None
    return parser


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _split_paths(value: str, options: dict[str, str]) -> list[str]:
    """A path list as Alembic splits it (``path_separator`` / ``version_path_separator``;
    without either, spaces and commas as Alembic's legacy behaviour)."""
    separator = options.get("path_separator") or options.get("version_path_separator")
    if separator is None:
        parts = re.split(r"[,\s]+", value)
    else:
        sep = {"os": os.pathsep, "space": " ", "newline": "\n", "colon": ":", "semicolon": ";"}
        parts = value.split(sep.get(separator, separator))
    return [part.strip() for part in parts if part.strip()]


def read_ini(path: Path, section: str = DEFAULT_SECTION) -> IniSettings:
    """The mig settings of ``path``'s ``[section]`` (``-n/--name`` in Alembic)."""
    parser = _parser(path)
    if not parser.has_section(section):
        sections = ", ".join(parser.sections()) or "none"
        raise ConfigError(f"{path}: no [{section}] section (sections: {sections})")
    try:
        options = {key: parser.get(section, key) for key in parser.options(section)}
    except configparser.Error as exc:
        raise ConfigError(f"{path} [{section}]: {_one_line(str(exc))}") from None
    found = IniSettings()
    where = f"{path} [{section}]"
    location = options.get("script_location")
    if not location:
        raise ConfigError(f"{where}: no script_location: set it to the migrations folder")
    if ":" in location and not os.path.isabs(location) and not re.match(r"^[A-Za-z]:", location):
        raise ConfigError(
            f"{where}: script_location {location!r} names a package resource; mig needs a "
            "folder path (e.g. %(here)s/migrations)"
        )
    found.settings["script_location"] = location
    found.settings["version_table"] = ALEMBIC_VERSION_TABLE
    url = options.get("sqlalchemy.url", "").strip()
    if url.startswith(_PLACEHOLDER_URL):
        found.ignored.append("sqlalchemy.url (the placeholder alembic init writes)")
    elif url:
        found.settings["url"] = url
    for key in ("version_locations", "prepend_sys_path"):
        if options.get(key, "").strip():
            found.settings[key] = _split_paths(options[key], options)
    if options.get("file_template", "").strip():
        found.settings["file_template"] = options["file_template"].strip()
    defaults = set(parser.defaults())
    for key in options:
        if key not in _USED and key not in defaults:
            found.ignored.append(key)
    for other in parser.sections():
        if other.startswith("post_write_hooks") and parser.options(other) != list(defaults):
            found.ignored.append(f"[{other}] (mig writes revision files as its template says)")
    _read_env_py(path.parent / location, found)
    return found


# ---- env.py -----------------------------------------------------------------------------

_ENV_KEYS = (
    "version_table",
    "version_table_schema",
    "transaction_per_migration",
    "include_schemas",
    "compare_type",
)


def _read_env_py(script_location: Path, found: IniSettings) -> None:
    env = script_location / "env.py"
    try:
        tree = ast.parse(env.read_bytes(), str(env))
    except (OSError, SyntaxError, ValueError):
        return  # no env.py, or one mig cannot read: nothing to take from it
    imports = _imported_names(tree)
    assigned = _module_assignments(tree)
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and _is_configure(call.func)):
            continue
        for keyword in call.keywords:
            name = keyword.arg
            if name == "target_metadata":
                spec = _metadata_spec(keyword.value, imports, assigned)
                if spec:
                    found.settings.setdefault("target_metadata", spec)
                elif not _is_none(keyword.value, assigned):
                    found.ignored.append("env.py target_metadata (not a plain import)")
            elif name in _ENV_KEYS:
                try:
                    value = ast.literal_eval(keyword.value)
                except ValueError:
                    found.ignored.append(f"env.py {name} (not a literal)")
                    continue
                _take_env(name, value, found)


def _take_env(name: str, value: object, found: IniSettings) -> None:
    if name in ("version_table", "version_table_schema"):
        if isinstance(value, str) and value:
            found.settings[name] = value
    elif name == "transaction_per_migration":
        if isinstance(value, bool):
            found.settings[name] = value
    elif name == "compare_type":
        if value is False:  # mig always compares column types, as Alembic does by default
            found.ignored.append("env.py compare_type=False (mig compares types)")
    elif name == "include_schemas" and value:
        found.ignored.append("env.py include_schemas (mig compares the schemas of the models)")


def _is_configure(func: ast.expr) -> bool:
    return isinstance(func, ast.Attribute) and func.attr == "configure"


def _is_none(node: ast.expr, assigned: dict[str, ast.expr]) -> bool:
    if isinstance(node, ast.Name) and node.id in assigned:
        node = assigned[node.id]
    return isinstance(node, ast.Constant) and node.value is None


def _imported_names(tree: ast.Module) -> dict[str, str]:
    """Local name -> ``module:attribute`` (or ``module``) of the module's imports."""
    names: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}:{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    names.setdefault(top, top)
    return names


def _module_assignments(tree: ast.Module) -> dict[str, ast.expr]:
    found: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                found[target.id] = node.value
        elif (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.value is not None
        ):
            found[node.target.id] = node.value
    return found


def _dotted(node: ast.expr) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return parts[::-1]


def _metadata_spec(
    node: ast.expr, imports: dict[str, str], assigned: dict[str, ast.expr]
) -> str | None:
    """``module:attribute`` for ``Base.metadata`` / ``models.metadata`` / an imported name."""
    for _ in range(3):  # target_metadata = Base.metadata; configure(target_metadata=...)
        if isinstance(node, ast.Name) and node.id in assigned and node.id not in imports:
            node = assigned[node.id]
    parts = _dotted(node)
    if not parts or parts[0] not in imports:
        return None
    origin = imports[parts[0]]
    rest = parts[1:]
    if ":" in origin:
        module, attribute = origin.split(":", 1)
        return f"{module}:{'.'.join([attribute, *rest])}"
    # `import app.models` then app.models.Base.metadata: the longest importable prefix is
    # not knowable without importing; take every part but the attributes after a capital.
    split = next((i for i, part in enumerate(rest) if part[:1].isupper()), len(rest) - 1)
    if split <= 0 and not rest:
        return None
    module = ".".join([origin, *rest[:split]])
    attribute = ".".join(rest[split:])
    return f"{module}:{attribute}" if attribute else None


def warn_ignored(path: Path, ignored: list[str]) -> None:
    """One warning line naming every setting mig did not take."""
    if ignored:
        warnings.warn(
            f"{path}: mig ignores {'; '.join(ignored)} (see README 'Coming from Alembic')",
            IniWarning,
            stacklevel=3,
        )
