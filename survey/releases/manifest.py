"""The release manifest: canonical JSON over everything a release depends on; its sha256 is the release id."""

from __future__ import annotations

import hashlib
import platform
from collections.abc import Mapping, Sequence
from importlib.metadata import version
from typing import Any, Literal

import msgspec
import numpy as np
import pandas as pd
from msgspec import Struct

from survey.releases.audit_cells import AuditSnapshotRef
from survey.releases.tables import ReleaseTables

FORMAT = "survey-release/1"
ABOUT = "release"  # the file holding the campaign fields of ReleaseTables
TABLES = ("cells", "drivers", "item_drivers", "quality", "paths", "sample", "methods")
AUDITS = "audits"  # the on-site audit table: a file only when the campaign has approved audits
SOFTWARE = ("survey", "numpy", "scipy", "pandas", "statsmodels", "msgspec")


class ModelRef(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    id: str
    sha256: str
    text: str  # the model file itself, so a release carries its model


class InstrumentRef(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    code: str
    version: int
    sha256: str


class SnapshotRef(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    sha256: str  # over the canonical export of the included responses (snapshot_sha256)
    received: int
    included: int


class Manifest(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    format: Literal["survey-release/1"] = FORMAT
    series: str
    campaign: str
    model: ModelRef
    instruments: tuple[InstrumentRef, ...]
    exclusion_rules: dict[str, Any]
    margins: dict[str, Any] | None
    snapshot: SnapshotRef
    resamples: int
    seed: int
    software: dict[str, str]
    previous_release: str | None
    supersedes: str | None
    correction_reason: str | None
    files: dict[str, str]  # file name -> sha256 of its bytes
    audits: AuditSnapshotRef | None = None  # the approved on-site audits behind the audits file, when there are any


def canonical(value: Any) -> bytes:
    """Canonical JSON: sorted keys, no spaces, shortest round-trip floats."""
    return msgspec.json.encode(msgspec.to_builtins(value), order="sorted")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def release_files(tables: ReleaseTables) -> dict[str, bytes]:
    """The published files of a release: the campaign fields, then one canonical JSON file per table."""
    about = {name: getattr(tables, name) for name in ("campaign", "campaign_title_zh", "campaign_title_en", "is_demo")}
    files = {ABOUT: canonical(about)}
    files.update({name: canonical(getattr(tables, name)) for name in TABLES})
    if tables.audits:  # only with approved audits, so that releases without any keep the files they always had
        files[AUDITS] = canonical(tables.audits)
    return files


def tables_from_files(files: Mapping[str, bytes]) -> ReleaseTables:
    """ReleaseTables back from its published files."""
    fields = msgspec.json.decode(files[ABOUT])
    for name in TABLES:
        fields[name] = msgspec.json.decode(files[name])
    if AUDITS in files:
        fields[AUDITS] = msgspec.json.decode(files[AUDITS])
    return msgspec.convert(fields, ReleaseTables)


def snapshot_sha256(frame: pd.DataFrame, items: Sequence[str], rows: np.ndarray | None = None) -> str:
    """sha256 over a canonical export of responses (those of ``rows``, a mask, or all): sorted by id, keys as
    text, answers as bytes (255 = missing).

    The export is: the ids, instrument codes, versions, enterprise ids and cities, each column joined by newlines,
    then the item codes (sorted) and the answer matrix in that column order, one byte per answer.
    """
    chosen = np.arange(len(frame)) if rows is None else np.flatnonzero(rows)
    ids = frame["id"].to_numpy(dtype=object)[chosen].tolist()
    if any(a >= b for a, b in zip(ids, ids[1:])):  # the store reads in id order; sort only when it did not
        order = sorted(range(len(ids)), key=ids.__getitem__)
        chosen, ids = chosen[order], [ids[k] for k in order]
    digest = hashlib.sha256()
    for column in ("id", "instrument", "version", "enterprise", "city"):
        values = ids if column == "id" else frame[column].to_numpy(dtype=object)[chosen].tolist()
        digest.update("\n".join(map(str, values)).encode() + b"\x00")
    codes = sorted(items)
    digest.update(",".join(codes).encode() + b"\x00")
    if codes:
        matrix = frame[codes].to_numpy(dtype=np.float64, na_value=np.nan)[chosen]
        np.nan_to_num(matrix, copy=False, nan=255.0)
    else:
        matrix = np.empty((len(chosen), 0))
    digest.update(matrix.astype(np.uint8).tobytes())
    return digest.hexdigest()


def software() -> dict[str, str]:
    versions = {name: version(name) for name in SOFTWARE}
    versions["python"] = platform.python_version()
    return versions


def manifest_bytes(manifest: Manifest) -> tuple[bytes, str]:
    data = canonical(manifest)
    return data, sha256(data)


def verify(release_id: str, manifest: bytes, files: Mapping[str, bytes]) -> list[str]:
    """Every way in which stored bytes disagree with the release id and its manifest (empty: verified)."""
    problems = []
    if sha256(manifest) != release_id:
        problems.append(f"manifest: sha256 {sha256(manifest)} is not the release id {release_id}")
    try:
        listed = msgspec.json.decode(manifest, type=Manifest).files
    except msgspec.DecodeError as exc:
        return problems + [f"manifest: unreadable ({exc})"]
    for name in sorted(set(listed) | set(files)):
        if name not in files:
            problems.append(f"{name}: listed in the manifest but missing")
        elif name not in listed:
            problems.append(f"{name}: stored but not listed in the manifest")
        elif sha256(files[name]) != listed[name]:
            problems.append(f"{name}: sha256 {sha256(files[name])} differs from the manifest's {listed[name]}")
    return problems
