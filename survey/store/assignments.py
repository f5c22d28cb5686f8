"""Assignments: which evaluator audits which outlet in a campaign, when, and with which checklist version."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from survey.audits.assignment import Assignment, AssignmentCreate, AssignmentUpdate
from survey.audits.catalogue import Checklists
from survey.errors import Conflict, FieldError, InvalidInput, NotFound
from survey.store.engine import Database
from survey.store.tables import AccountRow, AssignmentRow, AuditRow, CampaignRow, EnterpriseRow, OutletRow


def create_assignment(db: Database, checklists: Checklists, data: AssignmentCreate, created_by: int) -> Assignment:
    """Give an outlet to an evaluator; the checklist is the newest one for the outlet's industry, pinned here."""
    try:
        with db.transaction() as session:
            campaign, outlet, enterprise = _check(session, data.campaign_id, data.outlet_id, data.evaluator_id,
                                                  data.opens_on, data.closes_on)
            published = checklists.for_industry(enterprise.industry).checklist
            row = AssignmentRow(
                campaign_id=campaign.id, outlet_id=outlet.id, evaluator_id=data.evaluator_id,
                checklist_code=published.code, checklist_version=published.version,
                opens_on=data.opens_on, closes_on=data.closes_on, created_by=created_by,
            )
            session.add(row)
            session.flush()
            return _read(session, row.id)
    except IntegrityError:
        raise Conflict(f"outlet {data.outlet_id} is already assigned in campaign {data.campaign_id}") from None


def update_assignment(db: Database, assignment_id: int, data: AssignmentUpdate) -> Assignment:
    """Hand the outlet to another evaluator or move the window; audits already made stay with their evaluator."""
    with db.transaction() as session:
        row = session.get(AssignmentRow, assignment_id)
        if row is None:
            raise NotFound(f"assignment {assignment_id}")
        evaluator = data.evaluator_id or row.evaluator_id
        opens, closes = data.opens_on or row.opens_on, data.closes_on or row.closes_on
        _check(session, row.campaign_id, row.outlet_id, evaluator, opens, closes)
        row.evaluator_id, row.opens_on, row.closes_on = evaluator, opens, closes
        session.flush()
        return _read(session, row.id)


def get_assignment(db: Database, assignment_id: int) -> Assignment:
    with db.read() as session:
        return _read(session, assignment_id)


def list_assignments(
    db: Database,
    offset: int = 0,
    limit: int = 50,
    *,
    evaluator_id: int | None = None,
    organisation_id: int | None = None,
    campaign_id: int | None = None,
) -> tuple[list[Assignment], int]:
    """Assignments, narrowed to one evaluator's, one organisation's evaluators' or one campaign's."""
    conditions: list[Any] = []
    if evaluator_id is not None:
        conditions.append(AssignmentRow.evaluator_id == evaluator_id)
    if organisation_id is not None:
        conditions.append(AssignmentRow.evaluator_id.in_(
            select(AccountRow.id).where(AccountRow.organisation_id == organisation_id)))
    if campaign_id is not None:
        conditions.append(AssignmentRow.campaign_id == campaign_id)
    with db.read() as session:
        total = session.scalar(select(func.count()).select_from(AssignmentRow).where(*conditions)) or 0
        rows = session.execute(_query().where(*conditions).order_by(AssignmentRow.id).offset(offset).limit(limit))
        return [_assignment(*row) for row in rows], total


def _check(session: Session, campaign_id: int, outlet_id: int, evaluator_id: int, opens_on, closes_on):  # noqa: ANN001
    errors: list[FieldError] = []
    campaign = session.get(CampaignRow, campaign_id)
    outlet = session.get(OutletRow, outlet_id)
    enterprise = session.get(EnterpriseRow, outlet.enterprise_id) if outlet else None
    evaluator = session.get(AccountRow, evaluator_id)
    if campaign is None:
        errors.append(FieldError(field="campaign_id", reason=f"no campaign {campaign_id}"))
    elif not campaign.opens_on <= opens_on <= closes_on <= campaign.closes_on:
        errors.append(FieldError(
            field="closes_on" if opens_on <= closes_on else "opens_on",
            reason=f"the window {opens_on} to {closes_on} must lie in the campaign's {campaign.opens_on} to "
            f"{campaign.closes_on} and open before it closes",
        ))
    if outlet is None:
        errors.append(FieldError(field="outlet_id", reason=f"no outlet {outlet_id}"))
    elif campaign is not None and enterprise.industry not in campaign.industries:
        errors.append(FieldError(field="outlet_id",
                                 reason=f"the outlet's industry {enterprise.industry} is not in campaign {campaign.code}"))
    if evaluator is None or evaluator.role != "evaluator" or not evaluator.active:
        errors.append(FieldError(field="evaluator_id", reason=f"no active evaluator account {evaluator_id}"))
    if errors:
        raise InvalidInput(errors)
    return campaign, outlet, enterprise


def _query() -> Select:
    audits = select(func.count()).where(AuditRow.assignment_id == AssignmentRow.id).correlate(AssignmentRow).scalar_subquery()
    return (
        select(AssignmentRow, CampaignRow.code, OutletRow, EnterpriseRow, audits)
        .join(CampaignRow, CampaignRow.id == AssignmentRow.campaign_id)
        .join(OutletRow, OutletRow.id == AssignmentRow.outlet_id)
        .join(EnterpriseRow, EnterpriseRow.id == OutletRow.enterprise_id)
    )


def _read(session: Session, assignment_id: int) -> Assignment:
    row = session.execute(_query().where(AssignmentRow.id == assignment_id)).first()
    if row is None:
        raise NotFound(f"assignment {assignment_id}")
    return _assignment(*row)


def _assignment(row: AssignmentRow, campaign_code: str, outlet: OutletRow, enterprise: EnterpriseRow, audits: int) -> Assignment:
    return Assignment(
        id=row.id, campaign_id=row.campaign_id, campaign_code=campaign_code, outlet_id=outlet.id,
        outlet_name=outlet.name, outlet_address=outlet.address, city=outlet.city,
        latitude=outlet.latitude, longitude=outlet.longitude, enterprise_id=enterprise.id,
        enterprise_name=enterprise.name, industry=enterprise.industry, evaluator_id=row.evaluator_id,
        checklist=row.checklist_code, checklist_version=row.checklist_version,
        opens_on=row.opens_on, closes_on=row.closes_on, audits=audits or 0,
    )
