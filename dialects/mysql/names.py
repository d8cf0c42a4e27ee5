"""The names InnoDB gives foreign keys created without one: ``<table>_ibfk_<n>``.

Knowing them lets a script drop an unnamed key offline
(``op.drop_constraint("orders_ibfk_1", "orders", type_="foreignkey")``) and lets the
dialect drop and re-add a key around a change the server refuses while it exists. The
numbering, checked on MariaDB 10.11 (``tests/per_database/test_mysql_fk_names.py`` applies a history
with the ``mariadb`` client and compares the names with the replayed state):

* ``CREATE TABLE`` numbers its unnamed keys 1, 2, ... in the order they are written,
  whatever names the named ones have;
* ``ALTER TABLE ... ADD FOREIGN KEY`` takes the highest ``<table>_ibfk_<n>`` the table has
  (a key named so by the script counts) plus one, so a dropped highest number is reused
  and a dropped lower one is not;
* renaming the table (``RENAME TABLE``, ``ALTER TABLE ... RENAME``) renames every key whose
  name starts with ``<old name>_ibfk_``, named ones included.
"""

from __future__ import annotations

import re

from offline_sql.table_state import ForeignKeyState, TableState

SUFFIX = "_ibfk_"


def generated(table: str, number: int) -> str:
    return f"{table}{SUFFIX}{number}"


def _highest(table: TableState) -> int:
    pattern = re.compile(rf"{re.escape(table.name + SUFFIX)}(\d+)")
    numbers = [
        int(found.group(1))
        for fk in table.foreign_keys
        if fk.name is not None and (found := pattern.fullmatch(fk.name)) is not None
    ]
    return max(numbers, default=0)


class InnoDBForeignKeyNames:
    """:class:`offline_sql.state.ForeignKeyNamer` for MySQL and MariaDB."""

    def created(self, table: TableState) -> None:
        number = 0
        for fk in table.foreign_keys:
            if fk.name is None:
                number += 1
                fk.name = generated(table.name, number)

    def added(self, table: TableState, keys: list[ForeignKeyState]) -> None:
        for fk in keys:
            if fk.name is None:
                fk.name = generated(table.name, _highest(table) + 1)

    def renamed(self, table: TableState, old_name: str) -> None:
        prefix = old_name + SUFFIX
        for fk in table.foreign_keys:
            if fk.name is not None and fk.name.startswith(prefix):
                fk.name = table.name + SUFFIX + fk.name[len(prefix) :]

    def __repr__(self) -> str:
        return "InnoDBForeignKeyNames()"
