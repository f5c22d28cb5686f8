"""Invitations: issuing batches of single-use tokens (stored as SHA-256 only) and claiming one per response."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey.errors import FieldError, InvalidInput, NotFound
from survey.invitations.spec import (
    Invitation,
    InvitationBatch,
    InvitationIssue,
    InvitationLink,
    IssuedBatch,
    link,
    new_token,
    token_sha256,
)
from survey.store.engine import Database
from survey.store.tables import CampaignRow, EnterpriseRow, InvitationBatchRow, InvitationRow, OutletRow


def issue_invitations(db: Database, data: InvitationIssue, *, base_url: str) -> IssuedBatch:
    """A new batch of `data.count` invitations and their links; the tokens are not kept, only their hashes."""
    with db.transaction() as session:
        campaign = session.scalar(select(CampaignRow).where(CampaignRow.code == data.campaign))
        enterprise = session.get(EnterpriseRow, data.enterprise)
        outlet = session.get(OutletRow, data.outlet) if data.outlet is not None else None
        errors = []
        if campaign is None:
            errors.append(FieldError(field="campaign", reason=f"no campaign {data.campaign!r}"))
        elif campaign.status == "closed":
            errors.append(FieldError(field="campaign", reason=f"campaign {campaign.code} is closed"))
        if enterprise is None:
            errors.append(FieldError(field="enterprise", reason=f"no enterprise {data.enterprise}"))
        elif campaign is not None and enterprise.industry not in campaign.industries:
            errors.append(FieldError(
                field="enterprise", reason=f"enterprise {enterprise.id} is in {enterprise.industry}, which campaign "
                f"{campaign.code} does not cover"))
        if data.outlet is not None and (outlet is None or outlet.enterprise_id != data.enterprise):
            errors.append(FieldError(field="outlet", reason=f"no outlet {data.outlet} of enterprise {data.enterprise}"))
        if errors:
            raise InvalidInput(errors)
        batch = InvitationBatchRow(campaign_id=campaign.id, enterprise_id=enterprise.id, outlet_id=data.outlet,
                                   count=data.count)
        session.add(batch)
        session.flush()
        tokens = [new_token() for _ in range(data.count)]
        session.execute(InvitationRow.__table__.insert(), [
            dict(token_sha256=token_sha256(token), batch_id=batch.id, campaign_id=campaign.id,
                 enterprise_id=enterprise.id, outlet_id=data.outlet)
            for token in tokens
        ])
        described = _batch(session, batch, used=0)
    return IssuedBatch(batch=described, links=[InvitationLink(token=t, link=link(base_url, t)) for t in tokens])


def _batch(session: Session, row: InvitationBatchRow, used: int) -> InvitationBatch:
    campaign = session.get(CampaignRow, row.campaign_id)
    enterprise = session.get(EnterpriseRow, row.enterprise_id)
    outlet = session.get(OutletRow, row.outlet_id) if row.outlet_id is not None else None
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=dt.UTC)
    return InvitationBatch(
        id=row.id, campaign=campaign.code, industry=enterprise.industry, enterprise=enterprise.id,
        enterprise_name=enterprise.name, outlet=row.outlet_id, outlet_name=outlet.name if outlet else None,
        count=row.count, used=used, created_at=created,
    )


def list_batches(db: Database, campaign: str, offset: int = 0, limit: int | None = None) -> list[InvitationBatch]:
    """The batches of a campaign with how many of their invitations were used, oldest first."""
    with db.read() as session:
        used = (select(InvitationRow.batch_id, func.count(InvitationRow.response_id).label("used"))
                .group_by(InvitationRow.batch_id).subquery())
        rows = session.execute(
            select(InvitationBatchRow, func.coalesce(used.c.used, 0))
            .join(CampaignRow, CampaignRow.id == InvitationBatchRow.campaign_id)
            .outerjoin(used, used.c.batch_id == InvitationBatchRow.id)
            .where(CampaignRow.code == campaign)
            .order_by(InvitationBatchRow.id)
            .offset(offset).limit(limit)
        ).all()
        return [_batch(session, row, count) for row, count in rows]


def find_invitation(db: Database, token: str) -> Invitation:
    """What a token opens; NotFound for a token that was never issued."""
    with db.read() as session:
        found = session.execute(
            select(InvitationRow, CampaignRow.code, EnterpriseRow)
            .join(CampaignRow, CampaignRow.id == InvitationRow.campaign_id)
            .join(EnterpriseRow, EnterpriseRow.id == InvitationRow.enterprise_id)
            .where(InvitationRow.token_sha256 == token_sha256(token))
        ).first()
        if found is None:
            raise NotFound("invitation: this link is not one that was issued")
        invitation, campaign, enterprise = found
        return Invitation(campaign=campaign, industry=enterprise.industry, enterprise=enterprise.id,
                          enterprise_name=enterprise.name, outlet=invitation.outlet_id,
                          used=invitation.response_id is not None)
