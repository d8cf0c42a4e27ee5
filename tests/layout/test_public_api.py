"""The public API is exactly what README documents (like httpx's ``test_exported_members``).

``offline_sql`` exports ``op``, ``MigError``, ``__version__`` and the API of
``offline_sql.api`` (``upgrade``, ``current`` ...); ``offline_sql.op`` shows only
the operations of README's "Using it" list: the helpers that implement them live in
``offline_sql._op_builders`` (which ``op`` binds) and the names ``op`` imports stay out of
``dir(op)``.
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import offline_sql
from offline_sql import op

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_op_names() -> list[str]:
    """The names in README's sentence "... for the usual operations (...)"."""
    text = " ".join(README.read_text(encoding="utf-8").split())
    found = re.search(r"for the usual operations \(([^)]*)\)", text)
    assert found, "README lost its list of op's operations"
    return re.findall(r"`(\w+)`", found.group(1))


def test_op_exports_exactly_the_documented_operations() -> None:
    documented = readme_op_names()
    assert len(documented) == len(set(documented))
    assert sorted(op.__all__) == sorted(documented)
    assert op.__all__ == sorted(op.__all__)


def test_dir_of_op_is_the_api() -> None:
    assert dir(op) == sorted(op.__all__)
    for internal in ("build_table", "build_alter_column", "current_recorder", "Iterator", "sa"):
        assert internal not in dir(op)


def test_every_operation_is_a_function_of_op_and_every_function_of_op_is_exported() -> None:
    for name in op.__all__:
        value = getattr(op, name)
        assert inspect.isfunction(value), name
        assert value.__module__ == "offline_sql.op", name
    defined_here = {
        name
        for name, value in vars(op).items()
        if inspect.isfunction(value)
        and value.__module__ == "offline_sql.op"
        and not name.startswith("_")
    }
    assert defined_here == set(op.__all__)


def test_the_builders_live_in_a_private_module() -> None:
    from offline_sql import _op_builders

    assert {"alter_column", "create_foreign_key"} <= set(vars(_op_builders))
    assert op.alter_column.__wrapped__ is _op_builders.alter_column  # type: ignore[attr-defined]
    assert "_build" not in dir(op)


def test_star_import_of_op_binds_only_the_api() -> None:
    namespace: dict[str, object] = {}
    exec("from offline_sql.op import *", namespace)
    assert sorted(set(namespace) - {"__builtins__"}) == sorted(op.__all__)


API_NAMES = ["Current", "Migrated", "check", "current", "downgrade", "stamp", "upgrade"]
"""What ``offline_sql`` takes from ``offline_sql.api`` (README "Migrating at start-up")."""


def test_the_package_exports_op_migerror_version_and_the_api() -> None:
    custom = ["MigrateOperation", "Operations"]
    assert offline_sql.__all__ == sorted(["MigError", "__version__", "op", *API_NAMES, *custom])
    assert offline_sql.op is op
    assert issubclass(offline_sql.MigError, Exception)
    public = {
        name
        for name, value in vars(offline_sql).items()
        if not name.startswith("_") and not isinstance(value, ModuleType)
    }
    assert public == {"MigError"}  # plus op and the API, imported on first use
    from offline_sql import api

    for name in API_NAMES:
        assert getattr(offline_sql, name) is getattr(api, name), name
    from offline_sql import custom_ops

    for name in custom:
        assert getattr(offline_sql, name) is getattr(custom_ops, name), name


def test_the_api_is_documented_in_readme() -> None:
    text = README.read_text(encoding="utf-8")
    for name in API_NAMES:
        assert f"`{name}" in text, name


def _fresh(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_importing_the_package_stays_cheap_and_op_loads_on_first_use() -> None:
    out = _fresh(
        "import sys, offline_sql\n"
        "print('sqlalchemy' in sys.modules, 'offline_sql.op' in sys.modules)\n"
        "print(offline_sql.upgrade.__module__, 'sqlalchemy' in sys.modules)\n"
        "print(offline_sql.op.create_table.__module__, 'sqlalchemy' in sys.modules)\n"
    )
    assert out.splitlines() == ["False False", "offline_sql.api False", "offline_sql.op True"]


def test_star_import_of_the_package_gives_op() -> None:
    out = _fresh("from offline_sql import *\nprint(op.__name__, MigError.__name__, __version__)")
    assert out == f"offline_sql.op MigError {offline_sql.__version__}"


def test_an_unknown_name_is_an_attribute_error() -> None:
    out = _fresh(
        "import offline_sql\n"
        "try:\n    offline_sql.nope\nexcept AttributeError as e:\n    print(e)\n"
    )
    assert out == "module 'offline_sql' has no attribute 'nope'"
