"""Recognise a table rebuild in a step's SQL: the one place that knows its shape.

Databases whose ALTER TABLE cannot make a change rebuild the table instead, in one of two
shapes (both recognised from the SQL alone, never from the database's name or a table prefix):

* put back: rows set aside in a holding table, the table dropped and created anew, the rows
  copied back, the holding table dropped::

      CREATE TABLE h AS SELECT * FROM t   (or CREATE TABLE h; INSERT INTO h SELECT .. FROM t)
      DROP TABLE t
      CREATE TABLE t (...)
      INSERT INTO t (...) SELECT ... FROM h
      DROP TABLE h

* rename: the new table built beside the old one, then renamed into its place::

      CREATE TABLE h (...)
      INSERT INTO h (...) SELECT ... FROM t
      DROP TABLE t
      ALTER TABLE h RENAME TO t

Both keep the rows, so the review neither reports ``DROP TABLE t`` as a data loss nor lists
the holding table as a table touched: the statements together are one alter of ``t``.
Without the copy of the rows (aside before the drop, back or renamed after it) the shape is
not a rebuild, and the drop is reported as what it is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from offline_sql.review.classify import ClassifiedStatement, node_kind, table_name

if TYPE_CHECKING:
    from sqlglot import exp

    Node = exp.Expression
else:
    from offline_sql.review.lazy import exp


@dataclass(frozen=True)
class Rebuild:
    """One rebuild of ``table`` found among a step's statements."""

    table: str
    """The rebuilt table, as the DROP names it."""
    holding: str
    """The table the rows (or the new definition) wait in meanwhile."""
    statements: tuple[int, ...]
    """Indexes of the statements that make up the rebuild, ascending."""


def _fold(name: str) -> str:
    return name.casefold()


def _same(a: str, b: str) -> bool:
    """Names match case-insensitively; an unqualified name also matches a qualified one
    (``ALTER TABLE s.h RENAME TO t`` keeps the schema)."""
    fa, fb = _fold(a), _fold(b)
    if fa == fb:
        return True
    if "." in fa and "." in fb:
        return False
    return fa.rsplit(".", 1)[-1] == fb.rsplit(".", 1)[-1]


def _source_table(select: Node | None) -> str | None:
    """The one table a ``SELECT ... FROM t`` reads (no join, no subquery), else None."""
    if not isinstance(select, exp.Select) or select.args.get("joins"):
        return None
    source = select.args.get("from_") or select.args.get("from")
    table = source.this if isinstance(source, exp.From) else None
    return table_name(table) if isinstance(table, exp.Table) else None


def copy_of(node: Node) -> tuple[str, str] | None:
    """(target, source) of ``CREATE TABLE target AS SELECT ... FROM source`` or
    ``INSERT INTO target ... SELECT ... FROM source``."""
    if isinstance(node, exp.Create) and node_kind(node) == "TABLE":
        target = node.this
    elif isinstance(node, exp.Insert):
        target = node.this.this if isinstance(node.this, exp.Schema) else node.this
    else:
        return None
    source = _source_table(node.args.get("expression"))
    if isinstance(target, exp.Table) and source is not None:
        return table_name(target), source
    return None


def created_table(node: Node) -> str | None:
    """The table a ``CREATE TABLE`` makes (with or without AS SELECT)."""
    if not isinstance(node, exp.Create) or node_kind(node) != "TABLE":
        return None
    inner = node.this.this if isinstance(node.this, exp.Schema) else node.this
    return table_name(inner) if isinstance(inner, exp.Table) else None


def dropped_tables(node: Node) -> list[str]:
    """The tables a ``DROP TABLE`` drops."""
    if not isinstance(node, exp.Drop) or node_kind(node) != "TABLE":
        return []
    return [table_name(t) for t in node.args.get("tables") or [] if isinstance(t, exp.Table)]


def renamed(node: Node) -> tuple[str, str] | None:
    """(old, new) of ``ALTER TABLE old RENAME TO new``."""
    if not isinstance(node, exp.Alter) or not isinstance(node.this, exp.Table):
        return None
    for action in node.args.get("actions") or []:
        if isinstance(action, exp.AlterRename) and isinstance(action.this, exp.Table):
            return table_name(node.this), table_name(action.this)
    return None


def _nodes(statements: Sequence[ClassifiedStatement], indexes: range) -> Iterator[tuple[int, Node]]:
    for index in indexes:
        for node in statements[index].nodes:
            yield index, node


def _first(
    statements: Sequence[ClassifiedStatement], indexes: range, wanted: str, find: str
) -> int | None:
    """The first statement in ``indexes`` that creates (``find="create"``) or drops
    (``find="drop"``) the table ``wanted``."""
    for index, node in _nodes(statements, indexes):
        if find == "create" and (name := created_table(node)) and _same(name, wanted):
            return index
        if find == "drop" and any(_same(name, wanted) for name in dropped_tables(node)):
            return index
    return None


def _made(statements: Sequence[ClassifiedStatement], stash: int, holding: str) -> int | None:
    """The ``CREATE TABLE holding`` an ``INSERT INTO holding`` stash fills: the nearest one
    before it (None when the stash creates the table itself)."""
    if any(created_table(node) for node in statements[stash].nodes):
        return None
    for index in reversed(range(stash)):
        for node in statements[index].nodes:
            if any(_same(name, holding) for name in dropped_tables(node)):
                return None
            if (name := created_table(node)) and _same(name, holding):
                return index
    return None


def _put_back(
    statements: Sequence[ClassifiedStatement], at: int, table: str, stash: int, holding: str
) -> Rebuild | None:
    after = range(at + 1, len(statements))
    back = next(
        (
            index
            for index, node in _nodes(statements, after)
            if (copy := copy_of(node)) and _same(copy[0], table) and _same(copy[1], holding)
        ),
        None,
    )
    if back is None:
        return None
    members = {at, back}
    created = _first(statements, range(at + 1, back), table, "create")
    if created is not None:
        members.add(created)
    dropped = _first(statements, range(back + 1, len(statements)), holding, "drop")
    if dropped is not None:  # the holding table was only a holding table
        members |= {stash, dropped}
        made = _made(statements, stash, holding)
        if made is not None:
            members.add(made)
    return Rebuild(table, holding, tuple(sorted(members)))


def _renamed_in(
    statements: Sequence[ClassifiedStatement], at: int, table: str, stash: int, holding: str
) -> Rebuild | None:
    after = range(at + 1, len(statements))
    into = next(
        (
            index
            for index, node in _nodes(statements, after)
            if (names := renamed(node)) and _same(names[0], holding) and _same(names[1], table)
        ),
        None,
    )
    if into is None:
        return None
    members = {stash, at, into}
    made = _made(statements, stash, holding)
    if made is not None:
        members.add(made)
    return Rebuild(table, holding, tuple(sorted(members)))


def _rebuild_at(statements: Sequence[ClassifiedStatement], at: int, table: str) -> Rebuild | None:
    """The rebuild whose ``DROP TABLE table`` is statement ``at``, if it is one."""
    stashes = [
        (index, copy[0])
        for index, node in _nodes(statements, range(at))
        if (copy := copy_of(node)) and _same(copy[1], table) and not _same(copy[0], table)
    ]
    for stash, holding in reversed(stashes):  # the nearest copy is the rebuild's
        found = _put_back(statements, at, table, stash, holding) or _renamed_in(
            statements, at, table, stash, holding
        )
        if found is not None:
            return found
    return None


def find_rebuilds(statements: Sequence[ClassifiedStatement]) -> tuple[Rebuild, ...]:
    """Every rebuild among a step's statements (``statements[i].index == i``), in order."""
    found: list[Rebuild] = []
    claimed: set[int] = set()
    for stmt in statements:
        if stmt.index in claimed:
            continue
        for node in stmt.nodes:
            for table in dropped_tables(node):
                rebuild = _rebuild_at(statements, stmt.index, table)
                if rebuild is not None and not claimed & set(rebuild.statements):
                    found.append(rebuild)
                    claimed |= set(rebuild.statements)
    return tuple(found)


def as_alters(
    statements: Sequence[ClassifiedStatement], rebuilds: Sequence[Rebuild]
) -> tuple[ClassifiedStatement, ...]:
    """The statements with each rebuild's members classified as an alter of the rebuilt table
    (``part_of`` names the rebuild's first statement, so reports count it once)."""
    out = list(statements)
    for rebuild in rebuilds:
        first = rebuild.statements[0]
        for index in rebuild.statements:
            out[index] = dataclasses.replace(
                out[index],
                klass="alter",
                tables=(rebuild.table,),
                target=rebuild.table,
                part_of=first,
            )
    return tuple(out)
