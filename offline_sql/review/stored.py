"""A step's core review as bytes that point at the step's statements instead of copying them.

A core review (:func:`offline_sql.review.core_review`) holds each statement of its step,
and whoever reads the review back holds that step already: the rendered step, from the walk
or from the step cache. Pickled whole, every statement went out a second time: into the
step cache's review row, and into the review child's answer, which the parent of a ``-o DIR``
run unpickled into a second copy of every statement it kept until the end (2.6 KB a step:
13 MiB kept, and 27 MiB while the answer was read, at N = 5,000). Here a statement of the
step is written as its position in the step (a persistent id) and read back as the step's
own object: the review shares the rendered step's statements, as when it is made in the same
process. The child sends these bytes as they are and the parent stores them in the step cache
without pickling the review again.

A statement the step does not hold (by identity) is pickled whole. The bytes are read with the
statements of the step they were made for: the review row's key is that step's rendering, and
the child's answer is indexed by the step's place in the walk. Bytes that point beyond the
statements given decode to None, a review to make again.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Sequence

from offline_sql.review import StepReview
from offline_sql.statements import Statement
from offline_sql.tablemap import PICKLE_PROTOCOL


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, positions: dict[int, int]) -> None:
        super().__init__(file, protocol=PICKLE_PROTOCOL)
        self._positions = positions

    def persistent_id(self, obj: object) -> int | None:
        if type(obj) is Statement:
            return self._positions.get(id(obj))
        return None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, statements: Sequence[Statement]) -> None:
        super().__init__(file)
        self._statements = statements

    def persistent_load(self, pid: object) -> Statement:
        if type(pid) is int and 0 <= pid < len(self._statements):
            return self._statements[pid]
        raise pickle.UnpicklingError(f"no statement {pid!r} in the step")


def review_bytes(review: StepReview, statements: Sequence[Statement]) -> bytes:
    """``review`` pickled, each of ``statements`` (the step's) written as its position."""
    out = io.BytesIO()
    _Pickler(out, {id(s): i for i, s in enumerate(statements)}).dump(review)
    return out.getvalue()


def review_from(data: bytes, statements: Sequence[Statement]) -> StepReview | None:
    """The review :func:`review_bytes` wrote, its statements those of ``statements``; None
    when the bytes do not decode to a review of a step with these statements."""
    try:
        found = _Unpickler(io.BytesIO(data), statements).load()
    except Exception:  # a damaged row can raise anything while unpickling
        return None
    return found if isinstance(found, StepReview) else None
