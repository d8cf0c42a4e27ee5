"""What stands in the way of SQL Server's ``ALTER COLUMN`` and ``DROP COLUMN``.

Microsoft's ALTER TABLE reference lists what a modified column cannot be part of: an
index (unless a ``varchar``/``nvarchar``/``varbinary`` column only grows, keeps its type and
the index is not the primary key's), a CHECK or UNIQUE constraint (unless a variable-length
column only changes length), a PRIMARY KEY or FOREIGN KEY constraint, a DEFAULT (unless only
length, precision or scale change). ``DROP COLUMN`` fails while any index or constraint uses
the column. This module reads the schema state and says which of those objects must be
dropped first; ``dialects/mssql/dialect.py`` writes the statements.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from offline_sql.table_state import (
    CheckState,
    ForeignKeyState,
    IndexState,
    PrimaryKeyState,
    TableState,
    UniqueState,
)

GROWABLE_IN_INDEX = frozenset({"VARCHAR", "NVARCHAR", "VARBINARY"})
"""Types an indexed column may grow in place (same type, new size >= old size)."""

_TYPE = re.compile(r"^\s*(\w+)\s*(?:\(\s*(\w+)\s*(?:,\s*(\d+)\s*)?\))?")


def type_name(sql: str) -> str:
    """``VARCHAR`` of ``VARCHAR(20)``: the data type without length, precision or scale."""
    match = _TYPE.match(sql)
    return match.group(1).upper() if match else sql.upper()


def type_size(sql: str) -> float:
    """The length or precision of a type (``max`` is the largest; none reads as 0)."""
    match = _TYPE.match(sql)
    if match is None or match.group(2) is None:
        return 0
    size = match.group(2)
    return math.inf if size.lower() == "max" else float(size)


@dataclass(frozen=True)
class Change:
    """A column's type and nullability before and after, as SQL Server spells them."""

    before_type: str
    after_type: str
    before_nullable: bool
    after_nullable: bool

    @property
    def none(self) -> bool:
        return self.before_type == self.after_type and self.before_nullable == self.after_nullable

    @property
    def same_type(self) -> bool:
        """Only length, precision or scale may change."""
        return type_name(self.before_type) == type_name(self.after_type)

    @property
    def keeps_default(self) -> bool:
        return self.same_type

    @property
    def keeps_index(self) -> bool:
        if self.none:
            return True
        after_size = type_size(self.after_type)
        grows = math.inf > after_size >= type_size(self.before_type)
        variable = type_name(self.after_type) in GROWABLE_IN_INDEX
        same_null = self.before_nullable == self.after_nullable
        return self.same_type and variable and grows and same_null

    @property
    def keeps_unique_and_check(self) -> bool:
        if self.none:
            return True
        variable = type_name(self.after_type) in GROWABLE_IN_INDEX
        same_null = self.before_nullable == self.after_nullable
        return self.same_type and variable and same_null


@dataclass
class Dependents:
    """Objects to drop before the column changes (and re-create after an ALTER)."""

    referencing: list[tuple[TableState, ForeignKeyState]] = field(default_factory=list)
    """Foreign keys of any table that point at a key being dropped here."""
    foreign_keys: list[ForeignKeyState] = field(default_factory=list)
    checks: list[CheckState] = field(default_factory=list)
    uniques: list[UniqueState] = field(default_factory=list)
    indexes: list[IndexState] = field(default_factory=list)
    primary_key: PrimaryKeyState | None = None

    def __bool__(self) -> bool:
        return bool(
            self.referencing
            or self.foreign_keys
            or self.checks
            or self.uniques
            or self.indexes
            or self.primary_key
        )


def mentions(sqltext: str, name: str) -> bool:
    """Whether a CHECK expression names the column (bare, ``[quoted]`` or ``"quoted"``)."""
    return re.search(rf"(?<![\w$@#]){re.escape(name)}(?![\w$@#])", sqltext) is not None


def find(
    tables: Mapping[tuple[str | None, str], TableState],
    table: TableState,
    column: str,
    change: Change | None,
) -> Dependents:
    """What must go before ``column`` of ``table`` is altered (``change``) or dropped (None)."""
    found = Dependents()
    keep_index = change is not None and change.keeps_index
    keep_unique_check = change is not None and change.keeps_unique_and_check
    if change is not None and change.none:
        return found
    found.foreign_keys = [fk for fk in table.foreign_keys if column in fk.columns]
    if not keep_unique_check:
        found.checks = [c for c in table.checks if mentions(c.sqltext, column)]
    if table.primary_key is not None and column in table.primary_key.columns:
        found.primary_key = table.primary_key
    uniques = [] if keep_unique_check else [u for u in table.uniques if column in u.columns]
    found.uniques = uniques
    found.indexes = [ix for ix in table.indexes.values() if column in ix.columns and not keep_index]
    keys = [u.columns for u in uniques]
    keys += [ix.columns for ix in found.indexes if ix.unique]
    if found.primary_key is not None:
        keys.append(found.primary_key.columns)
    for other in tables.values():
        for fk in other.foreign_keys:
            pointed = (fk.referent_schema, fk.referent_table) == table.key
            own = other is table and fk in found.foreign_keys
            if pointed and not own and any(set(fk.referent_columns) == set(k) for k in keys):
                found.referencing.append((other, fk))
    return found
