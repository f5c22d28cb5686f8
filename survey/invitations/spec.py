"""Invitation schemas and tokens: a token is shown once, when issued; only its SHA-256 is stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Annotated

from msgspec import Meta, Struct

from survey.registry import CampaignCode

MAX_BATCH = 5000
TOKEN_BYTES = 16  # 128 random bits: 22 URL-safe characters, short enough for a small QR code


class InvitationIssue(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A request for a batch of invitations for one enterprise, or one of its outlets."""

    campaign: CampaignCode
    enterprise: Annotated[int, Meta(ge=1)]
    outlet: Annotated[int, Meta(ge=1)] | None = None
    count: Annotated[int, Meta(ge=1, le=MAX_BATCH)]


class InvitationBatch(Struct, frozen=True, kw_only=True):
    id: int
    campaign: str
    industry: str
    enterprise: int
    enterprise_name: str
    outlet: int | None
    outlet_name: str | None
    count: int
    used: int
    created_at: dt.datetime


class InvitationLink(Struct, frozen=True, kw_only=True):
    token: str
    link: str


class IssuedBatch(Struct, frozen=True, kw_only=True):
    """A new batch and its links: the only time the tokens are seen; keep the file it is written to."""

    batch: InvitationBatch
    links: list[InvitationLink]


class Invitation(Struct, frozen=True, kw_only=True):
    """What a token opens (public: the token holder may know it)."""

    campaign: str
    industry: str
    enterprise: int
    enterprise_name: str
    outlet: int | None
    used: bool


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_sha256(token: str) -> str:
    """The stored form of a token: a plain hash is enough, the token itself is 128 random bits."""
    return hashlib.sha256(token.encode()).hexdigest()


def link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/i/{token}"
