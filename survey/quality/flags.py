"""Stored quality flags as the API and the CLI show them, and an administrator's override."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from msgspec import Meta, Struct

AUTO_OVERRIDE = "automatic: no other flag stands, and approve-everything alone never excludes"


class FlagOverride(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    reason: Annotated[str, Meta(min_length=3, max_length=400)]


class ResponseFlag(Struct, frozen=True, kw_only=True):
    response: str
    enterprise: int
    rule: str
    rule_version: int
    detail: str
    standing: bool  # not overridden: the release rule `flagged` excludes the response
    override_reason: str | None
    overridden_at: dt.datetime | None
    created_at: dt.datetime


class RuleCount(Struct, frozen=True, kw_only=True):
    rule: str
    standing: int
    overridden: int


class QualityCheck(Struct, frozen=True, kw_only=True):
    """The result of a batch pass: how many responses it read, the flags it added and the standing totals."""

    campaign: str
    rule_set: str
    responses: int
    added: dict[str, int]
    rules: list[RuleCount]
    flagged_responses: int  # responses with at least one standing flag
