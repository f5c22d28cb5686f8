"""Fixed-window rate counters in the database, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest

from survey.errors import RateLimited
from survey.store import limits
from survey.store.engine import Database, make_engine
from survey.store.limits import RateLimit

T0 = 1_800_000_000  # a multiple of 60 and of 900


def test_a_window_takes_its_hits_then_refuses_until_the_next_window(db):
    limit = RateLimit(key="submit:net-a", hits=3, window_s=60)
    for _ in range(3):
        limits.take_now(db, limit, now=T0 + 10)
    with pytest.raises(RateLimited) as refused:
        limits.take_now(db, limit, now=T0 + 15)
    assert refused.value.retry_after == 45
    limits.take_now(db, RateLimit(key="submit:net-b", hits=3, window_s=60), now=T0 + 15)  # another key is separate
    limits.take_now(db, limit, now=T0 + 60)  # the next window starts empty


def test_a_refused_hit_is_not_counted(db):
    limit = RateLimit(key="k", hits=1, window_s=60)
    limits.take_now(db, limit, now=T0)
    for _ in range(3):
        with pytest.raises(RateLimited):
            limits.take_now(db, limit, now=T0 + 1)
    with db.read() as session:
        from sqlalchemy import text

        assert session.execute(text("SELECT hits FROM rate_count WHERE key = 'k'")).scalar_one() == 1


def test_failures_are_counted_checked_over_two_windows_and_forgotten(db):
    limit = RateLimit(key="login-failed:admin", hits=3, window_s=900)
    limits.count(db, limit, now=T0 + 890)
    limits.count(db, limit, now=T0 + 899)
    limits.check(db, limit, now=T0 + 901)  # two so far: allowed
    limits.count(db, limit, now=T0 + 901)  # the third, in the next window
    with pytest.raises(RateLimited):
        limits.check(db, limit, now=T0 + 902)  # the edge between windows does not reset the count
    limits.forget(db, limit.key)
    limits.check(db, limit, now=T0 + 903)


def test_workers_count_together(database_url):
    """Several engines (as several worker processes have) at once: exactly `hits` are let through."""
    limit = RateLimit(key="submit:shared", hits=25, window_s=3600)
    engines = [Database(make_engine(database_url)) for _ in range(4)]
    taken: list[bool] = []

    def worker(database: Database) -> None:
        for _ in range(15):
            try:
                limits.take_now(database, limit, now=T0 + 5)
                taken.append(True)
            except RateLimited:
                taken.append(False)

    threads = [threading.Thread(target=worker, args=(database,)) for database in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for database in engines:
        database.dispose()
    assert taken.count(True) == 25 and taken.count(False) == 35


def test_the_sweep_of_old_windows_reads_them_by_an_index(db):
    """The sweep (about one group in 200) deletes windows that ended a day ago. Without an index on window_start
    it read every counter, one per client network and minute: a write lock held 100 ms or more under load."""
    from sqlalchemy import inspect, text

    indexes = {ix["name"]: ix["column_names"] for ix in inspect(db.engine).get_indexes("rate_count")}
    assert indexes["ix_rate_count_window_start"] == ["window_start"]
    if db.engine.dialect.name == "sqlite":
        with db.read() as session:
            plan = " ".join(row[-1] for row in session.execute(
                text("EXPLAIN QUERY PLAN DELETE FROM rate_count WHERE window_start < 1")))
        assert "ix_rate_count_window_start" in plan, plan
