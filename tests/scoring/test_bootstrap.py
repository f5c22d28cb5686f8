"""Bootstrap on sufficient statistics equals refitting resampled rows; reproducible; clusters."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.scoring.bootstrap import Units, bootstrap, fit_counts, resample_counts
from survey.scoring.index import compute_index
from survey.scoring.pls import fit
from survey.scoring.spec import load_model

DATA = Path(__file__).parent / "data"
MODELS = Path(__file__).parents[2] / "models"
#: resample from counts @ unit sums vs refit on the physically resampled rows
NAIVE_TOL = 1e-10


@pytest.fixture(scope="module")
def setup():
    data = pd.read_csv(DATA / "satisfaction.csv", index_col=0).reset_index(drop=True)
    spec = load_model(MODELS / "plspm-satisfaction.toml").with_estimation(convention="exact", tolerance=1e-13,
                                                                          max_iterations=1000)
    weights = np.random.default_rng(5).uniform(0.5, 2.0, len(data))
    return spec, data, weights


def naive(spec, data, weights, counts, unit_rows):
    rows = np.concatenate([np.repeat(r, c) for r, c in zip(unit_rows, counts) if c])
    sample = data.iloc[rows]
    fitted = fit(spec, sample, weights=None if weights is None else weights[rows], scores=False)
    return fitted, compute_index(fitted)


def check_draw(boot, b, fitted, idx, spec):
    names = fitted.layout.constructs
    paths = [fitted.path_coefficients[names.index(a), names.index(c)] for a, c in spec.edges]
    np.testing.assert_allclose(boot["paths"].draws[b], paths, atol=NAIVE_TOL)
    np.testing.assert_allclose(boot["outer_weights"].draws[b], fitted.weights.sum(axis=1), atol=NAIVE_TOL)
    np.testing.assert_allclose(boot["loadings"].draws[b], fitted.loadings, atol=NAIVE_TOL)
    np.testing.assert_allclose(boot["index"].draws[b], idx.construct_scores, atol=NAIVE_TOL)


@pytest.mark.parametrize("with_missing", [False, True])
def test_weighted_bootstrap_equals_naive_row_resampling(setup, with_missing):
    spec, data, weights = setup
    if with_missing:
        data = data.copy()
        rng = np.random.default_rng(11)
        for col in ["imag2", "qual3", "sat1", "loy4"]:
            data.loc[rng.choice(len(data), 6, replace=False), col] = np.nan
    full = fit(spec, data, weights=weights)
    boot = bootstrap(full, data, resamples=5, seed=42, weights=weights)
    counts = resample_counts(42, len(data), 5)
    for b in range(5):
        fitted, idx = naive(spec, data, weights, counts[b], [[i] for i in range(len(data))])
        check_draw(boot, b, fitted, idx, spec)


def test_unweighted_integer_answers_equal_naive_row_resampling(setup):
    """Integer answers without weights take the exact float32 product; still equal to refitting rows."""
    spec, data, _ = setup
    full = fit(spec, data)
    assert Units(data[list(spec.items)].to_numpy(dtype=float), None, full.moments.mean).exact
    boot = bootstrap(full, data, resamples=5, seed=7)
    counts = resample_counts(7, len(data), 5)
    for b in range(5):
        fitted, idx = naive(spec, data, None, counts[b], [[i] for i in range(len(data))])
        check_draw(boot, b, fitted, idx, spec)


def test_cluster_bootstrap_equals_naive_cluster_resampling(setup):
    spec, data, weights = setup
    data = data.assign(enterprise=np.arange(len(data)) % 25)
    full = fit(spec, data, weights=weights)
    boot = bootstrap(full, data, resamples=4, seed=9, cluster="enterprise", weights=weights, by="gender")
    counts = resample_counts(9, 25, 4)
    members = [np.flatnonzero(data["enterprise"] == e) for e in range(25)]
    for b in range(4):
        fitted, idx = naive(spec, data, weights, counts[b], members)
        check_draw(boot, b, fitted, idx, spec)
        rows = np.concatenate([np.repeat(m, c) for m, c in zip(members, counts[b]) if c])
        male = rows[data["gender"].to_numpy()[rows] == "male"]
        sat = [c for c in spec.construct("SAT").items]
        means = np.average(data.loc[male, sat], axis=0, weights=weights[male])
        w = idx.weights[[fitted.layout.items.index(i) for i in sat]]
        assert boot["group_index"].draws[b, 1] == pytest.approx(float(w @ ((means - 1) / 9 * 100)), abs=NAIVE_TOL)


def test_bootstrap_is_reproducible_and_intervals_are_ordered(setup):
    spec, data, _ = setup
    full = fit(spec, data)
    a = bootstrap(full, data, resamples=60, seed=3)
    b = bootstrap(full, data, resamples=60, seed=3)
    c = bootstrap(full, data, resamples=60, seed=4)
    np.testing.assert_array_equal(a["paths"].draws, b["paths"].draws)
    assert not np.array_equal(a["paths"].draws, c["paths"].draws)
    for est in a.estimates.values():
        ok = np.isfinite(est.percentile[:, 0])
        assert np.all(est.percentile[ok, 0] <= est.percentile[ok, 1])
        assert np.all(est.std_error[ok] >= 0)
    paths = a["paths"]
    assert np.all((paths.bca[:, 0] < paths.estimate) & (paths.estimate < paths.bca[:, 1]))
    assert a.failed == 0


def test_degenerate_resamples_fail_cleanly(setup):
    """A resample made of one repeated row has no variance: NaN draws, counted as failed, no warning."""
    spec, data, _ = setup
    full = fit(spec, data)
    units = Units(data[list(spec.items)].to_numpy(dtype=float), None, full.moments.mean)
    counts = np.zeros((3, len(data)), dtype=np.uint8)
    counts[0, 0] = 250
    counts[1] = 1
    counts[2, :2] = 125
    draws, failed = fit_counts(full, units, counts, 0)
    assert failed == 2
    assert np.all(np.isnan(draws["paths"][[0, 2]])) and np.all(np.isfinite(draws["paths"][1]))
    names = full.layout.constructs
    np.testing.assert_allclose(draws["paths"][1], [full.path_coefficients[names.index(a), names.index(b)]
                                                   for a, b in spec.edges], atol=NAIVE_TOL)


def test_intervals_equal_scipy_bca_and_percentile():
    """Given scipy's bootstrap distribution and the delete-1 jackknife, our intervals are scipy's."""
    from scipy import stats

    from survey.scoring.bootstrap import intervals

    sample = np.random.default_rng(8).exponential(size=60)
    for method, column in (("BCa", "bca"), ("percentile", "percentile")):
        res = stats.bootstrap((sample,), np.mean, n_resamples=2000, method=method, confidence_level=0.9,
                              random_state=np.random.default_rng(1))
        draws = res.bootstrap_distribution[:, None]
        jack = np.array([np.delete(sample, i).mean() for i in range(len(sample))])[:, None]
        se, pct, bca = intervals(np.array([sample.mean()]), draws, jack, 0.9)
        ours = {"bca": bca, "percentile": pct}[column][0]
        np.testing.assert_allclose(ours, [res.confidence_interval.low, res.confidence_interval.high], rtol=1e-12)
        assert se[0] == pytest.approx(res.standard_error, rel=1e-12)


@pytest.mark.parametrize("missing", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_cluster_sums_in_padded_blocks_equal_the_sums_of_row_features(missing, weighted, monkeypatch):
    """The per-cluster path (padded blocks, batched products) against summing one row of features per respondent;
    clusters of very different sizes, an unused cluster id, and a block budget small enough to need many blocks."""
    monkeypatch.setattr(sys.modules[Units.__module__], "BLOCK_CELLS", 2_000)
    rng = np.random.default_rng(11)
    sizes = rng.integers(1, 300, 40)
    clusters = np.repeat(np.arange(40), sizes)
    clusters[clusters == 3] = 4
    x = rng.integers(1, 11, (len(clusters), 6)).astype(float)
    if missing:
        x[rng.random(x.shape) < 0.15] = np.nan
    w = rng.random(len(x)) + 0.5 if weighted else None
    shift = np.nanmean(x, axis=0)
    blocks = Units(x, w, shift, clusters)
    rows = Units(x, w, shift, clusters, np.zeros(len(x), dtype=int), 1)  # groups take the row-by-row path
    assert blocks.units == rows.units == 40
    np.testing.assert_allclose(blocks.chunks[0][1], rows.chunks[0][1], rtol=1e-12, atol=1e-9)
