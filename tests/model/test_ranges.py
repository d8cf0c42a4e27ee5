"""Offline ranges compose: scripts for consecutive ranges build what one script builds.

A DBA applies ``base:r1``, later ``r1:r2``, later ``r2:head``; the database must end up
as if ``base:head`` had been applied at once. Downgrades are held to the same standard:
stepping ``r(k+1):r(k)`` down from head must give what ``base:r(k)`` gives (an exact
reverse: types, NOT NULL, defaults, constraints, enums and rows come back), and
``head:base`` leaves nothing but an empty version table. Every script goes through the
database's own client.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from databases import DIALECTS, DatabasePool, DialectName, ScratchDatabase
from offline_online import MARKS, STOPS, cli_script
from scenario_intent import Observed, differences, observe

from golden import Scenario, scenarios
from offline_sql.config import load_config
from offline_sql.project import Project


def revisions(scenario: Scenario) -> list[str]:
    """The scenario's revisions, base first, when its history is one straight line."""
    config = load_config(scenario.config, dialect="sqlite")
    graph = Project.load(config).graph
    order = graph.topological()
    linear = len(graph.heads) == 1 and all(
        len(graph.parents(rev)) + len(graph.dependencies(rev)) <= 1 for rev in order
    )
    return order if linear else []


def _cases() -> list[Any]:
    out = []
    for scenario in scenarios():
        chain = revisions(scenario)
        if len(chain) < 2:
            continue
        for dialect in DIALECTS:
            if (scenario.name, dialect) in STOPS or scenario.expected_error(dialect).exists():
                continue
            case_id = f"{scenario.name}-{dialect}"
            out.append(pytest.param(scenario, dialect, id=case_id, marks=MARKS.get(dialect, ())))
    return out


CASES = _cases()

NOT_WALKED = {
    "branches_merge": "two branches and a merge: no single line of ranges",
    "depends_on": "a dependency between branches: no single line of ranges",
    "hostile_literals": "one revision: nothing to split",
    "identity_inserts": "one revision: nothing to split",
    "long_text": "one revision: nothing to split",
    "time_of_day": "one revision: nothing to split",
}
"""Golden scenarios without consecutive ranges to compare, and why."""

DOWNGRADE_LEFTOVERS: dict[tuple[str, str], str] = {
    ("constraints", "mariadb"): "InnoDB keeps the index it created for a foreign key after "
    "the key is dropped (docs/known-differences.md, D2)",
}
"""Cases whose downgrade cannot give back exactly what was there, for database reasons."""


def _with_leftovers(case: Any) -> Any:
    """``case`` marked xfail(strict) when its database leaves something behind."""
    scenario, dialect = case.values
    reason = DOWNGRADE_LEFTOVERS.get((scenario.name, dialect))
    if reason is None:
        return case
    xfail = pytest.mark.xfail(strict=True, reason=reason)
    return pytest.param(scenario, dialect, id=case.id, marks=[*case.marks, xfail])


RETRACE_CASES = [_with_leftovers(case) for case in CASES]


@dataclass
class Walk:
    """One database walked up range by range and another walked down, observed at every
    revision ("base" included): built once per case, looked at by each test below."""

    up: dict[str, Observed]
    """After the scripts base:r1, r1:r2 ... up to each revision."""
    whole: Observed
    """After one base:head script."""
    down: dict[str, Observed]
    """The whole database after stepping down r(k+1):r(k) to each revision, and to base."""
    base_in_one: Observed
    """The stepped-up database after one head:base script."""


def walk(pool: DatabasePool, scenario: Scenario, dialect: DialectName) -> Walk:
    chain = revisions(scenario)
    stepped, whole = pool.take(dialect, 2)
    up: dict[str, Observed] = {}
    for start, end in itertools.pairwise(["base", *chain]):
        apply(stepped, scenario, "upgrade", f"{start}:{end}")
        up[end] = look(stepped, scenario)
    apply(whole, scenario, "upgrade", "base:head")
    at_head = look(whole, scenario)
    down: dict[str, Observed] = {}
    for lower, upper in reversed(list(itertools.pairwise(["base", *chain]))):
        apply(whole, scenario, "downgrade", f"{upper}:{lower}")
        down[lower] = look(whole, scenario)
    apply(stepped, scenario, "downgrade", "head:base")
    return Walk(up, at_head, down, look(stepped, scenario))


class WalkCache:
    def __init__(self, pool: DatabasePool) -> None:
        self.pool = pool
        self.results: dict[tuple[str, str], Walk | BaseException] = {}

    def get(self, scenario: Scenario, dialect: DialectName) -> Walk:
        key = (scenario.name, dialect)
        if key not in self.results:
            try:
                self.results[key] = walk(self.pool, scenario, dialect)
            except BaseException as error:  # skips and failures alike, re-raised each time
                self.results[key] = error
        result = self.results[key]
        if isinstance(result, BaseException):
            raise result
        return result


@pytest.fixture(scope="module")
def walks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WalkCache]:
    pool = DatabasePool(tmp_path_factory.mktemp("ranges"))
    try:
        yield WalkCache(pool)
    finally:
        pool.close()


def apply(database: ScratchDatabase, scenario: Scenario, command: str, span: str) -> None:
    database.apply_script(cli_script(scenario.config, database.dialect, command, span))


def look(database: ScratchDatabase, scenario: Scenario) -> Observed:
    return observe(database.engine(), load_config(scenario.config, dialect=database.dialect))


def retraced(observed: Observed, kept: dict[str, set[str]]) -> Observed:
    """What a downgrade can give back: column order aside (a re-added column comes last),
    and rows only in the columns that survived the revision above (``kept``: table ->
    columns); a dropped column's data is gone by design."""
    snap = copy.deepcopy(observed.snapshot)
    for table in snap["tables"].values():
        table["column_order"] = sorted(table["column_order"])
    rows = {
        name: [{k: v for k, v in row.items() if k in kept.get(name, set())} for row in table]
        for name, table in observed.rows.items()
    }
    return dataclasses.replace(observed, snapshot=snap, rows=rows)


def assert_empty(observed: Observed) -> None:
    """Nothing but the version table, and no row in it; no sequence or enum type left."""
    snap = observed.snapshot
    assert list(snap["tables"]) == ["mig_version"]
    assert snap["versions"] == []
    assert snap["enums"] == {}
    assert snap["sequences"] == []


def test_every_other_scenario_is_walked() -> None:
    """An empty parametrization is only a skip: a scenario lost by ``revisions()`` or the
    case filters would silently leave these tests."""
    walked = {case.values[0].name for case in CASES}
    assert walked == {s.name for s in scenarios()} - set(NOT_WALKED)


@pytest.mark.parametrize(("scenario", "dialect"), CASES)
def test_consecutive_ranges_equal_one_script(
    walks: WalkCache, scenario: Scenario, dialect: DialectName
) -> None:
    result = walks.get(scenario, dialect)
    head = revisions(scenario)[-1]
    assert differences(result.up[head], result.whole, ("stepped", "whole")) == []


@pytest.mark.parametrize(("scenario", "dialect"), RETRACE_CASES)
def test_stepping_down_retraces_the_way_up(
    walks: WalkCache, scenario: Scenario, dialect: DialectName
) -> None:
    """After downgrading to r(k), the database equals the one upgraded to r(k)."""
    result = walks.get(scenario, dialect)
    chain = revisions(scenario)
    problems: list[str] = []
    for lower, upper in itertools.pairwise(chain):
        above = result.up[upper].snapshot["tables"]
        kept = {name: set(table["column_order"]) for name, table in above.items()}
        down = retraced(result.down[lower], kept)
        labels = (f"down to {lower}", f"up to {lower}")
        problems += differences(down, retraced(result.up[lower], kept), labels)
    assert problems == []


@pytest.mark.parametrize(("scenario", "dialect"), CASES)
def test_downgrade_to_base_leaves_an_empty_version_table(
    walks: WalkCache, scenario: Scenario, dialect: DialectName
) -> None:
    result = walks.get(scenario, dialect)
    assert_empty(result.down["base"])
    assert_empty(result.base_in_one)
