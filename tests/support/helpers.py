"""Reusable builders for test projects: a config file plus revision scripts on disk.

``make_project(tmp_path, LINEAR)`` gives a project folder any test can point mig at, with
``cwd=`` or ``-c``. The ready-made histories cover the shapes the graph must handle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

Names = str | tuple[str, ...] | None
TomlValue = str | bool | int | Sequence[str]


@dataclass(frozen=True)
class Rev:
    """One revision script to write; ``upgrade``/``downgrade`` are function bodies."""

    id: str
    down: Names = None
    message: str = ""
    branch_labels: Names = None
    depends_on: Names = None
    upgrade: str = "pass"
    downgrade: str = "pass"
    prelude: str = ""
    """Module-level code placed before the header (e.g. ``raise RuntimeError``)."""

    @property
    def filename(self) -> str:
        return f"{self.id}_{self.message.lower().replace(' ', '_') or 'rev'}.py"


def _indent(body: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in body.splitlines())


def revision_source(rev: Rev) -> str:
    """The text of a revision script in the shape ``mig revision`` writes."""
    return (
        f'"""{rev.message or rev.id}"""\n\n'
        "from __future__ import annotations\n\n"
        "import sqlalchemy as sa\n\n"
        "from offline_sql import op\n\n"
        f"{rev.prelude}\n"
        f"revision = {rev.id!r}\n"
        f"down_revision = {rev.down!r}\n"
        f"branch_labels = {rev.branch_labels!r}\n"
        f"depends_on = {rev.depends_on!r}\n\n\n"
        f"def upgrade() -> None:\n{_indent(rev.upgrade)}\n\n\n"
        f"def downgrade() -> None:\n{_indent(rev.downgrade)}\n"
    )


def toml_value(value: TomlValue) -> str:
    """A TOML literal for the few value types mig's config uses."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "[" + ", ".join(toml_value(item) for item in value) + "]"


def toml_table(settings: Mapping[str, TomlValue]) -> str:
    return "".join(f"{key} = {toml_value(value)}\n" for key, value in settings.items())


DEFAULT_SETTINGS: dict[str, TomlValue] = {
    "script_location": "migrations",
    "url": "sqlite:///app.db",
}


def write_revisions(versions: Path, revisions: Sequence[Rev]) -> list[Path]:
    versions.mkdir(parents=True, exist_ok=True)
    paths = []
    for rev in revisions:
        path = versions / rev.filename
        path.write_text(revision_source(rev), encoding="utf-8")
        paths.append(path)
    return paths


def make_project(
    root: Path,
    revisions: Sequence[Rev] = (),
    *,
    settings: Mapping[str, TomlValue] | None = None,
    pyproject: bool = False,
) -> Path:
    """Write ``mig.toml`` (or ``[tool.mig]`` in pyproject.toml) and the scripts; return the
    config file. ``settings`` replaces :data:`DEFAULT_SETTINGS` entirely."""
    root.mkdir(parents=True, exist_ok=True)
    table = toml_table(DEFAULT_SETTINGS if settings is None else settings)
    if pyproject:
        config = root / "pyproject.toml"
        config.write_text('[project]\nname = "app"\n\n[tool.mig]\n' + table, encoding="utf-8")
    else:
        config = root / "mig.toml"
        config.write_text(table, encoding="utf-8")
    location = (settings or DEFAULT_SETTINGS).get("script_location", "migrations")
    assert isinstance(location, str)
    write_revisions(root / location / "versions", revisions)
    return config


LINEAR = (
    Rev("aaa1", None, "create users"),
    Rev("bbb2", "aaa1", "add email"),
    Rev("ccc3", "bbb2", "add index"),
)
"""aaa1 -> bbb2 -> ccc3"""

BRANCHED = (
    Rev("aaa1", None, "create users"),
    Rev("bbb2", "aaa1", "left side"),
    Rev("ccc3", "aaa1", "right side"),
)
"""aaa1 branches into bbb2 and ccc3 (two heads)."""

MERGED = (*BRANCHED, Rev("ddd4", ("bbb2", "ccc3"), "merge sides"))
"""BRANCHED joined again by ddd4."""

DEPENDS = (
    Rev("aaa1", None, "create users"),
    Rev("bbb2", "aaa1", "add email"),
    Rev("xxx1", None, "other base", branch_labels=("other",)),
    Rev("yyy2", "xxx1", "needs email", depends_on="bbb2"),
)
"""Two independent branches; yyy2 on the ``other`` branch depends on bbb2."""

USERS_AND_EMAIL = (
    Rev("a1", None, "create users", upgrade=(
        'op.create_table("users", sa.Column("id", sa.Integer, primary_key=True),\n'
        '                sa.Column("name", sa.String(20)))'),
        downgrade='op.drop_table("users")'),
    Rev("b2", "a1", "add email", upgrade=(
        'op.add_column("users", sa.Column("email", sa.String(50), nullable=False))\n'
        'op.create_index("ix_users_email", "users", ["email"])'),
        downgrade='op.drop_index("ix_users_email", table_name="users")\n'
                  'op.drop_column("users", "email")'),
)  # fmt: skip
"""A users table, then a NOT NULL email column without default and its index, each with its
downgrade: the start of the histories that review and ticket tests give findings."""


def listing(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (its path relative to ``root``, with ``/``) and its bytes:
    two directories compare equal when they hold the same files byte for byte."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}
