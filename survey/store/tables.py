"""Typed SQLAlchemy tables. A schema change here comes with an Alembic migration."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class InstrumentRow(Base):
    """A registered instrument version; its content never changes once stored."""

    __tablename__ = "instrument"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    industry: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    registered_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class CampaignRow(Base):
    __tablename__ = "campaign"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'open', 'closed')", name="campaign_status"),
        CheckConstraint("opens_on <= closes_on", name="campaign_dates"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    industries: Mapped[list[str]] = mapped_column(JSON)
    opens_on: Mapped[dt.date] = mapped_column(Date)
    closes_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    open_links: Mapped[bool] = mapped_column(Boolean, default=True)  # responses without an invitation token
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, onupdate=_now)


class EnterpriseRow(Base):
    __tablename__ = "enterprise"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    industry: Mapped[str] = mapped_column(String(40), index=True)
    city: Mapped[str] = mapped_column(String(6))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, onupdate=_now)


class OutletRow(Base):
    __tablename__ = "outlet"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(6))
    address: Mapped[str] = mapped_column(String(400))
    latitude: Mapped[float | None] = mapped_column(Float)  # WGS-84 degrees, optional: audits far from it are flagged
    longitude: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, onupdate=_now)


class ResponseRow(Base):
    """One acknowledged questionnaire response, bound to the exact instrument version."""

    __tablename__ = "response"
    __table_args__ = (
        ForeignKeyConstraint(
            ["instrument_code", "instrument_version"], ["instrument.code", "instrument.version"]
        ),
        # The arrival rules count a network's responses within a window: with the time in the index, a count reads
        # the window's rows only, however many that network sent before it.
        Index("ix_response_network_received", "network_hash", "received_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # client-generated UUID
    content_sha256: Mapped[str] = mapped_column(String(64))
    instrument_code: Mapped[str] = mapped_column(String(40))
    instrument_version: Mapped[int] = mapped_column(Integer)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("outlet.id"))
    city: Mapped[str] = mapped_column(String(6))
    locale: Mapped[str] = mapped_column(String(5))
    channel: Mapped[str] = mapped_column(String(10))
    answers: Mapped[dict] = mapped_column(JSON)
    item_values: Mapped[bytes] = mapped_column(LargeBinary)  # scale items in instrument order, a byte each, 255 = missing
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    # Keyed hashes (HMAC-SHA256 with the secret key) of the device cookie and the client address; never the raw values.
    device_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    network_hash: Mapped[str | None] = mapped_column(String(64))  # indexed with received_at (above)
    item_seconds: Mapped[dict | None] = mapped_column(JSON)  # per-item answering time, where the client sends it


class ResponseFlagRow(Base):
    """A data-quality flag on a response (never deletes it); scoring excludes per its rule set."""

    __tablename__ = "response_flag"

    response_id: Mapped[str] = mapped_column(ForeignKey("response.id"), primary_key=True)
    rule: Mapped[str] = mapped_column(String(40), primary_key=True)
    rule_version: Mapped[int] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(String(400), default="")
    overridden: Mapped[bool] = mapped_column(Boolean, default=False)
    override_reason: Mapped[str | None] = mapped_column(String(400))
    overridden_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class ScoringRunRow(Base):
    """A built, not yet published, release: its manifest and tables, reproducible from the snapshot."""

    __tablename__ = "scoring_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    manifest: Mapped[bytes] = mapped_column(LargeBinary)
    tables: Mapped[bytes] = mapped_column(LargeBinary)  # canonical JSON of ReleaseTables
    built_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class ReleaseRow(Base):
    """A published release: immutable (database triggers refuse UPDATE and DELETE)."""

    __tablename__ = "release"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the canonical manifest
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    series: Mapped[str] = mapped_column(String(40), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("scoring_run.id"), unique=True)
    manifest: Mapped[bytes] = mapped_column(LargeBinary)
    supersedes: Mapped[str | None] = mapped_column(ForeignKey("release.id"), unique=True)
    published_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class ReleaseFileRow(Base):
    """One published table (canonical JSON bytes) of a release: immutable like the release."""

    __tablename__ = "release_file"

    release_id: Mapped[str] = mapped_column(ForeignKey("release.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class OrganisationRow(Base):
    """A third-party evaluation organisation; its evaluators and its own account belong to it."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class AccountRow(Base):
    """A person who signs in: administrator, organisation or evaluator; the password only as an argon2 hash."""

    __tablename__ = "account"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'organisation', 'evaluator')", name="account_role"),
        CheckConstraint("(role = 'admin') = (organisation_id IS NULL)", name="account_organisation"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    role: Mapped[str] = mapped_column(String(12))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, onupdate=_now)


class CredentialRow(Base):
    """A signed-in session (cookie) or a bearer token, stored only as the sha256 of its secret, until it expires."""

    __tablename__ = "credential"
    __table_args__ = (CheckConstraint("kind IN ('session', 'token')", name="credential_kind"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the secret the client holds
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    csrf: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class AssignmentRow(Base):
    """An outlet given to an evaluator for a campaign, with its audit window and the checklist version to use."""

    __tablename__ = "assignment"
    __table_args__ = (
        UniqueConstraint("campaign_id", "outlet_id", name="assignment_once_per_campaign"),
        CheckConstraint("opens_on <= closes_on", name="assignment_window"),
        ForeignKeyConstraint(["checklist_code", "checklist_version"], ["instrument.code", "instrument.version"]),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlet.id"))
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    checklist_code: Mapped[str] = mapped_column(String(40))
    checklist_version: Mapped[int] = mapped_column(Integer)
    opens_on: Mapped[dt.date] = mapped_column(Date)
    closes_on: Mapped[dt.date] = mapped_column(Date)
    created_by: Mapped[int] = mapped_column(ForeignKey("account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, onupdate=_now)


class AuditRow(Base):
    """An on-site audit, stored once per client UUID; `version` counts its edits, each kept in audit_version."""

    __tablename__ = "audit"
    __table_args__ = (
        CheckConstraint("status IN ('submitted', 'approved', 'has_issues', 'rejected')", name="audit_status"),
        ForeignKeyConstraint(["checklist_code", "checklist_version"], ["instrument.code", "instrument.version"]),
        Index("ix_audit_outlet_day", "outlet_id", "visit_day"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # client-generated UUID
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id"), index=True)
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlet.id"))
    checklist_code: Mapped[str] = mapped_column(String(40))
    checklist_version: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    content_sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict] = mapped_column(JSON)
    visited_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    visit_day: Mapped[dt.date] = mapped_column(Date)  # the visit's calendar day in China
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(12), default="submitted")
    score: Mapped[float | None] = mapped_column(Float)  # set when approved, from the pure score computation
    level: Mapped[str | None] = mapped_column(String(16))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class AuditVersionRow(Base):
    """Every acknowledged version of an audit's content: an edit replaces the current one and keeps this."""

    __tablename__ = "audit_version"

    audit_id: Mapped[str] = mapped_column(ForeignKey("audit.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict] = mapped_column(JSON)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class AuditFlagRow(Base):
    """A plausibility flag on an audit (far from the outlet, outside the window, same outlet twice a day)."""

    __tablename__ = "audit_flag"

    audit_id: Mapped[str] = mapped_column(ForeignKey("audit.id"), primary_key=True)
    rule: Mapped[str] = mapped_column(String(40), primary_key=True)
    detail: Mapped[str] = mapped_column(String(400), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class AuditReviewRow(Base):
    """An administrator's decision on one version of an audit, with its reason; the history is kept."""

    __tablename__ = "audit_review"
    __table_args__ = (CheckConstraint("decision IN ('approved', 'has_issues', 'rejected')", name="audit_review_decision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    audit_id: Mapped[str] = mapped_column(ForeignKey("audit.id"), index=True)
    audit_version: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(String(1000))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    reviewed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class PhotoRow(Base):
    """An evidence photo uploaded by an evaluator; the file lives under the data folder, named by its sha256."""

    __tablename__ = "photo"
    __table_args__ = (UniqueConstraint("sha256", "owner_id", name="photo_once_per_owner"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    media_type: Mapped[str] = mapped_column(String(20))
    size: Mapped[int] = mapped_column(Integer)
    stored_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class InvitationBatchRow(Base):
    """A batch of single-use invitation tokens issued for one enterprise (or one of its outlets)."""

    __tablename__ = "invitation_batch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"))
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("outlet.id"))
    count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class InvitationRow(Base):
    """One invitation: only the SHA-256 of its token is kept; it accepts one completed response."""

    __tablename__ = "invitation"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("invitation_batch.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"))
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("outlet.id"))
    response_id: Mapped[str | None] = mapped_column(ForeignKey("response.id"), unique=True)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class QuotaRow(Base):
    """A target number of valid responses for one cell: industry x city x enterprise, each of them or all (null)."""

    __tablename__ = "quota"
    __table_args__ = (
        CheckConstraint("target >= 1", name="quota_target"),
        Index(
            "uq_quota_cell",
            "campaign_id",
            func.coalesce(text("industry"), ""),
            func.coalesce(text("city"), ""),
            func.coalesce(text("enterprise_id"), 0),
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    industry: Mapped[str | None] = mapped_column(String(40))
    city: Mapped[str | None] = mapped_column(String(6))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"))
    target: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, onupdate=_now)


class RateCountRow(Base):
    """A fixed-window counter (rate limits): hits of one key in the window that starts at `window_start`."""

    __tablename__ = "rate_count"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    window_start: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)  # Unix seconds, a multiple of
    # the window; indexed for the sweep of old windows (the key comes first in the primary key)
    hits: Mapped[int] = mapped_column(Integer)
