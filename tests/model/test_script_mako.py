"""New revisions from a project's ``script.py.mako``: mig's reader renders what Mako renders
(every template Alembic ships, and the forms they use), refuses the rest in one line, and
``mig revision``/``merge``/``--autogenerate`` write scripts Alembic's way."""

from __future__ import annotations

import datetime
import re
import sys
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers import LINEAR, MERGED, make_project

from offline_sql import commands
from offline_sql.alembic_compat.script_template import (
    MAKO_EXTRA,
    Bodies,
    format_as_comma,
    render_mako,
    render_revision_from_mako,
)
from offline_sql.cli import cli
from offline_sql.config import Config, load_config
from offline_sql.errors import ConfigError
from offline_sql.script import mako_reader
from offline_sql.script.header import read_header
from offline_sql.script.template import RevisionSpec

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - 3.10
    import tomli as tomllib

alembic = pytest.importorskip("alembic")
mako_template = pytest.importorskip("mako.template")

TEMPLATES = sorted(Path(alembic.__file__).parent.glob("templates/*/script.py.mako"))
DATE = datetime.datetime(2026, 1, 2, 3, 4, 5, 678)


class _Config:
    def get_main_option(self, name: str, default: str | None = None) -> str | None:
        return {"databases": "engine1, engine2"}.get(name, default)


PLAIN: dict[str, Any] = {
    "up_revision": "abc123",
    "down_revision": None,
    "branch_labels": None,
    "depends_on": None,
    "create_date": DATE,
    "comma": format_as_comma,
    "message": "create users",
    "config": _Config(),
}
MERGE = {
    **PLAIN,
    "down_revision": ("a1", "b2"),
    "branch_labels": ("lab",),
    "depends_on": ["d1", "d2"],
}
AUTOGENERATE = {
    **PLAIN,
    "down_revision": "a1",
    "upgrades": "op.add_column('t', sa.Column('x', sa.Integer()))\n    op.drop_index('i')",
    "downgrades": "pass",
    "imports": "import geoalchemy2\nimport sqlalchemy_utils",
    "engine1_upgrades": "op.create_table('t')",
}


def with_mako(text: str, values: Mapping[str, Any]) -> str:
    rendered: str = mako_template.Template(text=text).render_unicode(**values)
    return rendered


def test_alembic_ships_the_templates_compared_here() -> None:
    names = {path.parent.name for path in TEMPLATES}
    assert {"generic", "async", "multidb", "pyproject"} <= names


@pytest.mark.parametrize("values", [PLAIN, MERGE, AUTOGENERATE], ids=["plain", "merge", "auto"])
@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.parent.name)
def test_reader_renders_alembics_templates_as_mako_does(
    template: Path, values: Mapping[str, Any]
) -> None:
    text = template.read_text(encoding="utf-8")
    assert mako_reader.render(text, values) == with_mako(text, values)


FORMS = r'''<%!
import re
%>\
## a comment line, dropped
<%doc>
  dropped too
</%doc>
"""${message | trim}"""
%% a literal percent
<%text>${not} <% rendered %></%text>
<%
    words = re.split(r",\s*", "a, b,c")
    label = {"k": "}"}["k"]
%>
% for index, word in enumerate(words):
${index}=${word | n}${"," if index < 2 else ""} \
% endfor

% if upgrades:
up ${upgrades}
% elif message == "x":
x
% else:
    ${context.get("nothing", "none")} ${label} ${len(words) * 2} ${repr(down_revision)}
% endif
${down_revision | comma,n} ${create_date} ${imports if imports else "-"}$ 5
'''


@pytest.mark.parametrize("values", [PLAIN, MERGE, AUTOGENERATE], ids=["plain", "merge", "auto"])
def test_reader_renders_the_common_forms_as_mako_does(values: Mapping[str, Any]) -> None:
    assert mako_reader.render(FORMS, values) == with_mako(FORMS, values)


@pytest.mark.parametrize(
    ("template", "construct"),
    [
        ('<%def name="f()">x</%def>${f()}', "<%def"),
        ('<%include file="other.mako"/>', "<%include"),
        ('<%inherit file="base.mako"/>', "<%inherit"),
        ("${message | h}", "`| h`"),
        ("${message | u}", "`| u`"),
        ("% while False:\n% endwhile\n", "`% while`"),
        ("<% print('x') %>", "<% %>"),
        ("<%! x = 1 %>", "<%! %>"),
        ("<%text filter='h'>x</%text>", "<%text"),
    ],
)
def test_reader_refuses_what_it_does_not_render(template: str, construct: str) -> None:
    with pytest.raises(mako_reader.NeedsMako) as found:
        mako_reader.render("first line\n" + template, PLAIN)
    assert found.value.line == 2
    assert construct in found.value.construct


def test_refusal_is_one_line_naming_the_file_and_the_extra(tmp_path: Path) -> None:
    template = tmp_path / "script.py.mako"
    template.write_text('"""${message}"""\n<%include file="x.mako"/>\n', encoding="utf-8")
    with pytest.raises(ConfigError) as found:
        render_mako(template, PLAIN, use_mako=False)
    message = str(found.value)
    assert "\n" not in message
    assert message.startswith(f"{template}:2: ")
    assert f"pip install '{MAKO_EXTRA}'" in message
    assert MAKO_EXTRA == "mig[mako]"


def test_the_extra_is_declared_and_not_required() -> None:
    root = Path(__file__).resolve().parents[2]
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert any(dep.lower().startswith("mako") for dep in project["optional-dependencies"]["mako"])
    assert not any(dep.lower().startswith("mako") for dep in project["dependencies"])


def test_printing_a_name_alembic_did_not_pass_fails_as_under_mako(tmp_path: Path) -> None:
    with pytest.raises(NameError):
        with_mako("${upgrades}", PLAIN)
    template = tmp_path / "script.py.mako"
    template.write_text("x\n${upgrades}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line 2: \$\{upgrades\} failed: NameError"):
        render_mako(template, PLAIN, use_mako=False)


# ---- mig revision / merge / --autogenerate in a project with script.py.mako ---------------


GENERIC = next(path for path in TEMPLATES if path.parent.name == "generic")


def alembic_project(tmp_path: Path, revisions: tuple[Any, ...] = LINEAR) -> Config:
    config = load_config(make_project(tmp_path, revisions))
    (config.script_location / "script.py.mako").write_text(GENERIC.read_text(encoding="utf-8"))
    return config


@pytest.fixture(params=["mako", "reader"])
def renderer(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test below runs with Mako installed and as if it were not."""
    if request.param == "reader":
        monkeypatch.setitem(sys.modules, "mako", None)
        monkeypatch.setitem(sys.modules, "mako.template", None)
    return str(request.param)


def test_revision_uses_the_projects_script_py_mako(tmp_path: Path, renderer: str) -> None:
    config = alembic_project(tmp_path)
    path = commands.revision(config, "add email", rev_id="def456", branch_labels=["lab"])
    text = path.read_text(encoding="utf-8")
    assert text.startswith('"""add email\n\nRevision ID: def456\nRevises: ccc3\nCreate Date: ')
    assert "revision: str = 'def456'" in text
    assert "down_revision: Union[str, Sequence[str], None] = 'ccc3'" in text
    assert "branch_labels: Union[str, Sequence[str], None] = ('lab',)" in text
    assert '    """Upgrade schema."""\n    pass\n' in text
    header = read_header(path)
    assert (header.revision, header.down_revisions, header.branch_labels) == (
        "def456",
        ("ccc3",),
        ("lab",),
    )


def test_merge_uses_the_projects_script_py_mako(tmp_path: Path, renderer: str) -> None:
    config = alembic_project(tmp_path, MERGED[:3])
    path = commands.merge(config, ["heads"], "join", rev_id="eee5")
    text = path.read_text(encoding="utf-8")
    assert "Revises: bbb2, ccc3\n" in text
    assert "down_revision: Union[str, Sequence[str], None] = ('bbb2', 'ccc3')" in text


def test_the_same_inputs_give_the_same_bytes(tmp_path: Path, renderer: str) -> None:
    config = alembic_project(tmp_path)
    mako = config.script_location / "script.py.mako"
    spec = RevisionSpec("abc", 'say """hi""" \\ there', ("ccc3",))
    first = render_revision_from_mako(config, mako, spec, DATE)
    assert first == render_revision_from_mako(config, mako, spec, DATE)
    assert "Create Date: 2026-01-02 03:04:05.000678\n" in first
    assert read_header_text(tmp_path, first).message == 'say """hi""" \\ there'


def read_header_text(tmp_path: Path, text: str) -> Any:
    path = tmp_path / "rendered.py"
    path.write_text(text, encoding="utf-8")
    return read_header(path)


def test_mako_and_the_reader_write_the_same_script(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = alembic_project(tmp_path)
    mako = config.script_location / "script.py.mako"
    spec = RevisionSpec("abc", "m", ("ccc3",), ("x",), ("aaa1",))
    bodies = Bodies("op.drop_table('t')", "pass", "import geoalchemy2")
    with_mako = render_revision_from_mako(config, mako, spec, DATE, bodies)
    monkeypatch.setitem(sys.modules, "mako", None)
    monkeypatch.setitem(sys.modules, "mako.template", None)
    assert render_revision_from_mako(config, mako, spec, DATE, bodies) == with_mako
    assert "\nimport geoalchemy2\n" in with_mako and "    op.drop_table('t')\n" in with_mako


def test_a_template_that_drops_the_generated_operations_is_refused(
    tmp_path: Path, renderer: str
) -> None:
    config = alembic_project(tmp_path)
    mako = config.script_location / "script.py.mako"
    mako.write_text(GENERIC.read_text().replace('${upgrades if upgrades else "pass"}', "pass"))
    bodies = Bodies("op.drop_table('t')", "pass", "")
    with pytest.raises(ConfigError, match=r"does not place \$\{upgrades\}"):
        render_revision_from_mako(config, mako, RevisionSpec("abc", "m", ("ccc3",)), DATE, bodies)


def test_a_template_that_does_not_declare_the_revision_is_refused(
    tmp_path: Path, renderer: str
) -> None:
    config = alembic_project(tmp_path)
    mako = config.script_location / "script.py.mako"
    mako.write_text(GENERIC.read_text().replace("${repr(down_revision)}", "None"))
    with pytest.raises(ConfigError, match="down_revision"):
        commands.revision(config, "m", rev_id="abc")
    assert not list(config.versions_dir.glob("abc*"))


def test_a_mig_template_in_the_project_wins(tmp_path: Path) -> None:
    config = alembic_project(tmp_path)
    config.template_path.write_text('"""${message}"""\nrevision = ${revision_literal}\n')
    path = commands.revision(config, "own", rev_id="abc")
    assert path.read_text() == '"""own"""\nrevision = "abc"\n'


def test_cli_refusal_without_mako_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = alembic_project(tmp_path)
    mako = config.script_location / "script.py.mako"
    mako.write_text('<%inherit file="base.mako"/>\n' + GENERIC.read_text())
    monkeypatch.setitem(sys.modules, "mako", None)
    monkeypatch.setitem(sys.modules, "mako.template", None)
    result = CliRunner().invoke(cli, ["-c", str(config.config_file), "revision", "-m", "x"])
    assert result.exit_code == 1, result.output
    assert result.stderr.count("\n") == 1
    assert f"{mako}:1: " in result.stderr and "pip install 'mig[mako]'" in result.stderr


def test_timezone_in_alembic_ini_dates_the_revision(tmp_path: Path) -> None:
    (tmp_path / "alembic.ini").write_text(
        "[alembic]\nscript_location = migrations\ntimezone = Asia/Tokyo\n", encoding="utf-8"
    )
    (tmp_path / "migrations" / "versions").mkdir(parents=True)
    (tmp_path / "migrations" / "script.py.mako").write_text(GENERIC.read_text())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # timezone is used, so no warning names it
        config = load_config(tmp_path / "alembic.ini", environ={})
    text = commands.revision(config, "first", rev_id="abc").read_text()
    assert re.search(r"^Create Date: .*\+09:00$", text, re.M), text
