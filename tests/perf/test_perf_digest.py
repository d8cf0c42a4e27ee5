"""The step cache's key digest hashes the joined parts in one call (a walk's key has four
parts a revision), giving the same digest as feeding each length prefix and part in turn;
a key of many parts is joined a batch at a time, so its parts' bytes are never all held."""

from __future__ import annotations

import hashlib
import tracemalloc

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


def test_a_long_key_is_the_same_digest_holding_a_batch_at_a_time() -> None:
    """A walk of 5,000 steps has a key of 20,001 parts: joined all at once they held 4 MiB,
    the highest point of a first run at its end (stdout at N = 5,000: 96 -> 92 MiB)."""
    parts = [f"{i:012x}-{'x' * (i % 90)}" for i in range(20_001)]
    expected = _part_by_part(*parts)
    size = sum(len(p) + 8 for p in parts)
    tracemalloc.start()
    try:
        found = digest(*parts)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert found == expected
    assert peak < size / 2, (peak, size)  # all at once: 6 times the size


def test_batch_edges_give_the_same_digest() -> None:
    for count in (511, 512, 513, 1023, 1024, 1025, 2049):
        parts = [str(i) for i in range(count)]
        assert digest(*parts) == _part_by_part(*parts), count
