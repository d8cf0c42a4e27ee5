"""SQLite literals: what the sqlite3 shell reads back byte for byte (see
``dialect_api/literals.py``)."""

from __future__ import annotations

import datetime as dt
import decimal
import math
from typing import Any, ClassVar

from sqlalchemy.dialects import sqlite as sa_sqlite
from sqlalchemy.types import Float, Numeric, TypeEngine

from offline_sql.dialect_api.literals import Literals, concatenate, signed_bits


class SQLiteLiterals(Literals):
    """SQLite has no date types: values are stored as the strings SQLAlchemy's SQLite
    types write and parse (``YYYY-MM-DD HH:MM:SS.ffffff``), so SQLAlchemy reads them back.

    CR is written as ``char(13)`` because the ``sqlite3`` shell drops a CR that ends a line.
    """

    database = "SQLite"
    literal_integer_range = signed_bits(64)

    def integer_range(self, type_: TypeEngine[Any]) -> tuple[str, tuple[int, int] | None]:
        """Any column holds any 64-bit integer, whatever type it declares (type affinity):
        only :attr:`literal_integer_range` counts."""
        return "", None

    float_specials: ClassVar[dict[str, str]] = {"inf": "1e999", "-inf": "-1e999"}

    def float_(self, value: float, type_: TypeEngine[Any]) -> str:
        """Exact, whatever SQLite's decimal parser does: sqlite3 3.40 misreads some
        shortest-repr texts by an ulp, so a fractional or huge value is built from an
        integer below 2**53 (read exactly) and powers of two (``/`` and ``*`` by them are
        exact): ``0.5`` is ``(1.0 / 2)``. Integers below 2**53 keep their repr."""
        if not math.isfinite(value) or (value.is_integer() and abs(value) < 2**53):
            return super().float_(value, type_)
        if abs(value) < 2**53:
            numerator, denominator = value.as_integer_ratio()
            integer, exponent = numerator, -(denominator.bit_length() - 1)
        else:
            mantissa, exponent = math.frexp(value)
            integer, exponent = int(mantissa * 2**53), exponent - 53
        operator = " * " if exponent > 0 else " / "
        steps, rest = divmod(abs(exponent), 62)
        factors = [str(2**62)] * steps + ([str(2**rest)] if rest else [])
        return "(" + operator.join([f"{integer}.0", *factors]) + ")"

    def decimal(self, value: decimal.Decimal, type_: TypeEngine[Any]) -> str:
        """A finite Decimal for a number column (``Numeric``, ``Float``: REAL or NUMERIC
        affinity) is stored as a REAL, as the double ``float(value)`` that SQLAlchemy binds
        online, written exactly (:meth:`float_`): the positional text would be converted
        by SQLite's own decimal reading, which misreads some (sqlite3 3.40 reads
        ``2.014737`` as ``2.0147370000000002``). Elsewhere (a text column, no type) the
        digits are kept as written, as they are for a number SQLite reads exactly: one that
        is a double itself, written with at most 15 digits and at most 22 decimals (its digits
        an integer below 2**53, scaled once by a power of ten that is a double too:
        ``150.25``, ``0.5``, ``100000``; one exact operation on exact doubles)."""
        if value.is_finite() and isinstance(type_, (Numeric, Float)):  # apart since SQLAlchemy 2.1
            as_float = float(value)
            _, digits, exponent = value.as_tuple()
            read_exactly = (
                decimal.Decimal(as_float) == value and len(digits) <= 15 and int(exponent) >= -22
            )
            if not read_exactly:
                return self.float_(as_float, type_)
        return super().decimal(value, type_)

    def quote(self, text: str) -> str:
        return concatenate(text, super().quote, {"\r": "char(13)"}, "||")

    def _stored(self, value: Any, type_: TypeEngine[Any], default: TypeEngine[Any]) -> str:
        storage = type_ if isinstance(type_, type(default)) else default
        process = storage.bind_processor(self.dialect)
        assert process is not None
        return self.quote(str(process(value)))

    def date(self, value: dt.date, type_: TypeEngine[Any]) -> str:
        return self._stored(value, type_, sa_sqlite.DATE())  # type: ignore[no-untyped-call]

    def datetime(self, value: dt.datetime, type_: TypeEngine[Any]) -> str:
        self.naive(value)
        return self._stored(value, type_, sa_sqlite.DATETIME())  # type: ignore[no-untyped-call]

    def time(self, value: dt.time, type_: TypeEngine[Any]) -> str:
        self.naive(value)
        return self._stored(value, type_, sa_sqlite.TIME())  # type: ignore[no-untyped-call]
