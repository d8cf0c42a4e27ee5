"""One declaration per operation: every part an operation needs, named once, found from here.

An operation is a dataclass in :mod:`offline_sql.operations`; to be usable it also needs a
builder (Alembic's ``op.*`` signature, written once: ``offline_sql.op`` and the
``batch_op`` object both bind it), a schema-state replay, a renderer on every dialect and,
for autogenerate, an ``op.*`` source form and an inverse (the downgrade). Each
:class:`OperationSpec` names those parts; every dispatcher finds its part through
:func:`part` (``Dialect.renderers``, ``replay.apply``, ``pysource``'s source and inverse),
so there is one dispatch style and no registration scattered across modules.
``tests/model/test_operations_complete.py`` checks every part of every operation, naming
the missing one.

Parts are named, not imported: the modules holding the code import this one, never the
other way round (no import cycle, nothing registered by an import's side effect). Names
follow the facade (``create_index`` -> builder ``create_index``, ``replay_create_index``,
``source_create_index``, ``inverse_create_index``, ``render_create_index``) unless the
declaration says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any, Literal

from offline_sql import operations as ops

Part = Literal["builder", "replay", "source", "inverse"]

BatchForm = Literal["table_first", "table_second", "at_once"]
"""How ``batch_op.<name>`` calls the builder: the table (and its schema) filled in as the
builder's first or second argument, or (``execute``) no table and recorded at once, where
Alembic runs it: before the block's operations, which wait for the end of the block."""


@dataclass(frozen=True)
class OperationSpec:
    """Where one operation is wired. A part it does not have comes with the reason."""

    operation: type[ops.Operation]
    facade: str
    """The ``offline_sql.op`` function a script calls to record it."""
    renderer: str = ""
    """The :class:`~offline_sql.dialect_api.base.Dialect` method rendering it (a dialect
    overrides that method to render it its own way). Default ``render_<facade>``."""
    builder: str | None = ""
    """The function of ``offline_sql._op_builders`` turning Alembic's arguments into the
    dataclass (default: the facade's name); ``None`` with ``no_builder``."""
    no_builder: str | None = None
    hand_written: str | None = None
    """Why ``op.<facade>`` is written by hand around the builder rather than bound to it."""
    batch: BatchForm | None = None
    """How ``batch_op.<facade>`` binds the builder; ``None`` with ``no_batch``."""
    no_batch: str | None = None
    replay: str = ""
    """The function of ``offline_sql.replay`` changing the schema state (``replay_<facade>``)."""
    autogen: bool = True
    """Autogenerate writes it as an ``op.*`` call: ``pysource.source_<facade>``."""
    no_autogen: str | None = None
    inverse: bool = True
    """``pysource.inverse_<facade>`` undoes it from the schema state before it."""
    no_inverse: str | None = None

    def __post_init__(self) -> None:
        for what, given, reason in (
            ("builder", self.builder is not None, self.no_builder),
            ("batch", self.batch is not None, self.no_batch),
            ("autogen", self.autogen, self.no_autogen),
            ("inverse", self.inverse, self.no_inverse),
        ):
            if given == (reason is not None):
                raise ValueError(
                    f"{self.operation.__name__}: give either {what} or no_{what} (the reason)"
                )
        if self.batch is not None and self.builder is None:
            raise ValueError(f"{self.operation.__name__}: a batch method binds the builder")
        defaults = {
            "renderer": f"render_{self.facade}",
            "builder": self.facade,
            "replay": f"replay_{self.facade}",
        }
        for attribute, default in defaults.items():
            if getattr(self, attribute) == "":
                object.__setattr__(self, attribute, default)

    def name_of(self, what: Part) -> str | None:
        """The function implementing part ``what``, or None when the operation has none."""
        if what == "builder":
            return self.builder
        if what == "replay":
            return self.replay
        if what == "source":
            return f"source_{self.facade}" if self.autogen else None
        return f"inverse_{self.facade}" if self.inverse else None


_NOT_A_BATCH_OP = "acts on a whole table, not inside a batch_alter_table block (as in Alembic)"
_NOT_COMPARED = "autogenerate's comparison never emits it"

SPECS: tuple[OperationSpec, ...] = (
    OperationSpec(
        ops.CreateTable,
        "create_table",
        hand_written="it returns the Table for bulk_insert, rendered before the script changes it",
        no_batch=_NOT_A_BATCH_OP,
    ),
    OperationSpec(ops.DropTable, "drop_table", no_batch=_NOT_A_BATCH_OP),
    OperationSpec(
        ops.RenameTable,
        "rename_table",
        no_batch=_NOT_A_BATCH_OP,
        autogen=False,
        no_autogen=_NOT_COMPARED + " (a rename compares as a drop and a create)",
        inverse=False,
        no_inverse=_NOT_COMPARED,
    ),
    OperationSpec(ops.AddColumn, "add_column", batch="table_first"),
    OperationSpec(ops.DropColumn, "drop_column", batch="table_first"),
    OperationSpec(
        ops.AlterColumn,
        "alter_column",
        renderer="render_alter_column_and_checks",
        batch="table_first",
    ),
    OperationSpec(ops.CreateIndex, "create_index", batch="table_second"),
    OperationSpec(ops.DropIndex, "drop_index", batch="table_second"),
    OperationSpec(
        ops.CreatePrimaryKey,
        "create_primary_key",
        batch="table_second",
        inverse=False,
        no_inverse=_NOT_COMPARED + " (primary keys come with CreateTable)",
    ),
    OperationSpec(ops.CreateUniqueConstraint, "create_unique_constraint", batch="table_second"),
    OperationSpec(ops.CreateForeignKey, "create_foreign_key", batch="table_second"),
    OperationSpec(
        ops.CreateCheckConstraint,
        "create_check_constraint",
        batch="table_second",
        inverse=False,
        no_inverse=_NOT_COMPARED + " (check constraints are not compared)",
    ),
    OperationSpec(
        ops.CreateExcludeConstraint,
        "create_exclude_constraint",
        batch="table_second",
        autogen=False,
        no_autogen=_NOT_COMPARED + " (EXCLUDE constraints are not compared)",
        inverse=False,
        no_inverse=_NOT_COMPARED,
    ),
    OperationSpec(
        ops.DropConstraint,
        "drop_constraint",
        renderer="render_known_drop_constraint",
        batch="table_second",
    ),
    OperationSpec(ops.CreateTableComment, "create_table_comment", batch="table_first"),
    OperationSpec(ops.DropTableComment, "drop_table_comment", batch="table_first"),
    OperationSpec(
        ops.Execute,
        "execute",
        batch="at_once",
        autogen=False,
        no_autogen="raw SQL is written by hand, never compared from models",
        inverse=False,
        no_inverse="what raw SQL did cannot be known from the schema state",
    ),
    OperationSpec(
        ops.BulkInsert,
        "bulk_insert",
        no_batch="Alembic's batch_op has no bulk_insert (data, not the table's shape)",
        autogen=False,
        no_autogen="data is not compared from models",
        inverse=False,
        no_inverse="which rows to delete cannot be known from the schema state",
    ),
    OperationSpec(
        ops.BatchAlterTable,
        "batch_alter_table",
        builder=None,
        no_builder="a context manager collecting the block's operations (op.py, batch.py)",
        hand_written="a context manager: the block's operations become one BatchAlterTable",
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

_WHERE: dict[Part, str] = {
    "builder": "offline_sql/_op_builders.py",
    "replay": "offline_sql/replay.py",
    "source": "offline_sql/autogen/pysource.py",
    "inverse": "offline_sql/autogen/pysource.py",
}


def part(module: ModuleType | dict[str, Any], what: Part) -> dict[type[ops.Operation], Any]:
    """The implementations of part ``what`` found in ``module`` (a module or its
    ``globals()``), by operation: the one dispatch table each dispatcher builds once.
    An operation whose declaration names a part the module lacks is left out; the
    dispatcher's :func:`missing` error, and the completeness test, name it."""
    namespace = module if isinstance(module, dict) else vars(module)
    found: dict[type[ops.Operation], Any] = {}
    for spec in SPECS:
        name = spec.name_of(what)
        if name is not None and callable(namespace.get(name)):
            found[spec.operation] = namespace[name]
    return found


def missing(cls: type, what: Part) -> str:
    """The message for an operation without its ``what`` part: where to add it."""
    spec = SPEC_BY_OPERATION.get(cls)
    if spec is None:
        return f"{cls.__name__} has no OperationSpec in offline_sql/operation_specs.py"
    name = spec.name_of(what)
    if name is None:
        return f"{cls.__name__} has no {what}: {_reason(spec, what)}"
    return f"{cls.__name__}: no {what}; define {name}() in {_WHERE[what]}"


def _reason(spec: OperationSpec, what: Part) -> str:
    reasons = {
        "builder": spec.no_builder,
        "replay": None,
        "source": spec.no_autogen,
        "inverse": spec.no_inverse,
    }
    return reasons[what] or "declared without it"
