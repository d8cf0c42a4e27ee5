"""read_header: module-level literals via ast, never an import."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphs import r, script_text

from offline_sql.errors import HeaderError, ScriptError
from offline_sql.script.header import RevisionHeader, read_header


def write(tmp_path: Path, text: str, name: str = "0001_x.py") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_a_generated_script(tmp_path: Path) -> None:
    path = write(tmp_path, script_text(r("b2", "b1", labels=["shop"], deps=["x1"])))
    assert read_header(path) == RevisionHeader(
        revision="b2",
        down_revisions=("b1",),
        branch_labels=("shop",),
        depends_on=("x1",),
        message="step b2",
        path=str(path),
    )


@pytest.mark.parametrize(
    ("assignment", "expected"),
    [
        ("down_revision = None", ()),
        ("down_revision = 'a'", ("a",)),
        ("down_revision = ('a', 'b')", ("a", "b")),
        ("down_revision = ['a', 'b']", ("a", "b")),
        ("down_revision: str | None = 'a'", ("a",)),
        ("down_revision: Union[str, Sequence[str], None] = ('b', 'a')", ("b", "a")),
        ("down_revision = ('a', 'a')", ("a",)),
        ("", ()),
    ],
)
def test_down_revision_forms(tmp_path: Path, assignment: str, expected: tuple[str, ...]) -> None:
    path = write(tmp_path, f"revision = 'x'\n{assignment}\n")
    assert read_header(path).down_revisions == expected


@pytest.mark.parametrize(
    ("source", "field", "expected"),
    [
        ("branch_labels = 'shop'", "branch_labels", ("shop",)),
        ("branch_labels = ('a', 'b')", "branch_labels", ("a", "b")),
        ("depends_on = ['x', 'y']", "depends_on", ("x", "y")),
        ("mig_allow = ('drop-column',)", "allow_findings", ("drop-column",)),
        ("mig_allow: tuple[str, ...] = ('a', 'b')", "allow_findings", ("a", "b")),
    ],
)
def test_optional_fields(tmp_path: Path, source: str, field: str, expected: object) -> None:
    path = write(tmp_path, f"revision: str = 'x'\n{source}\n")
    assert getattr(read_header(path), field) == expected


@pytest.mark.parametrize(
    ("docstring", "message"),
    [
        ('"""Add users\n\nRevision ID: x\n"""', "Add users"),
        ('"""\n   add orders table   \n"""', "add orders table"),
        ("'single'", "single"),
        ("", ""),
    ],
)
def test_message_is_first_docstring_line(tmp_path: Path, docstring: str, message: str) -> None:
    path = write(tmp_path, f"{docstring}\nrevision = 'x'\n")
    assert read_header(path).message == message


def test_only_module_level_counts(tmp_path: Path) -> None:
    source = (
        "revision = 'x'\n"
        "def upgrade():\n    revision = 'inner'\n    down_revision = 'y'\n"
        "class C:\n    down_revision = 'z'\n"
    )
    header = read_header(write(tmp_path, source))
    assert (header.revision, header.down_revisions) == ("x", ())


def test_never_imports_the_script(tmp_path: Path) -> None:
    source = "import not_installed_anywhere\nraise SystemExit('imported!')\nrevision = 'x'\n"
    assert read_header(write(tmp_path, source)).revision == "x"


def test_last_assignment_wins(tmp_path: Path) -> None:
    assert read_header(write(tmp_path, "revision = 'x'\nrevision = 'y'\n")).revision == "y"


@pytest.mark.parametrize(
    "source",
    [
        "revision = make_id()\n",
        "revision = 'x'\ndown_revision = PARENT\n",
        "revision = 'x'\ndepends_on = ('a', b)\n",
        "revision = 'x'\nbranch_labels = f'{1}'\n",
    ],
)
def test_non_literal_is_a_header_error_with_line(tmp_path: Path, source: str) -> None:
    path = write(tmp_path, source)
    line = len(source.splitlines())
    with pytest.raises(HeaderError, match=rf"{path.name}:{line}: \w+ must be a literal"):
        read_header(path)


@pytest.mark.parametrize(
    "source",
    [
        "revision = 'x'\ndown_revision = 3\n",
        "revision = 'x'\ndepends_on = ('a', 1)\n",
        "revision = ''\n",
        "revision = ('a',)\n",
    ],
)
def test_wrong_literal_types(tmp_path: Path, source: str) -> None:
    with pytest.raises(HeaderError, match="must be"):
        read_header(write(tmp_path, source))


def test_missing_revision_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "down_revision = None\n", name="helper.py")
    with pytest.raises(HeaderError, match=r"helper\.py: no module-level 'revision"):
        read_header(path)


def test_syntax_error_is_a_script_error_with_line(tmp_path: Path) -> None:
    path = write(tmp_path, "revision = 'x'\n\ndef upgrade(:\n    pass\n")
    with pytest.raises(ScriptError, match=rf"{path.name}:3: syntax error: "):
        read_header(path)


def test_unreadable_file_is_a_script_error(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match="cannot read"):
        read_header(tmp_path / "missing.py")


def test_encoding_cookie_and_unicode(tmp_path: Path) -> None:
    path = tmp_path / "x.py"
    path.write_bytes("# -*- coding: latin-1 -*-\n'''Café'''\nrevision = 'x'\n".encode("latin-1"))
    assert read_header(path).message == "Café"
