"""Audits: stored once per client UUID, edited only as the version they replace, flagged, reviewed, then scored.

Each audit is its own transaction, so a batch cut off half way leaves whole audits only, and sending it again stores
the rest: an identical audit is recognised by its UUID and content hash and is not stored twice.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

import msgspec
from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from survey.audits import plausibility
from survey.audits.catalogue import Checklists
from survey.audits.score import AuditScore, score_audit
from survey.audits.submission import (
    Audit,
    AuditSubmit,
    AuditSummary,
    Flag,
    Review,
    ReviewCreate,
    check_audit,
    content_sha256,
    photos_of,
)
from survey.errors import Conflict, FieldError, InvalidInput, NotFound
from survey.releases.audit_cells import ApprovedAudit
from survey.responses import china_day
from survey.store.engine import Database
from survey.store.tables import (
    AccountRow,
    AssignmentRow,
    AuditFlagRow,
    AuditReviewRow,
    AuditRow,
    AuditVersionRow,
    EnterpriseRow,
    OutletRow,
    PhotoRow,
)

Outcome = Literal["stored", "already_stored"]


def submit_audit(
    db: Database, checklists: Checklists, evaluator_id: int, submit: AuditSubmit, *, now: dt.datetime | None = None
) -> tuple[Outcome, Audit]:
    """Store a new audit or an edit; the same content again is "already_stored".

    Conflict: the id holds other content and `replaces` is missing or stale, or the audit was reviewed for good.
    InvalidInput: a rule is broken (nothing stored). Returns only after the transaction committed.
    """
    now = now or dt.datetime.now(dt.UTC)
    digest = content_sha256(submit)
    key = str(submit.id)
    with db.transaction() as session:
        row = session.scalar(select(AuditRow).where(AuditRow.id == key).with_for_update())
        if row is not None:
            return _resubmit(session, checklists, evaluator_id, submit, digest, row, now)
        if submit.replaces is not None:
            raise InvalidInput([FieldError(field="replaces", reason=f"there is no stored audit {key} to edit")])
        assignment = _assignment_of(session, evaluator_id, submit)
        _check(session, checklists, evaluator_id, submit, assignment, now)
        values = dict(
            id=key, assignment_id=assignment.id, evaluator_id=evaluator_id, campaign_id=assignment.campaign_id,
            outlet_id=assignment.outlet_id, checklist_code=submit.checklist, checklist_version=submit.version,
            version=1, content_sha256=digest, content=_content(submit), status="submitted", received_at=now,
            updated_at=now, **_when_and_where(submit),
        )
        dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
        table = AuditRow.__table__  # a Core insert: RETURNING tells for sure whether this request inserted the row
        inserted = session.execute(
            dialect.insert(table).values(**values).on_conflict_do_nothing().returning(table.c.id)).first()
        if inserted is None:  # the same id committed by a concurrent request a moment ago
            row = session.scalar(select(AuditRow).where(AuditRow.id == key))
            return _resubmit(session, checklists, evaluator_id, submit, digest, row, now)
        session.add(AuditVersionRow(audit_id=key, version=1, content_sha256=digest, content=values["content"],
                                    received_at=now))
        _flag(session, key, assignment, submit)
        return "stored", _read(session, key)


def get_audit(db: Database, audit_id: uuid.UUID, checklists: Checklists) -> Audit:
    with db.read() as session:
        return _read(session, str(audit_id), checklists)


def audit_owner(db: Database, audit_id: uuid.UUID) -> tuple[int, int | None]:
    """(evaluator id, the evaluator's organisation id) of an audit, for object-level access checks."""
    with db.read() as session:
        found = session.execute(
            select(AuditRow.evaluator_id, AccountRow.organisation_id)
            .join(AccountRow, AccountRow.id == AuditRow.evaluator_id).where(AuditRow.id == str(audit_id))
        ).first()
        if found is None:
            raise NotFound(f"audit {audit_id}")
        return found[0], found[1]


def list_audits(
    db: Database,
    offset: int = 0,
    limit: int = 50,
    *,
    evaluator_id: int | None = None,
    organisation_id: int | None = None,
    campaign_id: int | None = None,
    status: str | None = None,
) -> tuple[list[AuditSummary], int]:
    conditions: list[Any] = []
    if evaluator_id is not None:
        conditions.append(AuditRow.evaluator_id == evaluator_id)
    if organisation_id is not None:
        conditions.append(AuditRow.evaluator_id.in_(select(AccountRow.id).where(AccountRow.organisation_id == organisation_id)))
    if campaign_id is not None:
        conditions.append(AuditRow.campaign_id == campaign_id)
    if status is not None:
        conditions.append(AuditRow.status == status)
    with db.read() as session:
        total = session.scalar(select(func.count()).select_from(AuditRow).where(*conditions)) or 0
        rows = list(session.scalars(
            select(AuditRow).where(*conditions).order_by(AuditRow.received_at, AuditRow.id).offset(offset).limit(limit)))
        flags: dict[str, list[str]] = {}
        for audit_id, rule in session.execute(
            select(AuditFlagRow.audit_id, AuditFlagRow.rule).where(AuditFlagRow.audit_id.in_([r.id for r in rows]))
        ):
            flags.setdefault(audit_id, []).append(rule)
        return [AuditSummary(
            id=uuid.UUID(row.id), version=row.version, status=row.status, assignment=row.assignment_id,
            evaluator_id=row.evaluator_id, outlet_id=row.outlet_id, visited_at=_aware(row.visited_at),
            score=row.score, level=row.level, flags=sorted(flags.get(row.id, [])),
        ) for row in rows], total


def review_audit(
    db: Database, checklists: Checklists, audit_id: uuid.UUID, reviewer_id: int, review: ReviewCreate,
    *, now: dt.datetime | None = None,
) -> Audit:
    """Approve (and score), ask for changes, or reject the version the reviewer read; approval and rejection are final."""
    now = now or dt.datetime.now(dt.UTC)
    key = str(audit_id)
    with db.transaction() as session:
        row = session.scalar(select(AuditRow).where(AuditRow.id == key).with_for_update())
        if row is None:
            raise NotFound(f"audit {audit_id}")
        if review.version != row.version:
            raise Conflict(f"audit {audit_id} is at version {row.version}, not {review.version}: read it again first")
        if row.status in ("approved", "rejected"):
            raise Conflict(f"audit {audit_id} was already {row.status}")
        row.status = review.decision
        row.score, row.level = None, None
        if review.decision == "approved":
            result = _score(checklists, row)
            row.score, row.level = result.score, result.level
        row.updated_at = now
        session.add(AuditReviewRow(audit_id=key, audit_version=row.version, decision=review.decision,
                                   reason=review.reason, reviewer_id=reviewer_id, reviewed_at=now))
        session.flush()
        return _read(session, key, checklists)


def approved_audits(db: Database, campaign_id: int) -> list[ApprovedAudit]:
    """The campaign's approved audits with their scores and enterprises, in id order (the release's audit table)."""
    with db.read() as session:
        rows = session.execute(
            select(AuditRow.id, AuditRow.version, AuditRow.score, AuditRow.outlet_id, EnterpriseRow.id,
                   EnterpriseRow.name, EnterpriseRow.industry)
            .join(OutletRow, OutletRow.id == AuditRow.outlet_id).join(EnterpriseRow, EnterpriseRow.id == OutletRow.enterprise_id)
            .where(AuditRow.campaign_id == campaign_id, AuditRow.status == "approved").order_by(AuditRow.id))
        return [ApprovedAudit(id=r[0], version=r[1], score=r[2], outlet=r[3], enterprise=r[4], enterprise_name=r[5],
                              industry=r[6]) for r in rows]


def add_photo(db: Database, owner_id: int, sha256: str, media_type: str, size: int) -> None:
    """Record that `owner_id` uploaded this (already durably written) photo; uploading it again changes nothing."""
    with db.transaction() as session:
        dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
        session.execute(dialect.insert(PhotoRow).values(
            sha256=sha256, owner_id=owner_id, media_type=media_type, size=size).on_conflict_do_nothing())


def photo_access(db: Database, sha256: str) -> list[tuple[int, int | None, str]]:
    """(owner id, owner's organisation id, media type) for every account that uploaded this photo."""
    with db.read() as session:
        return [tuple(row) for row in session.execute(
            select(PhotoRow.owner_id, AccountRow.organisation_id, PhotoRow.media_type)
            .join(AccountRow, AccountRow.id == PhotoRow.owner_id).where(PhotoRow.sha256 == sha256))]


def _resubmit(
    session: Session, checklists: Checklists, evaluator_id: int, submit: AuditSubmit, digest: str, row: AuditRow,
    now: dt.datetime,
) -> tuple[Outcome, Audit]:
    if row.evaluator_id != evaluator_id:
        raise Conflict(f"the id {submit.id} is already in use: generate a new one")
    if row.content_sha256 == digest:
        return "already_stored", _read(session, row.id)
    if submit.replaces is None:
        raise Conflict(f"audit {submit.id} is stored with different content; to edit it send replaces={row.version}")
    if submit.replaces != row.version:
        raise Conflict(f"audit {submit.id} is at version {row.version}; this edit replaces version {submit.replaces}")
    if row.status in ("approved", "rejected"):
        raise Conflict(f"audit {submit.id} was {row.status} and can no longer be edited")
    if submit.assignment != row.assignment_id:
        raise InvalidInput([FieldError(field="assignment", reason="an edit cannot move the audit to another assignment")])
    assignment = _assignment_of(session, evaluator_id, submit)
    _check(session, checklists, evaluator_id, submit, assignment, now)
    version = row.version + 1
    content = _content(submit)
    for name, value in dict(
        checklist_code=submit.checklist, checklist_version=submit.version, version=version, content_sha256=digest,
        content=content, status="submitted", updated_at=now, **_when_and_where(submit),
    ).items():
        setattr(row, name, value)
    session.add(AuditVersionRow(audit_id=row.id, version=version, content_sha256=digest, content=content, received_at=now))
    try:
        session.flush()
    except IntegrityError:  # another edit of the same version won the race
        raise Conflict(f"audit {submit.id} was edited meanwhile: read it again") from None
    session.execute(delete(AuditFlagRow).where(AuditFlagRow.audit_id == row.id))
    _flag(session, row.id, assignment, submit)
    return "stored", _read(session, row.id)


def _assignment_of(session: Session, evaluator_id: int, submit: AuditSubmit) -> AssignmentRow:
    assignment = session.get(AssignmentRow, submit.assignment)
    if assignment is None or assignment.evaluator_id != evaluator_id:
        raise InvalidInput([FieldError(field="assignment", reason=f"no assignment {submit.assignment} of yours")])
    return assignment


def _check(
    session: Session, checklists: Checklists, evaluator_id: int, submit: AuditSubmit, assignment: AssignmentRow,
    now: dt.datetime,
) -> None:
    if (submit.checklist, submit.version) != (assignment.checklist_code, assignment.checklist_version):
        raise InvalidInput([FieldError(field="checklist", reason=(
            f"assignment {assignment.id} uses {assignment.checklist_code} v{assignment.checklist_version}"))])
    errors = check_audit(checklists.get(submit.checklist, submit.version).checklist, submit, now)
    photos = photos_of(submit)
    if photos:
        mine = set(session.scalars(select(PhotoRow.sha256).where(
            PhotoRow.owner_id == evaluator_id, PhotoRow.sha256.in_(photos))))
        for missing in sorted(photos - mine):
            errors.append(FieldError(field="photos", reason=f"photo {missing} has not been uploaded (POST /api/photos)"))
    if errors:
        raise InvalidInput(errors)


def _flag(session: Session, audit_id: str, assignment: AssignmentRow, submit: AuditSubmit) -> None:
    outlet = session.get(OutletRow, assignment.outlet_id)
    coordinates = None if outlet.latitude is None or outlet.longitude is None else (outlet.latitude, outlet.longitude)
    day = china_day(submit.visited_at)
    others = list(session.scalars(select(AuditRow.id).where(
        AuditRow.outlet_id == assignment.outlet_id, AuditRow.visit_day == day, AuditRow.id != audit_id)))
    flags = plausibility.position_flags(submit.position, coordinates)
    flags += plausibility.window_flags(day, assignment.opens_on, assignment.closes_on)
    flags += plausibility.same_day_flag(others, day)
    for flag in flags:
        session.add(AuditFlagRow(audit_id=audit_id, rule=flag.rule, detail=flag.detail))
    flagged = set(session.scalars(select(AuditFlagRow.audit_id).where(
        AuditFlagRow.audit_id.in_(others), AuditFlagRow.rule == "same_outlet_same_day")))
    for other in others:
        if other not in flagged:
            session.add(AuditFlagRow(audit_id=other, **msgspec.structs.asdict(plausibility.same_day_flag([audit_id], day)[0])))
    session.flush()


def _when_and_where(submit: AuditSubmit) -> dict[str, Any]:
    position = submit.position
    return dict(
        visited_at=submit.visited_at, visit_day=china_day(submit.visited_at),
        latitude=position.latitude if position else None, longitude=position.longitude if position else None,
        accuracy_m=position.accuracy_m if position else None,
    )


def _content(submit: AuditSubmit) -> dict[str, Any]:
    return msgspec.to_builtins(msgspec.structs.replace(submit, replaces=None))


def _score(checklists: Checklists, row: AuditRow) -> AuditScore:
    content = msgspec.convert(row.content, AuditSubmit)
    checklist = checklists.get(row.checklist_code, row.checklist_version).checklist
    return score_audit(checklist, content.items, content.deductions, content.bonus)


def _read(session: Session, audit_id: str, checklists: Checklists | None = None) -> Audit:
    row = session.get(AuditRow, audit_id)
    if row is None:
        raise NotFound(f"audit {audit_id}")
    content = msgspec.convert(row.content, AuditSubmit)
    flags = [Flag(rule=f.rule, detail=f.detail) for f in session.scalars(
        select(AuditFlagRow).where(AuditFlagRow.audit_id == audit_id).order_by(AuditFlagRow.rule))]
    reviews = [Review(decision=r.decision, reason=r.reason, version=r.audit_version, reviewer_id=r.reviewer_id,
                      reviewed_at=_aware(r.reviewed_at)) for r in session.scalars(
        select(AuditReviewRow).where(AuditReviewRow.audit_id == audit_id).order_by(AuditReviewRow.id))]
    score = _score(checklists, row) if row.status == "approved" and checklists is not None else None
    return Audit(
        id=uuid.UUID(row.id), version=row.version, status=row.status, assignment=row.assignment_id,
        evaluator_id=row.evaluator_id, campaign_id=row.campaign_id, outlet_id=row.outlet_id,
        checklist=row.checklist_code, checklist_version=row.checklist_version, started_at=content.started_at,
        visited_at=content.visited_at, submitted_at=content.submitted_at, received_at=_aware(row.received_at),
        position=content.position, items=content.items, deductions=content.deductions, bonus=content.bonus,
        notes=content.notes, flags=flags, reviews=reviews, score=score,
    )


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)  # SQLite keeps no offset

