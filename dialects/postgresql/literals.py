"""PostgreSQL literals: what psql reads back byte for byte (see ``dialect_api/literals.py``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeEngine

from offline_sql.dialect_api.literals import LiteralError, Literals, _describe, _has_nul


class PostgreSQLLiterals(Literals):
    """psql keeps everything between quotes raw (CR, tabs, ``:name``, backslashes) as long
    as ``standard_conforming_strings`` is on, its default since PostgreSQL 9.1."""

    database = "PostgreSQL"
    true_false = ("true", "false")
    float_specials: ClassVar[dict[str, str]] = {
        "inf": "'Infinity'::float8",
        "-inf": "'-Infinity'::float8",
        "nan": "'NaN'::float8",
        "-0.0": "'-0'::float8",
    }
    decimal_specials: ClassVar[dict[str, str]] = {
        "Infinity": "'Infinity'::numeric",
        "-Infinity": "'-Infinity'::numeric",
        "NaN": "'NaN'::numeric",
    }

    def date(self, value: dt.date, type_: TypeEngine[Any]) -> str:
        return "DATE " + self.quote(value.isoformat())

    def datetime(self, value: dt.datetime, type_: TypeEngine[Any]) -> str:
        aware = value.tzinfo is not None and value.utcoffset() is not None
        keyword = "TIMESTAMP WITH TIME ZONE " if aware else "TIMESTAMP "
        return keyword + self.quote(value.isoformat(sep=" "))

    def time(self, value: dt.time, type_: TypeEngine[Any]) -> str:
        aware = value.tzinfo is not None and value.utcoffset() is not None
        keyword = "TIME WITH TIME ZONE " if aware else "TIME "
        return keyword + self.quote(value.isoformat())

    def interval(self, value: dt.timedelta, type_: TypeEngine[Any]) -> str:
        return f"INTERVAL '{value.days} days {value.seconds}.{value.microseconds:06d} seconds'"

    def interval_typed(self, value: Any, type_: TypeEngine[Any]) -> str:
        return self.by_value(value, type_)

    def binary(self, value: bytes | bytearray | memoryview, type_: TypeEngine[Any]) -> str:
        return "'\\x" + bytes(value).hex() + "'::bytea"

    def json(self, value: Any, type_: TypeEngine[Any]) -> str:
        cast = "jsonb" if isinstance(type_, postgresql.JSONB) else "json"
        if cast == "jsonb" and _has_nul(value):
            raise LiteralError(
                f"JSON document {_describe(value)} contains a NUL character (\\u0000), "
                "which jsonb cannot store: remove it or use a json column"
            )
        return f"{self.string(self.json_text(value), type_)}::{cast}"

    def array(self, value: Any, type_: TypeEngine[Any]) -> str:
        """``ARRAY[...]`` of the items rendered with the item type; ``'{}'`` when empty."""
        assert isinstance(type_, sa.ARRAY)
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            return self.by_value(value, type_)
        if not value:
            return "'{}'"
        item_type = type_.item_type
        items = [
            self.array(item, type_)
            if isinstance(item, (list, tuple))
            else self.render(item, item_type)
            for item in value
        ]
        return "ARRAY[" + ", ".join(items) + "]"
