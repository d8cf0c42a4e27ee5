"""One declaration per operation: every place an operation must be wired, named once.

An operation is a dataclass in :mod:`offline_sql.operations`; to be usable it also needs an
``op.*`` builder, maybe a ``batch_op.*`` method, a schema-state replay, a renderer on every
dialect and, for autogenerate, an ``op.*`` source form and an inverse (the downgrade). This
table says, for each operation, which of those it has and under what name, and *why* when it
has none. :meth:`offline_sql.dialect_api.base.Dialect.renderers` is built from it, and
``tests/model/test_operations_complete.py`` checks every other part against it, naming the missing
part. The replay (:mod:`offline_sql.replay`) and the autogenerate source and inverses
(:mod:`offline_sql.autogen.pysource`) keep their handlers next to their helpers, registered by
class; the test holds them to this table.

Only names and reasons live here (no imports beyond the dataclasses): the modules that
dispatch import this one, never the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass

from offline_sql import operations as ops


@dataclass(frozen=True)
class OperationSpec:
    """Where one operation is wired. A ``None`` part comes with its ``no_*`` reason."""

    operation: type[ops.Operation]
    facade: str
    """The ``offline_sql.op`` function a script calls to record it."""
    renderer: str
    """The :class:`~offline_sql.dialect_api.base.Dialect` method rendering it (a dialect
    overrides that method to render it its own way)."""
    batch: str | None = None
    """The ``batch_op`` method recording it inside ``batch_alter_table``."""
    no_batch: str | None = None
    autogen: bool = True
    """Autogenerate writes it as an ``op.*`` call (``pysource``) and knows its inverse."""
    no_autogen: str | None = None
    inverse: bool = True
    """``pysource.inverse`` undoes it from the schema state before it."""
    no_inverse: str | None = None

    def __post_init__(self) -> None:
        for part, given, reason in (
            ("batch", self.batch is not None, self.no_batch),
            ("autogen", self.autogen, self.no_autogen),
            ("inverse", self.inverse, self.no_inverse),
        ):
            if given == (reason is not None):
                raise ValueError(
                    f"{self.operation.__name__}: give either {part} or no_{part} (the reason)"
                )


_NOT_A_BATCH_OP = "acts on a whole table, not inside a batch_alter_table block"
_NOT_COMPARED = "autogenerate's comparison never emits it"

SPECS: tuple[OperationSpec, ...] = (
    OperationSpec(ops.CreateTable, "create_table", "render_create_table", no_batch=_NOT_A_BATCH_OP),
    OperationSpec(ops.DropTable, "drop_table", "render_drop_table", no_batch=_NOT_A_BATCH_OP),
    OperationSpec(
        ops.RenameTable,
        "rename_table",
        "render_rename_table",
        no_batch=_NOT_A_BATCH_OP,
        autogen=False,
        no_autogen=_NOT_COMPARED + " (a rename compares as a drop and a create)",
        inverse=False,
        no_inverse=_NOT_COMPARED,
    ),
    OperationSpec(ops.AddColumn, "add_column", "render_add_column", batch="add_column"),
    OperationSpec(ops.DropColumn, "drop_column", "render_drop_column", batch="drop_column"),
    OperationSpec(
        ops.AlterColumn, "alter_column", "render_alter_column_and_checks", batch="alter_column"
    ),
    OperationSpec(ops.CreateIndex, "create_index", "render_create_index", batch="create_index"),
    OperationSpec(ops.DropIndex, "drop_index", "render_drop_index", batch="drop_index"),
    OperationSpec(
        ops.CreatePrimaryKey,
        "create_primary_key",
        "render_create_primary_key",
        batch="create_primary_key",
        inverse=False,
        no_inverse=_NOT_COMPARED + " (primary keys come with CreateTable)",
    ),
    OperationSpec(
        ops.CreateUniqueConstraint,
        "create_unique_constraint",
        "render_create_unique_constraint",
        batch="create_unique_constraint",
    ),
    OperationSpec(
        ops.CreateForeignKey,
        "create_foreign_key",
        "render_create_foreign_key",
        batch="create_foreign_key",
    ),
    OperationSpec(
        ops.CreateCheckConstraint,
        "create_check_constraint",
        "render_create_check_constraint",
        batch="create_check_constraint",
        inverse=False,
        no_inverse=_NOT_COMPARED + " (check constraints are not compared)",
    ),
    OperationSpec(
        ops.DropConstraint,
        "drop_constraint",
        "render_known_drop_constraint",
        batch="drop_constraint",
    ),
    OperationSpec(
        ops.CreateTableComment,
        "create_table_comment",
        "render_create_table_comment",
        batch="create_table_comment",
    ),
    OperationSpec(
        ops.DropTableComment,
        "drop_table_comment",
        "render_drop_table_comment",
        batch="drop_table_comment",
    ),
    OperationSpec(
        ops.Execute,
        "execute",
        "render_execute",
        no_batch="raw SQL is not about one table; call op.execute outside the block",
        autogen=False,
        no_autogen="raw SQL is written by hand, never compared from models",
        inverse=False,
        no_inverse="what raw SQL did cannot be known from the schema state",
    ),
    OperationSpec(
        ops.BulkInsert,
        "bulk_insert",
        "render_bulk_insert",
        no_batch="data, not a change of the table's shape",
        autogen=False,
        no_autogen="data is not compared from models",
        inverse=False,
        no_inverse="which rows to delete cannot be known from the schema state",
    ),
    OperationSpec(
        ops.BatchAlterTable,
        "batch_alter_table",
        "render_batch_alter_table",
        no_batch="a batch holds operations; it does not nest",
        autogen=False,
        no_autogen="autogenerate writes plain operations, never a batch block",
        inverse=False,
        no_inverse=_NOT_COMPARED,
    ),
)
"""Every operation, in the order of :data:`offline_sql.operations.ALL_OPERATIONS`."""

SPEC_BY_OPERATION: dict[type[ops.Operation], OperationSpec] = {
    spec.operation: spec for spec in SPECS
}
