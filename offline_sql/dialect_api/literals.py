"""Python values as SQL literals that read back byte for byte through each database's client.

Offline scripts carry values as literals, not bind parameters, and a DBA applies them with
``psql``, ``mariadb``, ``sqlite3``, ``sqlcmd`` or ``sqlplus``. Each of those clients reads the
file line by line and has its own quirks (``mariadb`` and ``sqlite3`` drop a CR before a
newline, ``sqlcmd`` substitutes ``$(var)`` and splits on ``GO`` lines, SQL*Plus substitutes
``&name`` and ends a statement at a blank line), so a literal that is correct SQL is not
enough: it must survive the client too. :class:`Literals` holds the rules every database
shares; one subclass per database (its folder's ``literals.py``) overrides what differs.
Values we cannot express faithfully raise :class:`LiteralError` instead of changing the data
silently.

The column type (when known) guides the choice the way SQLAlchemy would when binding the
value online: a ``dict`` into ``JSON`` is serialized, an ``enum.Enum`` member into ``Enum``
becomes its stored name, a ``str`` into ``LargeBinary`` becomes bytes, a ``Uuid`` becomes the
form the database's column stores.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import json
import math
import re
import uuid
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Dialect as SADialect
from sqlalchemy.sql.base import NO_ARG
from sqlalchemy.types import NullType, TypeEngine

from offline_sql.errors import RenderError

Renderer = Callable[[Any, TypeEngine[Any]], str]

_RANGE_CACHE_LIMIT = 2000
"""Column types whose integer range a :class:`Literals` remembers before starting over."""

_EPOCH = dt.datetime(1970, 1, 1)
"""SQLAlchemy stores a non-native ``Interval`` as this epoch plus the delta."""


class LiteralError(RenderError):
    """A value that cannot be written (or a parameter without one), found while compiling,
    where the operation is not known: ``Dialect.render`` sets :attr:`where` so the message
    starts with the operation and the script line to fix."""

    where: str | None = None
    """``op.<operation> ... at <file>:<line> (revision <rev>)``, once known."""

    def __str__(self) -> str:
        message = super().__str__()
        return f"{self.where}: {message}" if self.where else message


def _offset(offset: dt.timedelta) -> str:
    """``+HH:MM`` for a UTC offset (seconds, which no database takes, are an error)."""
    minutes, seconds = divmod(int(offset.total_seconds()), 60)
    if seconds or offset.microseconds:
        raise LiteralError(f"UTC offset {offset} has seconds: databases take whole minutes")
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def _has_nul(document: Any) -> bool:
    """Whether a JSON document holds a NUL in any string or key."""
    if isinstance(document, str):
        return "\x00" in document
    if isinstance(document, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in document.items())
    if isinstance(document, (list, tuple)):
        return any(_has_nul(item) for item in document)
    return False


def signed_bits(bits: int) -> tuple[int, int]:
    """The range of a two's complement integer of ``bits`` bits."""
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


_INTEGER_SPELLING = re.compile(
    r"^(?P<name>[A-Z]+)(?:\((?P<digits>\d+)(?:,\s*(?P<scale>-?\d+))?\))?(?P<unsigned> UNSIGNED)?"
)
"""A compiled numeric type: name, precision and scale (or MySQL's display width), UNSIGNED."""

_EXACT_NUMERIC_NAMES = frozenset({"NUMERIC", "DECIMAL", "NUMBER"})
"""Exact numeric types whose ``(p, s)`` bounds an integer to ``p - s`` digits."""


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class Literals:
    """Standard SQL literals; subclasses override what their database spells differently.

    ``render(value, type_)`` is the one entry point. Dispatch is explicit: first by column
    type (:meth:`_type_renderers`), then by the value's Python type (:meth:`_value_renderers`,
    most specific first).
    """

    true_false: ClassVar[tuple[str, str]] = ("1", "0")
    """How ``True`` and ``False`` are spelled (databases without a boolean type store 1/0)."""

    float_specials: ClassVar[dict[str, str]] = {}
    """Spelling of ``inf``, ``-inf``, ``nan`` and ``-0.0`` floats; a missing key is a
    LiteralError. ``-0.0`` is special because the plain text ``-0.0`` is read as an exact
    number (PostgreSQL, MySQL) or stored in a REAL column (SQLite) as ``0.0``: a database
    that cannot keep the sign refuses the value rather than dropping it."""

    decimal_specials: ClassVar[dict[str, str]] = {}
    """Spelling of ``Decimal('Infinity')``, ``'-Infinity'`` and ``'NaN'``; missing is an error."""

    integer_ranges: ClassVar[dict[str, tuple[int, int]]] = {
        "SMALLINT": signed_bits(16),
        "INT": signed_bits(32),
        "INTEGER": signed_bits(32),
        "BIGINT": signed_bits(64),
    }
    """Integers a column holds, by the name of its type as the database spells it (display
    width and ``UNSIGNED`` aside: an ``UNSIGNED`` type holds 0 to twice the maximum plus
    one). An integer outside is refused when the script is generated, like every value the
    database cannot store, instead of failing when the DBA applies it (or being clipped by
    a server in a lenient mode). ``NUMERIC(p, s)``/``DECIMAL``/``NUMBER`` hold fewer than
    ``p - s`` digits; types not listed take any integer."""

    literal_integer_range: ClassVar[tuple[int, int] | None] = None
    """Integers a literal is read as exactly, whatever the column (SQLite: 64 bits, beyond
    which ``123...`` is read as a rounded REAL); None: any."""

    bare_decimal_digits: ClassVar[int | None] = None
    """Digits of an exact numeric type spelled without precision (MySQL reads ``NUMERIC``
    as ``DECIMAL(10, 0)``); None: unlimited."""

    database: ClassVar[str] = "this database"
    """Name used in error messages."""

    uuid_type_is_native: ClassVar[bool] = False
    """Whether ``sa.Uuid`` is a native type here although SQLAlchemy's dialect says it has
    none (SQL Server's ``UNIQUEIDENTIFIER``); otherwise ``supports_native_uuid`` tells."""

    def __init__(self, dialect: SADialect) -> None:
        self.dialect = dialect
        """The SQLAlchemy dialect: types adapt to it as they would online."""

    # ---- entry point --------------------------------------------------------------------

    def render(self, value: Any, type_: TypeEngine[Any] | None = None) -> str:
        """``value`` as a literal for a column (or expression) of ``type_`` (None: unknown)."""
        type_ = sa.types.NULLTYPE if type_ is None else type_
        while isinstance(type_, sa.TypeDecorator) and not isinstance(type_, sa.Interval):
            value = self._decorate(type_, value)
            type_ = type_.load_dialect_impl(self.dialect)
        if value is sa.JSON.NULL or (
            value is None and isinstance(type_, sa.JSON) and type_.should_evaluate_none
        ):
            return self.json(None, type_)
        if value is None:
            return "NULL"
        for type_class, by_type in self._type_renderers():
            if isinstance(type_, type_class):
                return by_type(value, type_)
        return self.by_value(value, type_)

    def by_value(self, value: Any, type_: TypeEngine[Any]) -> str:
        """Render by the value's Python type alone."""
        for python_type, renderer in self._value_renderers():
            if isinstance(value, python_type):
                return renderer(value, type_)
        raise LiteralError(
            f"cannot write a {type(value).__module__}.{type(value).__qualname__} value "
            f"({_describe(value)}) as a SQL literal for a {self._type_name(type_)} column on "
            f"{self.database}: convert it to str, int, Decimal, date/time, bytes or a "
            "JSON-typed dict/list first"
        )

    def _type_renderers(self) -> Sequence[tuple[type[Any], Renderer]]:
        """Column types that change how a value is written (first match wins)."""
        return (
            (sa.JSON, self.json),
            (sa.Enum, self.enum_typed),
            (sa.Uuid, self.uuid_typed),
            (sa.Boolean, self.boolean_typed),
            (sa.ARRAY, self.array),
            (sa.Interval, self.interval_typed),
            (sa.LargeBinary, self.binary_typed),
        )

    def _value_renderers(self) -> Sequence[tuple[type[Any] | tuple[type[Any], ...], Renderer]]:
        """Python types, most specific first (bool before int, datetime before date)."""
        return (
            (bool, self.boolean),
            (int, self.integer),
            (float, self.float_),
            (decimal.Decimal, self.decimal),
            (dt.datetime, self.datetime),
            (dt.date, self.date),
            (dt.time, self.time),
            (dt.timedelta, self.interval),
            (uuid.UUID, self.uuid),
            (str, self.string),
            ((bytes, bytearray, memoryview), self.binary),
            (enum.Enum, self.enum_member),
        )

    def _decorate(self, type_: sa.TypeDecorator[Any], value: Any) -> Any:
        """Apply a TypeDecorator's own conversion, as SQLAlchemy does before binding."""
        cls = type(type_)
        if cls.process_literal_param is not sa.TypeDecorator.process_literal_param:
            return type_.process_literal_param(value, self.dialect)
        if cls.process_bind_param is not sa.TypeDecorator.process_bind_param:
            return type_.process_bind_param(value, self.dialect)
        return value

    def _type_name(self, type_: TypeEngine[Any]) -> str:
        return "untyped" if isinstance(type_, NullType) else type(type_).__name__

    def _unsupported(self, what: str, value: Any, way_out: str) -> LiteralError:
        return LiteralError(f"{self.database} cannot store {what} {_describe(value)}: {way_out}")

    # ---- strings ------------------------------------------------------------------------

    def string(self, value: str, type_: TypeEngine[Any]) -> str:
        """A string literal. NUL is refused: PostgreSQL text cannot hold it and clients
        that read the script as C strings would cut it there."""
        text = str.__str__(value)
        if "\x00" in text:
            raise LiteralError(
                f"string {_describe(text)} contains a NUL character (\\x00), which text "
                "columns cannot hold: remove it or store the value as bytes (LargeBinary)"
            )
        return self.quote(text)

    def quote(self, text: str) -> str:
        """Quote checked text: single quotes doubled, everything else kept raw."""
        return "'" + text.replace("'", "''") + "'"

    # ---- numbers ------------------------------------------------------------------------

    def boolean(self, value: bool, type_: TypeEngine[Any]) -> str:
        return self.true_false[0] if value else self.true_false[1]

    def boolean_typed(self, value: Any, type_: TypeEngine[Any]) -> str:
        """SQLAlchemy's Boolean accepts 0 and 1 for False and True."""
        if isinstance(value, int) and value in (0, 1):
            return self.boolean(bool(value), type_)
        return self.by_value(value, type_)

    def integer(self, value: int, type_: TypeEngine[Any]) -> str:
        value = int(value)
        bounds = self.literal_integer_range
        if bounds is not None and not bounds[0] <= value <= bounds[1]:
            raise LiteralError(
                f"{self.database} cannot store the integer {_describe(value)}"
                f"{self._in_column(type_)}: its integers "
                f"run from {bounds[0]} to {bounds[1]} and a longer literal is read as a "
                "rounded REAL; store the number as text (a str), or pass float(value) to a "
                "Float column"
            )
        spelled, bounds = self.integer_range(type_)
        if bounds is not None and not bounds[0] <= value <= bounds[1]:
            raise LiteralError(
                f"{self.database} cannot store the integer {_describe(value)} in a column of "
                f"type {spelled} ({bounds[0]} to {bounds[1]}): use a wider column type "
                "(BigInteger, or Numeric(precision) for more digits) or a value in its range"
            )
        return str(value)

    def _in_column(self, type_: TypeEngine[Any]) -> str:
        """`` in a column of type <as spelled>``, or nothing for an untyped value."""
        if isinstance(type_, NullType):
            return ""
        try:
            return f" in a column of type {self.dialect.type_compiler_instance.process(type_)}"
        except sa.exc.SQLAlchemyError:
            return ""

    def integer_range(self, type_: TypeEngine[Any]) -> tuple[str, tuple[int, int] | None]:
        """(the type as the database spells it, the integers it holds or None for any),
        from :attr:`integer_ranges`, remembered per type object."""
        if not isinstance(type_, (sa.Integer, sa.Numeric)) or isinstance(type_, sa.Float):
            return "", None
        known: dict[TypeEngine[Any], tuple[str, tuple[int, int] | None]] = vars(
            self
        ).setdefault("_integer_ranges", {})
        found = known.get(type_)
        if found is None:
            if len(known) >= _RANGE_CACHE_LIMIT:
                known.clear()
            found = known[type_] = self._integer_range(type_)
        return found

    def _integer_range(self, type_: TypeEngine[Any]) -> tuple[str, tuple[int, int] | None]:
        try:
            spelled = str(self.dialect.type_compiler_instance.process(type_))
        except sa.exc.SQLAlchemyError:  # a type of another database: nothing to check
            return "", None
        match = _INTEGER_SPELLING.match(spelled.upper())
        if match is None:
            return spelled, None
        name = match.group("name")
        if name in _EXACT_NUMERIC_NAMES:
            digits = match.group("digits")
            precision = int(digits) if digits else self.bare_decimal_digits
            if precision is None:
                return spelled, None
            largest = 10 ** (precision - int(match.group("scale") or 0)) - 1
            low = 0 if match.group("unsigned") else -largest
            return spelled, (low, largest)
        bounds = self.integer_ranges.get(name)
        if bounds is not None and match.group("unsigned"):
            bounds = (0, bounds[1] - bounds[0])
        return spelled, bounds

    def float_(self, value: float, type_: TypeEngine[Any]) -> str:
        """``repr`` is the shortest text that reads back as the same double."""
        negative_zero = value == 0 and math.copysign(1.0, value) < 0
        if math.isfinite(value) and not negative_zero:
            return repr(float(value))
        if negative_zero:
            if "-0.0" not in self.float_specials:
                raise self._unsupported(
                    "the sign of the float",
                    value,
                    "it would be stored as 0.0; pass 0.0 (or NULL) instead",
                )
            return self.float_specials["-0.0"]
        key = "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        if key not in self.float_specials:
            raise self._unsupported("the float", value, "use NULL or a finite number")
        return self.float_specials[key]

    def decimal(self, value: decimal.Decimal, type_: TypeEngine[Any]) -> str:
        """Plain positional notation: no exponent a database could read as a float."""
        if value.is_finite():
            return format(value, "f")
        key = "NaN" if value.is_nan() else ("Infinity" if value > 0 else "-Infinity")
        if value.is_snan() or key not in self.decimal_specials:
            raise self._unsupported("the Decimal", value, "use NULL or a finite number")
        return self.decimal_specials[key]

    # ---- dates and times ----------------------------------------------------------------

    def date(self, value: dt.date, type_: TypeEngine[Any]) -> str:
        return self.quote(value.isoformat())

    def datetime(self, value: dt.datetime, type_: TypeEngine[Any]) -> str:
        return self.quote(value.isoformat(sep=" "))

    def time(self, value: dt.time, type_: TypeEngine[Any]) -> str:
        return self.quote(value.isoformat())

    def naive(self, value: dt.datetime | dt.time) -> None:
        """Refuse an aware value where the database's types have no time zone."""
        if value.tzinfo is not None and value.utcoffset() is not None:
            raise self._unsupported(
                "the time zone of",
                value,
                "its date/time types have no offset; pass a naive value "
                "(e.g. value.astimezone(timezone.utc).replace(tzinfo=None))",
            )

    def interval(self, value: dt.timedelta, type_: TypeEngine[Any]) -> str:
        raise self._unsupported(
            "the timedelta", value, "give the column an Interval type or pass a number"
        )

    def interval_typed(self, value: Any, type_: TypeEngine[Any]) -> str:
        """A non-native Interval is stored as epoch + delta, as SQLAlchemy does online."""
        if isinstance(value, dt.timedelta):
            return self.datetime(_EPOCH + value, sa.DateTime())
        return self.by_value(value, type_)

    # ---- other scalars ------------------------------------------------------------------

    def uuid(self, value: uuid.UUID, type_: TypeEngine[Any]) -> str:
        return self.quote(str(value))

    def uuid_typed(self, value: Any, type_: TypeEngine[Any]) -> str:
        """The form the column stores: native UUID types take the dashed text, others
        (CHAR(32)) the 32 hex digits SQLAlchemy's ``Uuid`` binds. Decided here from the
        type and the dialect's flag, not by SQLAlchemy's bind processors, whose choice
        differs between versions (MariaDB's native UUID is new in 2.1)."""
        if value is None:
            return "NULL"
        native = getattr(type_, "native_uuid", True) and (
            self.uuid_type_is_native or bool(self.dialect.supports_native_uuid)
        )
        text = str(value)
        return self.quote(text if native else text.replace("-", ""))

    def binary(self, value: bytes | bytearray | memoryview, type_: TypeEngine[Any]) -> str:
        """``X'..'``: the SQL standard binary literal (MySQL, MariaDB, SQLite)."""
        return "X'" + bytes(value).hex().upper() + "'"

    def binary_typed(self, value: Any, type_: TypeEngine[Any]) -> str:
        """A str into a binary column is stored as its UTF-8 bytes."""
        if isinstance(value, str):
            return self.binary(value.encode("utf-8"), type_)
        return self.by_value(value, type_)

    def enum_member(self, value: enum.Enum, type_: TypeEngine[Any]) -> str:
        """An Enum member without an Enum column type is stored by name, as SQLAlchemy's
        ``Enum(MyEnum)`` does by default; ``str``/``int`` mixins count as their value."""
        return self.string(value.name, type_)

    def enum_typed(self, value: Any, type_: TypeEngine[Any]) -> str:
        """SQLAlchemy's Enum semantics: a member becomes its stored string (the name, or the
        value with ``values_callable``); a string must be one of the enum's values."""
        assert isinstance(type_, sa.Enum)
        try:
            stored = type_._db_value_for_elem(value)  # type: ignore[no-untyped-call]
        except LookupError:
            stored = NO_ARG
        if stored is None:
            return "NULL"
        if stored not in type_.enums:
            raise LiteralError(
                f"{_describe(value)} is not one of the values of enum "
                f"{type_.name or 'type'} ({', '.join(map(repr, type_.enums))})"
            )
        return self.string(stored, sa.String())

    def json(self, value: Any, type_: TypeEngine[Any]) -> str:
        """The document as a string literal: ``json.dumps`` keeping key order and non-ASCII."""
        return self.string(self.json_text(value), type_)

    def json_text(self, value: Any) -> str:
        try:
            return json.dumps(value, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise LiteralError(
                f"cannot serialize {_describe(value)} as JSON ({error}): convert it to "
                "dicts, lists, str, int, finite floats, bool and None"
            ) from None

    def array(self, value: Any, type_: TypeEngine[Any]) -> str:
        raise self._unsupported("the array", value, "use a JSON column instead")


# ---- helpers for databases whose client forbids some characters inside literals ---------


def concatenate(
    text: str,
    quote: Callable[[str], str],
    specials: dict[str, str],
    operator: str,
) -> str:
    """``text`` as ``quote(piece) <op> CHAR(n) <op> ...`` when it holds characters in
    ``specials`` (a character -> its SQL expression), else ``quote(text)``; parenthesized
    so the result is one operand anywhere, including ``DEFAULT (...)``."""
    if not any(char in text for char in specials):
        return quote(text)
    parts: list[str] = []
    piece = ""
    for char in text:
        if char in specials:
            if piece:
                parts.append(quote(piece))
            parts.append(specials[char])
            piece = ""
        else:
            piece += char
    if piece:
        parts.append(quote(piece))
    return "(" + f" {operator} ".join(parts) + ")"
