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


def test_a_copy_replaying_the_journal_answers_as_the_timeline() -> None:
    """What the review child does (offline_sql/review_child.py): it holds a copy of the
    timeline from the fork on, and replays the changes the parent's noted since."""
    import copy
    import pickle

    timeline = Timeline()
    timeline.start([("users", {"id": "INTEGER"})])
    timeline.after_step([("posts", {"id": "INTEGER"})])
    replica = copy.deepcopy(timeline)  # the fork
    timeline.journal = []
    timeline.after_step([("users", {"id": "INTEGER", "name": "TEXT"}), ("posts", None)])
    timeline.after_step([])
    timeline.after_step([("Audit.Log", {"at": "TIMESTAMP"})])
    events = pickle.loads(pickle.dumps(timeline.journal))  # through the pipe
    assert [event for event, _ in events] == ["after_step"] * 3
    replica.replay(events)
    for step in range(6):
        mine, theirs = timeline.view(step), replica.view(step)
        for table in ("users", "posts", "log", "audit.log", "nothing"):
            assert mine.existed(table) == theirs.existed(table), (step, table)
            assert list(mine.columns(table)) == list(theirs.columns(table)), (step, table)


def test_a_timeline_notes_nothing_unless_asked() -> None:
    timeline = Timeline()
    timeline.start(iter([("users", {})]))  # a generator, taken once
    timeline.after_step(iter([("users", None)]))
    assert timeline.journal is None
    assert timeline.view(0).existed("users") and not timeline.view(1).existed("users")
