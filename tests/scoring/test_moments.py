"""Weighted moments: frequency weights are repeated rows; pairwise and listwise missing-data moments."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.scoring.moments import accumulate, compute_moments, finish
from survey.scoring.pls import fit
from survey.scoring.spec import load_model

DATA = Path(__file__).parent / "data"
MODELS = Path(__file__).parents[2] / "models"
#: integer frequency weights vs physically repeated rows
REPEAT_TOL = 1e-10
#: moments against numpy on the same rows: rounding only
MOMENT_TOL = 1e-12


@pytest.fixture(scope="module")
def satisfaction():
    return pd.read_csv(DATA / "satisfaction.csv", index_col=0)


def test_integer_weights_equal_repeated_rows(satisfaction):
    spec = load_model(MODELS / "plspm-satisfaction.toml").with_estimation(convention="exact", tolerance=1e-12)
    counts = np.random.default_rng(3).integers(0, 4, len(satisfaction))
    weighted = fit(spec, satisfaction, weights=counts, scores=False)
    repeated = fit(spec, satisfaction.loc[satisfaction.index.repeat(counts)], scores=False)
    assert weighted.n == repeated.n == counts.sum()
    for name in ["outer_weights", "loadings", "path_coefficients", "r_squared", "r_squared_adj", "cross_loadings"]:
        np.testing.assert_allclose(getattr(weighted, name), getattr(repeated, name), atol=REPEAT_TOL, err_msg=name)
    for a, b in zip(weighted.inner_model, repeated.inner_model):
        np.testing.assert_allclose([a.estimate, a.std_error, a.t, a.p], [b.estimate, b.std_error, b.t, b.p],
                                   atol=REPEAT_TOL)
    for name in ["cronbach_alpha", "dg_rho", "rho_a", "rho_c", "ave"]:
        np.testing.assert_allclose(getattr(weighted.quality, name), getattr(repeated.quality, name),
                                   atol=REPEAT_TOL, err_msg=name)
    assert weighted.gof == pytest.approx(repeated.gof, abs=REPEAT_TOL)


def test_moments_match_numpy_and_add_over_shards():
    rng = np.random.default_rng(1)
    x = rng.integers(1, 11, (500, 4)).astype(float)
    w = rng.uniform(0.2, 3, 500)
    m = compute_moments(x, w)
    np.testing.assert_allclose(m.mean, np.average(x, axis=0, weights=w), atol=MOMENT_TOL)
    np.testing.assert_allclose(m.cov, np.cov(x, rowvar=False, aweights=w, ddof=0), atol=MOMENT_TOL)
    shift = x[:10].mean(axis=0)
    merged = finish(accumulate(x[:200], w[:200], shift) + accumulate(x[200:], w[200:], shift))
    np.testing.assert_allclose(merged.cov, m.cov, atol=MOMENT_TOL)


def test_pairwise_moments_use_available_pairs():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(300, 3))
    x[rng.random((300, 3)) < 0.1] = np.nan
    m = compute_moments(x)
    both = ~np.isnan(x[:, 0]) & ~np.isnan(x[:, 1])
    expected = np.cov(x[both, 0], x[both, 1], ddof=0)[0, 1]
    assert m.cov[0, 1] == pytest.approx(expected, abs=MOMENT_TOL)
    assert m.mean[2] == pytest.approx(np.nanmean(x[:, 2]), abs=MOMENT_TOL)
    listwise = compute_moments(x, missing="listwise")
    complete = x[~np.isnan(x).any(axis=1)]
    np.testing.assert_allclose(listwise.cov, np.cov(complete, rowvar=False, ddof=0), atol=MOMENT_TOL)
    assert listwise.rows == len(complete)
