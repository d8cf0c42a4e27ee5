"""Offline scripts applied with the database's own client build what online mode builds.

For every golden scenario and each of PostgreSQL, MariaDB and SQLite: the scenario's
``--sql`` script goes through ``psql``/``mariadb``/``sqlite3`` into one fresh database, the
same migrations run online into another, and the two are compared (schema snapshot, version
rows, every table's rows, partial-index predicates, enum labels). Both are then held to the
scenario's written intent (``tests/support/scenario_intent.py``), since offline and online share
the renderer and could agree on a mistake.

Each (scenario, database) pair of databases is built once and shared by the tests that
look at it; the databases are dropped as soon as they are observed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from databases import DIALECTS, DatabasePool, DialectName, ScratchDatabase, ScriptFailed
from offline_online import MARKS, STOPS, Stop, cli_script, online_config, write_project
from scenario_intent import (
    INTENTS,
    Observed,
    ScenarioIntent,
    check,
    differences,
    observe,
    script_rows,
)

from golden import Scenario, scenarios
from offline_sql import migrate
from offline_sql.config import Config, load_config
from offline_sql.errors import DatabaseError

RUNNABLE = ("upgrade", "downgrade", "stamp")


def _cases() -> list[Any]:
    out = []
    for scenario in scenarios():
        if scenario.command[0] not in RUNNABLE:
            continue
        for dialect in DIALECTS:
            if scenario.expected_error(dialect).exists():
                continue
            marks = MARKS.get(dialect, ())
            case_id = f"{scenario.name}-{dialect}"
            out.append(pytest.param(scenario, dialect, id=case_id, marks=marks))
    return out


CASES = _cases()


# ---- running a scenario both ways ---------------------------------------------------------


def split(command: tuple[str, ...]) -> tuple[str, str | None, str]:
    """(verb, range start or None for base, target) of a scenario command."""
    verb, target = command[0], command[1]
    start, _, end = target.rpartition(":")
    return verb, (start if start and start != "base" else None), end


def run_offline(scenario: Scenario, database: ScratchDatabase) -> None:
    _, start, _ = split(scenario.command)
    dialect = database.dialect
    if start is not None:
        database.apply_script(cli_script(scenario.config, dialect, "upgrade", f"base:{start}"))
    database.apply_script(cli_script(scenario.config, dialect, *scenario.command))


def run_online(scenario: Scenario, database: ScratchDatabase) -> None:
    verb, start, target = split(scenario.command)
    config = online_config(scenario.config, database)
    if start is not None:
        migrate.upgrade(config, start)
    commands: dict[str, Callable[[Config, str], str | None]] = {
        "upgrade": migrate.upgrade,
        "downgrade": migrate.downgrade,
        "stamp": migrate.stamp,
    }
    commands[verb](config, target)


@dataclass
class Pair:
    offline: Observed
    online: Observed
    offline_error: str | None = None
    online_error: str | None = None


def _attempt(action: Callable[[], None], stop: Stop | None) -> str | None:
    """Run ``action``; with an expected stop, return its error message instead of raising."""
    if stop is None:
        action()
        return None
    with pytest.raises((ScriptFailed, DatabaseError)) as info:
        action()
    return str(info.value)


def build_pair(scenario: Scenario, dialect: DialectName, pool: DatabasePool) -> Pair:
    stop = STOPS.get((scenario.name, dialect))
    offline, online = pool.take(dialect, 2)
    offline_error = _attempt(lambda: run_offline(scenario, offline), stop)
    online_error = _attempt(lambda: run_online(scenario, online), stop)
    config = load_config(scenario.config, dialect=dialect)
    return Pair(
        observe(offline.engine(), config),
        observe(online.engine(), config),
        offline_error,
        online_error,
    )


class PairCache:
    """Each (scenario, database) built once per module, failures included."""

    def __init__(self, pool: DatabasePool) -> None:
        self.pool = pool
        self.results: dict[tuple[str, str], Pair | BaseException] = {}

    def get(self, scenario: Scenario, dialect: DialectName) -> Pair:
        key = (scenario.name, dialect)
        if key not in self.results:
            try:
                self.results[key] = build_pair(scenario, dialect, self.pool)
            except BaseException as error:  # skips and failures alike, re-raised each time
                self.results[key] = error
        result = self.results[key]
        if isinstance(result, BaseException):
            raise result
        return result


@pytest.fixture(scope="module")
def pairs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PairCache]:
    pool = DatabasePool(tmp_path_factory.mktemp("offline_online"))
    try:
        yield PairCache(pool)
    finally:
        pool.close()


# ---- tests --------------------------------------------------------------------------------


@pytest.mark.parametrize(("scenario", "dialect"), CASES)
def test_offline_script_builds_what_online_builds(
    pairs: PairCache, scenario: Scenario, dialect: DialectName
) -> None:
    pair = pairs.get(scenario, dialect)
    assert differences(pair.offline, pair.online, ("offline", "online")) == []


@pytest.mark.parametrize("side", ["offline", "online"])
@pytest.mark.parametrize(("scenario", "dialect"), CASES)
def test_database_holds_what_the_migrations_ask_for(
    pairs: PairCache, scenario: Scenario, dialect: DialectName, side: str
) -> None:
    pair = pairs.get(scenario, dialect)
    observed: Observed = getattr(pair, side)
    stop = STOPS.get((scenario.name, dialect))
    if stop is not None:
        error = getattr(pair, f"{side}_error")
        assert error is not None and stop.error in error, error
        assert observed.snapshot["versions"] == stop.versions
        return
    intent = INTENTS[scenario.name]
    config = load_config(scenario.config, dialect=dialect)
    script = {
        name: script_rows(config, name, dialect)
        for name, table in intent.get("tables", {}).items()
        if "rows" in table
    }
    assert check(intent, observed, dialect, script, config.version_table) == []


def test_every_scenario_has_an_intent() -> None:
    assert sorted(INTENTS) == sorted(s.name for s in scenarios())


def test_case_count() -> None:
    """Every runnable scenario on every database: a scenario dropped by mistake shows here."""
    runnable = [s for s in scenarios() if s.command[0] in RUNNABLE]
    refused = sum(1 for s in runnable for d in DIALECTS if s.expected_error(d).exists())
    assert len(CASES) == len(runnable) * len(DIALECTS) - refused
    assert len(CASES) >= 45


SCENARIOS = {s.name: s for s in scenarios()}


@pytest.mark.parametrize(
    ("path", "wrong"),
    [
        (("tables", "products", "columns", "sku", "type"), "VARCHAR(20)"),
        (("tables", "products", "columns", "sku", "default"), "None"),
        (("tables", "products", "columns", "weight", "nullable"), True),
        (("tables", "products", "column_order"), ["id", "sku", "title"]),
        (("tables", "products", "indexes", "ix_products_title", "columns"), ["title"]),
        (("tables", "products", "rows"), [{"id": 1}]),
        (("versions",), ["c10000000001"]),
        (("tables", "other"), {}),
    ],
)
def test_the_checker_notices_a_missed_intent(
    pairs: PairCache, path: tuple[str, ...], wrong: Any
) -> None:
    """The intent checks are not vacuous: one wrong expectation, one problem."""
    intent: Any = copy.deepcopy(INTENTS["alter_column"])
    target = intent
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = wrong
    observed = pairs.get(SCENARIOS["alter_column"], "sqlite").online
    assert len(check(intent, observed, "sqlite")) == 1


# ---- beyond the golden scenarios: regressions found by these comparisons ------------------

ENUM_TABLE = (
    '    op.create_table("{table}", sa.Column("id", sa.Integer, primary_key=True),'
    ' sa.Column("mood", sa.Enum("calm", "busy", name="mood"), nullable=False))'
)

EXTRA: dict[str, tuple[list[tuple[str, str]], ScenarioIntent]] = {
    # The enum type outlives its table (as with Alembic); a later table using it finds it.
    "enum_recreated": (
        [
            ("x10000000001", ENUM_TABLE.format(table="first_moods")),
            ("x10000000002", '    op.drop_table("first_moods")'),
            ("x10000000003", ENUM_TABLE.format(table="second_moods")),
        ],
        {
            "versions": ["x10000000003"],
            "tables": {"second_moods": {"columns": {"mood": {"enum": ["calm", "busy"]}}}},
            "enums": {"mood": ["calm", "busy"]},
        },
    ),
}


@pytest.fixture(scope="module")
def extra(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Scenario]:
    root = tmp_path_factory.mktemp("extra")
    out = {}
    for name, (steps, _) in EXTRA.items():
        config = write_project(root / name, steps)
        out[name] = Scenario(name, config.parent, ("upgrade", "base:head"), "")
    return out


EXTRA_CASES = [
    pytest.param(name, dialect, id=f"{name}-{dialect}", marks=MARKS.get(dialect, ()))
    for name in EXTRA
    for dialect in DIALECTS
]


@pytest.mark.parametrize(("name", "dialect"), EXTRA_CASES)
def test_extra_project_offline_equals_online_and_intent(
    pairs: PairCache, extra: dict[str, Scenario], name: str, dialect: DialectName
) -> None:
    pair = pairs.get(extra[name], dialect)
    assert differences(pair.offline, pair.online, ("offline", "online")) == []
    intent = EXTRA[name][1]
    assert check(intent, pair.offline, dialect) == []
    assert check(intent, pair.online, dialect) == []
