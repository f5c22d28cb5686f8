"""An audit as the evaluator's device sends it, as the API shows it, and the rules between it and its checklist."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Annotated, Literal

import msgspec
from msgspec import Meta, Struct

from survey.audits.score import AuditScore
from survey.audits.spec import Checklist, CheckItem, Finding, ItemAnswer, Note
from survey.errors import FieldError
from survey.instruments.spec import Code, Version

AwareTime = Annotated[dt.datetime, Meta(tz=True)]
Status = Literal["submitted", "approved", "has_issues", "rejected"]
Decision = Literal["approved", "has_issues", "rejected"]
FUTURE_SLACK = dt.timedelta(minutes=10)  # device clocks run a little fast


class Position(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The device's position (WGS-84) when the audit was made, with the accuracy the device reported."""

    latitude: Annotated[float, Meta(ge=-90, le=90)]
    longitude: Annotated[float, Meta(ge=-180, le=180)]
    accuracy_m: Annotated[float, Meta(ge=0, le=100_000)]
    at: AwareTime


class AuditSubmit(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One audit from the device. `id` is generated there so that a re-sent audit is recognised; an edit names the
    version it replaces in `replaces`."""

    id: uuid.UUID
    replaces: Annotated[int, Meta(ge=1)] | None = None
    assignment: Annotated[int, Meta(ge=1)]
    checklist: Code
    version: Version
    started_at: AwareTime
    visited_at: AwareTime
    submitted_at: AwareTime
    position: Position | None = None
    items: Annotated[dict[Code, ItemAnswer], Meta(max_length=200)]
    deductions: Annotated[tuple[Finding, ...], Meta(max_length=20)] = ()
    bonus: Finding | None = None
    notes: Note = ""


class Flag(Struct, frozen=True, kw_only=True):
    rule: str
    detail: str


class Review(Struct, frozen=True, kw_only=True):
    decision: Decision
    reason: str
    version: int
    reviewer_id: int
    reviewed_at: dt.datetime


class ReviewCreate(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """An administrator's decision on the version they read (a later edit makes the review stale: 409)."""

    decision: Decision
    reason: Annotated[str, Meta(min_length=1, max_length=1000)]
    version: Annotated[int, Meta(ge=1)]


class Audit(Struct, frozen=True, kw_only=True):
    """A stored audit as the API returns it; the score only once approved."""

    id: uuid.UUID
    version: int
    status: Status
    assignment: int
    evaluator_id: int
    campaign_id: int
    outlet_id: int
    checklist: str
    checklist_version: int
    started_at: dt.datetime
    visited_at: dt.datetime
    submitted_at: dt.datetime
    received_at: dt.datetime
    position: Position | None
    items: dict[str, ItemAnswer]
    deductions: tuple[Finding, ...]
    bonus: Finding | None
    notes: str
    flags: list[Flag]
    reviews: list[Review]
    score: AuditScore | None


class AuditSummary(Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    version: int
    status: Status
    assignment: int
    evaluator_id: int
    outlet_id: int
    visited_at: dt.datetime
    score: float | None
    level: str | None
    flags: list[str]


class ItemResult(Struct, frozen=True, kw_only=True):
    """What happened to one audit of a batch."""

    index: int
    id: str | None
    outcome: Literal["stored", "already_stored", "rejected", "conflict"]
    status_code: int  # as if the audit had been sent alone: 201, 200, 422 (or 404), 409
    version: int | None = None
    errors: list[FieldError] = []
    flags: list[Flag] = []


class BatchResult(Struct, frozen=True, kw_only=True):
    results: list[ItemResult]
    stored: int
    already_stored: int
    rejected: int
    conflicts: int


def content_sha256(submit: AuditSubmit) -> str:
    """A hash of the audit's content, without `replaces`: the same content re-sent is recognised however it was sent."""
    content = msgspec.structs.replace(submit, replaces=None)
    return hashlib.sha256(msgspec.json.encode(content, order="sorted")).hexdigest()


def check_audit(checklist: Checklist, submit: AuditSubmit, now: dt.datetime) -> list[FieldError]:
    """Every broken rule between the audit and its checklist version (an empty list when it may be stored)."""
    errors: list[FieldError] = []
    known = {item.code: item for item in checklist.items()}
    for code in submit.items:
        if code not in known:
            errors.append(FieldError(field=f"items.{code}", reason=f"no item {code} in {checklist.code} v{checklist.version}"))
    for code, item in known.items():
        answer = submit.items.get(code)
        if answer is None:
            errors.append(FieldError(field=f"items.{code}", reason="not answered"))
            continue
        problem = _item_problem(item, answer)
        if problem:
            errors.append(FieldError(field=f"items.{code}", reason=problem))
    deductions = {special.code for special in checklist.deductions}
    for index, finding in enumerate(submit.deductions):
        if finding.code not in deductions:
            errors.append(FieldError(field=f"deductions[{index}].code",
                                     reason=f"not a special deduction of this checklist ({', '.join(sorted(deductions))})"))
    bonuses = {special.code for special in checklist.bonuses}
    if submit.bonus is not None and submit.bonus.code not in bonuses:
        errors.append(FieldError(field="bonus.code", reason=f"not a bonus of this checklist ({', '.join(sorted(bonuses))})"))
    if submit.started_at > submit.visited_at:
        errors.append(FieldError(field="started_at", reason="must not be after visited_at"))
    if submit.visited_at > submit.submitted_at:
        errors.append(FieldError(field="visited_at", reason="must not be after submitted_at"))
    if submit.submitted_at > now + FUTURE_SLACK:
        errors.append(FieldError(field="submitted_at", reason="is in the future"))
    return errors


def photos_of(submit: AuditSubmit) -> set[str]:
    """The sha256 of every photo the audit refers to."""
    found = {photo for answer in submit.items.values() for photo in answer.photos}
    for finding in (*submit.deductions, *([submit.bonus] if submit.bonus else [])):
        found.update(finding.photos)
    return found


def _item_problem(item: object, answer: ItemAnswer) -> str | None:
    if answer.result == "na":
        if not item.na:
            return "this item cannot be marked not applicable"
        if answer.sample is not None or answer.conforming is not None:
            return "not applicable takes no sample"
        return None
    if isinstance(item, CheckItem):
        if answer.result is None:
            return "choose conforms, partly, not or na"
        if answer.sample is not None or answer.conforming is not None:
            return "a checked item takes no sample; give result only"
        return None
    if answer.result is not None:
        return "a sampled item takes sample and conforming (or result na when there was nothing to sample)"
    if not answer.sample or answer.conforming is None:
        return "give sample (at least 1) and conforming"
    if answer.conforming > answer.sample:
        return f"conforming ({answer.conforming}) is more than the sample ({answer.sample})"
    return None
