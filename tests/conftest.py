"""Shared fixtures: keep small; builders live in tests/support/helpers.py."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from databases import any_database, mariadb_database, postgresql_database, sqlite_database  # noqa: F401


@pytest.fixture(autouse=True)
def _no_mig_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's MIG_URL / MIG_DIALECT."""
    monkeypatch.delenv("MIG_URL", raising=False)
    monkeypatch.delenv("MIG_DIALECT", raising=False)


@pytest.fixture
def runner() -> CliRunner:
    """In-process CLI runner; stdout and stderr are kept apart (result.stdout/.stderr)."""
    return CliRunner()
