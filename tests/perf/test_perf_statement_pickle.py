"""A cached statement unpickles without a ``dataclasses.fields()`` walk (issue 16).

A warm run reads every statement of the history from the step cache; ``Statement``
pickles as a plain tuple in field order, so it must name every field, in order.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle

from offline_sql.statements import Statement


def test_state_is_every_field_in_order() -> None:
    stmt = Statement("UPDATE t SET a = 1", "dml", "t", False, True, "why", False)
    names = [f.name for f in dataclasses.fields(Statement)]
    state = stmt.__reduce_ex__(2)[2]  # what pickle stores
    assert state == tuple(getattr(stmt, name) for name in names)


def test_round_trips() -> None:
    for stmt in (
        Statement("CREATE TABLE t (id INTEGER)"),
        Statement("UPDATE t SET a = 1", "dml", "t", False, True, "why", False),
        Statement("", "note", comment="nothing to do"),
    ):
        for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
            back = pickle.loads(pickle.dumps(stmt, protocol=protocol))
            assert back == stmt and type(back) is Statement
        assert copy.deepcopy(stmt) == stmt and copy.copy(stmt) == stmt
