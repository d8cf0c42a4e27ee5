"""Synthetic revision histories, written identically for mig and for Alembic.

Each revision does the four operations of issue 7: create a table with a foreign key to the
previous revision's table, add a column, create an index, change a column's type; its
downgrade undoes them. The scripts differ only in the line that imports ``op``, so both
tools do the same work. ``branchy=True`` forks the history into two branches every
:data:`BRANCH_EVERY` revisions and merges them again right after (a merge revision has no
operations, as ``alembic merge`` writes it).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

BRANCH_EVERY = 10
"""In the branchy variant, revisions ``i`` with ``i % BRANCH_EVERY == 1`` start a fork."""

_SCRIPT = '''\
"""{message}

Revision ID: {revision}
Revises: {down_label}
"""

import sqlalchemy as sa

{import_op}

revision = "{revision}"
down_revision = {down_revision}
branch_labels = None
depends_on = None


def upgrade() -> None:
{upgrade}

def downgrade() -> None:
{downgrade}
'''

_UPGRADE = """\
    op.create_table(
        "{table}",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "{fk_col}",
            sa.Integer,
            sa.ForeignKey({fk_target}, name="fk_{table}_parent"),
            nullable=True,
        ),
        sa.Column("name", sa.String(50), nullable=False),
    )
    op.add_column("{table}", sa.Column("note", sa.String(100), nullable=True))
    op.create_index("ix_{table}_name", "{table}", ["name"])
    op.alter_column(
        "{table}",
        "note",
        type_=sa.String(200),
        existing_type=sa.String(100),
        existing_nullable=True,
    )
"""

_DOWNGRADE = """\
    op.alter_column(
        "{table}",
        "note",
        type_=sa.String(100),
        existing_type=sa.String(200),
        existing_nullable=True,
    )
    op.drop_index("ix_{table}_name", table_name="{table}")
    op.drop_column("{table}", "note")
    op.drop_table("{table}")
"""

_MERGE_BODY = "    pass\n"

IMPORT_OP = {"mig": "from offline_sql import op", "alembic": "from alembic import op"}


def revision_id(index: int, salt: str = "") -> str:
    """A stable 12-hex-digit id, like the ones ``mig revision`` and Alembic write."""
    return hashlib.sha1(f"{salt}{index}".encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Revision:
    """One planned revision script (before it is rendered for a tool)."""

    revision: str
    down: tuple[str, ...]
    table: str | None
    """The table this revision creates; None for a merge."""
    parent_table: str | None
    message: str


def plan_history(n: int, branchy: bool = False) -> list[Revision]:
    """``n`` revisions in apply order (parents before children)."""
    revisions: list[Revision] = []
    heads: tuple[str, ...] = ()
    last_table: str | None = None
    i = 0
    while len(revisions) < n:
        i += 1
        table = f"t{i:05d}"
        rev = revision_id(i)
        revisions.append(Revision(rev, heads, table, last_table, f"revision {i}: {table}"))
        if branchy and i % BRANCH_EVERY == 1 and len(revisions) + 3 <= n:
            # A fork from this revision: two one-revision branches, then a merge.
            fork = rev
            left = Revision(revision_id(i, "l"), (fork,), f"{table}_l", table, f"left of {i}")
            right = Revision(revision_id(i, "r"), (fork,), f"{table}_r", table, f"right of {i}")
            merge = Revision(revision_id(i, "m"), (left.revision, right.revision), None, None,
                             f"merge after {i}")
            revisions.extend([left, right, merge])
            heads, last_table = (merge.revision,), table
        else:
            heads, last_table = (rev,), table
    return revisions[:n]


def render_script(rev: Revision, tool: str) -> str:
    """The revision script of ``rev`` for ``tool``; only the ``op`` import differs."""
    if rev.table is None:
        upgrade = downgrade = _MERGE_BODY
    else:
        fk_target = f'"{rev.parent_table}.id"' if rev.parent_table else '"t_root.id"'
        fields = {"table": rev.table, "fk_col": "parent_id", "fk_target": fk_target}
        upgrade = _UPGRADE.format(**fields)
        downgrade = _DOWNGRADE.format(**fields)
    if not rev.down:
        down_revision, down_label = "None", "None"
    elif len(rev.down) == 1:
        down_revision, down_label = repr(rev.down[0]), rev.down[0]
    else:
        down_revision, down_label = repr(rev.down), ", ".join(rev.down)
    return _SCRIPT.format(
        message=rev.message,
        revision=rev.revision,
        down_label=down_label,
        import_op=IMPORT_OP[tool],
        down_revision=down_revision.replace("'", '"'),
        upgrade=upgrade,
        downgrade=downgrade,
    )


_ROOT = '''\
"""root table every first revision points at

Revision ID: {revision}
Revises: None
"""

import sqlalchemy as sa

{import_op}

revision = "{revision}"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("t_root", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("t_root")
'''

ALEMBIC_INI = """\
[alembic]
script_location = migrations
sqlalchemy.url = postgresql://bench@localhost/bench

[loggers]
keys = root

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARN
handlers = console

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
"""

ALEMBIC_ENV = '''\
"""The usual offline/online env.py that `alembic init` writes, trimmed to what runs here."""

from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        version_table="mig_version",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = engine_from_config(config.get_section(config.config_ini_section, {}),
                                prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, version_table="mig_version")
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
'''

ALEMBIC_MAKO = '''\
"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
"""
from alembic import op
import sqlalchemy as sa

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
'''

MIG_TOML = """\
script_location = "migrations"
dialect = "postgresql"
version_table = "mig_version"
"""


def write_project(root: Path, tool: str, n: int, branchy: bool = False) -> Path:
    """A complete project for ``tool`` in ``root`` with ``n`` revisions after the root one."""
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    root_rev = revision_id(0, "root")
    (versions / f"{root_rev}_root.py").write_text(
        _ROOT.format(revision=root_rev, import_op=IMPORT_OP[tool])
    )
    for rev in plan_history(n, branchy):
        if not rev.down:
            rev = Revision(rev.revision, (root_rev,), rev.table, rev.parent_table, rev.message)
        name = f"{rev.revision}_{rev.table or 'merge'}.py"
        (versions / name).write_text(render_script(rev, tool))
    if tool == "alembic":
        (root / "alembic.ini").write_text(ALEMBIC_INI)
        (root / "migrations" / "env.py").write_text(ALEMBIC_ENV)
        (root / "migrations" / "script.py.mako").write_text(ALEMBIC_MAKO)
    else:
        (root / "mig.toml").write_text(MIG_TOML)
    return root


def two_before_head(n: int, branchy: bool = False) -> str:
    """The revision two steps below the (single) head of a linear history."""
    history = plan_history(n, branchy)
    return history[-3].revision


if __name__ == "__main__":  # pragma: no cover - manual use
    import sys

    write_project(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), len(sys.argv) > 4)
    print(f"wrote {sys.argv[1]}")
