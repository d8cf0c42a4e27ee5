"""`mig revision` and `mig merge`: new scripts that the header reader and graph accept."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from helpers import BRANCHED, DEPENDS, LINEAR, MERGED, Rev, make_project

from offline_sql import commands
from offline_sql.config import Config, load_config
from offline_sql.errors import (
    AmbiguousRevisionError,
    ConfigError,
    DuplicateRevisionError,
    MultipleHeadsError,
    RevisionError,
    UnknownRevisionError,
    UsageError,
)
from offline_sql.script.header import RevisionHeader, read_header
from offline_sql.script.template import (
    RevisionSpec,
    package_template,
    python_literal,
    render_revision,
    revision_filename,
    slugify,
)


def project(tmp_path: Path, revisions: tuple[Rev, ...] = ()) -> Config:
    return load_config(make_project(tmp_path, revisions))


def create(config: Config, message: str = "next", **options: object) -> RevisionHeader:
    path = commands.revision(config, message, **options)  # type: ignore[arg-type]
    return read_header(path)


# ---- the template -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "slug"),
    [
        ("Add users table", "add_users_table"),
        ("  drop -- old  stuff!! ", "drop_old_stuff"),
        ("Ünïcode ok?", "n_code_ok"),
        ("", ""),
        ("x" * 60, "x" * 40),
        ("a" * 39 + " b", "a" * 39),
    ],
)
def test_slugify(message: str, slug: str) -> None:
    assert slugify(message) == slug


@pytest.mark.parametrize(
    ("message", "name"), [("add users", "ab12_add_users.py"), ("", "ab12.py"), ("!!", "ab12.py")]
)
def test_revision_filename(message: str, name: str) -> None:
    assert revision_filename("ab12", message) == name


@pytest.mark.parametrize(
    ("values", "literal"),
    [((), "None"), (("a",), '"a"'), (("a", "b"), '("a", "b")'), (('q"',), '"q\\""')],
)
def test_python_literal(values: tuple[str, ...], literal: str) -> None:
    assert python_literal(values) == literal
    assert ast.literal_eval(literal) == (
        None if not values else values[0] if len(values) == 1 else values
    )


def test_rendered_script_has_the_documented_shape() -> None:
    spec = RevisionSpec("abc", "Add users", ("p1", "p2"), ("lbl",), ("dep",))
    text = render_revision(spec, package_template(), "test")
    tree = ast.parse(text)
    assert ast.get_docstring(tree, clean=True) == "Add users\n\nRevision ID: abc\nRevises: p1, p2"
    assert "from __future__ import annotations\n" in text
    assert "import sqlalchemy as sa\n" in text
    assert "from offline_sql import op\n" in text
    assert 'revision = "abc"\n' in text
    assert 'down_revision = ("p1", "p2")\n' in text
    assert 'branch_labels = "lbl"\n' in text
    assert 'depends_on = "dep"\n' in text
    assert "def upgrade() -> None:\n    pass\n" in text
    assert "def downgrade() -> None:\n    pass\n" in text


@pytest.mark.parametrize(
    "message", ['say """hi"""', "back\\slash \\n", 'ends with "', "tab\there", "ünï ☃"]
)
def test_awkward_messages_survive(message: str) -> None:
    text = render_revision(RevisionSpec("abc", message), package_template(), "t")
    docstring = ast.get_docstring(ast.parse(text), clean=True)
    assert docstring is not None
    assert docstring.splitlines()[0] == message.expandtabs()


def test_message_that_is_not_utf8_is_a_usage_error() -> None:
    """Undecodable argv bytes arrive as lone surrogates, which no script file can hold."""
    with pytest.raises(UsageError, match="not valid UTF-8"):
        render_revision(RevisionSpec("abc", "caf\udcff"), package_template(), "t")


def test_unknown_placeholder_in_a_project_template(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"my.tmpl: unknown placeholder \$\{author\}"):
        render_revision(RevisionSpec("abc", "m"), "${author}\n", "my.tmpl")


def test_invalid_template(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"my.tmpl: invalid template.*\$\$"):
        render_revision(RevisionSpec("abc", "m"), "cost: $ 5\n", "my.tmpl")


# ---- mig revision -----------------------------------------------------------------------


def test_first_revision_is_a_base(tmp_path: Path) -> None:
    header = create(project(tmp_path), "create users")
    assert header.down_revisions == ()
    assert header.message == "create users"
    assert len(header.revision) == 12
    int(header.revision, 16)
    assert Path(header.path).name == f"{header.revision}_create_users.py"


def test_revision_builds_on_the_head(tmp_path: Path) -> None:
    header = create(project(tmp_path, LINEAR))
    assert header.down_revisions == ("ccc3",)


def test_revision_with_several_heads_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MultipleHeadsError, match="mig merge heads"):
        create(project(tmp_path, BRANCHED))


def test_revision_on_a_named_head(tmp_path: Path) -> None:
    header = create(project(tmp_path, BRANCHED), head="bbb2")
    assert header.down_revisions == ("bbb2",)


def test_revision_on_a_non_head_needs_splice(tmp_path: Path) -> None:
    config = project(tmp_path, LINEAR)
    with pytest.raises(RevisionError, match="--splice"):
        create(config, head="aaa1")
    assert create(config, head="aaa1", splice=True).down_revisions == ("aaa1",)


def test_revision_on_heads_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="mig merge heads"):
        create(project(tmp_path, BRANCHED), head="heads")


def test_new_branch_from_base(tmp_path: Path) -> None:
    header = create(project(tmp_path, LINEAR), head="base", branch_labels=["reports"])
    assert header.down_revisions == ()
    assert header.branch_labels == ("reports",)


def test_head_by_prefix_and_label(tmp_path: Path) -> None:
    config = project(tmp_path, DEPENDS)
    assert create(config, head="bb").down_revisions == ("bbb2",)
    assert create(config, head="other@head").down_revisions == ("yyy2",)


@pytest.mark.parametrize("head", ["zzz", "aab1", "nolabel@head"])
def test_unknown_head(tmp_path: Path, head: str) -> None:
    with pytest.raises(UnknownRevisionError):
        create(project(tmp_path, DEPENDS), head=head)


def test_ambiguous_head_prefix(tmp_path: Path) -> None:
    revisions = (Rev("ab1"), Rev("ab2", "ab1"))
    with pytest.raises(AmbiguousRevisionError):
        create(project(tmp_path, revisions), head="ab")


def test_rev_id_is_used(tmp_path: Path) -> None:
    assert create(project(tmp_path, LINEAR), rev_id="my_rev_4").revision == "my_rev_4"


@pytest.mark.parametrize("rev_id", ["has-dash", "sp ace", "", "dot.ted", "head", "base", "heads"])
def test_invalid_rev_id(tmp_path: Path, rev_id: str) -> None:
    with pytest.raises(UsageError, match="--rev-id"):
        create(project(tmp_path, LINEAR), rev_id=rev_id)


def test_duplicate_rev_id(tmp_path: Path) -> None:
    with pytest.raises(DuplicateRevisionError, match="'bbb2' already exists"):
        create(project(tmp_path, LINEAR), rev_id="bbb2")


def test_rev_id_equal_to_a_label(tmp_path: Path) -> None:
    with pytest.raises(DuplicateRevisionError, match="branch label"):
        create(project(tmp_path, DEPENDS), rev_id="other", head="other@head")


@pytest.mark.parametrize("label", ["bad-label", "1st", "head", "with@at"])
def test_invalid_branch_label(tmp_path: Path, label: str) -> None:
    with pytest.raises(UsageError, match="--branch-label"):
        create(project(tmp_path, LINEAR), branch_labels=[label])


def test_branch_label_already_used(tmp_path: Path) -> None:
    with pytest.raises(DuplicateRevisionError, match="'other' is already used by revision xxx1"):
        create(project(tmp_path, DEPENDS), head="bbb2", branch_labels=["other"])


def test_depends_on_is_resolved_to_ids(tmp_path: Path) -> None:
    config = project(tmp_path, DEPENDS)
    header = create(config, head="bbb2", depends_on=["other@head", "aa"])
    assert header.depends_on == ("yyy2", "aaa1")


def test_depends_on_unknown(tmp_path: Path) -> None:
    with pytest.raises(UnknownRevisionError, match="nope"):
        create(project(tmp_path, DEPENDS), head="bbb2", depends_on=["nope"])


def test_new_revision_joins_the_graph(tmp_path: Path) -> None:
    config = project(tmp_path, MERGED)
    new = create(config)
    assert new.down_revisions == ("ddd4",)
    assert commands.heads(config) == [f"{new.revision} (head)"]


def test_missing_versions_folder(tmp_path: Path) -> None:
    config = project(tmp_path)
    config.versions_dir.rmdir()
    with pytest.raises(ConfigError, match=r"versions folder .* does not exist"):
        create(config)


def test_project_template_is_used(tmp_path: Path) -> None:
    config = project(tmp_path)
    config.template_path.write_text('"""${message}"""\nrevision = ${revision_literal}\n# mine\n')
    header = create(config, "custom", rev_id="c1")
    assert Path(header.path).read_text() == '"""custom"""\nrevision = "c1"\n# mine\n'


# ---- mig merge --------------------------------------------------------------------------


def test_merge_heads(tmp_path: Path) -> None:
    config = project(tmp_path, BRANCHED)
    header = read_header(commands.merge(config, ["heads"], "join them"))
    assert header.down_revisions == ("bbb2", "ccc3")
    assert header.message == "join them"
    assert commands.heads(config) == [f"{header.revision} (head)"]


def test_merge_named_revisions_by_prefix(tmp_path: Path) -> None:
    config = project(tmp_path, BRANCHED)
    header = read_header(commands.merge(config, ["cc", "bbb2"], "m", rev_id="m1"))
    assert header.down_revisions == ("ccc3", "bbb2")
    assert header.revision == "m1"


@pytest.mark.parametrize("revisions", [["bbb2"], ["bbb2", "bbb2"], ["heads"]])
def test_merge_needs_two_revisions(tmp_path: Path, revisions: list[str]) -> None:
    with pytest.raises(UsageError, match="at least two"):
        commands.merge(project(tmp_path, LINEAR), revisions, "m")


def test_merge_with_an_ancestor_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RevisionError, match="aaa1 is already an ancestor"):
        commands.merge(project(tmp_path, BRANCHED), ["aaa1", "bbb2"], "m")


def test_merge_with_a_branch_label(tmp_path: Path) -> None:
    config = project(tmp_path, BRANCHED)
    header = read_header(commands.merge(config, ["heads"], "m", branch_labels=["joined"]))
    assert header.branch_labels == ("joined",)
