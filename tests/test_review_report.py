"""Review reports: content a DBA needs, deterministic bytes, valid JSON."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from offline_sql.review import Review, ReviewedStep, review
from offline_sql.review.report import render_json, render_markdown, render_text
from offline_sql.statements import Statement


def sample() -> Review:
    steps = [
        ReviewedStep(
            "ab12",
            "add users | admins",
            "upgrade",
            [
                Statement("BEGIN", kind="client"),
                Statement("CREATE TABLE users (id INT)"),
                Statement("ALTER TABLE orders DROP COLUMN note"),
                Statement("DELETE FROM orders"),
                Statement("UPDATE alembic_version SET version_num = 'ab12'", kind="version"),
                Statement("COMMIT", kind="client"),
            ],
            has_downgrade=False,
            allow=("drop-column",),
            existing_tables=frozenset({"orders"}),
        ),
        ReviewedStep("cd34", "index", "upgrade", [Statement("CREATE TABLE t (a INT)")]),
    ]
    return review(steps, "postgresql", "postgres")


def test_markdown_has_what_a_ticket_needs() -> None:
    text = render_markdown(sample())
    assert "## 1. ab12: add users \\| admins (upgrade)" in text
    assert "`orders`, `users`" in text
    assert "1 create, 1 alter, 1 data (+3 bookkeeping)" in text
    assert "Rollback: NOT available (no downgrade())" in text
    assert "Rollback: available" in text
    assert "| **error** | `delete-without-where` | statement 4 |" in text
    assert "| warning (allowed) | `drop-column` |" in text
    assert "No findings." in text


def test_text_lists_findings_with_fix() -> None:
    text = render_text(sample())
    assert text.startswith("review (postgresql): 1 error, 1 warning, 0 info, 1 allowed\n")
    assert "error delete-without-where [statement 4]: deletes every row of orders" in text
    assert "fix: add a WHERE clause" in text


def test_json_round_trips_with_summary() -> None:
    document = json.loads(render_json(sample()))
    assert document["summary"] == {"error": 1, "warning": 1, "info": 0, "allowed": 1}
    first = document["steps"][0]
    assert first["rollback_available"] is False
    assert first["counts"]["bookkeeping"] == 3
    assert {f["rule"] for f in first["findings"]} == {
        "drop-column",
        "delete-without-where",
        "missing-downgrade",
    }


@pytest.mark.parametrize("render", [render_text, render_markdown, render_json])
def test_rendering_is_deterministic(render: Callable[[Review], str]) -> None:
    assert render(sample()) == render(sample())
    assert render(sample()).endswith("\n")


def test_json_is_sorted_and_indented() -> None:
    text = render_json(sample())
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
