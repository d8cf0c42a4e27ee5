"""Parsing emitted SQL with sqlfluff, an independent grammar of each vendor's dialect.

sqlglot (a runtime dependency) keeps what it cannot read as a raw ``Command`` and accepts
some invalid T-SQL; sqlfluff's dialects follow the vendors' grammar more closely and report
what they cannot parse as ``unparsable`` segments, which the tests count.
"""

from __future__ import annotations

from functools import cache

from sqlfluff.core import FluffConfig, Linter


@cache
def _linter(dialect: str) -> Linter:
    return Linter(config=FluffConfig(overrides={"dialect": dialect}))


def unparsable(sql: str, dialect: str) -> list[str]:
    """The parts of ``sql`` sqlfluff's ``dialect`` cannot parse (empty when it all parses)."""
    parsed = _linter(dialect).parse_string(sql)
    found = [v.desc() for v in parsed.violations]
    if parsed.tree is None:
        return [*found, "no parse tree"]
    found += [segment.raw for segment in parsed.tree.recursive_crawl("unparsable")]
    return found
