"""``tablemap.freeze``: a table is pickled only when a new process can unpickle it, on the
plain pickler's fast path (no folder added to ``sys.path``) as on the careful one."""

from __future__ import annotations

import pickle
import sys
import types
from pathlib import Path

import pytest

from offline_sql import tablemap
from offline_sql.table_state import TableState


def table_holding(value: object) -> TableState:
    table = TableState("t")
    table.excludes.append(value)  # type: ignore[arg-type]
    return table


def script_class() -> type:
    """A class as a revision script defines it: its module is gone from ``sys.modules``
    once the script ran (``loader.load_script``)."""
    module = types.ModuleType("offline_sql_rev_x1")
    exec("class Money:\n    pass\n", module.__dict__)
    return module.Money  # type: ignore[no-any-return]


def test_a_plain_table_round_trips() -> None:
    table = TableState("t", columns={})
    assert pickle.loads(tablemap.freeze(table)) == table


@pytest.mark.parametrize("added", [False, True], ids=["fast", "careful"])
def test_a_type_a_script_defined_is_refused(
    added: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tablemap, "_STARTUP_PATH", tuple(sys.path))
    if added:
        monkeypatch.setattr(sys, "path", [*sys.path, str(tmp_path)])
    assert tablemap._path_added() == added
    with pytest.raises(pickle.PicklingError):
        tablemap.freeze(table_holding(script_class()()))


def test_a_module_from_a_folder_a_script_added_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "project_types.py").write_text("class Money:\n    pass\n")
    monkeypatch.setattr(sys, "path", [*sys.path, str(tmp_path)])
    monkeypatch.delitem(sys.modules, "project_types", raising=False)
    import project_types  # type: ignore[import-not-found]

    try:
        with pytest.raises(pickle.PicklingError, match="cannot be imported by a new process"):
            tablemap.freeze(table_holding(project_types.Money()))
    finally:
        sys.modules.pop("project_types", None)
