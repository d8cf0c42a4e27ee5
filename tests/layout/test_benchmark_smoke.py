"""The benchmark's pieces work (``benchmarks/``, issue 7), on a 5-revision history.

The benchmark itself is not part of the suite's pass/fail; this only makes sure that its
generator writes histories mig turns into a script psql applies, that both tools' scripts
give the same schema (what the benchmark's "equal work" check relies on), and that the
report formatter produces its tables. Alembic runs here on 5 revisions only.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from databases import ScratchDatabase

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # the repository's benchmarks/ package (not installed)

from benchmarks import report, scaling, synth  # noqa: E402
from benchmarks.measure import Sample, run_once, tool_command  # noqa: E402
from benchmarks.results import Measurement, RunResult, Target, Verification  # noqa: E402
from benchmarks.verify import Server, difference, snapshot  # noqa: E402

N = 5
UPGRADE_HEAD = ("upgrade", "head", "--sql")


def _server(database: ScratchDatabase) -> Server:
    """The test database's server; new databases are created from the test database."""
    url = database.url.render_as_string(hide_password=False)
    return Server.from_url(url)


@pytest.fixture(scope="module")
def mig_script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _script(tmp_path_factory.mktemp("bench"), "mig")


def _script(folder: Path, tool: str) -> Path:
    """``tool upgrade head --sql`` of the synthetic history, as the benchmark runs it."""
    project = synth.write_project(folder / tool, tool, N)
    script = folder / f"{tool}.sql"
    run_once(tool_command(tool, *UPGRADE_HEAD), project, script)
    return script


def test_synthetic_scripts_differ_only_in_the_op_import(tmp_path: Path) -> None:
    folders = {tool: synth.write_project(tmp_path / tool, tool, N, branchy=True)
               for tool in synth.IMPORT_OP}
    versions = {tool: sorted((folder / "migrations" / "versions").iterdir())
                for tool, folder in folders.items()}
    assert [p.name for p in versions["mig"]] == [p.name for p in versions["alembic"]]
    assert len(versions["mig"]) == N + 1
    for mig, alembic in zip(versions["mig"], versions["alembic"], strict=True):
        mig_text = mig.read_text().replace(synth.IMPORT_OP["mig"], synth.IMPORT_OP["alembic"])
        assert mig_text == alembic.read_text()


def test_mig_script_of_the_synthetic_history_applies_with_psql(
    mig_script: Path, postgresql_database: ScratchDatabase
) -> None:
    postgresql_database.apply_script(mig_script)
    found = snapshot(_server(postgresql_database), postgresql_database.name)
    tables = {line for line in found if line.startswith("table ")}
    expected = {f"table t{i:05d}" for i in range(1, N + 1)} | {"table t_root", "table mig_version"}
    assert tables == expected
    head = synth.plan_history(N)[-1].revision
    assert [line for line in found if line.startswith("version ")] == [f"version {head}"]
    assert "index t00005.ix_t00005_name CREATE INDEX ix_t00005_name ON public.t00005" \
        " USING btree (name)" in found
    assert "column t00005.note character varying(200) NULL" in found


@pytest.mark.skipif(importlib.util.find_spec("alembic") is None, reason="alembic not installed")
def test_both_tools_scripts_give_the_same_schema(
    mig_script: Path, tmp_path: Path, postgresql_database: ScratchDatabase
) -> None:
    """What the benchmark's equal-work check does (in one database, emptied in between,
    instead of two new ones: quicker)."""
    server, name = _server(postgresql_database), postgresql_database.name
    postgresql_database.apply_script(mig_script)
    mig = snapshot(server, name)
    postgresql_database.reset()
    postgresql_database.apply_script(_script(tmp_path, "alembic"))
    assert difference(mig, snapshot(server, name)) is None


def _row(label: str, mig: float, alembic: float, target: Target | None) -> Measurement:
    row = Measurement("whole", label, 1000, "cold", target=target)
    row.samples = {
        "mig": [Sample(mig, 1024), Sample(mig + 1, 1024)],
        "alembic": [Sample(alembic, 2048), Sample(alembic + 1, 2048)],
    }
    return row


def test_report_formats_medians_ratios_and_targets() -> None:
    met = _row("first run, linear", 1.0, 4.0, Target(0.8))
    unmet = _row("second run, linear", 3.0, 4.0, Target(0.2))
    result = RunResult(
        [met, unmet], {"CPU": "test"}, "python -m benchmarks.run", "today", 61.0, 1000,
        Verification([("upgrade head", None)]),
    )
    lines = report.table([met, unmet])
    assert lines[0].startswith("| measurement | N | mig median (s) | Alembic median (s) | ratio")
    assert lines[2] == "| first run, linear | 1,000 | 1.50 | 4.50 | 0.333 | <= 0.8 | yes |"
    assert lines[3] == "| second run, linear | 1,000 | 3.50 | 4.50 | 0.778 | <= 0.2 | **no** |"

    document = report.document(result)
    assert document.startswith("# Performance: mig versus Alembic\n")
    assert report.INSTALL_AND_RUN in document
    assert "**1 of 2 targets met**" in document
    assert "verified: same schema" in document
    assert report.NOTES_PLACEHOLDER in document
    edited = document.replace(report.NOTES_PLACEHOLDER, "Replaying costs 80 %.")
    assert "Replaying costs 80 %." in report.document(result, previous=edited)


def _sized(n: int, seconds: float, mib: float, group: str = "whole") -> Measurement:
    row = Measurement("whole", "first run, linear", n, "cold")
    if group == "memory":
        row = Measurement("memory", "first run, linear", n, "cold", "peak_mib")
    row.samples = {"mig": [Sample(seconds, int(mib * 1024))], "alembic": [Sample(1.0, 1024)]}
    return row


def test_scaling_passes_linear_cost_and_fails_quadratic_cost() -> None:
    """Issue 16: time or memory per revision growing > 25% from the smallest to the
    largest N fails the report (and the run's exit code)."""
    linear = [_sized(1000, 3.0, 100), _sized(2000, 5.9, 150), _sized(5000, 14.0, 300)]
    rows = scaling.scaling(linear)
    assert [(r.small_n, r.large_n) for r in rows] == [(1000, 5000)]
    assert rows[0].ok and rows[0].growth < 0

    quadratic = [_sized(1000, 3.0, 100), _sized(5000, 75.0, 2500)]
    memory = [_sized(1000, 3.0, 100, "memory"), _sized(5000, 3.0, 2500, "memory")]
    failed = scaling.scaling(quadratic + memory)
    assert [(r.metric, r.ok) for r in failed] == [("seconds", False), ("peak_mib", False)]
    text = "\n".join(scaling.section(failed))
    row = "| first run, linear | time | 1,000 | 3.00 ms | 5,000 | 15.00 ms | +400% | **no** |"
    assert row in text
    assert scaling.scaling([_sized(1000, 3.0, 100)]) == []  # one size: nothing to compare


def test_a_measured_peak_is_the_childs_not_the_benchmarks(tmp_path: Path) -> None:
    """Linux counts the forking process's resident memory into the child's ``ru_maxrss``: a
    child started by the benchmark itself (or this test, holding 256 MiB) would never
    measure less than that. The launcher starts children from a small process."""
    held = bytearray(256 << 20)
    held[:: 1 << 12] = b"\x01" * len(held[:: 1 << 12])  # touched: resident
    sample = run_once([sys.executable, "-c", "pass"], tmp_path)
    assert sample.peak_kib < 64 << 10, sample
    assert len(held) == 256 << 20
