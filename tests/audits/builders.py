"""Audits as an evaluator's device would send them, for the store and API tests."""

from __future__ import annotations

import datetime as dt
import uuid

from survey.audits.catalogue import load_checklists
from survey.audits.spec import Checklist, CheckItem


def answers_for(checklist: Checklist) -> dict:
    """Every item answered: checked items conform, sampled ones 10 of 10."""
    return {
        item.code: {"result": "conforms"} if isinstance(item, CheckItem) else {"sample": 10, "conforming": 10}
        for item in checklist.items()
    }


def audit_body(assignment: dict, **changes) -> dict:
    """A complete, valid audit for an assignment (as the API returns it), visited an hour ago at the outlet."""
    checklist = load_checklists().get(assignment["checklist"], assignment["checklist_version"]).checklist
    now = dt.datetime.now(dt.UTC)
    position = None
    if assignment.get("latitude") is not None:
        position = {"latitude": assignment["latitude"], "longitude": assignment["longitude"], "accuracy_m": 15.0,
                    "at": (now - dt.timedelta(hours=1)).isoformat()}
    body = {
        "id": str(uuid.uuid4()),
        "assignment": assignment["id"],
        "checklist": checklist.code,
        "version": checklist.version,
        "started_at": (now - dt.timedelta(hours=2)).isoformat(),
        "visited_at": (now - dt.timedelta(hours=1)).isoformat(),
        "submitted_at": now.isoformat(),
        "position": position,
        "items": answers_for(checklist),
        "deductions": [],
        "bonus": None,
        "notes": "",
    }
    body.update(changes)
    return body
