"""Oracle literals: what SQL*Plus reads back byte for byte (see ``dialect_api/literals.py``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Dialect as SADialect
from sqlalchemy.sql.base import NO_ARG
from sqlalchemy.types import TypeEngine

from offline_sql.dialect_api.literals import Literals, _offset, concatenate


def oracle_json_in_blob(type_: TypeEngine[Any], dialect: SADialect) -> bool:
    """Whether Oracle keeps a JSON column as a BLOB: ``use_blob`` when the type says (2.1's
    ``oracle.JSON``), else before 21c. One rule for the column type and its literals, on
    SQLAlchemy 2.0 (no Oracle JSON at all) as on 2.1."""
    use_blob = getattr(type_, "use_blob", NO_ARG)
    if use_blob is NO_ARG:
        return not getattr(dialect, "_supports_oracle_json", True)
    return bool(use_blob)


class OracleLiterals(Literals):
    """Oracle through SQL*Plus. Line breaks become ``CHR(10)``/``CHR(13)`` (a blank line or a
    ``/`` line inside a literal would end the statement) and ``&`` becomes ``CHR(38)`` (SQL*Plus
    substitutes ``&name`` unless ``SET DEFINE OFF``). Oracle reads ``''`` as NULL: an empty
    string cannot be stored. Literals longer than 4000 bytes are built as a CLOB."""

    database = "Oracle"
    integer_ranges: ClassVar[dict[str, tuple[int, int]]] = {
        "SMALLINT": (-(10**38) + 1, 10**38 - 1),
        "INTEGER": (-(10**38) + 1, 10**38 - 1),
    }
    """``INTEGER`` and ``SMALLINT`` are ``NUMBER(38)``; ``BigInteger`` is ``NUMBER(19)``."""
    float_specials: ClassVar[dict[str, str]] = {
        "inf": "BINARY_DOUBLE_INFINITY",
        "-inf": "-BINARY_DOUBLE_INFINITY",
        "nan": "BINARY_DOUBLE_NAN",
    }
    max_literal_bytes: ClassVar[int] = 4000
    """Longest string literal Oracle SQL accepts."""

    max_raw_bytes: ClassVar[int] = 2000
    """Longest RAW value ``HEXTORAW`` of one literal can build."""

    max_piece_chars: ClassVar[int] = 1000
    """Longest run of characters in one quoted piece: a piece is at most 2,002 characters
    even when every character is a doubled quote, so the line wrapper can keep every line
    under SQL*Plus's limit by cutting before the ``||`` between pieces."""

    def quote(self, text: str) -> str:
        specials = {"\r": "CHR(13)", "\n": "CHR(10)", "&": "CHR(38)"}
        if len(text.encode("utf-8")) <= self.max_literal_bytes:
            return concatenate(text, self._pieces, specials, "||")
        chunks = [text[start : start + 1000] for start in range(0, len(text), 1000)]
        parts = [concatenate(chunk, self._pieces, specials, "||") for chunk in chunks]
        return "(TO_CLOB(" + parts[0] + ") || " + " || ".join(parts[1:]) + ")"

    def _pieces(self, text: str) -> str:
        """``text`` quoted, as ``('...' || '...')`` when longer than :attr:`max_piece_chars`
        (one VARCHAR2 all the same: the whole literal is at most 4000 bytes here)."""
        quote = super().quote
        size = self.max_piece_chars
        if len(text) <= size:
            return quote(text)
        pieces = [quote(text[start : start + size]) for start in range(0, len(text), size)]
        return "(" + " || ".join(pieces) + ")"

    def json(self, value: Any, type_: TypeEngine[Any]) -> str:
        """Before 21c (and with ``use_blob``) SQLAlchemy stores JSON as UTF-8 in a BLOB."""
        if oracle_json_in_blob(type_, self.dialect):
            return self.binary(self.json_text(value).encode("utf-8"), type_)
        return super().json(value, type_)

    def date(self, value: dt.date, type_: TypeEngine[Any]) -> str:
        return "DATE " + self.quote(value.isoformat())

    def datetime(self, value: dt.datetime, type_: TypeEngine[Any]) -> str:
        text = value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        offset = value.utcoffset()
        if offset is not None:
            text += " " + _offset(offset)
        return "TIMESTAMP " + self.quote(text)

    def time(self, value: dt.time, type_: TypeEngine[Any]) -> str:
        raise self._unsupported(
            "the time of day", value, "Oracle has no TIME type; store a string or an interval"
        )

    def interval(self, value: dt.timedelta, type_: TypeEngine[Any]) -> str:
        sign = "-" if value < dt.timedelta(0) else ""
        magnitude = abs(value)
        hours, rest = divmod(magnitude.seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        body = (
            f"{sign}{magnitude.days} {hours:02d}:{minutes:02d}:{seconds:02d}"
            f".{magnitude.microseconds:06d}"
        )
        return f"INTERVAL '{body}' DAY(9) TO SECOND(6)"

    def interval_typed(self, value: Any, type_: TypeEngine[Any]) -> str:
        return self.by_value(value, type_)

    def binary(self, value: bytes | bytearray | memoryview, type_: TypeEngine[Any]) -> str:
        data = bytes(value)
        if len(data) > self.max_raw_bytes:
            raise self._unsupported(
                f"a {len(data)}-byte binary literal:",
                data[:8] + b"...",
                f"literals hold at most {self.max_raw_bytes} bytes; load large BLOBs separately",
            )
        if not data and isinstance(type_, sa.LargeBinary):
            # HEXTORAW('') is NULL; an empty BLOB is a value.
            return "EMPTY_BLOB()"
        return "HEXTORAW('" + data.hex().upper() + "')"
