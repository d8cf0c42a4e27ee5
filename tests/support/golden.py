"""Golden scripts: ``golden/<scenario>/<dialect>.sql``, produced by the same CLI users run.

Each ``golden/<scenario>/`` folder is a complete mig project (``mig.toml`` and
``migrations/versions/``) plus ``scenario.toml`` naming the command whose ``--sql`` output
is kept. Regenerate every file after a deliberate change with::

    .venv/bin/python tests/support/golden.py

and review the diff (``git diff golden/``) before committing.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from offline_sql.dialect_api.registry import NAMES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

GOLDEN_DIR = Path(__file__).resolve().parents[2] / "golden"
DIALECTS = NAMES
"""Every registered dialect: a new database gets a golden file in every scenario."""


@dataclass(frozen=True)
class Scenario:
    name: str
    path: Path
    command: tuple[str, ...]
    description: str

    @property
    def config(self) -> Path:
        return self.path / "mig.toml"

    def golden(self, dialect: str) -> Path:
        return self.path / f"{dialect}.sql"

    def expected_error(self, dialect: str) -> Path:
        """Where a database cannot do what the scenario asks, the one-line error users get."""
        return self.path / f"{dialect}.error"

    def expected_text(self, dialect: str) -> str:
        """The kept file's exact text (bytes decoded; no newline translation)."""
        return self.expected(dialect).read_bytes().decode("utf-8")

    def expected(self, dialect: str) -> Path:
        error = self.expected_error(dialect)
        return error if error.exists() else self.golden(dialect)


def scenarios() -> list[Scenario]:
    found = []
    for path in sorted(p for p in GOLDEN_DIR.iterdir() if (p / "scenario.toml").is_file()):
        data = tomllib.loads((path / "scenario.toml").read_text(encoding="utf-8"))
        found.append(
            Scenario(path.name, path, tuple(data["command"]), str(data.get("description", "")))
        )
    return found


def cli_args(scenario: Scenario, dialect: str, *extra: str) -> list[str]:
    """The exact ``mig`` arguments that produce the scenario's golden file, run from the
    scenario's folder (so messages name paths relative to it, the same in every checkout)."""
    return ["--dialect", dialect, *scenario.command, "--sql", *extra]


@dataclass(frozen=True)
class Outcome:
    """What ``mig`` did: the script on stdout, or exit 1 with one error line on stderr."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def kept(self) -> tuple[str, str]:
        """(file suffix, text) as kept in ``golden/``."""
        if self.exit_code == 0:
            return "sql", self.stdout
        return "error", self.stderr


def run(scenario: Scenario, dialect: str) -> Outcome:
    """Run ``mig`` in-process (click's CliRunner), exactly as the CLI runs for users."""
    from click.testing import CliRunner

    from offline_sql.cli import cli

    here = Path.cwd()
    os.chdir(scenario.path)
    try:
        result = CliRunner().invoke(cli, cli_args(scenario, dialect), catch_exceptions=False)
    finally:
        os.chdir(here)
    if result.exit_code not in (0, 1):
        raise RuntimeError(f"{scenario.name}/{dialect}: mig exited {result.exit_code}")
    # stdout_bytes: click's Result.stdout turns CR LF into LF, which would hide a CR that a
    # literal carries.
    return Outcome(result.exit_code, result.stdout_bytes.decode("utf-8"), result.stderr)


def generate(scenario: Scenario, dialect: str) -> str:
    """The script, failing loudly when mig refused."""
    outcome = run(scenario, dialect)
    if outcome.exit_code != 0:
        raise RuntimeError(f"{scenario.name}/{dialect}: {outcome.stderr}")
    return outcome.stdout


def main() -> int:
    changed = 0
    for scenario in scenarios():
        for dialect in DIALECTS:
            suffix, text = run(scenario, dialect).kept
            target = scenario.path / f"{dialect}.{suffix}"
            for stale in (scenario.golden(dialect), scenario.expected_error(dialect)):
                if stale != target and stale.exists():
                    stale.unlink()
                    print(f"removed {stale.relative_to(GOLDEN_DIR.parent)}")
            old = target.read_bytes().decode("utf-8") if target.exists() else None
            if old != text:
                target.write_bytes(text.encode("utf-8"))
                changed += 1
                print(f"updated {target.relative_to(GOLDEN_DIR.parent)}")
    print(f"{changed} golden file(s) changed")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(GOLDEN_DIR.parent))
    raise SystemExit(main())
