"""The Markdown report (``docs/performance.md``) of a benchmark run.

Regenerating the document keeps what a person wrote between :data:`NOTES_BEGIN` and
:data:`NOTES_END` (the explanation of unmet targets); everything else is generated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from benchmarks import scaling
from benchmarks.results import GROUP_TITLES, Group, Measurement, RunResult, Verification

INSTALL_AND_RUN = ".venv/bin/pip install -q -e '.[bench]' && .venv/bin/python -m benchmarks.run"
NOTES_BEGIN = "<!-- notes: begin (kept when this file is regenerated) -->"
NOTES_END = "<!-- notes: end -->"
NOTES_PLACEHOLDER = "_No analysis written yet: see the unmet targets above and the profiles below._"

METHOD = """\
- Each measurement runs the installed command line (`.venv/bin/mig`, `.venv/bin/alembic`, same
  venv) as a child process in the project folder, stdout to a file. Wall time is
  `time.perf_counter()` around the child; peak memory is that child's `ru_maxrss`
  (`os.wait4`), the child started by a small launcher process (Linux counts the forking
  process's memory into the child's peak). The child's environment drops `PYTHON*` and
  `MIG_*` variables (e.g. `PYTHONDONTWRITEBYTECODE`), as a user's shell has none of them.
- Histories come from `benchmarks/synth.py`, written identically for both tools (only the
  `op` import differs): a root table, then N revisions that each create a table with a
  foreign key to the previous one, add a column, create an index and change a column's type;
  the "branches and merges" variant forks every 10 revisions into two one-revision branches
  and merges them. Both tools target PostgreSQL and write the version table `mig_version`.
  Script files are dated an hour back, as a project's files are.
- Tools alternate within each repetition (mig, Alembic), and the one that goes first swaps
  every repetition. Tables show medians; ratio = mig median / Alembic median (lower is better
  for mig). A target applies to the rows that show one.
- States: *cold* = every `.mig_cache` and `__pycache__` folder under the project deleted
  before the run (mig's cache; the bytecode Python writes for Alembic's scripts and env.py);
  *second run* = the same command right after the cold one, nothing deleted, history
  unchanged; *warm* = the caches the earlier runs left (a user's next command). The operating
  system's file cache is not dropped. Before anything is timed, each command runs once on a
  5-revision history so that the tools' own bytecode exists.
- Equal work: both tools' scripts are applied with `psql` to fresh PostgreSQL databases, one
  after the other, and the schemas (tables, columns with type, nullability and default,
  constraints, indexes, sequences) and version rows are compared (see "Equal work" below).
  This is done at N = 1,000 (`--verify-n`): each script is one transaction that locks every
  table it creates (about five locks per revision), and 5,000 revisions overflow PostgreSQL's
  default lock table (`max_locks_per_transaction` 64 x `max_connections` 100).
- `-o DIR` rows (1b): in the same round as its `--sql` runs, mig also writes the whole
  history into a directory (`upgrade head --sql -o DIR --force`: one file per revision, the
  rollback files, `REVIEW.md`, `MANIFEST.json`), cold then again; the ratio is against that
  round's Alembic `upgrade head --sql` (Alembic has no such output).
- The real history (6) is a project's own migrations as its wheel ships them
  (`benchmarks/real.py`, default ironic 39.0.0, 81 revisions, fetched once by
  `benchmarks/corpus.py` with `pip download`); its helper modules are the corpus's shims on
  `PYTHONPATH` for both tools; both run the same unmodified scripts on the PostgreSQL dialect.
- The scaling check divides mig's medians by N at the smallest and largest N of each
  whole-history row (stdout and `-o DIR`, time and memory) and fails the run (exit status 1)
  when the value per revision grows by more than 25%.
- A profile of mig (`cProfile`, one run in the same state, largest N) is generated for each
  unmet timing target, under "Where the time goes"."""


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "MiB":
        return f"{value:.0f}"
    return f"{value:.3f}" if value < 1 else f"{value:.2f}"


def _ratio(ratio: float | None) -> str:
    """Three decimals: 0.2004 must not print as a met 0.20."""
    return "—" if ratio is None else f"{ratio:.3f}"


def _n(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def _met(measurement: Measurement) -> str:
    met = measurement.met()
    return "—" if met is None else ("yes" if met else "**no**")


def table(rows: list[Measurement]) -> list[str]:
    """One Markdown table: measurement, N, medians, ratio, target, met?"""
    unit = rows[0].unit
    lines = [
        f"| measurement | N | mig median ({unit}) | Alembic median ({unit}) | ratio | target"
        " | met? |",
        "| --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for row in rows:
        ratio = row.ratio()
        target = row.target.describe(unit) if row.target else "—"
        lines.append(
            f"| {row.label} | {_n(row.n)} | {_number(row.median('mig'), unit)}"
            f" | {_number(row.median('alembic'), unit)}"
            f" | {_ratio(ratio)} | {target} | {_met(row)} |"
        )
    return lines


def _groups(result: RunResult) -> Iterable[tuple[Group, list[Measurement]]]:
    for group in GROUP_TITLES:
        rows = [m for m in result.measurements if m.group == group]
        if rows:
            yield group, rows


def tables(result: RunResult) -> list[str]:
    """Every measurement group's heading, table and the states its rows were measured in."""
    lines: list[str] = []
    for group, rows in _groups(result):
        lines += [f"### {GROUP_TITLES[group]}", "", *table(rows), ""]
        states: dict[str, dict[str, None]] = {}
        for row in rows:
            states.setdefault(row.state, {})[row.label] = None
        lines += [f"- {', '.join(labels)}: {state}." for state, labels in states.items()]
        lines.append("")
    return lines


def summary(result: RunResult) -> list[str]:
    targeted = [m for m in result.measurements if m.met() is not None]
    unmet = result.unmet()
    lines = [
        f"**{len(targeted) - len(unmet)} of {len(targeted)} targets met**"
        f" (size-specific targets at N = {result.target_n:,}). "
        f"Equal work: {verification_line(result.verification)}",
        "",
    ]
    return lines


def verification_line(verification: Verification) -> str:
    if verification.skipped is not None:
        return f"not checked ({verification.skipped})."
    if verification.ok:
        return "verified: same schema."
    return "**schemas differ or a script failed** (see \"Equal work\")."


def verification_section(verification: Verification) -> list[str]:
    lines = ["## Equal work", ""]
    if verification.skipped is not None:
        return [*lines, f"Not checked: {verification.skipped}.", ""]
    for what, diff in verification.checks:
        if diff is None:
            lines.append(f"- {what}: verified: same schema.")
        else:
            fence = "```diff" if diff.startswith("--- mig") else "```text"
            lines += [f"- {what}: **differs**:", "", fence, diff, "```", ""]
    return [*lines, ""]


def unmet_lines(result: RunResult) -> list[str]:
    unmet = result.unmet()
    if not unmet:
        return ["Every target is met in this run."]
    lines = ["Unmet targets in this run:", ""]
    for row in unmet:
        mig, alembic, ratio = row.median("mig"), row.median("alembic"), row.ratio()
        target = row.target.describe(row.unit) if row.target else ""
        lines.append(
            f"- {GROUP_TITLES[row.group].split(':')[0]} — {row.label}, N = {_n(row.n)}:"
            f" mig {_number(mig, row.unit)} {row.unit} vs Alembic {_number(alembic, row.unit)}"
            f" {row.unit}, ratio {_ratio(ratio)} (target {target})"
        )
    return lines


def kept_notes(previous: str | None) -> str:
    """The hand-written notes of an earlier version of the document, or the placeholder."""
    if previous:
        pattern = re.escape(NOTES_BEGIN) + r"\n(.*?)\n?" + re.escape(NOTES_END)
        found = re.search(pattern, previous, re.S)
        if found and found.group(1).strip():
            return found.group(1).rstrip("\n")
    return NOTES_PLACEHOLDER


def samples_section(result: RunResult) -> list[str]:
    """Every sample, for anyone who wants more than the median."""
    lines = ["## All samples", "", "Seconds (or MiB), in the order they were taken.", ""]
    lines += ["| group | measurement | N | mig | Alembic |", "| --- | --- | ---: | --- | --- |"]
    for row in result.measurements:
        if row.group == "memory" and row.target is None:
            continue
        values = {t: ", ".join(_number(v, row.unit) for v in row.values(t)) for t in row.samples}
        lines.append(
            f"| {row.group} | {row.label} | {_n(row.n)} | {values['mig']} | {values['alembic']} |"
        )
    return [*lines, ""]


def document(result: RunResult, previous: str | None = None) -> str:
    """The whole ``docs/performance.md``; ``previous`` is the file being replaced."""
    machine = ["| | |", "| --- | --- |"] + [f"| {k} | {v} |" for k, v in result.machine.items()]
    lines = [
        "# Performance: mig versus Alembic",
        "",
        "Generated by the benchmark of issue 7 (`benchmarks/`). Regenerate with:",
        "",
        "```sh",
        INSTALL_AND_RUN,
        "```",
        "",
        f"This run: `{result.command}`, {result.date}, {result.seconds / 60:.1f} minutes.",
        "",
        *summary(result),
        "## Machine",
        "",
        *machine,
        "",
        "## How it is measured",
        "",
        METHOD,
        "",
        "## Results",
        "",
        *tables(result),
        *scaling.section(scaling.scaling(result.measurements)),
        *verification_section(result.verification),
        "## Where the time goes",
        "",
        *unmet_lines(result),
        "",
        NOTES_BEGIN,
        kept_notes(previous),
        NOTES_END,
        "",
    ]
    if result.profiles:
        lines += ["### Profiles of mig (generated)", ""]
        for text in result.profiles.values():
            lines += [text, ""]
    lines += samples_section(result)
    return "\n".join(lines).rstrip("\n") + "\n"


def console(result: RunResult) -> str:
    """What is printed at the end of a run: the summary, the tables and the verification."""
    lines = [
        *summary(result),
        *tables(result),
        *scaling.section(scaling.scaling(result.measurements)),
        *verification_section(result.verification),
    ]
    return "\n".join(lines)
