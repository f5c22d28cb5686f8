"""Missing answers: R plspm's available-data algorithm, against Python plspm 0.5.7 (a port of R plspm).

The reference files were generated once by data/make_missing_reference.py (kept next to them).
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.scoring.bootstrap import bootstrap
from survey.scoring.moments import DataError
from survey.scoring.pls import fit
from survey.scoring.spec import load_model

DATA = Path(__file__).parent / "data"
MODELS = Path(__file__).parents[2] / "models"
#: plspm was run to tolerance 1e-14 on its score changes; both sides converge to the same fixed point
MISSING_TOL = 1e-8
#: complete data: the row algorithm and the moment algorithm reach the same fixed point
ROWS_VS_MOMENTS_TOL = 1e-9


@pytest.fixture(scope="module")
def setup():
    spec = load_model(MODELS / "plspm-satisfaction.toml").with_estimation(scaled=True, tolerance=1e-14,
                                                                          max_iterations=1000)
    data = pd.read_csv(DATA / "satisfaction-missing.csv", index_col=0)
    assert data.isna().sum().sum() == 60
    return spec, data, fit(spec, data, missing="available")


def test_outer_model_matches_plspm(setup):
    spec, _, result = setup
    ref = pd.read_csv(DATA / "satisfaction-missing.outer-model.csv", index_col=0).loc[list(spec.items)]
    for column, ours in [("weight", result.outer_weights), ("loading", result.loadings),
                         ("communality", result.communalities), ("redundancy", result.redundancies)]:
        np.testing.assert_allclose(ours, ref[column], rtol=0, atol=MISSING_TOL, err_msg=column)


def test_paths_scores_and_summary_match_plspm(setup):
    spec, _, result = setup
    names = list(spec.names)
    paths = pd.read_csv(DATA / "satisfaction-missing.paths.csv", index_col=0).loc[names, names]  # [to, from]
    np.testing.assert_allclose(result.path_coefficients, paths.to_numpy().T, rtol=0, atol=MISSING_TOL)
    scores = pd.read_csv(DATA / "satisfaction-missing.scores.csv", index_col=0)[names]
    np.testing.assert_allclose(result.scores, scores.to_numpy(), rtol=0, atol=MISSING_TOL)
    summary = pd.read_csv(DATA / "satisfaction-missing.inner-summary.csv", index_col=0).loc[names]
    for column, ours in [("r_squared", result.r_squared), ("r_squared_adj", result.r_squared_adj),
                         ("block_communality", result.quality.block_communality),
                         ("mean_redundancy", result.quality.mean_redundancy), ("ave", result.quality.ave)]:
        np.testing.assert_allclose(ours, summary[column], rtol=0, atol=MISSING_TOL, err_msg=column)


def test_complete_data_gives_the_moment_solution():
    spec = load_model(MODELS / "plspm-satisfaction.toml").with_estimation(
        scaled=True, convention="exact", tolerance=1e-13, max_iterations=1000)
    data = pd.read_csv(DATA / "satisfaction.csv", index_col=0)
    rows = fit(spec, data, missing="available")
    moments = fit(spec, data)
    np.testing.assert_allclose(rows.outer_weights, moments.outer_weights, atol=ROWS_VS_MOMENTS_TOL)
    np.testing.assert_allclose(rows.path_coefficients, moments.path_coefficients, atol=ROWS_VS_MOMENTS_TOL)


def test_default_pairwise_and_listwise_run_on_missing_answers(setup):
    spec, data, available = setup
    pairwise = fit(spec, data)
    listwise = fit(spec, data, missing="listwise")
    assert pairwise.n == len(data) and listwise.n == len(data.dropna())
    # different estimators of the same model: close, not equal
    assert np.max(np.abs(pairwise.path_coefficients - available.path_coefficients)) < 0.05
    with pytest.raises(DataError, match="weights"):
        fit(spec, data, missing="available", weights=np.ones(len(data)))
    with pytest.raises(DataError, match="moments"):
        bootstrap(available, data, resamples=10)
    assert (available.missing, pairwise.missing, listwise.missing) == ("available", "pairwise", "listwise")
    # a listwise fit bootstraps the complete rows
    boot = bootstrap(listwise, data, resamples=20, seed=1)
    assert boot.failed == 0 and np.all(np.isfinite(boot["paths"].draws))
