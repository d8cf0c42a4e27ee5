"""The step cache's key digest hashes the joined parts in one call (a walk's key has four
parts a revision), giving the same digest as feeding each length prefix and part in turn."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from offline_sql.stepcache.keys import digest


def _part_by_part(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


@given(st.lists(st.text(alphabet=st.characters(codec=None, exclude_categories=())), max_size=8))
def test_same_digest_as_part_by_part(parts: list[str]) -> None:
    assert digest(*parts) == _part_by_part(*parts)


def test_part_boundaries_count() -> None:
    assert digest("ab", "c") != digest("a", "bc")
    assert digest("\ud800") == _part_by_part("\ud800")
