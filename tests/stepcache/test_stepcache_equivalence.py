"""The step cache is invisible: cold, warm and disabled runs give the same bytes and states.

Issue 7 allows a cache only if it is safe. Here every golden scenario is run three times per
dialect (a cold cache that gets written, the warm cache it left, ``--no-cache``) and each
output must be the golden file byte for byte, with the same warnings; the schema state the
cache folds from stored deltas must equal the state the scripts build when run, at every
revision and after every step of a downgrade; and the cache must not depend on the folder
or on Python's hash seed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from stepcache_helpers import (
    cache_dump,
    copy_scenario,
    count_imports,
    describe_state,
    mig,
    ok,
    scratch_folder,
    steps_file,
)

from golden import DIALECTS, Scenario, scenarios

SCENARIOS = scenarios()
SCRIPT_CASES = [
    pytest.param(s, d, id=f"{s.name}-{d}")
    for s in SCENARIOS
    for d in DIALECTS
    if not s.expected_error(d).exists()
]
STATE_CASES = [pytest.param(s, d, id=f"{s.name}-{d}") for s in SCENARIOS for d in DIALECTS]
MIG = shutil.which("mig", path=str(Path(sys.executable).parent))


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Path]:
    yield from scratch_folder(tmp_path)


def golden_args(scenario: Scenario, dialect: str) -> list[str]:
    return ["--dialect", dialect, *scenario.command, "--sql"]


def test_every_scenario_that_succeeds_somewhere_is_covered() -> None:
    covered = {case.values[0].name for case in SCRIPT_CASES}  # type: ignore[union-attr]
    assert covered == {s.name for s in SCENARIOS}


@pytest.mark.parametrize(("scenario", "dialect"), SCRIPT_CASES)
def test_cold_warm_and_uncached_runs_print_the_golden_file(
    scenario: Scenario, dialect: str, scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = copy_scenario(scenario, scratch)
    expected = scenario.expected_text(dialect)
    imports = count_imports(monkeypatch)
    args = golden_args(scenario, dialect)

    cold = mig(project, *args)
    ran_cold = imports.take()
    warm = mig(project, *args)
    ran_warm = imports.take()
    uncached = mig(project, *args, no_cache=True)
    ran_uncached = imports.take()

    for outcome in (cold, warm, uncached):
        assert ok(outcome) == expected
    assert cold.stderr == warm.stderr == uncached.stderr
    assert ran_warm == [], "a warm cache must run no script"
    assert ran_cold == ran_uncached
    if ran_cold:
        assert steps_file(project).is_file()


@pytest.mark.parametrize("dialect", DIALECTS)
def test_two_cold_runs_in_different_folders_print_the_same(dialect: str, scratch: Path) -> None:
    scenario = next(s for s in SCENARIOS if s.name == "branches_merge")
    first = copy_scenario(scenario, scratch / "one")
    second = copy_scenario(scenario, scratch / "two" / "deeper")
    args = golden_args(scenario, dialect)
    assert ok(mig(first, *args)) == ok(mig(second, *args)) == scenario.expected_text(dialect)
    # Each warm cache belongs to its own folder and still prints the same.
    assert ok(mig(second, *args)) == ok(mig(first, *args)) == scenario.expected_text(dialect)


def test_a_cache_written_under_one_hash_seed_is_read_under_another(scratch: Path) -> None:
    """Real processes with different PYTHONHASHSEEDs: the keys do not depend on set or dict
    order (the warm runs find every entry: no row is added or changed), nor does the
    output."""
    assert MIG is not None
    scenario = next(s for s in SCENARIOS if s.name == "enums")
    project = copy_scenario(scenario, scratch)
    args = golden_args(scenario, "postgresql")

    def run(seed: str) -> str:
        env = {**os.environ, "PYTHONHASHSEED": seed}
        env.pop("MIG_URL", None)
        env.pop("MIG_DIALECT", None)
        done = subprocess.run(
            [MIG, *args], cwd=project, env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""
        return done.stdout

    assert run("1") == scenario.expected_text("postgresql")
    assert run("1") == scenario.expected_text("postgresql")  # whatever a second run adds
    written = cache_dump(steps_file(project))
    assert written
    assert run("2") == scenario.expected_text("postgresql")
    assert run("12345") == scenario.expected_text("postgresql")
    assert cache_dump(steps_file(project)) == written, "a warm run must hit every entry"


# ---- the folded state equals the replayed state ------------------------------------------


@contextmanager
def quiet() -> Iterator[None]:
    """Rendering warnings (hints, Oracle's '') are not what these tests look at; pytest
    turns warnings into errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def load_project(config_file: Path, dialect: str, *, cache: bool) -> Any:
    from offline_sql.config import load_config
    from offline_sql.project import Project
    from offline_sql.records import replace

    config = load_config(config_file, dialect=dialect)
    if not cache:
        config = replace(config, cache_dir=None)
    return Project.load(config)


Heads = tuple[str, ...]


def states_along(project: Any, command: str, start: Heads, end: Heads) -> list[tuple[Any, ...]]:
    """The state before the plan and after each of its steps, walking the plan the way
    an offline run does (ancestors replayed, then each step rendered), through the
    project's cache, which is written at the end."""
    from offline_sql.generate import plan_steps, render_steps
    from offline_sql.project import replay_chain, step_cache

    steps = plan_steps(project, command, start, end)
    cache = step_cache(project, enabled=project.config.cache_dir is not None)
    chain = replay_chain(project, start, cache)
    found = [describe_state(chain.state())]
    for step in steps:
        render_steps(project, [step], chain, guard=True)
        found.append(describe_state(chain.state()))
    cache.flush()
    return found


def plans(project: Any) -> list[tuple[str, Heads, Heads]]:
    """Upgrade everything, then downgrade everything (renames, drops and enums undone)."""
    from offline_sql.generate import plan_steps, resolve_range

    _, top = resolve_range(project, "upgrade", "base:heads")
    steps = plan_steps(project, "upgrade", (), top)
    # What the version table holds at the end (a revision another depends on is no head).
    reached = tuple(steps[-1].heads_after)
    return [("upgrade", (), top), ("downgrade", reached, ())]


@pytest.mark.parametrize(("scenario", "dialect"), STATE_CASES)
def test_folded_state_equals_replayed_state_at_every_revision(
    scenario: Scenario, dialect: str, scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from offline_sql.project import replay_state

    config_file = copy_scenario(scenario, scratch) / "mig.toml"
    cached = load_project(config_file, dialect, cache=True)
    uncached = load_project(config_file, dialect, cache=False)
    revisions = sorted(cached.graph.revisions)
    targets = [(), tuple(cached.graph.heads), *((revision,) for revision in revisions)]
    imports = count_imports(monkeypatch)
    with quiet():
        for heads in targets:  # cold: runs the scripts, writes their entries
            replay_state(cached, heads)
        assert set(imports.take()) == set(revisions)
        for heads in targets:  # warm: folds the stored deltas
            warm = describe_state(replay_state(cached, heads))
            assert imports.take() == [], f"the state at {heads} was not folded from the cache"
            assert warm == describe_state(replay_state(uncached, heads)), heads
            imports.take()


@pytest.mark.parametrize(("scenario", "dialect"), STATE_CASES)
def test_folded_state_equals_replayed_state_after_every_step(
    scenario: Scenario, dialect: str, scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Also after downgrade steps, whose deltas delete and restore tables and enums."""
    from offline_sql.errors import RenderError

    config_file = copy_scenario(scenario, scratch) / "mig.toml"
    cached = load_project(config_file, dialect, cache=True)
    uncached = load_project(config_file, dialect, cache=False)
    imports = count_imports(monkeypatch)
    walked = 0
    for command, start, end in plans(cached):
        with quiet():
            try:
                expected = states_along(uncached, command, start, end)
            except RenderError:
                # Where the dialect refuses the scenario (golden/*/<dialect>.error) nothing
                # renders, with or without a cache.
                assert scenario.expected_error(dialect).exists()
                continue
            imports.take()
            assert states_along(cached, command, start, end) == expected  # cold: writes
            imports.take()
            assert states_along(cached, command, start, end) == expected  # warm: folds
            assert imports.take() == [], f"{command} {start}:{end} ran a script, warm"
            walked += len(expected)
    assert walked or scenario.expected_error(dialect).exists()


def test_the_state_description_covers_every_attribute_of_the_state() -> None:
    """The comparisons above see all of a state: an attribute added to SchemaState without
    teaching the delta (and describe_state) about it fails here."""
    from offline_sql.state import SchemaState

    assert set(vars(SchemaState())) == {
        "tables",
        "enums",
        "sequences",
        "sqlglot_dialect",
        "unparsed",
        "foreign_key_namer",
        "dropped_later",
    }
