"""What a revision id may be, and the one width of the version table's column.

A revision id ends up in file names (``-o`` writes ``0001_<id>_<slug>.sql``, and
``mig revision`` names the script after it), in SQL string literals (the version table and
the guard) and in the comment lines a DBA's client reads. So it must be short enough for
the version column and made only of characters that are inert in all three places:

* at most :data:`VERSION_NUM_LENGTH` characters (a longer id would be cut or refused by the
  database only when the script runs);
* ASCII letters, digits, ``_``, ``-`` and ``.``, not starting with ``-`` or ``.`` (no path
  separator, colon, whitespace, quote, hidden file or option-looking name).

Ids read from existing scripts (Alembic's included) follow that rule. New ids given with
``mig revision --rev-id`` follow a stricter one, letters, digits and ``_``: a ``-`` in a new
id would read like a relative target (``ae10-1``).

Kept free of imports: the header index checks every id on every run.
"""

from __future__ import annotations

import re

VERSION_NUM_LENGTH = 32
"""Width of ``version_num`` in the version table (Alembic's too). The dialects create the
table with it (:meth:`offline_sql.dialect_api.base.Dialect.version_table`) and every revision
id is checked against it: this is the only place the number is written."""

RULE = (
    f"at most {VERSION_NUM_LENGTH} characters: ASCII letters, digits, _, - and ., "
    "not starting with - or ."
)
"""The rule for ids in scripts, as error messages state it."""

NEW_ID_RULE = f"at most {VERSION_NUM_LENGTH} characters: ASCII letters, digits and _"
"""The rule for ``--rev-id``, as error messages state it."""

_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")
_NEW_ID = re.compile(r"[A-Za-z0-9_]+")


def is_valid_id(revision: str) -> bool:
    """Whether a revision id read from a script follows :data:`RULE`."""
    return len(revision) <= VERSION_NUM_LENGTH and _ID.fullmatch(revision) is not None


def is_valid_new_id(revision: str) -> bool:
    """Whether an id given for a new revision follows :data:`NEW_ID_RULE`."""
    return len(revision) <= VERSION_NUM_LENGTH and _NEW_ID.fullmatch(revision) is not None
