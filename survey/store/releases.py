"""Reading a campaign's responses in one pass, and storing runs and (immutable) releases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import msgspec
import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from survey.errors import Conflict, NotFound
from survey.instruments.spec import Instrument, ScaleItem
from survey.registry import Campaign
from survey.responses import MISSING
from survey.store.engine import Database
from survey.store.registry import _read as read_row
from survey.store.tables import (
    CampaignRow,
    EnterpriseRow,
    ReleaseFileRow,
    ReleaseRow,
    ResponseFlagRow,
    ResponseRow,
    ScoringRunRow,
)


class StoredRelease(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    campaign: str
    series: str
    run_id: int
    manifest: bytes
    supersedes: str | None
    superseded_by: str | None
    published_at: dt.datetime
    files: dict[str, bytes]


def read_responses(db: Database, campaign: str, instruments: Mapping[tuple[str, int], Instrument]) -> pd.DataFrame:
    """Every response of a campaign as one frame: keys, context and one float column per scale item (NaN = missing).

    The item matrix is decoded straight from the stored bytes, one numpy view per instrument version, into one
    float block; the rows are fetched as plain tuples (no ORM objects) and the enterprises' names and industries
    are looked up once per enterprise, so a million responses cost little beyond the fetched rows themselves.
    """
    query = (
        select(
            ResponseRow.id, ResponseRow.instrument_code, ResponseRow.instrument_version, ResponseRow.enterprise_id,
            ResponseRow.city, ResponseRow.is_test, ResponseRow.item_values,
        )
        .join(CampaignRow, CampaignRow.id == ResponseRow.campaign_id)
        .where(CampaignRow.code == campaign)
        .order_by(ResponseRow.id)
    )
    flag_query = (
        select(ResponseFlagRow.response_id, ResponseFlagRow.rule)
        .join(ResponseRow).join(CampaignRow)
        .where(CampaignRow.code == campaign, ResponseFlagRow.overridden.is_(False))
    )
    with db.read() as session:
        connection = session.connection()
        compiled = query.compile(dialect=connection.dialect)
        params = tuple(compiled.params[k] for k in compiled.positiontup) if compiled.positional else compiled.params
        cursor = connection.connection.cursor()  # the driver's own cursor: plain tuples, no per-row processing
        try:
            cursor.execute(compiled.string, params)
            rows = cursor.fetchall()
        finally:
            cursor.close()
        names = dict(connection.execute(select(EnterpriseRow.id, EnterpriseRow.name)).all())
        industries = dict(connection.execute(select(EnterpriseRow.id, EnterpriseRow.industry)).all())
        flagged: dict[str, list[str]] = {}
        for response_id, rule in connection.execute(flag_query):
            flagged.setdefault(response_id, []).append(rule)
    columns = ["id", "instrument", "version", "enterprise", "enterprise_name", "industry", "city", "is_test", "flags"]
    if not rows:
        return pd.DataFrame({name: [] for name in columns})
    ids, codes, versions, enterprises, cities, tests, values = zip(*rows)
    del rows
    enterprise = np.fromiter(enterprises, dtype=np.int64, count=len(ids))
    known, position = np.unique(enterprise, return_inverse=True)
    none: tuple[str, ...] = ()
    frame = pd.DataFrame({
        "id": ids,
        "instrument": codes,
        "version": np.fromiter(versions, dtype=np.int64, count=len(ids)),
        "enterprise": enterprise,
        "enterprise_name": np.array([names[e] for e in known.tolist()], dtype=object)[position],
        "industry": np.array([industries[e] for e in known.tolist()], dtype=object)[position],
        "city": cities,
        "is_test": np.fromiter(tests, dtype=bool, count=len(ids)),
        "flags": [tuple(sorted(flagged[i])) if i in flagged else none for i in ids] if flagged else [none] * len(ids),
    })
    groups = sorted(frame.groupby(["instrument", "version"]).indices.items())
    scales = {}
    for key, _ in groups:
        instrument = instruments.get(key)
        if instrument is None:
            raise NotFound(f"instrument {key[0]} version {key[1]} of stored responses")
        scales[key] = [item.code for item in instrument.items() if isinstance(item, ScaleItem)]
    order = sorted({code for scale in scales.values() for code in scale})
    column = {code: k for k, code in enumerate(order)}
    matrix = np.full((len(frame), len(order)), np.nan, order="F")  # column-major: what the frame keeps, no copy
    for key, rows_of in groups:
        scale = scales[key]
        joined = b"".join([values[i] for i in rows_of])
        if len(joined) != len(rows_of) * len(scale):
            bad = next(ids[i] for i in rows_of if len(values[i]) != len(scale))
            raise Conflict(f"response {bad}: stored answers do not fit {key[0]} version {key[1]} ({len(scale)} items)")
        stored = np.frombuffer(joined, dtype=np.uint8).reshape(len(rows_of), len(scale))
        for j, code in enumerate(scale):
            answers = stored[:, j]
            matrix[rows_of, column[code]] = np.where(answers == MISSING, np.nan, answers)
    items = pd.DataFrame(matrix, columns=order, copy=False)
    return pd.concat([frame, items], axis=1)


def campaign_of(db: Database, code: str) -> Campaign:
    with db.read() as session:
        row = session.scalar(select(CampaignRow).where(CampaignRow.code == code))
        if row is None:
            raise NotFound(f"campaign {code!r}")
        return read_row(row, Campaign)


def store_run(db: Database, campaign_id: int, manifest: bytes, manifest_sha256: str, tables: bytes) -> int:
    with db.transaction() as session:
        run = ScoringRunRow(campaign_id=campaign_id, manifest=manifest, manifest_sha256=manifest_sha256, tables=tables)
        session.add(run)
        session.flush()
        return run.id


def get_run(db: Database, run_id: int) -> ScoringRunRow:
    with db.read() as session:
        run = session.get(ScoringRunRow, run_id)
        if run is None:
            raise NotFound(f"scoring run {run_id}")
        session.expunge(run)
        return run


class StoredRun(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    campaign: str
    manifest: bytes
    release_id: str  # the id the release has (or will have once published): the manifest's sha256
    published: bool
    built_at: dt.datetime


def list_runs(
    db: Database, campaign: str | None = None, offset: int = 0, limit: int | None = None, run_id: int | None = None
) -> list[StoredRun]:
    """Built runs (or a page of them, or the one `run_id`), newest first, each with whether it was published; without
    their tables."""
    query = (
        select(ScoringRunRow.id, CampaignRow.code, ScoringRunRow.manifest, ScoringRunRow.manifest_sha256,
               ScoringRunRow.built_at, ReleaseRow.id)
        .join(CampaignRow, CampaignRow.id == ScoringRunRow.campaign_id)
        .outerjoin(ReleaseRow, ReleaseRow.run_id == ScoringRunRow.id)
        .order_by(ScoringRunRow.id.desc())
        .offset(offset).limit(limit)
    )
    if campaign is not None:
        query = query.where(CampaignRow.code == campaign)
    if run_id is not None:
        query = query.where(ScoringRunRow.id == run_id)
    with db.read() as session:
        return [
            StoredRun(id=key, campaign=code, manifest=_bytes(manifest), release_id=sha,
                      published=released is not None, built_at=_aware(built_at))
            for key, code, manifest, sha, built_at, released in session.execute(query)
        ]


def count_runs(db: Database, campaign: str | None = None) -> int:
    query = (select(func.count()).select_from(ScoringRunRow)
             .join(CampaignRow, CampaignRow.id == ScoringRunRow.campaign_id))
    if campaign is not None:
        query = query.where(CampaignRow.code == campaign)
    with db.read() as session:
        return session.scalar(query) or 0


def latest_release(db: Database, series: str) -> str | None:
    """The newest release of a series that no correction has superseded."""
    with db.read() as session:
        superseded = select(ReleaseRow.supersedes).where(ReleaseRow.supersedes.is_not(None))
        return session.scalar(
            select(ReleaseRow.id)
            .where(ReleaseRow.series == series, ReleaseRow.id.not_in(superseded))
            .order_by(ReleaseRow.published_at.desc(), ReleaseRow.id)
            .limit(1)
        )


def publish_run(
    db: Database, run_id: int, *, series: str, supersedes: str | None, files: Mapping[str, tuple[str, bytes]]
) -> str:
    """Make a run public: the release row and its files, in one transaction. Returns the release id."""
    run = get_run(db, run_id)
    try:
        with db.transaction() as session:
            session.add(ReleaseRow(
                id=run.manifest_sha256, campaign_id=run.campaign_id, series=series, run_id=run.id,
                manifest=run.manifest, supersedes=supersedes,
            ))
            session.flush()
            for name, (sha256, content) in sorted(files.items()):
                session.add(ReleaseFileRow(release_id=run.manifest_sha256, name=name, sha256=sha256, content=content))
    except IntegrityError:
        raise Conflict(f"run {run_id} is published already, or release {supersedes} was corrected already") from None
    return run.manifest_sha256


def get_release(db: Database, release_id: str) -> StoredRelease:
    with db.read() as session:
        row = session.get(ReleaseRow, release_id)
        if row is None:
            raise NotFound(f"release {release_id}")
        campaign = session.scalar(select(CampaignRow.code).where(CampaignRow.id == row.campaign_id))
        newer = session.scalar(select(ReleaseRow.id).where(ReleaseRow.supersedes == release_id))
        files = {
            f.name: _bytes(f.content)
            for f in session.scalars(select(ReleaseFileRow).where(ReleaseFileRow.release_id == release_id))
        }
        return StoredRelease(
            id=row.id, campaign=campaign, series=row.series, run_id=row.run_id, manifest=_bytes(row.manifest),
            supersedes=row.supersedes, superseded_by=newer, published_at=_aware(row.published_at), files=files,
        )


def release_ids(db: Database, prefix: str) -> list[str]:
    """The ids that start with `prefix` (at most two: enough to tell a unique prefix)."""
    with db.read() as session:
        return list(session.scalars(select(ReleaseRow.id).where(ReleaseRow.id.startswith(prefix, autoescape=True)).limit(2)))


def list_releases(db: Database, offset: int = 0, limit: int | None = None) -> list[StoredRelease]:
    """Every release (or a page of them), newest first."""
    with db.read() as session:
        ids = session.scalars(select(ReleaseRow.id).order_by(ReleaseRow.published_at.desc(), ReleaseRow.id)
                              .offset(offset).limit(limit)).all()
    return [get_release(db, release_id) for release_id in ids]


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _bytes(value: bytes | str) -> bytes:
    """Stored bytes as bytes, even where a tampering hand on SQLite turned a BLOB into TEXT."""
    return value.encode("utf-8", "surrogateescape") if isinstance(value, str) else bytes(value)
