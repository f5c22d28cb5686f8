"""From stored responses to a built run, a published release and its verification."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import msgspec

from survey.errors import Conflict, FieldError, InvalidInput, NotFound
from survey.instruments.catalogue import Catalogue
from survey.instruments.spec import Instrument, ScaleItem
from survey.releases.audit_cells import AuditSnapshotRef, audit_cells, audit_snapshot
from survey.releases.compute import compute_release
from survey.releases.manifest import (
    InstrumentRef,
    Manifest,
    ModelRef,
    SnapshotRef,
    canonical,
    manifest_bytes,
    release_files,
    sha256,
    snapshot_sha256,
    software,
    tables_from_files,
    verify,
)
from survey.releases.rules import STANDARD, apply_rules, describe
from survey.releases.tables import ReleaseTables
from survey.registry import Campaign
from survey.scoring.moments import DataError
from survey.scoring.spec import ModelSpec, decode_model
from survey.store import releases as store
from survey.store.audits import approved_audits
from survey.store.engine import Database

DEFAULT_MODEL = Path(__file__).resolve().parents[2] / "models" / "after-sales-csi.toml"
Progress = Callable[[str, float], None]


class Built(msgspec.Struct, frozen=True, kw_only=True):
    run_id: int
    release_id: str  # the id the release will have once published
    manifest: Manifest
    tables: ReleaseTables


def every_version(catalogue: Catalogue) -> dict[tuple[str, int], Instrument]:
    return {
        (entry.instrument.code, version): catalogue.get(entry.instrument.code, version).instrument
        for entry in catalogue.all()
        for version in catalogue.versions(entry.instrument.code)
    }


class Scored(msgspec.Struct, frozen=True, kw_only=True):
    tables: ReleaseTables
    snapshot: SnapshotRef
    instruments: tuple[InstrumentRef, ...]
    audits: AuditSnapshotRef | None = None


def score_campaign(
    db: Database,
    catalogue: Catalogue,
    campaign: Campaign,
    spec: ModelSpec,
    *,
    resamples: int,
    seed: int,
    min_n: int,
    max_ci_width: float,
    margins: Mapping[str, Any] | None,
    previous: str | None,
    progress: Progress,
) -> Scored:
    """The tables of a campaign from its stored responses: the computation a build and a rebuild share."""
    instruments = every_version(catalogue)
    progress("read", 0.0)
    frame = store.read_responses(db, campaign.code, instruments)
    progress("read", 1.0)
    previous_tables = tables_from_files(store.get_release(db, previous).files) if previous else None
    industry_items = industry_blocks(
        [entry.instrument for entry in catalogue.all() if entry.instrument.industry in campaign.industries], spec
    )
    excluded = apply_rules(frame, STANDARD, industry_items=industry_items)
    tables = compute_release(
        frame, spec, industry_items=industry_items, campaign=campaign.code, campaign_title_zh=campaign.title_zh,
        campaign_title_en=campaign.title_en, is_demo=campaign.is_demo, rule_set=STANDARD, margins=margins,
        resamples=resamples, seed=seed, min_n=min_n, max_ci_width=max_ci_width, previous=previous_tables,
        progress=progress, excluded=excluded,
    )
    approved = approved_audits(db, campaign.id)  # on-site audits: final once approved, so a rebuild reads the same
    tables = msgspec.structs.replace(tables, audits=audit_cells(approved))
    progress("snapshot", 0.0)
    scale_items = {item.code for i in instruments.values() for item in i.items() if isinstance(item, ScaleItem)}
    included = excluded.isna().to_numpy()
    used = sorted(frame.groupby(["instrument", "version"]).indices) if len(frame) else []
    snapshot = SnapshotRef(
        sha256=snapshot_sha256(frame, [c for c in frame.columns if c in scale_items], rows=included),
        received=len(frame),
        included=int(included.sum()),
    )
    return Scored(
        tables=tables,
        snapshot=snapshot,
        audits=audit_snapshot(approved),
        instruments=tuple(
            InstrumentRef(code=code, version=int(version), sha256=catalogue.get(code, int(version)).sha256)
            for code, version in used
        ),
    )


def build_release(
    db: Database,
    catalogue: Catalogue,
    campaign_code: str,
    *,
    model_text: str | None = None,
    resamples: int = 1000,
    seed: int = 20151,
    min_n: int = 30,
    max_ci_width: float = 10.0,
    series: str | None = None,
    corrects: str | None = None,
    reason: str | None = None,
    margins: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
) -> Built:
    """Score a campaign's responses and store the result as a run, ready to publish."""
    if (corrects is None) != (reason is None):
        raise InvalidInput([FieldError(field="reason", reason="a correction names the release it corrects and why")])
    errors = [FieldError(field=name, reason=reason) for name, bad, reason in (
        ("resamples", not 100 <= resamples <= 100_000, "must be 100-100000 for percentile intervals"),
        ("min_n", not 2 <= min_n <= 100_000, "must be 2-100000 respondents"),
        ("max_ci_width", not 0 < max_ci_width <= 100, "must be above 0 and at most 100 points"),
    ) if bad]
    if errors:
        raise InvalidInput(errors)
    campaign = store.campaign_of(db, campaign_code)
    _check_margins(margins, campaign)
    if corrects is not None:
        corrects = resolve_release(db, corrects)
    series = series or ("demo" if campaign.is_demo else "programme")
    model_text = model_text if model_text is not None else DEFAULT_MODEL.read_text("utf-8")
    spec = decode_model(model_text, "model")
    if corrects is not None:
        corrected = store.get_release(db, corrects)
        if corrected.superseded_by is not None:
            raise Conflict(f"release {corrects} was corrected already by {corrected.superseded_by}")
        previous = msgspec.json.decode(corrected.manifest, type=Manifest).previous_release
    else:
        previous = store.latest_release(db, series)
    try:
        scored = score_campaign(
            db, catalogue, campaign, spec, resamples=resamples, seed=seed, min_n=min_n, max_ci_width=max_ci_width,
            margins=margins, previous=previous, progress=progress or (lambda stage, fraction: None),
        )
    except DataError as exc:  # margins that do not fit the responses, or responses that cannot be scored
        field = "margins" if str(exc).startswith("margin") else "campaign"
        raise InvalidInput([FieldError(field=field, reason=str(exc))]) from None
    files = release_files(scored.tables)
    manifest = Manifest(
        series=series,
        campaign=campaign.code,
        model=ModelRef(id=spec.id, sha256=sha256(model_text.encode()), text=model_text),
        instruments=scored.instruments,
        exclusion_rules=describe(STANDARD),
        margins=dict(margins) if margins else None,
        snapshot=scored.snapshot,
        resamples=resamples,
        seed=seed,
        software=software(),
        previous_release=previous,
        supersedes=corrects,
        correction_reason=reason,
        files={name: sha256(content) for name, content in files.items()},
        audits=scored.audits,
    )
    data, release_id = manifest_bytes(manifest)
    run_id = store.store_run(db, campaign.id, data, release_id, canonical(scored.tables))
    return Built(run_id=run_id, release_id=release_id, manifest=manifest, tables=scored.tables)


def publish_release(db: Database, run_id: int) -> str:
    """Publish a built run; refused when the series moved on since it was built."""
    run = store.get_run(db, run_id)
    if store.release_ids(db, run.manifest_sha256):
        raise Conflict(f"run {run_id} is published already as release {run.manifest_sha256}")
    manifest = msgspec.json.decode(run.manifest, type=Manifest)
    if manifest.supersedes is None and store.latest_release(db, manifest.series) != manifest.previous_release:
        raise Conflict(f"a newer release of series {manifest.series!r} was published after run {run_id} was built: rebuild")
    files = release_files(msgspec.json.decode(run.tables, type=ReleaseTables))
    problems = verify(run.manifest_sha256, run.manifest, files)
    if problems:
        raise Conflict(f"run {run_id} does not match its manifest: {'; '.join(problems)}")
    content = {name: (sha256(data), data) for name, data in files.items()}
    return store.publish_run(db, run_id, series=manifest.series, supersedes=manifest.supersedes, files=content)


def resolve_release(db: Database, release: str) -> str:
    """The full id of a release given its id or a unique prefix of at least 8 characters."""
    matches = store.release_ids(db, release) if len(release) >= 8 else []
    if len(matches) != 1:
        raise NotFound(f"release {release!r}" + (" (ambiguous prefix)" if matches else ""))
    return matches[0]


def verify_release(db: Database, catalogue: Catalogue, release_id: str, *, rebuild: bool = False) -> list[str]:
    """Problems with a stored release (empty when verified); with `rebuild`, also rebuild it and compare bytes."""
    stored = store.get_release(db, release_id)
    problems = verify(release_id, stored.manifest, stored.files)
    if rebuild and not problems:
        manifest = msgspec.json.decode(stored.manifest, type=Manifest)
        methods = tables_from_files(stored.files).methods
        scored = score_campaign(
            db, catalogue, store.campaign_of(db, manifest.campaign), decode_model(manifest.model.text, "model"),
            resamples=manifest.resamples, seed=manifest.seed, min_n=methods.min_n, max_ci_width=methods.max_ci_width,
            margins=manifest.margins, previous=manifest.previous_release, progress=lambda stage, fraction: None,
        )
        if scored.snapshot != manifest.snapshot:
            problems.append("snapshot: the stored responses are no longer the ones the release was built from")
        if scored.audits != manifest.audits:
            problems.append("audits: the approved audits are no longer the ones the release was built from")
        for name, content in sorted(release_files(scored.tables).items()):
            if stored.files.get(name) != content:
                problems.append(f"{name}: rebuilding from the stored responses gives different bytes")
    return problems


MARGIN_COLUMNS = ("city",)  # what raking margins may be given for: customers per industry x city


def _check_margins(margins: Mapping[str, Any] | None, campaign: Campaign) -> None:
    """Margins name the campaign's industries and the columns responses carry, with positive counts."""
    errors = []
    for industry, columns in (margins or {}).items():
        if industry not in campaign.industries:
            errors.append(FieldError(field=f"margins.{industry}", reason=f"campaign {campaign.code} has no such industry"))
            continue
        for column, levels in columns.items():
            if column not in MARGIN_COLUMNS:
                errors.append(FieldError(field=f"margins.{industry}.{column}",
                                         reason=f"margins can be given for: {', '.join(MARGIN_COLUMNS)}"))
            elif not levels or any(not isinstance(v, (int, float)) or v <= 0 for v in levels.values()):
                errors.append(FieldError(field=f"margins.{industry}.{column}",
                                         reason="every level needs a positive population count"))
    if errors:
        raise InvalidInput(errors)


def industry_blocks(instruments: Iterable[Instrument], spec: ModelSpec | None = None) -> dict[str, list[str]]:
    """Each industry's block: the QUAL items of its instrument that the common model does not list."""
    spec = spec or decode_model(DEFAULT_MODEL.read_text("utf-8"), "model")
    common = {item for construct in spec.constructs for item in construct.items}
    return {
        instrument.industry: [
            item.code for item in instrument.items()
            if isinstance(item, ScaleItem) and item.construct == "QUAL" and item.code not in common
        ]
        for instrument in instruments
    }
