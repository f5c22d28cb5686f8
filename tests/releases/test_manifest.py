"""The manifest: canonical JSON, the snapshot hash over included responses, verification of stored bytes."""

import numpy as np
import pandas as pd
import pytest

from survey.releases.manifest import canonical, snapshot_sha256, verify


@pytest.fixture
def frame():
    rng = np.random.default_rng(3)
    n = 50
    return pd.DataFrame({
        "id": [f"{k:08x}-0000-4000-8000-000000000000" for k in rng.permutation(n)],
        "instrument": "automobile", "version": 1, "enterprise": rng.integers(1, 5, n), "city": "440100",
        "img1": rng.integers(1, 11, n).astype(float), "sat1": np.where(rng.random(n) < 0.2, np.nan, 7.0),
    })


def test_snapshot_depends_on_content_not_on_row_order(frame):
    digest = snapshot_sha256(frame, ["img1", "sat1"])
    assert snapshot_sha256(frame.sort_values("id").reset_index(drop=True), ["sat1", "img1"]) == digest
    assert snapshot_sha256(frame.iloc[::-1].reset_index(drop=True), ["img1", "sat1"]) == digest
    changed = frame.copy()
    changed.loc[7, "img1"] = 1.0 if changed.loc[7, "img1"] != 1.0 else 2.0
    assert snapshot_sha256(changed, ["img1", "sat1"]) != digest
    missing = frame.copy()
    missing.loc[3, "img1"] = np.nan
    assert snapshot_sha256(missing, ["img1", "sat1"]) != digest


def test_snapshot_of_a_mask_is_the_snapshot_of_those_rows(frame):
    mask = np.arange(len(frame)) % 3 != 0
    subset = frame[mask].reset_index(drop=True)
    assert snapshot_sha256(frame, ["img1", "sat1"], rows=mask) == snapshot_sha256(subset, ["img1", "sat1"])
    assert snapshot_sha256(frame, ["img1", "sat1"], rows=mask) != snapshot_sha256(frame, ["img1", "sat1"])


def test_canonical_json_is_sorted_and_compact():
    assert canonical({"b": 1.5, "a": [1, None, "中"]}) == '{"a":[1,null,"中"],"b":1.5}'.encode()


def test_verify_names_every_difference():
    from survey.releases.manifest import sha256

    manifest = canonical({"format": "x"})
    assert verify(sha256(manifest), manifest, {})[0].startswith("manifest: unreadable")
    assert verify("0" * 64, manifest, {})[0].startswith("manifest: sha256")
