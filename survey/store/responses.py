"""Storing responses: validated against the exact instrument version, once per client UUID."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from sqlalchemy import func, select

from survey.errors import InvalidInput, NotFound
from survey.instruments.spec import Instrument
from survey.quality.origin import Origin
from survey.responses import Response, ResponseSubmit
from survey.store.arrivals import Arrival, read_responses, store_arrivals, unstored_response
from survey.store.engine import Database
from survey.store.limits import RateLimit
from survey.store.tables import CampaignRow, ResponseRow


def submit_response(
    db: Database,
    instrument: Instrument | None,
    submit: ResponseSubmit,
    *,
    cities: Collection[str],
    channel: str = "api",
    now: dt.datetime | None = None,
    origin: Origin | None = None,
    limit: RateLimit | None = None,
) -> tuple[Response, bool]:
    """Store `submit` and return it with True, or the identical stored one with False.

    Returns only after the transaction has committed (its group's: see survey.store.writer and
    survey.store.arrivals). A known id with other content is a Conflict; a body that breaks a rule is InvalidInput
    and nothing is stored. An invitation token accepts one response (another is InvitationUsed); an open link needs a
    campaign that allows them and a cell whose quota is not full (QuotaFull). The cheap quality rules flag the
    response in the same transaction: flags never refuse. `limit` counts the request against a rate limit in the
    same transaction (RateLimited once it is reached). `now` fixes the received time (by default, the group's).
    """
    return db.grouped_item(store_arrivals, _arrival(instrument, submit, cities, channel, now, origin, limit))


async def submit_response_async(
    db: Database,
    instrument: Instrument | None,
    submit: ResponseSubmit,
    *,
    cities: Collection[str],
    channel: str = "api",
    origin: Origin | None = None,
    limit: RateLimit | None = None,
) -> tuple[Response, bool]:
    """submit_response() for a coroutine: the event loop serves other requests while the group commits."""
    return await db.grouped_item_async(store_arrivals, _arrival(instrument, submit, cities, channel, None, origin, limit))


def checked_response(instrument: Instrument | None, submit: ResponseSubmit, *, cities: Collection[str],
                     origin: Origin, limit: RateLimit | None) -> Response:
    """bench/ingest.py's ceiling: `submit` checked as a submission is before its group write (InvalidInput for
    what those checks find), and the response it would store; the database is not asked."""
    arrival = _arrival(instrument, submit, cities, "api", None, origin, limit)
    errors = arrival.answer_errors + arrival.later_errors + arrival.item_errors
    if errors:
        raise InvalidInput(errors)
    return unstored_response(arrival, dt.datetime.now(dt.UTC))


def _arrival(instrument: Instrument | None, submit: ResponseSubmit, cities: Collection[str], channel: str,
             now: dt.datetime | None, origin: Origin | None, limit: RateLimit | None) -> Arrival:
    return Arrival(submit, instrument, cities=cities, channel=channel, now=now, origin=origin or Origin(), limit=limit)


def get_response(db: Database, response_id: uuid.UUID) -> Response:
    with db.read() as session:
        found = read_responses(session.connection(), [str(response_id)])
    if not found:
        raise NotFound(f"response {response_id}")
    return found[str(response_id)]


def count_responses(db: Database, campaign_code: str | None = None) -> int:
    with db.read() as session:
        query = select(func.count()).select_from(ResponseRow)
        if campaign_code is not None:
            query = query.join(CampaignRow).where(CampaignRow.code == campaign_code)
        return session.scalar(query) or 0


def insert_generated(db: Database, rows: Iterable[Mapping[str, Any]], *, chunk: int = 20_000) -> int:
    """Store generated responses (the demo wave, benchmarks) in large committed chunks; returns the count.

    The rows are ResponseRow columns prepared by the caller from a synthetic wave; they are not checked against
    the instrument one by one as a submission is, so this is not a route for real responses.
    """
    table = ResponseRow.__table__
    count = 0
    batch: list[Mapping[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == chunk:
            count += _insert_batch(db, table, batch)
            batch = []
    if batch:
        count += _insert_batch(db, table, batch)
    return count


def _insert_batch(db: Database, table: Any, batch: list[Mapping[str, Any]]) -> int:
    with db.transaction() as session:
        session.execute(table.insert(), batch)
    return len(batch)
