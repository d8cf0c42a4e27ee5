"""The few lines most ``mig.toml`` files are, read without :mod:`tomllib`.

A run the result memo answers (:mod:`offline_sql.quick`) loads the configuration, and
importing ``tomllib`` (which imports ``typing``) was 6 ms of such a run's 52 (stop 34,
alternating runs). A configuration is a handful of ``key = "value"`` lines: :func:`loads`
reads a document made only of such lines and returns None for anything else, which
``tomllib`` then reads (and reports, when it is not TOML).

What is read here, one line at a time, each possibly ending in a comment: blank lines,
comments, table headers of bare keys (``[tool.mig]``), and ``bare_key = value`` where the
value is a string without escapes (``"..."`` or ``'...'``), ``true``/``false``, a decimal
integer or a plain decimal fraction, or a one-line array of such strings. A key or table
given twice, a key that is also a table, a control character, anything else: None. A
document read here is read the same by ``tomllib`` (tests/model/test_simple_toml.py holds
the two to each other on generated documents).
"""

from __future__ import annotations

import re
from functools import cache

TYPE_CHECKING = False  # not typing's: importing it is what this module avoids
if TYPE_CHECKING:
    from typing import Any

_KEY = r"[A-Za-z0-9_-]+"
_STRING = r'"[^"\\\x00-\x1f\x7f]*"' + r"|'[^'\x00-\x08\x0a-\x1f\x7f]*'"
_SCALAR = rf"{_STRING}|true|false|[+-]?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?"
_ARRAY = rf"\[[ \t]*(?:(?:{_STRING})[ \t]*(?:,[ \t]*(?:{_STRING})[ \t]*)*,?[ \t]*)?\]"
_COMMENT = r"(?:#[^\x00-\x08\x0a-\x1f\x7f]*)?"
_PAIR = re.compile(rf"[ \t]*({_KEY})[ \t]*=[ \t]*({_SCALAR})[ \t]*{_COMMENT}")
_BLANK = re.compile(rf"[ \t]*{_COMMENT}")


@cache
def _bracketed() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The patterns of the lines with brackets (a table header, an array) and of an array's
    item, compiled when a document has such a line: compiling them all is 0.7 ms, most
    configurations have none."""
    array_pair = rf"[ \t]*({_KEY})[ \t]*=[ \t]*({_ARRAY})[ \t]*{_COMMENT}"
    table = rf"[ \t]*\[[ \t]*({_KEY}(?:[ \t]*\.[ \t]*{_KEY})*)[ \t]*\][ \t]*{_COMMENT}"
    return re.compile(array_pair), re.compile(table), re.compile(_STRING)


def loads(text: str) -> dict[str, Any] | None:
    """The document ``text`` when it is made only of the lines this module reads (see the
    module's doc), else None."""
    document: dict[str, Any] = {}
    table = document
    headers: set[tuple[str, ...]] = set()
    lines = text.split("\n")
    for number, line in enumerate(lines, 1):
        if line.endswith("\r") and number < len(lines):  # CRLF; a last line has no LF
            line = line[:-1]
        if "\r" in line:
            return None
        pair = _PAIR.fullmatch(line)
        if pair is None and "[" in line:
            pair = _bracketed()[0].fullmatch(line)
        if pair is not None:
            key = pair.group(1)
            try:
                value = _value(pair.group(2))
            except ValueError:  # an integer past Python's limit on digits: tomllib tells
                return None
            if key in table:
                return None
            table[key] = value
            continue
        header = _bracketed()[1].fullmatch(line) if "[" in line else None
        if header is not None:
            path = tuple(part.strip(" \t") for part in header.group(1).split("."))
            found = _open_table(document, path, headers)
            if found is None:
                return None
            table = found
            continue
        if _BLANK.fullmatch(line) is None:
            return None
    return document


def _value(text: str) -> Any:
    if text[0] in "\"'":
        return text[1:-1]
    if text[0] == "[":
        return [item[1:-1] for item in _bracketed()[2].findall(text)]
    if text in ("true", "false"):
        return text == "true"
    return float(text) if "." in text else int(text)


def _open_table(
    document: dict[str, Any], path: tuple[str, ...], headers: set[tuple[str, ...]]
) -> dict[str, Any] | None:
    """The table ``[path]`` opens (made, with the tables above it), None when it was opened
    before or a key on its path holds a value that is not a table."""
    if path in headers:
        return None
    headers.add(path)
    table = document
    for part in path:
        inner = table.setdefault(part, {})
        if not isinstance(inner, dict):
            return None
        table = inner
    return table
