"""The review's view of the schema before each step (offline_sql/review/before.py) answers
as a copy of the whole state per step did, without the copies (issue 16)."""

from __future__ import annotations

from offline_sql.review.before import Fixed, Timeline


def test_each_step_sees_the_tables_before_it() -> None:
    timeline = Timeline()
    timeline.start([("users", {"id": "INTEGER"}), ("audit.log", {"id": "INTEGER"})])
    first = timeline.view()
    timeline.after_step([("users", {"id": "INTEGER", "name": "VARCHAR(20)"}), ("posts", {})])
    second = timeline.view()
    timeline.after_step([("users", None)])  # dropped
    third = timeline.view()
    timeline.after_step([("users", {"id": "BIGINT"})])  # created again
    fourth = timeline.view()

    assert first.existed("users") and not first.existed("posts")
    assert [dict(c) for c in first.columns("USERS")] == [{"id": "INTEGER"}]
    assert second.existed("posts")
    assert [dict(c) for c in second.columns("users")] == [{"id": "INTEGER", "name": "VARCHAR(20)"}]
    assert not third.existed("users") and list(third.columns("users")) == []
    assert [dict(c) for c in fourth.columns("users")] == [{"id": "BIGINT"}]
    # A qualified name matches its bare name and the other way round, case-insensitively.
    for view in (first, second, third, fourth):
        assert view.existed("log") and view.existed("AUDIT.LOG") and view.existed("x.log")
    assert first.existed("public.users")


def test_fixed_tables_match_as_the_timeline_does() -> None:
    fixed = Fixed({"audit.Log", "users"}, {"users": {"id": "INTEGER"}})
    assert fixed.existed("log") and fixed.existed("public.USERS") and not fixed.existed("posts")
    assert [dict(c) for c in fixed.columns("s.users")] == [{"id": "INTEGER"}]
    assert list(fixed.columns("log")) == []
