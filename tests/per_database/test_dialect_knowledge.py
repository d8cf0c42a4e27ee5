"""Database knowledge the core asks the dialects for: drivers, URL spellings, file databases,
SQLAlchemy type packages and the database-specific review rules."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import sqlalchemy as sa

from offline_sql import online
from offline_sql.dialect_api.base import Dialect
from offline_sql.dialect_api.registry import NAMES, dialect_name_from_url, get_dialect, url_backend
from offline_sql.review import ReviewedStep, review
from offline_sql.review.rules import RULES, Rule
from offline_sql.statements import Statement

SPECIFIC: dict[str, Rule] = {
    rule.id: rule for name in NAMES for rule in get_dialect(name).review_rules
}
"""Every database-specific rule, by id, from the registered dialects."""


@pytest.mark.parametrize(
    ("url", "backend"),
    [
        ("postgres://u@h/db", "postgresql"),
        ("POSTGRES+psycopg://u@h/db", "postgresql"),
        ("mariadb+pymysql://u@h/db", "mariadb"),
        ("sqlite:///app.db", "sqlite"),
        ("firebird://u@h/db", "firebird"),
    ],
)
def test_url_backend_resolves_aliases(url: str, backend: str) -> None:
    assert url_backend(url) == backend


def test_dialect_name_from_url_accepts_the_alias() -> None:
    assert dialect_name_from_url("postgres://u@h/db") == "postgresql"


@pytest.mark.parametrize("name", NAMES)
def test_every_dialect_names_its_sqlalchemy_package(name: str) -> None:
    package = get_dialect(name).sqlalchemy_package
    assert package, f"{name} sets no sqlalchemy_package"
    importlib.import_module(f"sqlalchemy.dialects.{package}")


@pytest.mark.parametrize("name", NAMES)
def test_default_driver_has_an_extra(name: str) -> None:
    """A driver mig picks by itself is one a ``mig[...]`` extra installs."""
    dialect = get_dialect(name)
    if dialect.default_driver is not None:
        assert dialect.default_driver in dialect.driver_extras


def test_the_base_dialect_leaves_an_engine_alone() -> None:
    engine = sa.create_engine("sqlite://")
    try:
        Dialect().prepare_engine(engine)
        with engine.connect() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            conn.rollback()
            # pysqlite without the recipe: the DDL ran in autocommit and stays.
            assert sa.inspect(conn).has_table("t")
    finally:
        engine.dispose()


def test_the_sqlite_dialect_makes_ddl_transactional(tmp_path: Path) -> None:
    engine = online.make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    try:
        with engine.connect() as conn:
            conn.begin()
            conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            conn.rollback()
            assert not sa.inspect(conn).has_table("t")
    finally:
        engine.dispose()


@pytest.mark.parametrize("name", NAMES)
def test_review_rules_are_specific_rules(name: str) -> None:
    rules = get_dialect(name).review_rules
    assert all(rule.specific for rule in rules), f"{name}: not marked database-specific"
    assert not {rule.id for rule in rules} & {rule.id for rule in RULES}, "id of a common rule"


def test_a_specific_rule_id_names_one_rule() -> None:
    """Two dialects giving a rule of the same id give the same rule (MySQL's and MariaDB's)."""
    for name in NAMES:
        for rule in get_dialect(name).review_rules:
            assert SPECIFIC[rule.id] is rule


def _index_step() -> ReviewedStep:
    return ReviewedStep(
        revision="r1",
        message="",
        direction="upgrade",
        statements=[Statement("CREATE INDEX ix_users_name ON users (name)")],
        existing_tables=frozenset({"users"}),
    )


@pytest.mark.parametrize(
    ("rules", "fires"),
    [
        (None, True),  # the registered dialect's own review_rules
        (("pg-index-not-concurrently",), True),
        ((), False),
    ],
)
def test_the_caller_chooses_the_specific_rules(rules: tuple[str, ...] | None, fires: bool) -> None:
    given = None if rules is None else [SPECIFIC[rule_id] for rule_id in rules]
    ids = {f.rule for f in review([_index_step()], "postgresql", "postgres", rules=given).findings}
    assert ("pg-index-not-concurrently" in ids) is fires


def test_a_specific_rule_runs_wherever_it_is_enabled() -> None:
    """The rule is data: a dialect other than the usual one may enable it."""
    step = _index_step()
    ids = {f.rule for f in review([step], "sqlite", "sqlite", rules=SPECIFIC.values()).findings}
    assert "pg-index-not-concurrently" in ids


def test_a_rule_id_given_twice_is_a_bug() -> None:
    with pytest.raises(ValueError, match="drop-table"):
        review([], "postgresql", "postgres", rules=[RULES[0]])


def test_rules_print_sql_in_the_given_dialect() -> None:
    step = ReviewedStep(
        revision="r1",
        message="",
        direction="upgrade",
        statements=[Statement("ALTER TABLE users ALTER COLUMN n TYPE BIGINT USING n::bigint")],
        existing_tables=frozenset({"users"}),
    )
    found = review([step], "postgresql", "postgres", rules=[SPECIFIC["pg-type-rewrite"]]).findings
    assert [f.message for f in found if f.rule == "pg-type-rewrite"] == [
        "type change of users.n to BIGINT with USING rewrites the table"
    ]
    assert SPECIFIC["pg-type-rewrite"].specific


@pytest.mark.parametrize("name", NAMES)
def test_review_rules_are_where_the_dialect_says(name: str) -> None:
    """``review_rules_at`` lets a review answered from the cache load the rules without the
    dialect: it must name exactly the dialect's ``review_rules``."""
    dialect = get_dialect(name)
    if not dialect.review_rules_at:
        assert dialect.review_rules == ()
        return
    module, _, attribute = dialect.review_rules_at.partition(":")
    assert getattr(importlib.import_module(module), attribute) is dialect.review_rules
