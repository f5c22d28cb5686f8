"""PLS-PM estimates against published R plspm (satisfaction) and R seminr (mobi) results.

Provenance of every reference file: tests/scoring/data/README.md.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from survey.scoring.pls import fit
from survey.scoring.spec import load_model

DATA = Path(__file__).parent / "data"
MODELS = Path(__file__).parents[2] / "models"

#: our "plspm" convention replays R plspm's iterations, so its files agree to rounding
PLSPM_TOL = 1e-8
#: R plspm stops at sum((|w_old| - |w_new|)^2) < 1e-6; its numbers sit this close to the converged solution
PLSPM_EARLY_STOP_TOL = 1e-6
#: seminr stops at sum(|w_new - w_old|) < 1e-7; our fully converged fit is this close to its numbers
SEMINR_TOL = 1e-6
#: fully converged solutions (any convention, tolerance 1e-13) agree with each other to this
CONVERGED_TOL = 1e-8
#: the published GoF of the satisfaction model (R plspm)
PLSPM_GOF = 0.609741624338411
#: inner model from the construct correlations vs statsmodels OLS on the scores (relative for SE and p)
OLS_TOL = 1e-9
#: construct scores are standardized and their correlations are those the model reports
STANDARDIZED_TOL = 1e-12


@pytest.fixture(scope="module")
def satisfaction():
    return pd.read_csv(DATA / "satisfaction.csv", index_col=0)


@pytest.fixture(scope="module")
def plspm_fit(satisfaction):
    return fit(load_model(MODELS / "plspm-satisfaction.toml"), satisfaction)


def item_index(result, names):
    return [result.layout.items.index(n) for n in names]


def test_outer_model_matches_plspm(plspm_fit):
    ref = pd.read_csv(DATA / "satisfaction.outer-model.csv")
    idx = item_index(plspm_fit, ref["name"])
    assert [plspm_fit.layout.constructs[b] for b in plspm_fit.layout.block[idx]] == list(ref["block"])
    for column, ours in [("weight", plspm_fit.outer_weights), ("loading", plspm_fit.loadings),
                         ("communality", plspm_fit.communalities), ("redundancy", plspm_fit.redundancies)]:
        np.testing.assert_allclose(ours[idx], ref[column], rtol=0, atol=PLSPM_TOL, err_msg=column)


def test_crossloadings_match_plspm(plspm_fit):
    ref = pd.read_csv(DATA / "satisfaction.crossloadings.csv")
    idx = item_index(plspm_fit, ref["name"])
    names = list(plspm_fit.layout.constructs)
    assert [names[b] for b in plspm_fit.layout.block[idx]] == list(ref["block"])
    for construct in ["IMAG", "EXPE", "QUAL", "VAL", "SAT", "LOY"]:
        np.testing.assert_allclose(plspm_fit.cross_loadings[idx, names.index(construct)], ref[construct],
                                   rtol=0, atol=PLSPM_TOL, err_msg=construct)


def test_inner_model_matches_plspm_lm(plspm_fit):
    ref = pd.read_csv(DATA / "satisfaction.inner-model.csv", index_col=0)
    rows = {p.source: p for p in plspm_fit.inner_model if p.target == "SAT"}
    assert sorted(rows) == sorted(ref.index)
    for name, r in ref.iterrows():
        p = rows[name]
        got = [p.estimate, p.std_error, p.t, p.p]
        want = [r["Estimate"], r["Std. Error"], r["t value"], r["Pr(>|t|)"]]
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=PLSPM_TOL, err_msg=name)


def test_inner_summary_matches_plspm(plspm_fit):
    ref = pd.read_csv(DATA / "satisfaction.inner-summary.csv", index_col=0)
    names = list(plspm_fit.layout.constructs)
    idx = [names.index(n) for n in ref.index]
    endogenous = plspm_fit.layout.adjacency.sum(axis=0)[idx] > 0
    assert list(np.where(endogenous, "Endogenous", "Exogenous")) == list(ref["type"])
    q = plspm_fit.quality
    for column, ours in [("r_squared", plspm_fit.r_squared), ("block_communality", q.block_communality),
                         ("mean_redundancy", q.mean_redundancy), ("ave", q.ave)]:
        np.testing.assert_allclose(ours[idx], ref[column], rtol=0, atol=PLSPM_TOL, err_msg=column)


def test_effects_match_plspm(plspm_fit):
    ref = pd.read_csv(DATA / "satisfaction.effects.csv", index_col=0)
    names = list(plspm_fit.layout.constructs)
    e = plspm_fit.effects
    for _, r in ref.iterrows():
        i, j = names.index(r["from"]), names.index(r["to"])
        np.testing.assert_allclose([e.direct[i, j], e.indirect[i, j], e.total_effects[i, j]],
                                   [r["direct"], r["indirect"], r["total"]], rtol=0, atol=PLSPM_TOL)
    listed = {(r["from"], r["to"]) for _, r in ref.iterrows()}
    assert {(row["from"], row["to"]) for row in e.rows()} <= listed


def test_scores_match_plspm(plspm_fit):
    ref = pd.read_csv(DATA / "satisfaction.scores.csv")
    names = list(plspm_fit.layout.constructs)
    np.testing.assert_allclose(plspm_fit.scores[:, [names.index(c) for c in ref.columns]], ref.to_numpy(),
                               rtol=0, atol=PLSPM_TOL)


def test_unidimensionality_matches_plspm(plspm_fit):
    ref = pd.read_csv(DATA / "satisfaction_unidim.csv", index_col=0)
    names = list(plspm_fit.layout.constructs)
    idx = [names.index(n) for n in ref.index]
    assert list(np.bincount(plspm_fit.layout.block)[idx]) == list(ref["mvs"])
    assert [plspm_fit.layout.modes[i] for i in idx] == list(ref["mode"])
    q = plspm_fit.quality
    for column, ours in [("cronbach_alpha", q.cronbach_alpha), ("dillon_goldstein_rho", q.dg_rho),
                         ("eig_1st", q.eig_1st), ("eig_2nd", q.eig_2nd)]:
        np.testing.assert_allclose(ours[idx], ref[column], rtol=0, atol=PLSPM_TOL, err_msg=column)


def test_gof_matches_plspm(plspm_fit):
    assert plspm_fit.gof == pytest.approx(PLSPM_GOF, abs=PLSPM_TOL)
    assert plspm_fit.converged and plspm_fit.iterations < 100


def test_inner_model_equals_statsmodels_ols_on_scores(plspm_fit):
    names = list(plspm_fit.layout.constructs)
    for target in ["SAT", "LOY", "VAL"]:
        rows = [p for p in plspm_fit.inner_model if p.target == target]
        x = sm.add_constant(plspm_fit.scores[:, [names.index(p.source) for p in rows]])
        ols = sm.OLS(plspm_fit.scores[:, names.index(target)], x).fit()
        np.testing.assert_allclose([p.estimate for p in rows], ols.params[1:], atol=OLS_TOL)
        np.testing.assert_allclose([p.std_error for p in rows], ols.bse[1:], rtol=OLS_TOL)
        np.testing.assert_allclose([p.p for p in rows], ols.pvalues[1:], rtol=OLS_TOL)
        assert plspm_fit.r_squared[names.index(target)] == pytest.approx(ols.rsquared, abs=OLS_TOL)
        assert plspm_fit.r_squared_adj[names.index(target)] == pytest.approx(ols.rsquared_adj, abs=OLS_TOL)


def test_full_convergence_is_within_plspm_early_stop(satisfaction, plspm_fit):
    spec = load_model(MODELS / "plspm-satisfaction.toml")
    exact = fit(spec.with_estimation(convention="exact", tolerance=1e-13, max_iterations=1000), satisfaction)
    replay = fit(spec.with_estimation(tolerance=1e-30, max_iterations=1000), satisfaction, scores=False)
    assert exact.converged and exact.iterations > plspm_fit.iterations
    ref = pd.read_csv(DATA / "satisfaction.outer-model.csv")
    idx = item_index(exact, ref["name"])
    np.testing.assert_allclose(exact.outer_weights[idx], ref["weight"], atol=PLSPM_EARLY_STOP_TOL)
    np.testing.assert_allclose(exact.loadings[idx], ref["loading"], atol=PLSPM_EARLY_STOP_TOL)
    assert exact.gof == pytest.approx(PLSPM_GOF, abs=PLSPM_EARLY_STOP_TOL)
    # plspm's own rule, run to exhaustion, reaches the same fixed point
    np.testing.assert_allclose(replay.outer_weights, exact.outer_weights, atol=CONVERGED_TOL)
    np.testing.assert_allclose(replay.path_coefficients, exact.path_coefficients, atol=CONVERGED_TOL)


@pytest.fixture(scope="module")
def mobi_fit():
    spec = load_model(MODELS / "seminr-mobi-basic.toml").with_estimation(tolerance=1e-13, max_iterations=1000)
    return fit(spec, pd.read_csv(DATA / "mobi.csv", index_col=0))


def test_mobi_outer_model_matches_seminr(mobi_fit):
    ref = pd.read_csv(DATA / "seminr-mobi-basic-outer-model.csv", index_col=0)
    idx = item_index(mobi_fit, ref.index)
    np.testing.assert_allclose(mobi_fit.outer_weights[idx], ref["weight"], rtol=0, atol=SEMINR_TOL)
    np.testing.assert_allclose(mobi_fit.loadings[idx], ref["loading"], rtol=0, atol=SEMINR_TOL)


def test_mobi_paths_match_seminr(mobi_fit):
    ref = pd.read_csv(DATA / "seminr-mobi-basic-paths.csv", index_col=0)
    names = list(mobi_fit.layout.constructs)
    ours = pd.DataFrame(mobi_fit.path_coefficients, index=names, columns=names).loc[ref.index, ref.columns]
    np.testing.assert_allclose(ours.to_numpy(), ref.to_numpy(), rtol=0, atol=SEMINR_TOL)


def test_mobi_converged_solution_is_stable(mobi_fit):
    spec = load_model(MODELS / "seminr-mobi-basic.toml")
    data = pd.read_csv(DATA / "mobi.csv", index_col=0)
    for scheme_tol in (1e-12, 1e-14):
        again = fit(spec.with_estimation(tolerance=scheme_tol, max_iterations=2000), data, scores=False)
        np.testing.assert_allclose(again.outer_weights, mobi_fit.outer_weights, atol=CONVERGED_TOL)
        np.testing.assert_allclose(again.path_coefficients, mobi_fit.path_coefficients, atol=CONVERGED_TOL)


@pytest.mark.parametrize("scheme", ["centroid", "factorial", "path"])
@pytest.mark.parametrize("scaled", [True, False])
def test_every_scheme_converges_and_scores_are_standardized(satisfaction, scheme, scaled):
    spec = load_model(MODELS / "plspm-satisfaction.toml").with_estimation(
        scheme=scheme, scaled=scaled, convention="exact", tolerance=1e-12, max_iterations=500)
    result = fit(spec, satisfaction)
    assert result.converged
    np.testing.assert_allclose(result.scores.std(axis=0), 1.0, atol=STANDARDIZED_TOL)
    np.testing.assert_allclose(np.corrcoef(result.scores, rowvar=False), result.construct_correlations, atol=STANDARDIZED_TOL)
    assert np.all(result.loadings > 0)
