"""SQL Server literals: what sqlcmd reads back byte for byte (see ``dialect_api/literals.py``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy.types import TypeEngine

from offline_sql.dialect_api.literals import Literals


class MSSQLLiterals(Literals):
    """SQL Server through ``sqlcmd``. Strings with non-ASCII characters are ``N'...'`` so
    they do not pass through a code page. Line breaks are written as ``NCHAR(10)``/``NCHAR(13)``
    (a line reading ``GO`` or ``!! cmd`` inside a literal would be a sqlcmd command) and ``$(``
    is split (``'$' + '('``), since ``sqlcmd`` substitutes ``$(name)`` even inside quotes.

    T-SQL truncates a concatenation of non-``max`` strings at 4,000 (``nvarchar``) or 8,000
    bytes without an error; ``NCHAR(n)`` makes the whole expression ``nvarchar``. A text
    written in pieces whose length can pass 4,000 UTF-16 code units therefore starts with
    ``CAST(... AS nvarchar(max))``, which makes the whole concatenation ``nvarchar(max)``."""

    database = "SQL Server"
    integer_ranges: ClassVar[dict[str, tuple[int, int]]] = {
        **Literals.integer_ranges,
        "TINYINT": (0, 255),
    }
    uuid_type_is_native = True
    line_breaks: ClassVar[dict[str, str]] = {"\r": "NCHAR(13)", "\n": "NCHAR(10)"}
    """Characters written as expressions so no raw line break sits inside a literal."""

    max_concatenation: ClassVar[int] = 4000
    """Longest ``nvarchar`` (in UTF-16 code units) a concatenation of non-``max`` pieces keeps."""

    def quote(self, text: str) -> str:
        operands = self.operands(text)
        if len(operands) == 1:
            return operands[0]
        if len(text.encode("utf-16-le")) // 2 > self.max_concatenation:
            operands[0] = f"CAST({operands[0]} AS nvarchar(max))"
        return "(" + " + ".join(operands) + ")"

    def operands(self, text: str) -> list[str]:
        """The literals and ``NCHAR(n)`` calls whose concatenation is ``text``: no operand
        holds a line break, and ``$`` and a following ``(`` are in different operands."""
        parts = text.split("$(")
        last = len(parts) - 1
        pieces = [
            ("(" if index else "") + part + ("$" if index < last else "")
            for index, part in enumerate(parts)
        ]
        out: list[str] = []
        for piece in pieces:
            run = ""
            for char in piece:
                if char in self.line_breaks:
                    if run:
                        out.append(self._n_quote(run))
                    out.append(self.line_breaks[char])
                    run = ""
                else:
                    run += char
            if run:
                out.append(self._n_quote(run))
        return out or [self._n_quote("")]

    def _n_quote(self, text: str) -> str:
        prefix = "" if text.isascii() else "N"
        return prefix + super().quote(text)

    def date(self, value: dt.date, type_: TypeEngine[Any]) -> str:
        """``YYYYMMDD`` (ISO 8601 basic): unambiguous for every type and DATEFORMAT."""
        return self.quote(f"{value.year:04d}{value.month:02d}{value.day:02d}")

    def datetime(self, value: dt.datetime, type_: TypeEngine[Any]) -> str:
        """ISO with ``T`` (language independent). More than 3 fractional digits do not fit
        DATETIME's string parser, so such values go through DATETIME2/DATETIMEOFFSET."""
        aware = value.tzinfo is not None and value.utcoffset() is not None
        text = value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
        if value.microsecond % 1000 == 0:
            text = text.replace(f".{value.microsecond:06d}", f".{value.microsecond // 1000:03d}")
            return self.quote(text)
        return f"CAST({self.quote(text)} AS {'DATETIMEOFFSET' if aware else 'DATETIME2'})"

    def binary(self, value: bytes | bytearray | memoryview, type_: TypeEngine[Any]) -> str:
        return "0x" + bytes(value).hex().upper()
