"""A core review as bytes that point at its step's statements
(:mod:`offline_sql.review.stored`): what the review child answers and the step cache keeps.
Read back, a review shares the rendered step's statements instead of holding a copy of each
(13 MiB at N = 5,000 in a ``-o DIR`` run's parent)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from helpers import make_project
from test_ticket_fork import HISTORY

from offline_sql import generate, review_child, ticket
from offline_sql.config import load_config
from offline_sql.review import StepReview
from offline_sql.review.classify import ClassifiedStatement
from offline_sql.review.stored import review_bytes, review_from
from offline_sql.statements import Statement


def a_review(statements: tuple[Statement, ...]) -> StepReview:
    classified = tuple(
        ClassifiedStatement(i, s, "alter", ("users",), "users", ())
        for i, s in enumerate(statements)
    )
    return StepReview("a1", "add a column", "upgrade", True, classified, ())


STATEMENTS = (
    Statement("ALTER TABLE users ADD COLUMN email VARCHAR(80)", table="users"),
    Statement("CREATE INDEX ix_users_email ON users (email)", table="users"),
)


def test_the_bytes_point_at_the_steps_statements() -> None:
    data = review_bytes(a_review(STATEMENTS), STATEMENTS)
    assert b"ALTER TABLE" not in data and b"CREATE INDEX" not in data
    assert b"ALTER TABLE" in pickle.dumps(a_review(STATEMENTS))
    found = review_from(data, STATEMENTS)
    assert found == a_review(STATEMENTS)
    assert found is not None
    assert [c.statement for c in found.statements] == list(STATEMENTS)
    assert all(c.statement is STATEMENTS[c.index] for c in found.statements)


def test_a_statement_the_step_does_not_hold_is_pickled_whole() -> None:
    other = Statement("DROP TABLE users", table="users")
    data = review_bytes(a_review((*STATEMENTS, other)), STATEMENTS)
    assert b"DROP TABLE users" in data
    assert review_from(data, STATEMENTS) == a_review((*STATEMENTS, other))


@pytest.mark.parametrize(
    "data",
    [b"", b"not a pickle", pickle.dumps({"a": 1})],
    ids=["empty", "garbage", "not-a-review"],
)
def test_bytes_that_are_not_a_review_read_as_none(data: bytes) -> None:
    assert review_from(data, STATEMENTS) is None


def test_bytes_read_against_fewer_statements_read_as_none() -> None:
    data = review_bytes(a_review(STATEMENTS), STATEMENTS)
    assert review_from(data, STATEMENTS[:1]) is None


def test_a_review_kept_whole_still_reads() -> None:
    """A row pickled whole (as before this module) reads as it was."""
    assert review_from(pickle.dumps(a_review(STATEMENTS)), STATEMENTS) == a_review(STATEMENTS)


def shares_statements(generated: generate.Generated, reviewed: tuple[StepReview, ...]) -> bool:
    return all(
        c.statement is generated.steps[index].statements[c.index]
        for index, step in enumerate(reviewed)
        for c in step.statements
    )


@pytest.mark.parametrize("fork", [True, False], ids=["child", "parent"])
def test_the_reviews_share_the_rendered_steps_statements(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fork: bool
) -> None:
    """Reviewed by the child, by the parent, or read from the step cache on the next run:
    each review's statements are the rendered step's own objects (the child's answer used
    to be unpickled into a copy of every statement)."""
    monkeypatch.setattr(review_child, "can_fork", lambda: fork)
    config = load_config(make_project(tmp_path / "project", HISTORY), environ={})
    forked: list[review_child.CoreReviews] = []

    def start(*args: object) -> review_child.CoreReviews | None:
        child = review_child.start_core_reviews(*args)  # type: ignore[arg-type]
        if child is not None:
            forked.append(child)
        return child

    for run in ("first", "cached"):
        forked.clear()
        options = generate.OutputOptions(strict=True)
        generated = generate.generate(config, "upgrade", "head", options, start_reviews=start)
        try:
            review = ticket.review_of(generated, forked)
        finally:
            for child in forked:
                child.close()
        assert len(forked) == (1 if fork and run == "first" else 0)
        assert len(generated.reviews) == (len(HISTORY) if run == "cached" else 0)
        assert len(review.steps) == len(HISTORY)
        assert shares_statements(generated, review.steps), run
