"""``op.batch_alter_table``: the per-table operations of one block, kept together.

Inside ``with op.batch_alter_table("t") as batch_op:`` each call builds the same
operation as its ``op.*`` twin with the table filled in, stamped with its script line but
NOT recorded on its own: the block becomes one :class:`BatchAlterTable` so that SQLite can
rebuild the table once while other databases render the operations one by one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.sql.elements import ClauseElement

from offline_sql import _op_builders as _op
from offline_sql.operations import (
    AddColumn,
    BatchAlterTable,
    CreatePrimaryKey,
    Operation,
)
from offline_sql.recorder import Recorder


class BatchOperations:
    """The object a ``batch_alter_table`` block receives; Alembic's batch method names."""

    def __init__(self, recorder: Recorder, table_name: str, schema: str | None) -> None:
        self.recorder = recorder
        self.table_name = table_name
        self.schema = schema
        self.operations: list[Operation] = []

    def _add(self, operation: Operation) -> None:
        self.operations.append(self.recorder.stamp(operation))

    def add_column(
        self,
        column: sa.Column[Any],
        *,
        insert_before: str | None = None,
        insert_after: str | None = None,
        if_not_exists: bool | None = None,
    ) -> None:
        self._add(
            AddColumn(
                self.table_name,
                schema=self.schema,
                column=column,
                if_not_exists=bool(if_not_exists),
            )
        )

    def drop_column(self, column_name: str, **kw: Any) -> None:
        self._add(_op.build_drop_column(self.table_name, column_name, schema=self.schema, **kw))

    def alter_column(self, column_name: str, **kw: Any) -> None:
        kw.pop("insert_before", None)
        kw.pop("insert_after", None)
        self._add(_op.build_alter_column(self.table_name, column_name, schema=self.schema, **kw))

    def create_index(
        self, index_name: str | None, columns: Sequence[str | ClauseElement], **kw: Any
    ) -> None:
        self._add(
            _op.build_create_index(index_name, self.table_name, columns, schema=self.schema, **kw)
        )

    def drop_index(self, index_name: str, **kw: Any) -> None:
        self._add(_op.build_drop_index(index_name, self.table_name, schema=self.schema, **kw))

    def create_primary_key(self, constraint_name: str | None, columns: Sequence[str]) -> None:
        self._add(
            CreatePrimaryKey(
                self.table_name,
                schema=self.schema,
                constraint_name=constraint_name,
                columns=tuple(columns),
            )
        )

    def create_unique_constraint(
        self, constraint_name: str | None, columns: Sequence[str], **kw: Any
    ) -> None:
        self._add(
            _op.build_unique(constraint_name, self.table_name, columns, schema=self.schema, **kw)
        )

    def create_foreign_key(
        self,
        constraint_name: str | None,
        referent_table: str,
        local_cols: Sequence[str],
        remote_cols: Sequence[str],
        *,
        referent_schema: str | None = None,
        onupdate: str | None = None,
        ondelete: str | None = None,
        deferrable: bool | None = None,
        initially: str | None = None,
        match: str | None = None,
        **dialect_kw: Any,
    ) -> None:
        self._add(
            _op.build_foreign_key(
                constraint_name,
                self.table_name,
                referent_table,
                local_cols,
                remote_cols,
                onupdate=onupdate,
                ondelete=ondelete,
                deferrable=deferrable,
                initially=initially,
                match=match,
                source_schema=self.schema,
                referent_schema=referent_schema,
                **dialect_kw,
            )
        )

    def create_check_constraint(
        self, constraint_name: str | None, condition: str | ClauseElement, **kw: Any
    ) -> None:
        self._add(
            _op.build_check(constraint_name, self.table_name, condition, schema=self.schema, **kw)
        )

    def drop_constraint(self, constraint_name: str, type_: str | None = None) -> None:
        self._add(
            _op.build_drop_constraint(constraint_name, self.table_name, type_, schema=self.schema)
        )

    def create_table_comment(
        self, comment: str | None, *, existing_comment: str | None = None
    ) -> None:
        self._add(
            _op.build_table_comment(
                self.table_name, comment, existing_comment=existing_comment, schema=self.schema
            )
        )

    def drop_table_comment(self, *, existing_comment: str | None = None) -> None:
        self._add(
            _op.build_drop_table_comment(
                self.table_name, existing_comment=existing_comment, schema=self.schema
            )
        )


def finish_batch(
    batch: BatchOperations,
    recreate: Literal["auto", "always", "never"],
    kw: Mapping[str, Any],
) -> BatchAlterTable:
    """The single operation a finished block records."""
    return BatchAlterTable(
        batch.table_name,
        schema=batch.schema,
        operations=tuple(batch.operations),
        recreate=recreate,
        kw=dict(kw),
    )
