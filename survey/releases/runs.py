"""Built scoring runs as an administrator reviews them before publishing: what went in and the release id to be."""

from __future__ import annotations

import datetime as dt

import msgspec

from survey.errors import NotFound
from survey.releases.manifest import Manifest
from survey.releases.tables import ReleaseTables
from survey.store import releases as store
from survey.store.engine import Database


class RunSummary(msgspec.Struct, frozen=True, kw_only=True):
    run_id: int
    campaign: str
    series: str
    built_at: dt.datetime
    release_id: str  # the release's id once published (the manifest's sha256)
    published: bool
    received: int  # responses stored for the campaign when the run was built
    included: int  # of them, those the exclusion rules kept: the scores rest on these
    resamples: int
    seed: int
    corrects: str | None  # the release this run corrects, if it is a correction


class RunHeadline(msgspec.Struct, frozen=True, kw_only=True):
    """The programme's index in a run, as its release will show it."""

    index: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    min_n: int


def _summary(run: store.StoredRun) -> RunSummary:
    manifest = msgspec.json.decode(run.manifest, type=Manifest)
    return RunSummary(
        run_id=run.id, campaign=run.campaign, series=manifest.series, built_at=run.built_at, release_id=run.release_id,
        published=run.published, received=manifest.snapshot.received, included=manifest.snapshot.included,
        resamples=manifest.resamples, seed=manifest.seed, corrects=manifest.supersedes,
    )


def list_runs(db: Database, campaign: str | None = None, offset: int = 0, limit: int | None = None) -> list[RunSummary]:
    """Built runs, newest first (a campaign's only, when one is named)."""
    return [_summary(run) for run in store.list_runs(db, campaign, offset, limit)]


def get_run(db: Database, run_id: int) -> tuple[RunSummary, RunHeadline]:
    """One run's summary and its programme headline; NotFound for a run never built."""
    found = store.list_runs(db, run_id=run_id)
    if not found:
        raise NotFound(f"scoring run {run_id}")
    tables = msgspec.json.decode(store.get_run(db, run_id).tables, type=ReleaseTables)
    programme = next((cell for cell in tables.cells if cell.level == "programme"), None)
    headline = RunHeadline(
        index=programme.index if programme else None, ci_low=programme.ci_low if programme else None,
        ci_high=programme.ci_high if programme else None, n=programme.n if programme else 0,
        min_n=tables.methods.min_n,
    )
    return _summary(found[0]), headline
