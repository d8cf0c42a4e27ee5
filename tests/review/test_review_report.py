"""Review reports: content a DBA needs, deterministic bytes, valid JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

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
        ReviewedStep(
            "cd34",
            "index",
            "upgrade",
            [
                Statement("CREATE TABLE t (a INT)"),
                Statement(  # many tables: a set of names whose order varies between processes
                    "INSERT INTO t (a) SELECT e.x FROM e JOIN f ON e.x = f.x JOIN g ON f.x = g.x "
                    "JOIN h ON g.x = h.x WHERE e.x > 0"
                ),
            ],
        ),
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
def test_rendering_ends_with_a_newline(render: Callable[[Review], str]) -> None:
    assert render(sample()).endswith("\n")


RENDER_ALL = (
    "from test_review_report import sample\n"
    "from offline_sql.review.report import render_json, render_markdown, render_text\n"
    "review = sample()\n"
    "print(render_text(review) + render_markdown(review) + render_json(review), end='')\n"
)


def test_rendering_is_the_same_in_every_process() -> None:
    """Sets of names iterate in an order each process draws anew (``PYTHONHASHSEED``), and
    REVIEW.md is checksummed in MANIFEST.json: its bytes must not depend on that order."""
    outputs = {
        subprocess.run(
            [sys.executable, "-c", RENDER_ALL],
            cwd=Path(__file__).parent,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3", "4")
    }
    assert len(outputs) == 1


def test_json_is_sorted_and_indented() -> None:
    text = render_json(sample())
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
