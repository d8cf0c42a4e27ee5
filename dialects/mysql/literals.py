"""MySQL and MariaDB literals: what the mariadb/mysql client reads back byte for byte (see
``dialect_api/literals.py``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy.types import TypeEngine

from offline_sql.dialect_api.literals import Literals, signed_bits


class MySQLLiterals(Literals):
    """MySQL and MariaDB in their default ``sql_mode``, where a backslash inside a string is
    an escape character: backslashes are doubled. A server running with
    ``NO_BACKSLASH_ESCAPES`` would read them doubled; mig's scripts assume the default.

    CR is written as the escape ``\\r`` because the ``mariadb``/``mysql`` client drops a CR
    that ends a line of the script.
    """

    database = "MySQL/MariaDB"
    integer_ranges: ClassVar[dict[str, tuple[int, int]]] = {
        **Literals.integer_ranges,
        "TINYINT": signed_bits(8),
        "MEDIUMINT": signed_bits(24),
    }
    bare_decimal_digits = 10

    def quote(self, text: str) -> str:
        escaped = text.replace("\\", "\\\\").replace("'", "''").replace("\r", "\\r")
        return "'" + escaped + "'"

    def datetime(self, value: dt.datetime, type_: TypeEngine[Any]) -> str:
        self.naive(value)
        return self.quote(value.isoformat(sep=" "))

    def time(self, value: dt.time, type_: TypeEngine[Any]) -> str:
        self.naive(value)
        return self.quote(value.isoformat())
