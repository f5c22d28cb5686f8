"""Rate limits as fixed-window counters in the database, so that every worker of the service counts together."""

from __future__ import annotations

import random
import time

import msgspec
from msgspec import Struct
from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from survey.errors import RateLimited
from survey.store.engine import Database
from survey.store.tables import RateCountRow

SWEEP_ONE_IN = 200  # about one hit in this many also deletes the windows that ended long ago


class RateLimit(Struct, frozen=True, kw_only=True):
    """At most `hits` for `key` in each window of `window_s` seconds (windows start at multiples of it)."""

    key: str
    hits: int
    window_s: int


def take(session: Session, limit: RateLimit, now: float | None = None) -> None:
    """Count one hit in the caller's transaction; RateLimited (and the hit not counted once it rolls back) when
    the window already holds `limit.hits`."""
    now = time.time() if now is None else now
    start = int(now) - int(now) % limit.window_s
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(RateCountRow).values(key=limit.key[:100], window_start=start, hits=1)
    hits = session.scalar(
        insert.on_conflict_do_update(index_elements=["key", "window_start"], set_={"hits": RateCountRow.hits + 1})
        .returning(RateCountRow.hits)
    )
    if random.randrange(SWEEP_ONE_IN) == 0:
        session.execute(delete(RateCountRow).where(RateCountRow.window_start < start - 86_400))
    if hits > limit.hits:
        raise RateLimited(limit.key.split(":", 1)[0], retry_after=max(1, start + limit.window_s - int(now)))


def take_now(db: Database, limit: RateLimit, now: float | None = None) -> None:
    """take() in a transaction of its own."""
    with db.transaction() as session:
        take(session, limit, now)


def count(db: Database, limit: RateLimit, now: float | None = None) -> None:
    """Count one hit (a wrong password) whatever the count; check() refuses once there are enough."""
    take_now(db, msgspec.structs.replace(limit, hits=2**31 - 1), now)


def check(db: Database, limit: RateLimit, now: float | None = None) -> None:
    """RateLimited when the current and the previous window of the key hold `limit.hits` together (so a burst
    across a window's edge is refused as well), without counting a hit."""
    now = time.time() if now is None else now
    start = int(now) - int(now) % limit.window_s
    with db.read() as session:
        hits = session.scalar(select(func.sum(RateCountRow.hits)).where(
            RateCountRow.key == limit.key[:100], RateCountRow.window_start >= start - limit.window_s)) or 0
    if hits >= limit.hits:
        raise RateLimited(limit.key.split(":", 1)[0], retry_after=max(1, start + limit.window_s - int(now)))


def forget(db: Database, key: str) -> None:
    """Drop every window of the key (a successful sign-in clears its failures)."""
    with db.transaction() as session:
        session.execute(delete(RateCountRow).where(RateCountRow.key == key[:100]))
