"""Assignments: an administrator gives an outlet to an evaluator for a campaign, with the window for the visit."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from msgspec import Meta, Struct

Id = Annotated[int, Meta(ge=1)]


class AssignmentCreate(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    campaign_id: Id
    outlet_id: Id
    evaluator_id: Id
    opens_on: dt.date
    closes_on: dt.date


class AssignmentUpdate(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    evaluator_id: Id | None = None
    opens_on: dt.date | None = None
    closes_on: dt.date | None = None


class Assignment(Struct, frozen=True, kw_only=True):
    """An assignment with what the evaluator needs on the road: the outlet, its enterprise and the checklist."""

    id: int
    campaign_id: int
    campaign_code: str
    outlet_id: int
    outlet_name: str
    outlet_address: str
    city: str
    latitude: float | None
    longitude: float | None
    enterprise_id: int
    enterprise_name: str
    industry: str
    evaluator_id: int
    checklist: str
    checklist_version: int
    opens_on: dt.date
    closes_on: dt.date
    audits: int  # audits stored for it so far
