"""How a row's bytes are stored: small rows as they are, large ones compressed.

Compressing the usual 1 KiB row cost a first run more than anything else the cache added,
for a 1.7x gain (``store.COMPRESS_FROM``); both forms must read back byte for byte, and
bytes in neither form are a damaged row (a miss and a warning), never data.
"""

from __future__ import annotations

import os
import sqlite3
import warnings
from pathlib import Path

import pytest

from offline_sql.errors import CacheWarning
from offline_sql.stepcache import store


@pytest.mark.parametrize(
    "data",
    [b"", b"short pickle", os.urandom(store.COMPRESS_FROM - 1), b"x" * store.COMPRESS_FROM * 4],
)
def test_rows_of_every_size_read_back_byte_for_byte(tmp_path: Path, data: bytes) -> None:
    writer = store.CacheStore(tmp_path)
    writer.put("render", "k", (("a.py", "0" * 64),), data)
    writer.flush()
    found = store.CacheStore(tmp_path).get("render", "k")
    assert found == ((("a.py", "0" * 64),), data)


def test_small_rows_are_stored_as_they_are_large_ones_compressed() -> None:
    small, large = b"s" * 100, b"l" * store.COMPRESS_FROM
    assert store._compress(small) == store.RAW + small
    packed = store._compress(large)
    assert packed[:1] == store.DEFLATED and len(packed) < len(large) // 10


def test_a_row_in_no_known_form_is_a_miss_with_a_warning(tmp_path: Path) -> None:
    writer = store.CacheStore(tmp_path)
    writer.put("render", "k", (), b"data")
    writer.flush()
    body = b"?" + b"data"
    with sqlite3.connect(tmp_path / store.FILE_NAME) as connection:
        connection.execute("UPDATE render SET data = ?", (store._checksum(body) + body,))
    connection.close()
    reader = store.CacheStore(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert reader.get("render", "k") is None
    assert [w.category for w in caught] == [CacheWarning]


def test_queued_rows_spill_to_a_temporary_file_and_are_written_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long first run's queue goes to a temporary file past ``SPILL_AT`` bytes; what is
    written is what was put, a key put twice keeping its last row."""
    monkeypatch.setattr(store, "SPILL_AT", 64)
    writer = store.CacheStore(tmp_path)
    rows = {f"k{i}": bytes([i]) * (i * 10) for i in range(40)}
    for key, data in rows.items():
        writer.put("state", key, (), data)
    writer.put("render", "again", (), b"first")
    writer.put("render", "again", (), b"last")
    assert writer._spilled is not None
    writer.flush()
    assert writer._spilled is None
    reader = store.CacheStore(tmp_path)
    assert reader.get_many("state", list(rows)) == rows
    assert reader.get("render", "again") == ((), b"last")


def test_a_store_closed_without_flushing_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed command never flushes: its spilled rows go with the temporary file."""
    monkeypatch.setattr(store, "SPILL_AT", 1)
    writer = store.CacheStore(tmp_path)
    writer.put("state", "k", (), b"data")
    writer.close()
    assert not (tmp_path / store.FILE_NAME).exists()
