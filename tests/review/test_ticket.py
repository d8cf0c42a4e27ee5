"""The output directory as a DBA receives it: deterministic, never clobbered, never half
written, honest about missing rollbacks, and refused by ``--strict`` on error findings.

Everything runs through the CLI (in process); no database is needed here (see
``test_ticket_databases.py`` for the scripts applied with the real clients).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Literal

import pytest
from click.testing import CliRunner, Result
from helpers import DEFAULT_SETTINGS, Rev, listing, make_project

from offline_sql._version import __version__
from offline_sql.cli import cli
from offline_sql.dialect_api.registry import NAMES
from offline_sql.manifest import build_manifest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shop" / "mig.toml"


def mig(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def upgrade_to_dir(config: Path, out: Path, *extra: str, dialect: str = "sqlite") -> Result:
    return mig("-c", str(config), "--dialect", dialect, "upgrade", "base:head", "--sql", "-o",
               str(out), *extra)  # fmt: skip


def manifest(root: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((root / "MANIFEST.json").read_text(encoding="utf-8"))
    return document


def table(name: str) -> str:
    return f'op.create_table("{name}", sa.Column("id", sa.Integer, primary_key=True))'


# ---- determinism, refusal, atomicity ---------------------------------------------------------


@pytest.mark.parametrize("dialect", NAMES)
def test_same_input_gives_the_same_bytes(tmp_path: Path, dialect: str) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    assert upgrade_to_dir(EXAMPLE, first, dialect=dialect).exit_code == 0
    assert upgrade_to_dir(EXAMPLE, second, dialect=dialect).exit_code == 0
    files = listing(first)
    assert len(files) == 8  # 3 files, 3 rollback files, REVIEW.md, MANIFEST.json
    assert files == listing(second)


def test_non_empty_directory_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_bytes(b"the DBA's notes\n")
    result = upgrade_to_dir(EXAMPLE, out)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "is not empty" in result.stderr and "--force" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert listing(out) == {"notes.txt": b"the DBA's notes\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_force_replaces_the_directory(tmp_path: Path) -> None:
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    assert upgrade_to_dir(EXAMPLE, out, dialect="postgresql").exit_code == 0
    assert upgrade_to_dir(EXAMPLE, out, "--force").exit_code == 0
    assert upgrade_to_dir(EXAMPLE, fresh).exit_code == 0
    assert listing(out) == listing(fresh)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh", "out"]


def test_force_refuses_mig_output_with_a_file_added(tmp_path: Path) -> None:
    """The DBA's notes in an earlier ticket folder are not mig's to delete (issue 11)."""
    out = tmp_path / "out"
    assert upgrade_to_dir(EXAMPLE, out).exit_code == 0
    (out / "notes.txt").write_bytes(b"the DBA's notes\n")
    before = listing(out)
    result = upgrade_to_dir(EXAMPLE, out, "--force")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith(f"mig: error: refusing to replace {out}: added: notes.txt")
    assert len(result.stderr.splitlines()) == 1
    assert listing(out) == before


def broken(function: str) -> tuple[Rev, ...]:
    """Three revisions; the third one's ``function`` raises."""
    boom = 'raise RuntimeError("broken on purpose")'
    third = Rev("c3", "b2", "boom", upgrade=table("items"), downgrade='op.drop_table("items")')
    return (
        Rev("a1", None, "create users", upgrade=table("users"), downgrade='op.drop_table("users")'),
        Rev("b2", "a1", "create logs", upgrade=table("logs"), downgrade='op.drop_table("logs")'),
        dataclasses.replace(third, **{function: boom}),
    )


@pytest.mark.parametrize("function", ["upgrade", "downgrade"])
@pytest.mark.parametrize("force", [False, True], ids=["new", "force-over-old"])
def test_failed_generation_writes_nothing(tmp_path: Path, force: bool, function: str) -> None:
    config = make_project(tmp_path / "project", broken(function))
    out = tmp_path / "out"
    # An earlier run's output, as mig writes it (anything else is refused before the run).
    old_sql = b"SELECT 1;\n"
    manifest = build_manifest([], "sqlite", __version__, extra_files=[("old.sql", old_sql)])
    old = {"old.sql": old_sql, "MANIFEST.json": manifest}
    if force:
        out.mkdir()
        for name, data in old.items():
            (out / name).write_bytes(data)
    result = upgrade_to_dir(config, out, *(("--force",) if force else ()))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "c3" in result.stderr and "broken on purpose" in result.stderr
    assert f"{function}()" in result.stderr
    assert listing(out) == (old if force else {}) and out.exists() == force
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["project", *(["out"] * force)])


# ---- a revision without downgrade ------------------------------------------------------------

NO_DOWNGRADE = (
    Rev("a1", None, "create users", upgrade=table("users"), downgrade='op.drop_table("users")'),
    Rev("b2", "a1", "create logs", upgrade=table("logs"), downgrade="pass"),
    Rev("c3", "b2", "add name",
        upgrade='op.add_column("users", sa.Column("name", sa.String(20)))',
        downgrade='op.drop_column("users", "name")'),
)  # fmt: skip


@pytest.fixture
def no_downgrade_dir(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    assert upgrade_to_dir(make_project(tmp_path / "project", NO_DOWNGRADE), out).exit_code == 0
    return out


def test_manifest_says_which_revisions_have_no_way_back(no_downgrade_dir: Path) -> None:
    entries = {e["revision"]: e for e in manifest(no_downgrade_dir)["entries"]}
    assert {rev: e["has_downgrade"] for rev, e in entries.items()} == {
        "a1": True,
        "b2": False,
        "c3": True,
    }
    assert entries["a1"]["rollback"] is None and entries["b2"]["rollback"] is None
    assert entries["c3"]["rollback"]["file"] == "rollback/0001_c3_add_name.sql"


def test_no_rollback_file_for_it_or_below(no_downgrade_dir: Path) -> None:
    rollback = sorted(p.name for p in (no_downgrade_dir / "rollback").iterdir())
    assert rollback == ["0001_c3_add_name.sql"]


def review_rows(root: Path) -> dict[str, str]:
    """revision -> the Rollback cell of REVIEW.md's summary table."""
    rows = {}
    for line in (root / "REVIEW.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) == 6 and cells[1].startswith("`"):
            rows[cells[1].strip("`")] = cells[5]
    return rows


def test_review_says_rollback_is_not_available(no_downgrade_dir: Path) -> None:
    text = (no_downgrade_dir / "REVIEW.md").read_text(encoding="utf-8")
    assert "`missing-downgrade`" in text
    rows = review_rows(no_downgrade_dir)
    assert rows["b2"] == "NOT available (no downgrade())"
    assert rows["a1"].startswith("NOT available") and "b2" in rows["a1"]
    assert rows["c3"] == "available"


def test_review_and_manifest_agree_on_rollback(no_downgrade_dir: Path) -> None:
    rows = review_rows(no_downgrade_dir)
    for entry in manifest(no_downgrade_dir)["entries"]:
        assert (entry["rollback"] is not None) == (rows[entry["revision"]] == "available")


STOPS_SHORT = (
    *NO_DOWNGRADE,
    Rev("d4", "c3", "create tags", upgrade=table("tags"), downgrade='op.drop_table("tags")'),
)
"""Four revisions, the rollback walk planned over all four: it stops above b2."""


@pytest.mark.parametrize("dialect", NAMES)
def test_rollback_files_framed_during_the_walk_are_the_files_framed_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dialect: str
) -> None:
    """Each rollback file is framed as the rollback walk renders its step, and the step
    kept without its statements; the walk stopped short of its plan (4 steps, 2 files),
    so the titles framed with the planned count are corrected: the directory is the one
    framed from whole steps after the walk, byte for byte."""
    from offline_sql.generate import RenderedStep
    from offline_sql.ticket import RollbackFramer

    config = make_project(tmp_path / "project", STOPS_SHORT)
    kept: list[RenderedStep] = []
    take = RollbackFramer.take

    def spied(self: RollbackFramer, rendered: RenderedStep) -> RenderedStep:
        kept.append(take(self, rendered))
        return kept[-1]

    with monkeypatch.context() as patched:
        patched.setattr(RollbackFramer, "take", spied)
        ran = upgrade_to_dir(config, tmp_path / "ahead", "--no-cache", dialect=dialect)
        assert ran.exit_code == 0
    assert [k.step.revision for k in kept] == ["d4", "c3"]
    assert all(k.statements == () and k.version_statements == () for k in kept)

    def whole(self: RollbackFramer, rendered: RenderedStep) -> RenderedStep:
        self.files.append(None)  # as where framing raised: framed with the directory
        return rendered

    monkeypatch.setattr(RollbackFramer, "take", whole)
    assert upgrade_to_dir(config, tmp_path / "after", "--no-cache", dialect=dialect).exit_code == 0
    ahead, after = listing(tmp_path / "ahead"), listing(tmp_path / "after")
    assert ahead == after
    titles = [ahead[f"rollback/{name}"].splitlines()[1] for name in ("0001_d4_create_tags.sql",
              "0002_c3_add_name.sql")]  # fmt: skip
    assert [t.split(b":")[0][-len(b"rollback 1 of 2") :] for t in titles] == [
        b"rollback 1 of 2",
        b"rollback 2 of 2",
    ]


def test_head_without_downgrade_writes_no_rollback(tmp_path: Path) -> None:
    history = (*NO_DOWNGRADE[:1], Rev("b2", "a1", "create logs", upgrade=table("logs")))
    out = tmp_path / "out"
    assert upgrade_to_dir(make_project(tmp_path / "project", history), out).exit_code == 0
    assert not (out / "rollback").exists()
    assert all(entry["rollback"] is None for entry in manifest(out)["entries"])


def test_script_without_downgrade_function(tmp_path: Path) -> None:
    config = make_project(tmp_path / "project", NO_DOWNGRADE[:1])
    versions = tmp_path / "project" / "migrations" / "versions"
    (versions / "b2_add_name.py").write_text(
        "import sqlalchemy as sa\n\nfrom offline_sql import op\n\n"
        'revision = "b2"\ndown_revision = "a1"\n\n\n'
        "def upgrade() -> None:\n"
        '    op.add_column("users", sa.Column("name", sa.String(20)))\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert upgrade_to_dir(config, out).exit_code == 0
    assert [e["has_downgrade"] for e in manifest(out)["entries"]] == [True, False]
    assert not (out / "rollback").exists()
    assert "`missing-downgrade`" in (out / "REVIEW.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "body", ["raise NotImplementedError()", 'raise NotImplementedError("no way back")']
)
def test_a_downgrade_that_raises_not_implemented_has_no_way_back(
    tmp_path: Path, body: str
) -> None:
    """The idiom of many projects for a revision that cannot be undone: the ticket is
    written as for a missing downgrade(), instead of failing on a downgrade nobody asked
    to run. Any other exception is still the script's error (test above)."""
    history = (*NO_DOWNGRADE[:2], dataclasses.replace(NO_DOWNGRADE[2], downgrade=body))
    out = tmp_path / "out"
    result = upgrade_to_dir(make_project(tmp_path / "project", history), out)
    assert result.exit_code == 0, result.stderr
    assert [e["has_downgrade"] for e in manifest(out)["entries"]] == [True, False, False]
    assert not (out / "rollback").exists()
    assert review_rows(out)["c3"] == "NOT available (no downgrade())"
    review = (out / "REVIEW.md").read_text(encoding="utf-8")
    assert "revision c3 has no way back: its downgrade() is missing, records nothing" in review


# ---- --strict --------------------------------------------------------------------------------


def drop_history(prelude: str = "") -> tuple[Rev, ...]:
    return (
        Rev("a1", None, "create users", upgrade=table("users"), downgrade='op.drop_table("users")'),
        Rev("b2", "a1", "drop users", upgrade='op.drop_table("users")', downgrade=table("users"),
            prelude=prelude),
    )  # fmt: skip


@pytest.mark.parametrize("output", [True, False], ids=["directory", "stream"])
def test_strict_refuses_an_error_finding(tmp_path: Path, output: bool) -> None:
    config = make_project(tmp_path / "project", drop_history())
    out = tmp_path / "out"
    target = ("-o", str(out)) if output else ()
    result = mig("-c", str(config), "upgrade", "base:head", "--sql", "--strict", *target)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "revision b2" in lines[0] and "[drop-table]" in lines[0]
    assert lines[0].count("mig_allow") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project"]  # no folder left beside


def test_without_strict_the_finding_is_only_reported(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert upgrade_to_dir(make_project(tmp_path / "project", drop_history()), out).exit_code == 0
    assert "`drop-table`" in (out / "REVIEW.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("where", ["mig_allow", "review_allow"])
def test_strict_passes_when_the_rule_is_allowed(tmp_path: Path, where: str) -> None:
    prelude = 'mig_allow = ("drop-table",)\n' if where == "mig_allow" else ""
    settings = dict(DEFAULT_SETTINGS)
    if where == "review_allow":
        settings["review_allow"] = ["drop-table"]
    config = make_project(tmp_path / "project", drop_history(prelude), settings=settings)
    out = tmp_path / "out"
    assert upgrade_to_dir(config, out, "--strict").exit_code == 0
    review = (out / "REVIEW.md").read_text(encoding="utf-8")
    assert "0 errors" in review and "`drop-table`" in review and "(allowed)" in review


# ---- a downgrade directory -------------------------------------------------------------------

EMPTY_DOWNGRADE = (
    *NO_DOWNGRADE[:1],
    Rev("b2", "a1", "create logs", upgrade=table("logs"), downgrade='op.drop_table("logs")'),
    Rev("c3", "b2", "add name",
        upgrade='op.add_column("users", sa.Column("name", sa.String(20)))', downgrade="pass"),
    Rev("d4", "c3", "merge point"),  # records nothing either way: nothing to undo
)  # fmt: skip


def downgrade_to_dir(config: Path, out: Path, *extra: str) -> Result:
    return mig("-c", str(config), "--dialect", "sqlite", "downgrade", "head:base", "--sql", "-o",
               str(out), *extra)  # fmt: skip


@pytest.fixture
def downgrade_dir(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    result = downgrade_to_dir(make_project(tmp_path / "project", EMPTY_DOWNGRADE), out)
    assert result.exit_code == 0, result.output
    return out


def test_downgrade_review_names_the_re_upgrade_as_rollback(downgrade_dir: Path) -> None:
    rows = review_rows(downgrade_dir)
    assert rows["a1"] == rows["b2"] == rows["d4"] == "available (re-upgrade)"
    assert "re-upgrade" in rows["c3"] and "downgrade() changed nothing" in rows["c3"]
    text = (downgrade_dir / "REVIEW.md").read_text(encoding="utf-8")
    assert "not applicable" not in text
    entries = manifest(downgrade_dir)["entries"]
    assert all(entry["rollback"] is not None for entry in entries)
    assert len(list((downgrade_dir / "rollback").iterdir())) == len(entries) == 4


def finding_rows(root: Path, rule: str) -> list[str]:
    text = (root / "REVIEW.md").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if f"| `{rule}` |" in line]


def test_empty_downgrade_is_a_warning_for_that_revision_only(downgrade_dir: Path) -> None:
    rows = finding_rows(downgrade_dir, "empty-downgrade")
    assert len(rows) == 1
    assert "revision c3" in rows[0] and "**warning**" in rows[0]
    assert "write downgrade()" in rows[0]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_mig_review_downgrade_reports_the_empty_downgrade(tmp_path: Path, fmt: str) -> None:
    config = make_project(tmp_path / "project", EMPTY_DOWNGRADE)
    result = mig("-c", str(config), "review", "--downgrade", "head:b2", "--format", fmt)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("empty-downgrade") == 1


def test_strict_reports_the_empty_downgrade_without_refusing(tmp_path: Path) -> None:
    """--strict refuses error findings; the empty downgrade is a warning, reported not refused."""
    config = make_project(tmp_path / "project", EMPTY_DOWNGRADE[:3])
    out = tmp_path / "out"
    result = mig("-c", str(config), "downgrade", "head:b2", "--sql", "--strict", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert len(finding_rows(out, "empty-downgrade")) == 1


def test_a_real_downgrade_has_no_empty_downgrade_finding(tmp_path: Path) -> None:
    history = (*EMPTY_DOWNGRADE[:2], dataclasses.replace(
        EMPTY_DOWNGRADE[2], downgrade='op.drop_column("users", "name")'))  # fmt: skip
    out = tmp_path / "out"
    assert downgrade_to_dir(make_project(tmp_path / "project", history), out).exit_code == 0
    assert finding_rows(out, "empty-downgrade") == []
    assert set(review_rows(out).values()) == {"available (re-upgrade)"}


# ---- the rollback walk answers the downgrade check -------------------------------------------


def test_each_downgrade_runs_once_in_a_directory_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rollback walk runs every downgrade() with the state; the check that a revision
    has a way back (which runs it without) is not asked again where the walk's step
    recorded something: each downgrade() runs once, each upgrade() once."""
    import offline_sql.project as project_module

    calls: list[tuple[str, str]] = []
    real = project_module.record_operations

    def counting(header: Any, direction: Literal["up", "down"], *args: Any, **kwargs: Any) -> Any:
        calls.append((header.revision, direction))
        return real(header, direction, *args, **kwargs)

    monkeypatch.setattr(project_module, "record_operations", counting)
    monkeypatch.setattr("offline_sql.generate.record_operations", counting)
    history = (NO_DOWNGRADE[0], dataclasses.replace(NO_DOWNGRADE[2], down="a1"))
    config = make_project(tmp_path / "project", history)
    out = tmp_path / "out"
    result = mig("-c", str(config), "--no-cache", "upgrade", "head", "--sql", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert sorted(calls) == [("a1", "down"), ("a1", "up"), ("c3", "down"), ("c3", "up")]
    assert [e["has_downgrade"] for e in manifest(out)["entries"]] == [True, True]
    assert len(list((out / "rollback").iterdir())) == 2


def test_a_broken_downgrade_below_one_missing_still_fails_the_run(tmp_path: Path) -> None:
    """The walk stops above the first revision without a way back; the revisions below it
    are checked as before, and a downgrade() failing there is still the script's error."""
    history = (
        dataclasses.replace(NO_DOWNGRADE[0], downgrade='raise RuntimeError("broken on purpose")'),
        *NO_DOWNGRADE[1:],
    )
    out = tmp_path / "out"
    result = upgrade_to_dir(make_project(tmp_path / "project", history), out)
    assert result.exit_code == 1
    assert "a1" in result.stderr and "broken on purpose" in result.stderr
    assert "downgrade()" in result.stderr
    assert not out.exists()


def test_of_two_broken_downgrades_the_walk_reports_the_higher(tmp_path: Path) -> None:
    """The rollback walk goes from the head down and meets the higher revision first (the
    check ran before it in upgrade order and named the lower one)."""
    boom = 'raise RuntimeError("broken on purpose")'
    history = (
        dataclasses.replace(NO_DOWNGRADE[0], downgrade=boom),
        dataclasses.replace(NO_DOWNGRADE[1], downgrade='op.drop_table("logs")'),
        dataclasses.replace(NO_DOWNGRADE[2], downgrade=boom),
    )
    out = tmp_path / "out"
    result = upgrade_to_dir(make_project(tmp_path / "project", history), out)
    assert result.exit_code == 1
    assert "revision c3" in result.stderr and "broken on purpose" in result.stderr
    assert not out.exists()


def test_a_directory_run_remembers_no_answer_it_did_not_need_a_script_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upgrade has no empty downgrade steps (only a downgrade step can be one), and a
    revision whose downgrade the rollback walk rendered needs no check: the step cache
    keeps only each step's review (one row a step), not an answer per step per question."""
    from offline_sql.stepcache.cache import StepCache

    kept: list[bytes] = []
    real = StepCache.remember_review

    def counting(self: StepCache, key: str, value: bytes, *args: Any, **kwargs: Any) -> None:
        kept.append(value)
        real(self, key, value, *args, **kwargs)

    monkeypatch.setattr(StepCache, "remember_review", counting)
    history = (NO_DOWNGRADE[0], dataclasses.replace(NO_DOWNGRADE[2], down="a1"))
    out = tmp_path / "out"
    result = upgrade_to_dir(make_project(tmp_path / "project", history), out)
    assert result.exit_code == 0, result.stderr
    assert len(kept) == 2 and all(value not in (b"0", b"1") for value in kept), kept
