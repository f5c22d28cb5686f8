"""Reliability and validity measures, each against a direct computation on the data or published loadings."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.outliers_influence import variance_inflation_factor

from survey.scoring.pls import fit
from survey.scoring.spec import load_model

DATA = Path(__file__).parent / "data"
MODELS = Path(__file__).parents[2] / "models"
#: closed-form measures computed two ways: rounding only
QUALITY_TOL = 1e-10
#: measures from R plspm's published loadings (which match ours to 1e-8)
PLSPM_TOL = 1e-8


@pytest.fixture(scope="module")
def setup():
    data = pd.read_csv(DATA / "satisfaction.csv", index_col=0)
    spec = load_model(MODELS / "plspm-satisfaction.toml")
    return spec, data, fit(spec, data)


def test_rho_c_from_published_loadings(setup):
    spec, _, result = setup
    outer = pd.read_csv(DATA / "satisfaction.outer-model.csv")
    for j, name in enumerate(result.layout.constructs):
        lam = outer.loc[outer["block"] == name, "loading"]
        expected = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())
        assert result.quality.rho_c[j] == pytest.approx(expected, abs=PLSPM_TOL)


def test_htmt_from_item_correlations(setup):
    spec, data, result = setup
    r = data[list(spec.items)].corr()
    names = list(result.layout.constructs)
    for a, b in [("IMAG", "EXPE"), ("QUAL", "VAL"), ("SAT", "LOY")]:
        ia, ib = spec.construct(a).items, spec.construct(b).items
        hetero = r.loc[ia, ib].to_numpy().mean()
        mono_a = r.loc[ia, ia].to_numpy()[np.triu_indices(len(ia), 1)].mean()
        mono_b = r.loc[ib, ib].to_numpy()[np.triu_indices(len(ib), 1)].mean()
        expected = hetero / np.sqrt(mono_a * mono_b)
        assert result.quality.htmt[names.index(a), names.index(b)] == pytest.approx(expected, abs=QUALITY_TOL)


def test_rho_a_by_its_definition(setup):
    """Dijkstra-Henseler: rho_A = (w'w)^2 w'(S - diag S)w / w'(ww' - diag ww')w, w'Sw = 1."""
    spec, data, result = setup
    for j, name in enumerate(result.layout.constructs):
        items = spec.construct(name).items
        x = data[items].to_numpy(dtype=float)
        s = np.corrcoef(x, rowvar=False)
        z = (x - x.mean(axis=0)) / x.std(axis=0)
        w, *_ = np.linalg.lstsq(z, result.scores[:, j], rcond=None)  # weights of the standardized items
        w = w / np.sqrt(w @ s @ w)
        ww = np.outer(w, w)
        expected = (w @ w) ** 2 * (w @ (s - np.diag(np.diag(s))) @ w) / (w @ (ww - np.diag(np.diag(ww))) @ w)
        assert result.quality.rho_a[j] == pytest.approx(expected, abs=QUALITY_TOL)


def test_inner_vif_equals_statsmodels(setup):
    _, _, result = setup
    names = list(result.layout.constructs)
    sat = names.index("SAT")
    preds = [names.index(n) for n in ["IMAG", "EXPE", "QUAL", "VAL"]]
    exog = np.column_stack([np.ones(len(result.scores)), result.scores[:, preds]])
    for k, i in enumerate(preds):
        expected = variance_inflation_factor(exog, k + 1)
        assert result.quality.inner_vif[i, sat] == pytest.approx(expected, abs=QUALITY_TOL)
    assert np.isnan(result.quality.inner_vif[names.index("LOY"), sat])


def test_mode_b_block_has_no_alpha(setup):
    data = pd.read_csv(DATA / "mobi.csv", index_col=0)
    result = fit(load_model(MODELS / "seminr-mobi-basic.toml"), data)
    names = list(result.layout.constructs)
    assert result.quality.cronbach_alpha[names.index("Quality")] == 0
    assert result.quality.rho_a[names.index("Complaints")] == 1
    assert np.isnan(result.quality.htmt[names.index("Complaints"), names.index("Image")])
