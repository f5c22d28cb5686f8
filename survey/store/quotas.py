"""Quotas in the store: targets per cell, live counts of valid responses, and the check an open link passes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from survey.errors import Conflict, FieldError, InvalidInput, NotFound, QuotaFull
from survey.quotas import Cell, QuotaProgress, QuotaSet
from survey.regions import load_regions
from survey.store.engine import Database
from survey.store.quality import standing_flag
from survey.store.tables import CampaignRow, EnterpriseRow, QuotaRow, ResponseRow


def _cell(row: QuotaRow) -> Cell:
    return Cell(industry=row.industry, city=row.city, enterprise=row.enterprise_id)


def _same_cell(industry: str | None, city: str | None, enterprise: int | None) -> list:
    return [QuotaRow.industry.is_(None) if industry is None else QuotaRow.industry == industry,
            QuotaRow.city.is_(None) if city is None else QuotaRow.city == city,
            QuotaRow.enterprise_id.is_(None) if enterprise is None else QuotaRow.enterprise_id == enterprise]


def set_quota(db: Database, data: QuotaSet) -> QuotaProgress:
    """Create the cell's quota, or replace its target; the answer carries the live count."""
    try:
        with db.transaction() as session:
            campaign = session.scalar(select(CampaignRow).where(CampaignRow.code == data.campaign))
            _check(session, data, campaign)
            row = session.scalar(select(QuotaRow).where(QuotaRow.campaign_id == campaign.id,
                                                        *_same_cell(data.industry, data.city, data.enterprise)))
            if row is None:
                row = QuotaRow(campaign_id=campaign.id, industry=data.industry, city=data.city,
                               enterprise_id=data.enterprise, target=data.target)
                session.add(row)
            else:
                row.target = data.target
            session.flush()
            return _progress(session, campaign, [row])[0]
    except IntegrityError:
        raise Conflict("this quota cell was set at the same moment by another request; try again") from None


def _check(session: Session, data: QuotaSet, campaign: CampaignRow | None) -> None:
    errors = []
    if campaign is None:
        errors.append(FieldError(field="campaign", reason=f"no campaign {data.campaign!r}"))
    elif data.industry is not None and data.industry not in campaign.industries:
        errors.append(FieldError(field="industry", reason=f"campaign {campaign.code} does not cover {data.industry}"))
    if data.city is not None and data.city not in load_regions().codes():
        errors.append(FieldError(field="city", reason=f"unknown city {data.city}"))
    if data.enterprise is not None:
        enterprise = session.get(EnterpriseRow, data.enterprise)
        if enterprise is None:
            errors.append(FieldError(field="enterprise", reason=f"no enterprise {data.enterprise}"))
        elif data.industry is not None and enterprise.industry != data.industry:
            errors.append(FieldError(field="enterprise",
                                     reason=f"enterprise {enterprise.id} is in {enterprise.industry}, not {data.industry}"))
    if errors:
        raise InvalidInput(errors)


def delete_quota(db: Database, quota_id: int) -> None:
    with db.transaction() as session:
        row = session.get(QuotaRow, quota_id)
        if row is None:
            raise NotFound(f"quota {quota_id}")
        session.delete(row)


def _valid_counts(session: Session, campaign_id: int) -> dict[tuple[str, str, int], int]:
    """Valid responses (not test, no standing flag) per industry, city and enterprise."""
    rows = session.execute(
        select(EnterpriseRow.industry, ResponseRow.city, ResponseRow.enterprise_id, func.count())
        .join(EnterpriseRow, EnterpriseRow.id == ResponseRow.enterprise_id)
        .where(ResponseRow.campaign_id == campaign_id, ResponseRow.is_test.is_(False), ~standing_flag())
        .group_by(EnterpriseRow.industry, ResponseRow.city, ResponseRow.enterprise_id)
    ).all()
    return {(industry, city, enterprise): count for industry, city, enterprise, count in rows}


def _progress(session: Session, campaign: CampaignRow, rows: list[QuotaRow]) -> list[QuotaProgress]:
    counts = _valid_counts(session, campaign.id)
    names = dict(session.execute(select(EnterpriseRow.id, EnterpriseRow.name).where(
        EnterpriseRow.id.in_({r.enterprise_id for r in rows if r.enterprise_id is not None}))).all())
    out = []
    for row in rows:
        cell = _cell(row)
        valid = sum(count for key, count in counts.items() if cell.covers(*key))
        out.append(QuotaProgress(id=row.id, campaign=campaign.code, industry=row.industry, city=row.city,
                                 enterprise=row.enterprise_id, enterprise_name=names.get(row.enterprise_id),
                                 target=row.target, valid=valid, full=valid >= row.target))
    return out


def quota_progress(db: Database, campaign: str) -> list[QuotaProgress]:
    """Every quota of a campaign with its live count, broadest cells first."""
    with db.read() as session:
        row = session.scalar(select(CampaignRow).where(CampaignRow.code == campaign))
        if row is None:
            raise NotFound(f"campaign {campaign!r}")
        quotas = session.scalars(select(QuotaRow).where(QuotaRow.campaign_id == row.id)).all()
        ordered = sorted(quotas, key=lambda q: (q.industry is not None, q.city is not None, q.enterprise_id is not None,
                                                q.industry or "", q.city or "", q.enterprise_id or 0))
        return _progress(session, row, ordered)


def check_open_quota(
    session: Session, campaign_id: int, industry: str, city: str | None, enterprise: int, *, lock: bool = True
) -> None:
    """Raise QuotaFull when a quota covering this response's cell is reached (in the caller's transaction).

    The covering quotas are locked first (PostgreSQL; SQLite has one writer anyway), so two open-link responses
    arriving together cannot both take the last place. With `city` None (not asked yet), cells that name a city
    are left for the submission to check.
    """
    covering = [
        QuotaRow.campaign_id == campaign_id,
        (QuotaRow.industry.is_(None)) | (QuotaRow.industry == industry),
        (QuotaRow.enterprise_id.is_(None)) | (QuotaRow.enterprise_id == enterprise),
        QuotaRow.city.is_(None) if city is None else (QuotaRow.city.is_(None)) | (QuotaRow.city == city),
    ]
    query = select(QuotaRow).where(*covering).order_by(QuotaRow.id)
    quotas = session.scalars(query.with_for_update() if lock else query).all()
    for quota in quotas:
        quota = {name: getattr(quota, name) for name in ("industry", "city", "enterprise_id", "campaign_id", "target")}
        valid = valid_count(session, quota)
        if valid >= quota["target"]:
            raise QuotaFull(full_message(quota, valid))


def valid_count(session: Session | Connection, quota: Mapping[str, Any]) -> int:
    """The valid responses (not test, no standing flag) in a quota's cell (`quota`: its row's columns)."""
    conditions = [ResponseRow.campaign_id == quota["campaign_id"], ResponseRow.is_test.is_(False), ~standing_flag()]
    if quota["industry"] is not None:
        conditions.append(ResponseRow.enterprise_id.in_(select(EnterpriseRow.id)
                                                        .where(EnterpriseRow.industry == quota["industry"])))
    if quota["city"] is not None:
        conditions.append(ResponseRow.city == quota["city"])
    if quota["enterprise_id"] is not None:
        conditions.append(ResponseRow.enterprise_id == quota["enterprise_id"])
    return session.scalar(select(func.count()).select_from(ResponseRow).where(*conditions)) or 0


def full_message(quota: Mapping[str, Any], valid: int) -> str:
    cell = Cell(industry=quota["industry"], city=quota["city"], enterprise=quota["enterprise_id"])
    return (f"the quota for {cell.label()} is full ({valid} of {quota['target']}): "
            "open links take no more responses there; invitations still do")


def quota_full(db: Database, campaign: str, industry: str, enterprise: int, city: str | None = None) -> str | None:
    """Why an open link of this cell takes no more responses, or None (for the form, before it is shown)."""
    with db.read() as session:
        campaign_id = session.scalar(select(CampaignRow.id).where(CampaignRow.code == campaign))
        if campaign_id is None:
            return None
        try:
            check_open_quota(session, campaign_id, industry, city, enterprise, lock=False)
        except QuotaFull as full:
            return str(full)
        return None
