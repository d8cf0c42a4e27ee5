"""Render a :class:`~offline_sql.review.Review` as text (terminal), Markdown (REVIEW.md for a
change ticket) or JSON (tools).

Every renderer is deterministic: no timestamps, no paths of the machine, stable order. The
same migration therefore yields byte-identical REVIEW.md files, which MANIFEST checksums and
``mig verify`` rely on. Statement numbers are shown 1-based, as a reader counts them; JSON
keeps the 0-based index under ``statement``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from offline_sql.review import Finding, Review, StepReview
from offline_sql.review.rules import SEVERITIES


def _summary(review: Review) -> dict[str, int]:
    counts: dict[str, int] = {severity: review.count(severity) for severity in SEVERITIES}
    counts["allowed"] = sum(1 for f in review.findings if f.allowed)
    return counts


def _summary_line(review: Review) -> str:
    counts = _summary(review)
    parts = [f"{counts[s]} {s}{'s' if counts[s] != 1 and s != 'info' else ''}" for s in SEVERITIES]
    return f"{', '.join(parts)}, {counts['allowed']} allowed"


def _where(finding: Finding) -> str:
    return f"statement {finding.statement + 1}" if finding.statement is not None else "revision"


def _counts_text(step: StepReview) -> str:
    counts = step.counts
    shown = [f"{n} {klass}" for klass, n in counts.items() if n and klass != "bookkeeping"]
    text = ", ".join(shown) or "no statements"
    if counts["bookkeeping"]:
        text += f" (+{counts['bookkeeping']} bookkeeping)"
    return text


def _tables_text(step: StepReview, code: Callable[[str], str]) -> str:
    """The tables touched, each rebuilt one marked so (its holding table is not listed)."""
    rebuilt = set(step.rebuilt)
    names = [f"{code(t)} (rebuilt)" if t in rebuilt else code(t) for t in step.tables]
    return ", ".join(names)


def _rollback_text(step: StepReview) -> str:
    if step.direction != "upgrade":
        # The inverse of a downgrade is the re-upgrade (the rollback files of a directory).
        if step.empty_downgrade:
            return "re-upgrade repeats upgrade() (downgrade() changed nothing)"
        return "available (re-upgrade)"
    if not step.has_downgrade:
        return "NOT available (no downgrade())"
    if step.rollback_blocked_by is not None:
        return f"NOT available (rollback stops at {step.rollback_blocked_by}: no downgrade())"
    return "available"


# ---- text -----------------------------------------------------------------------------------


def render_text(review: Review) -> str:
    """A compact listing for the terminal (stderr); ends with a newline."""
    lines = [f"review ({review.dialect}): {_summary_line(review)}"]
    for step in review.steps:
        lines.append(f"{step.revision} {step.direction}: {step.message}")
        lines.append(f"  tables: {_tables_text(step, str) or '-'}; {_counts_text(step)}")
        for finding in step.findings:
            mark = " (allowed)" if finding.allowed else ""
            lines.append(
                f"  {finding.severity}{mark} {finding.rule} [{_where(finding)}]: {finding.message}"
            )
            if not finding.allowed:
                lines.append(f"    fix: {finding.fix}")
    return "\n".join(lines) + "\n"


# ---- markdown -------------------------------------------------------------------------------


def _cell(text: str) -> str:
    """Make text safe inside a Markdown table cell."""
    return " ".join(text.split()).replace("\\", "\\\\").replace("|", "\\|")


def _code(text: str) -> str:
    return f"`{text}`" if "`" not in text else _cell(text)


def _markdown_step(position: int, step: StepReview) -> list[str]:
    lines = [
        f"## {position}. {_cell(step.revision)}: {_cell(step.message)} ({step.direction})",
        "",
        f"- Tables touched: {_tables_text(step, _code) or 'none'}",
        f"- Statements: {_counts_text(step)}",
        f"- Rollback: {_rollback_text(step)}",
        "",
    ]
    if not step.findings:
        return [*lines, "No findings.", ""]
    lines += [
        "| Severity | Rule | Where | Finding | Fix |",
        "| --- | --- | --- | --- | --- |",
    ]
    for f in step.findings:
        severity = f"{f.severity} (allowed)" if f.allowed else f"**{f.severity}**"
        lines.append(
            f"| {severity} | `{f.rule}` | {_where(f)} | {_cell(f.message)} | {_cell(f.fix)} |"
        )
    return [*lines, ""]


def render_markdown(review: Review) -> str:
    """REVIEW.md: a summary table, then per revision its tables, counts, rollback and findings."""
    lines = [
        f"# Migration review ({review.dialect})",
        "",
        f"Findings: {_summary_line(review)}.",
        "",
        "| # | Revision | Message | Statements | Findings | Rollback |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for position, step in enumerate(review.steps, 1):
        counted = [f for f in step.findings if not f.allowed]
        lines.append(
            f"| {position} | `{_cell(step.revision)}` | {_cell(step.message)} | "
            f"{_cell(_counts_text(step))} | {len(counted)} | {_rollback_text(step)} |"
        )
    lines.append("")
    for position, step in enumerate(review.steps, 1):
        lines += _markdown_step(position, step)
    return "\n".join(lines).rstrip("\n") + "\n"


# ---- json -----------------------------------------------------------------------------------


def _finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "severity": finding.severity,
        "statement": finding.statement,
        "message": finding.message,
        "fix": finding.fix,
        "allowed": finding.allowed,
    }


def _step_json(step: StepReview) -> dict[str, Any]:
    return {
        "revision": step.revision,
        "message": step.message,
        "direction": step.direction,
        "has_downgrade": step.has_downgrade,
        "rollback_available": step.rollback_available,
        "tables": list(step.tables),
        "rebuilt": list(step.rebuilt),
        "counts": step.counts,
        "statements": [
            {"index": s.index, "class": s.klass, "tables": list(s.tables)} for s in step.statements
        ],
        "findings": [_finding_json(f) for f in step.findings],
    }


def review_to_dict(review: Review) -> dict[str, Any]:
    """The JSON document as Python data (for callers embedding it elsewhere)."""
    return {
        "dialect": review.dialect,
        "summary": _summary(review),
        "steps": [_step_json(step) for step in review.steps],
    }


def render_json(review: Review) -> str:
    """Sorted keys, indent 2, trailing newline."""
    return json.dumps(review_to_dict(review), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
