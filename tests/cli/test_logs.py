"""mig's logger is set up by the command line when first used (offline_sql.logs).

Browsing commands and runs the result memo answers log nothing and do not import logging
(3 ms); the setup (the ``mig: ...`` handler, ``-q``, ``-v``) waits until a module asks for
the logger. That holds only if every module asks through :func:`offline_sql.logs.logger`:
the first test reads the code for any other way in."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import offline_sql

PACKAGE = Path(offline_sql.__file__).parent
SETUPS = {("cli.py", "_set_level"), ("cli.py", "_stderr_handler"), ("quick.py", "refuse")}
"""The command line's setups, which :mod:`offline_sql.logs` runs: they may take the logger
(``quick.refuse``: a run answered before the command line is built refuses its answer
when a module asks for one)."""


def _get_logger_calls(path: Path) -> list[tuple[str, str, int]]:
    """(enclosing function, first argument's source, line) of each ``getLogger`` call."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, str, int]] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = (
                child.name
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
                else function
            )
            if isinstance(child, ast.Call):
                func = child.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name == "getLogger":
                    arg = ast.unparse(child.args[0]) if child.args else ""
                    found.append((function, arg, child.lineno))
            visit(child, inner)

    visit(tree, "")
    return found


def test_every_module_takes_mig_logger_through_logs() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative == "logs.py":
            continue
        for function, arg, line in _get_logger_calls(path):
            if arg == "'sqlglot'" or (relative, function) in SETUPS:
                continue
            wrong.append(f"{relative}:{line}: getLogger({arg}) in {function or 'the module'}")
    assert wrong == [], "take mig's logger with offline_sql.logs.logger():\n" + "\n".join(wrong)


_WAITS = """
import sys
from offline_sql import logs

done = []

def setup(name):
    def make():
        import logging
        logger = logging.getLogger(logs.NAME)
        done.append(("made", name, logger.level))
        logger.setLevel(logger.level + 1)
        return lambda: (done.append(("undone", name)), logger.setLevel(logger.level - 1))
    return make

with logs.configured(setup("never used")):  # nothing asks for the logger
    pass
assert done == [] and "logging" not in sys.modules, done

with logs.configured(setup("outer")):
    with logs.configured(setup("inner")):
        assert "logging" not in sys.modules, "imported before the logger was asked for"
        assert done == []
        level = logs.logger("offline_sql.online").getEffectiveLevel()
        assert done == [("made", "outer", 0), ("made", "inner", 1)], done
        assert level == 2, level
    with logs.configured(setup("at once")):  # logging is imported now
        assert done[-1] == ("made", "at once", 1), done
print(done[2:])
print(logs.logger().level)
"""


def test_setups_wait_for_the_first_logger_and_are_made_in_order() -> None:
    run = subprocess.run(
        [sys.executable, "-c", _WAITS], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "[('undone', 'inner'), ('made', 'at once', 1), ('undone', 'at once'), ('undone', 'outer')]",
        "0",
    ]
