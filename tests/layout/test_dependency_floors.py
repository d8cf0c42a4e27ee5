"""The floors pyproject.toml promises are the versions CI proves.

`.ci/run` installs `.ci/constraints-min.txt` exactly and runs the suite: if a floor in
pyproject.toml moved without the pin (or the other way round), CI would prove a version we do not
promise.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
PROVEN = ("SQLAlchemy", "sqlglot", "click")
_FLOOR = r"([A-Za-z0-9_.-]+)>=([0-9][0-9.]*)(;.*)?"


def _floors() -> dict[str, str]:
    """``name -> version`` of every ``name>=version`` runtime dependency in pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    floors = {}
    for requirement in project["dependencies"]:
        match = re.fullmatch(_FLOOR, requirement.replace(" ", ""))
        if match:
            floors[match.group(1)] = match.group(2)
    return floors


def _pins() -> dict[str, str]:
    """``name -> version`` of every ``name==version`` line of the CI constraints file."""
    pins = {}
    for line in (ROOT / ".ci" / "constraints-min.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[name.strip()] = version.strip()
    return pins


def _release(version: str) -> tuple[int, ...]:
    parts = [int(part) for part in version.split(".")]
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def test_ci_pins_exactly_the_promised_floors() -> None:
    floors, pins = _floors(), _pins()
    assert sorted(pins) == sorted(PROVEN)
    for name in PROVEN:
        assert name in floors, f"pyproject.toml has no `{name}>=...` floor"
        assert _release(floors[name]) == _release(pins[name]), (
            f"{name}: pyproject.toml promises >={floors[name]} but CI tests =={pins[name]}"
        )
