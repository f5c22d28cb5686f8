"""Importance-performance: importance equals the OLS effect on hand-built 0-100 construct scores."""

from pathlib import Path

import pandas as pd
import pytest
import statsmodels.api as sm

from survey.scoring.index import compute_index
from survey.scoring.ipma import ipma
from survey.scoring.pls import fit
from survey.scoring.spec import load_model

DATA = Path(__file__).parent / "data"
MODELS = Path(__file__).parents[2] / "models"
#: OLS on rescaled scores vs total effects rescaled by weight sums: rounding only
IPMA_TOL = 1e-9


@pytest.fixture(scope="module")
def result():
    data = pd.read_csv(DATA / "satisfaction.csv", index_col=0)
    return fit(load_model(MODELS / "plspm-satisfaction.toml"), data), data


def rescaled_scores(result, data):
    """0-100 construct scores of every respondent, from the published-style formula."""
    fitted, _ = result
    idx = compute_index(fitted)
    out = {}
    for j, name in enumerate(fitted.layout.constructs):
        rows = fitted.layout.block == j
        items = [i for i, r in zip(fitted.layout.items, rows) if r]
        out[name] = ((data[items] - 1) / 9 * 100) @ idx.weights[rows]
    return pd.DataFrame(out)


def test_value_importance_is_unstandardized_effect_on_0_100_scores(result):
    fitted, data = result
    s = rescaled_scores(result, data)
    ols = sm.OLS(s["SAT"], sm.add_constant(s[["IMAG", "EXPE", "QUAL", "VAL"]])).fit()
    drivers = {d.name: d for d in ipma(fitted).constructs}
    # VAL reaches SAT only directly, so its total effect is its OLS coefficient
    assert drivers["VAL"].importance == pytest.approx(ols.params["VAL"], abs=IPMA_TOL)
    assert drivers["VAL"].performance == pytest.approx(s["VAL"].mean(), abs=IPMA_TOL)


def test_required_rise_reaches_the_target(result):
    fitted, _ = result
    res = ipma(fitted, target=70)
    assert res.index < 70
    for d in (*res.constructs, *res.items):
        if d.reachable:
            assert res.index + d.importance * d.required_rise == pytest.approx(70, abs=IPMA_TOL)
            assert d.performance + d.required_rise <= 100
        else:
            assert d.required_rise is None
            assert d.importance <= 0 or d.performance + (70 - res.index) / d.importance > 100
    assert any(d.reachable for d in res.constructs) and any(not d.reachable for d in res.items)


def test_item_importances_sum_to_construct_importance(result):
    fitted, _ = result
    res = ipma(fitted)
    for d in res.constructs:
        total = sum(i.importance for i in res.items if i.construct == d.name)
        assert total == pytest.approx(d.importance, abs=IPMA_TOL)
    assert {d.name for d in res.constructs} == {"IMAG", "EXPE", "QUAL", "VAL"}
