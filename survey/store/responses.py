"""Storing responses: validated against the exact instrument version, once per client UUID."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from survey.errors import Conflict, FieldError, InvalidInput, NotFound
from survey.instruments.check import check_answers
from survey.instruments.spec import Instrument
from survey.quality.origin import Origin
from survey.responses import Response, ResponseSubmit, china_day, content_sha256, encode_item_values
from survey.store.engine import Database
from survey.store.invitations import claim_invitation, invitation_errors
from survey.store.limits import RateLimit, take
from survey.store.quality import flag_on_arrival
from survey.store.quotas import check_open_quota
from survey.store.tables import CampaignRow, EnterpriseRow, OutletRow, ResponseRow

FUTURE_SLACK = dt.timedelta(minutes=10)  # client clocks run a little fast


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

    Returns only after the transaction has committed (its group's: see survey.store.writer). A known id with other
    content is a Conflict; a body that breaks a rule is InvalidInput and nothing is stored. An invitation token accepts one response
    (another is InvitationUsed); an open link needs a campaign that allows them and a cell whose quota is not
    full (QuotaFull). The cheap quality rules flag the response in the same transaction: flags never refuse.
    `limit` counts the request against a rate limit in the same transaction (RateLimited once it is reached).
    """
    now = now or dt.datetime.now(dt.UTC)
    digest = content_sha256(submit)
    origin = origin or Origin()
    return db.grouped(lambda session: _store(session, instrument, submit, digest, cities, channel, now, origin, limit))


def _store(
    session: Session,
    instrument: Instrument | None,
    submit: ResponseSubmit,
    digest: str,
    cities: Collection[str],
    channel: str,
    now: dt.datetime,
    origin: Origin,
    limit: RateLimit | None,
) -> tuple[Response, bool]:
    """submit_response's write, in a savepoint of the group writer's transaction."""
    if limit is not None:
        take(session, limit, now.timestamp())
    existing = _existing(session, submit.id, digest)
    if existing is not None:
        return existing, False
    answers, errors, campaign = _check(session, instrument, submit, cities, now)
    if instrument is None:
        campaign = session.scalar(select(CampaignRow).where(CampaignRow.code == submit.campaign))
    if submit.invitation is not None:
        errors += invitation_errors(session, submit, campaign.id if campaign else None)
    elif campaign is not None and not campaign.open_links:
        errors.append(FieldError(field="invitation", reason=f"campaign {campaign.code} takes responses by "
                                 "invitation only"))
    if instrument is not None:
        codes = {item.code for item in instrument.items()}
        errors += [FieldError(field=f"item_seconds.{code}", reason=f"not an item of {instrument.code}")
                   for code in submit.item_seconds or {} if code not in codes]
    if errors:
        raise InvalidInput(errors)
    if submit.invitation is None and not submit.test:
        check_open_quota(session, campaign.id, instrument.industry, submit.city, submit.enterprise)
    values = dict(
        id=str(submit.id),
        content_sha256=digest,
        instrument_code=submit.instrument,
        instrument_version=submit.version,
        campaign_id=campaign.id,
        enterprise_id=submit.enterprise,
        outlet_id=submit.outlet,
        city=submit.city,
        locale=submit.locale,
        channel=channel,
        answers=answers,
        item_values=encode_item_values(instrument, answers),
        started_at=submit.started_at,
        submitted_at=submit.submitted_at,
        received_at=now,
        is_test=submit.test,
        device_hash=origin.device_hash,
        network_hash=origin.network_hash,
        item_seconds=submit.item_seconds,
    )
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(ResponseRow).values(**values).on_conflict_do_nothing().returning(ResponseRow.id)
    if session.execute(statement).first() is None:  # a concurrent request with the same id committed first
        # (RETURNING, not rowcount: an ORM-enabled insert reports rowcount -1 on PostgreSQL)
        existing = _existing(session, submit.id, digest)
        if existing is not None:
            return existing, False
    if submit.invitation is not None:
        claim_invitation(session, submit.invitation, values["id"], now)
    flag_on_arrival(session, values, instrument, campaign)
    return _read(session, submit.id), True


def get_response(db: Database, response_id: uuid.UUID) -> Response:
    with db.read() as session:
        return _read(session, response_id)


def count_responses(db: Database, campaign_code: str | None = None) -> int:
    with db.read() as session:
        query = select(func.count()).select_from(ResponseRow)
        if campaign_code is not None:
            query = query.join(CampaignRow).where(CampaignRow.code == campaign_code)
        return session.scalar(query) or 0


def _existing(session: Session, response_id: uuid.UUID, digest: str) -> Response | None:
    stored = session.scalar(select(ResponseRow.content_sha256).where(ResponseRow.id == str(response_id)))
    if stored is None:
        return None
    if stored != digest:
        raise Conflict(f"response {response_id} was already submitted with different content")
    return _read(session, response_id)


def _read(session: Session, response_id: uuid.UUID) -> Response:
    row = session.execute(
        select(ResponseRow, CampaignRow.code).join(CampaignRow).where(ResponseRow.id == str(response_id))
    ).first()
    if row is None:
        raise NotFound(f"response {response_id}")
    response, campaign = row
    return Response(
        id=uuid.UUID(response.id),
        instrument=response.instrument_code,
        version=response.instrument_version,
        campaign=campaign,
        enterprise=response.enterprise_id,
        outlet=response.outlet_id,
        city=response.city,
        locale=response.locale,
        channel=response.channel,
        answers=response.answers,
        started_at=_aware(response.started_at),
        submitted_at=_aware(response.submitted_at),
        received_at=_aware(response.received_at),
        test=response.is_test,
    )


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)  # SQLite keeps no offset


def _check(
    session: Session, instrument: Instrument | None, submit: ResponseSubmit, cities: Collection[str], now: dt.datetime
) -> tuple[dict, list[FieldError], CampaignRow | None]:
    errors: list[FieldError] = []
    if instrument is None:
        errors.append(FieldError(field="version", reason=f"no instrument {submit.instrument!r} version {submit.version}"))
        return {}, errors, None
    answers, answer_errors = check_answers(instrument, submit.answers, cities)
    errors += answer_errors
    campaign = session.scalar(select(CampaignRow).where(CampaignRow.code == submit.campaign))
    if campaign is None:
        errors.append(FieldError(field="campaign", reason=f"no campaign {submit.campaign!r}"))
    else:
        day = china_day(now)
        if campaign.status != "open" or not campaign.opens_on <= day <= campaign.closes_on:
            errors.append(FieldError(
                field="campaign",
                reason=f"campaign {campaign.code} is not open (status {campaign.status}, "
                f"{campaign.opens_on} to {campaign.closes_on}, today {day})",
            ))
        if instrument.industry not in campaign.industries:
            errors.append(FieldError(field="instrument", reason=f"campaign {campaign.code} does not cover {instrument.industry}"))
    enterprise = session.get(EnterpriseRow, submit.enterprise)
    if enterprise is None:
        errors.append(FieldError(field="enterprise", reason=f"no enterprise {submit.enterprise}"))
    elif enterprise.industry != instrument.industry:
        errors.append(FieldError(
            field="enterprise", reason=f"enterprise {enterprise.id} is in {enterprise.industry}, not {instrument.industry}"
        ))
    if submit.outlet is not None:
        outlet = session.get(OutletRow, submit.outlet)
        if outlet is None or outlet.enterprise_id != submit.enterprise:
            errors.append(FieldError(field="outlet", reason=f"no outlet {submit.outlet} of enterprise {submit.enterprise}"))
    if submit.city not in cities:
        errors.append(FieldError(field="city", reason=f"unknown city {submit.city}"))
    for code, value in answers.items():
        if code == "city" and value != submit.city:
            errors.append(FieldError(field="answers.city", reason=f"{value} differs from the response's city {submit.city}"))
    if submit.started_at > submit.submitted_at:
        errors.append(FieldError(field="started_at", reason="must not be after submitted_at"))
    if submit.submitted_at > now + FUTURE_SLACK:
        errors.append(FieldError(field="submitted_at", reason="is in the future"))
    return answers, errors, campaign


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
