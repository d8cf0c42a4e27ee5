"""Alembic scripts run unmodified: ``from alembic import op/context`` resolve to mig's while
mig imports and runs scripts, and to whatever they were before afterwards."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import pytest
from helpers import Rev, make_project
from stepcache_helpers import count_imports, mig, ok

ALEMBIC_STYLE = Rev(
    "a1",
    None,
    "alembic style",
    prelude=(
        "import alembic\n"
        "import alembic.op\n"
        "from alembic import context\n"
        "from alembic import op as alembic_op\n"
    ),
    upgrade=(
        "assert context.is_offline_mode() and alembic_op.get_context().as_sql\n"
        "assert context.get_tag_argument() is None\n"
        "x = context.get_x_argument(as_dictionary=True)\n"
        "assert context.get_x_argument() == [f'{k}={v}' for k, v in x.items()]\n"
        "name = x.get('table', 'plain')\n"
        "alembic.op.create_table(name, sa.Column('id', sa.Integer, primary_key=True))\n"
        "alembic_op.add_column(name, sa.Column('url', sa.Text))\n"
        "assert context.config.config_file_name.endswith('mig.toml')\n"
        "assert context.config.get_main_option('script_location').endswith('migrations')\n"
        "assert context.config.get_main_option('nope', 'dflt') == 'dflt'\n"
    ),
)


def _project(tmp_path: Path, revs: tuple[Rev, ...] = (ALEMBIC_STYLE,)) -> Path:
    make_project(tmp_path, revs, settings={"script_location": "migrations", "dialect": "sqlite"})
    return tmp_path


def _without_alembic(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if Alembic were not installed: importing it fails."""
    for name in list(sys.modules):
        if name == "alembic" or name.startswith("alembic."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "alembic", None)


@pytest.mark.parametrize("installed", [True, False], ids=["alembic-installed", "no-alembic"])
def test_alembic_imports_resolve_to_mig(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, installed: bool
) -> None:
    if installed:
        pytest.importorskip("alembic")
        import alembic.op

        before: object = sys.modules["alembic.op"]
        assert alembic.op is before
    else:
        _without_alembic(monkeypatch)
        before = None
    project = _project(tmp_path)
    sql = ok(mig(project, "upgrade", "head", "--sql"))
    assert "CREATE TABLE plain" in sql and "ALTER TABLE plain ADD COLUMN url TEXT" in sql
    if installed:
        assert sys.modules["alembic.op"] is before  # Alembic is left as it was
        assert "offline_sql" not in type(sys.modules["alembic"]).__module__
        assert sys.modules["alembic"].op is before
    else:
        assert sys.modules["alembic"] is None
        assert "alembic.op" not in sys.modules and "alembic.context" not in sys.modules


def test_x_arguments_reach_scripts_and_key_the_cache(tmp_path: Path) -> None:
    project = _project(tmp_path)
    plain = ok(mig(project, "upgrade", "head", "--sql"))
    named = ok(mig(project, "-x", "table=named", "upgrade", "head", "--sql"))
    assert "CREATE TABLE named" in named and "plain" not in named
    assert ok(mig(project, "upgrade", "head", "--sql")) == plain  # not the -x run's cache


def test_other_alembic_modules_are_refused_clearly(tmp_path: Path) -> None:
    rev = Rev("a1", None, "internals", prelude="from alembic.operations import ops\n")
    outcome = mig(_project(tmp_path, (rev,)), "upgrade", "head", "--sql")
    assert outcome.exit_code == 1
    assert "alembic.operations.ops" in outcome.stderr
    assert "alembic.op, alembic.context and alembic.operations only" in outcome.stderr


def test_offline_sql_op_scripts_still_work(tmp_path: Path) -> None:
    rev = Rev("a1", None, "mig style", upgrade="op.create_table('t', sa.Column('id', sa.Integer))")
    assert "CREATE TABLE t" in ok(mig(_project(tmp_path, (rev,)), "upgrade", "head", "--sql"))


def test_env_only_context_calls_say_so(tmp_path: Path) -> None:
    rev = Rev(
        "a1", None, "env", prelude="from alembic import context\n", upgrade="context.configure()"
    )
    outcome = mig(_project(tmp_path, (rev,)), "upgrade", "head", "--sql")
    assert outcome.exit_code == 1 and "env.py" in outcome.stderr


# ---- every script of the run is imported before any runs (as Alembic does) -------------

HELPER_SCRIPTS = (
    # a1 runs first and reaches pkg_i15.sub through `import pkg_i15` alone: it works only
    # because b2 (later in the history) imports pkg_i15.sub, as under Alembic.
    Rev(
        "a1",
        None,
        "uses sub",
        prelude="import pkg_i15\n",
        upgrade="op.create_table(pkg_i15.sub.NAME, sa.Column('id', sa.Integer))",
    ),
    Rev("b2", "a1", "imports sub", prelude="import pkg_i15.sub\n"),
)


@pytest.fixture
def helper_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    lib = tmp_path / "lib"
    (lib / "pkg_i15").mkdir(parents=True)
    (lib / "pkg_i15" / "__init__.py").write_text("")
    (lib / "pkg_i15" / "sub.py").write_text("NAME = 'from_sub'\n")
    monkeypatch.syspath_prepend(str(lib))
    for name in ("pkg_i15", "pkg_i15.sub"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return lib


def _forget(*names: str) -> None:
    for name in names:
        sys.modules.pop(name, None)


def test_scripts_of_a_run_are_imported_before_any_runs(
    tmp_path: Path, helper_package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(tmp_path / "p", HELPER_SCRIPTS)
    imports = count_imports(monkeypatch)
    sql = ok(mig(project, "upgrade", "head", "--sql"))
    assert "CREATE TABLE from_sub" in sql
    assert imports.take() == ["a1", "b2"]
    _forget("pkg_i15", "pkg_i15.sub")
    assert ok(mig(project, "upgrade", "head", "--sql")) == sql  # cached: imports nothing
    assert imports.take() == []


def test_only_the_scripts_that_run_are_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    revs = (
        Rev("a1", None, "one", upgrade="op.create_table('t1', sa.Column('id', sa.Integer))"),
        Rev("b2", "a1", "two", upgrade="op.create_table('t2', sa.Column('id', sa.Integer))"),
        Rev("c3", "b2", "three", upgrade="op.create_table('t3', sa.Column('id', sa.Integer))"),
    )
    project = _project(tmp_path, revs)
    imports = count_imports(monkeypatch)
    ok(mig(project, "upgrade", "head", "--sql"))
    assert imports.take() == ["a1", "b2", "c3"]
    script = next((project / "migrations" / "versions").glob("b2_*.py"))
    script.write_text(script.read_text().replace("'t2'", "'t2b'"))
    assert "t2b" in ok(mig(project, "upgrade", "head", "--sql"))
    assert imports.take() == ["b2", "c3"]  # a1 is cached: not imported


def test_module_type_of_shim_is_plain(tmp_path: Path) -> None:
    from offline_sql.alembic_compat.overlay import alembic_modules

    saved = sys.modules.get("alembic")
    with alembic_modules():
        shim = sys.modules["alembic"]
        assert isinstance(shim, ModuleType)
        from offline_sql import op

        assert shim.op is op
    assert sys.modules.get("alembic") is saved


def test_nested_overlays_restore_once_at_the_outermost() -> None:
    from offline_sql.alembic_compat.overlay import alembic_modules

    saved = sys.modules.get("alembic")
    with alembic_modules():
        shim = sys.modules["alembic"]
        with alembic_modules():
            assert sys.modules["alembic"] is shim
        assert sys.modules["alembic"] is shim  # the inner block left the outer one's overlay
    assert sys.modules.get("alembic") is saved
