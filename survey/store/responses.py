"""Storing responses: validated against the exact instrument version, once per client UUID."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from survey.errors import Conflict, FieldError, InvalidInput, NotFound
from survey.instruments.check import check_answers
from survey.instruments.spec import Instrument
from survey.responses import Response, ResponseSubmit, china_day, content_sha256, encode_item_values
from survey.store.engine import Database
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
) -> tuple[Response, bool]:
    """Store `submit` and return it with True, or the identical stored one with False.

    Returns only after the transaction has committed. A known id with other content is a Conflict;
    a body that breaks a rule is InvalidInput and nothing is stored.
    """
    now = now or dt.datetime.now(dt.UTC)
    digest = content_sha256(submit)
    with db.transaction() as session:
        existing = _existing(session, submit.id, digest)
        if existing is not None:
            return existing, False
        answers, errors = _check(session, instrument, submit, cities, now)
        if errors:
            raise InvalidInput(errors)
        values = dict(
            id=str(submit.id),
            content_sha256=digest,
            instrument_code=submit.instrument,
            instrument_version=submit.version,
            campaign_id=session.scalar(select(CampaignRow.id).where(CampaignRow.code == submit.campaign)),
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
        )
        dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
        inserted = session.execute(dialect.insert(ResponseRow).values(**values).on_conflict_do_nothing())
        if inserted.rowcount == 0:  # a concurrent request with the same id committed first
            existing = _existing(session, submit.id, digest)
            if existing is not None:
                return existing, False
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
    )


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)  # SQLite keeps no offset


def _check(
    session: Session, instrument: Instrument | None, submit: ResponseSubmit, cities: Collection[str], now: dt.datetime
) -> tuple[dict, list[FieldError]]:
    errors: list[FieldError] = []
    if instrument is None:
        errors.append(FieldError(field="version", reason=f"no instrument {submit.instrument!r} version {submit.version}"))
        return {}, errors
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
    return answers, errors
