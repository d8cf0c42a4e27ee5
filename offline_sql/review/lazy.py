"""sqlglot's expressions for the review's modules, imported when first used.

The review's classification, rebuild detection and rules (and each dialect's own rules) are
imported wherever a review is taken: for the rules' ids and order, the classes a review
read back from the step cache or from the review child unpickles to, and the rules about a
step's flags (downgrade missing or empty), which the parent of a ``-o DIR`` run judges
itself. Only parsing a statement and the rules about its statements need sqlglot, 60-70 ms
to import, and in such a run a child process does those (:mod:`offline_sql.review_child`).
So these modules take ``exp`` (and ``data_types``, sqlglot's ``exp.DataType.Type``) from
here; type checkers see sqlglot's own (``if TYPE_CHECKING``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


class Lazy:
    """The attributes of an object made at the first one asked for; each attribute is then
    kept on this one, so that asking again costs what a plain attribute costs."""

    def __init__(self, make: Callable[[], object]) -> None:
        self._make = make

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # copy, pickle and friends probing: not sqlglot's
            raise AttributeError(name)
        value = getattr(self._make(), name)
        setattr(self, name, value)
        return value


exp: Any = Lazy(lambda: importlib.import_module("sqlglot.expressions"))
"""``from sqlglot import exp``, at its first use."""

data_types: Any = Lazy(lambda: exp.DataType.Type)
"""``exp.DataType.Type`` (the enumeration of sqlglot's types), at its first use."""
