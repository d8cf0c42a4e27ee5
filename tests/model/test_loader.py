"""Loading revision scripts by path and running upgrade()/downgrade()."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pytest

from offline_sql.errors import MigError, RenderError, ScriptError
from offline_sql.script.loader import compiled_kept, load_script, module_name, run_revision


def write(tmp_path: Path, text: str, name: str = "rev.py") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_load_gives_fresh_module_outside_sys_modules(tmp_path: Path) -> None:
    path = write(tmp_path, "revision = 'a1'\nX = []\ndef upgrade():\n    X.append(1)\n")
    sys_path = list(sys.path)
    first = load_script(path, "a1")
    second = load_script(path, "a1")
    assert first is not second
    assert first.__name__ == "offline_sql_rev_a1"
    assert module_name("a1") not in sys.modules
    assert sys.path == sys_path
    run_revision(first, "upgrade")
    assert first.X == [1]
    assert second.X == []


def test_no_pycache_written(tmp_path: Path) -> None:
    path = write(tmp_path, "def upgrade():\n    pass\n")
    load_script(path, "a1")
    assert not (tmp_path / "__pycache__").exists()


def test_module_name_is_identifier() -> None:
    assert module_name("ae1-0.x").isidentifier()


def test_dataclass_in_script(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "from __future__ import annotations\nimport dataclasses\n"
        "@dataclasses.dataclass\nclass Row:\n    a: int\n",
    )
    module = load_script(path, "dc")
    assert module.Row(1).a == 1


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "x = 1\ndef upgrade(:\n    pass\n")
    with pytest.raises(ScriptError, match=rf"^{path}:2: SyntaxError"):
        load_script(path, "s1")


def test_import_error_is_chained(tmp_path: Path) -> None:
    path = write(tmp_path, "import sys\nimport no_such_module_xyz\n")
    with pytest.raises(ScriptError, match=rf"{path}:2: importing revision i1 raised") as info:
        load_script(path, "i1")
    assert isinstance(info.value.__cause__, ModuleNotFoundError)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match="cannot read revision m1"):
        load_script(str(tmp_path / "nope.py"), "m1")


@pytest.mark.parametrize("direction", ["upgrade", "downgrade"])
def test_missing_function(tmp_path: Path, direction: str) -> None:
    path = write(tmp_path, "revision = 'x'\n")
    module = load_script(path, "x")
    with pytest.raises(ScriptError, match=rf"no {direction}\(\) function"):
        run_revision(module, direction)  # type: ignore[arg-type]


def test_exception_in_upgrade_names_revision_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "def helper():\n    raise ValueError('bad value')\n\ndef upgrade():\n    helper()\n",
    )
    module = load_script(path, "e1")
    with pytest.raises(ScriptError) as info:
        run_revision(module, "upgrade")
    assert str(info.value) == (f"revision e1 ({path}:2): upgrade() raised ValueError: bad value")
    assert isinstance(info.value.__cause__, ValueError)


def test_mig_errors_pass_through(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "from offline_sql.errors import RenderError\n"
        "def downgrade():\n    raise RenderError('cannot')\n",
    )
    module = load_script(path, "p1")
    with pytest.raises(RenderError, match=r"^cannot$"):
        run_revision(module, "downgrade")


def test_mig_error_at_import_passes_through(tmp_path: Path) -> None:
    path = write(tmp_path, "from offline_sql.errors import MigError\nraise MigError('own')\n")
    with pytest.raises(MigError, match=r"^own$"):
        load_script(path, "p2")


# ---- bytecode kept for a run that loads each script several times (-o DIR) ---------------


def test_kept_bytecode_gives_fresh_modules_of_the_same_code(tmp_path: Path) -> None:
    path = write(tmp_path, "revision = 'a1'\nX = []\ndef upgrade():\n    X.append(1)\n")
    with compiled_kept():
        first = load_script(path, "a1")
        second = load_script(path, "a1")
    third = load_script(path, "a1")
    assert first is not second and first.X is not second.X
    assert first.upgrade.__code__ is second.upgrade.__code__  # compiled once
    assert third.upgrade.__code__ is not first.upgrade.__code__  # nothing kept outside
    assert third.upgrade.__code__ == first.upgrade.__code__


def test_kept_bytecode_is_dropped_at_its_second_load(tmp_path: Path) -> None:
    """A ticket's run loads a script for its step and for its rollback step: the code is
    kept from the first load to the second, not to the end of the run (2 KB a script, a
    rollback walk's worth at its end), and compiled again for a third load."""
    from offline_sql.script import loader

    path = write(tmp_path, "revision = 'a1'\ndef upgrade():\n    pass\n")
    with compiled_kept():
        first = load_script(path, "a1")
        kept = loader._KEPT.get()
        assert kept is not None and list(kept) == [path]
        second = load_script(path, "a1")
        assert kept == {}
        third = load_script(path, "a1")
        assert list(kept) == [path]
    assert first.upgrade.__code__ is second.upgrade.__code__
    assert third.upgrade.__code__ is not second.upgrade.__code__
    assert third.upgrade.__code__ == second.upgrade.__code__


def test_kept_bytecode_follows_the_bytes(tmp_path: Path) -> None:
    path = write(tmp_path, "revision = 'a1'\nX = 1\n")
    with compiled_kept():
        assert load_script(path, "a1").X == 1
        write(tmp_path, "revision = 'a1'\nX = 2\n")
        assert load_script(path, "a1").X == 2


def test_a_script_that_warns_when_compiled_warns_at_each_load_as_without_kept_bytecode(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "revision = 'a1'\nPATTERN = '\\d+'\n")  # an invalid escape

    def warned(loads: int) -> list[str]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _ in range(loads):
                load_script(path, "a1")
        return [f"{w.category.__name__}: {w.message}" for w in caught]

    alone = warned(2)
    assert alone and all("escape" in text for text in alone)
    with compiled_kept():
        assert warned(2) == alone
