"""mig's code in the cache keys includes the dialects, wherever they are installed.

An editable install keeps the checkout's top-level ``dialects/`` outside the package folder
(``package-dir``); an edited dialect must still be a new mig, and a dialect module a script
happens to load first must not count as a file the script read.
"""

from __future__ import annotations

from offline_sql.dialect_api.registry import dialects_folder
from offline_sql.stepcache import deps, keys


def test_the_code_folders_hold_the_dialects() -> None:
    """Every ``.py`` file under a code folder is in the fingerprint (an edit there misses, see
    ``test_stepcache_invalidation.py::test_the_fingerprint_covers_the_code_and_the_libraries``)."""
    folder = dialects_folder()
    assert any(folder.is_relative_to(code) for code in keys.code_folders())
    assert (folder / "mysql" / "dialect.py").is_file()


def test_dialect_files_are_never_a_scripts_dependency() -> None:
    source = dialects_folder() / "oracle" / "dialect.py"
    assert deps._under(str(source), deps._versioned_roots())
