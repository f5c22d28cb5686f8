"""The 0-100 index: the ACSI formula by hand from published weights, groups, and non-positive weights."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.scoring.index import NonPositiveWeightsError, compute_index, group_index
from survey.scoring.pls import fit
from survey.scoring.spec import load_model

DATA = Path(__file__).parent / "data"
MODELS = Path(__file__).parents[2] / "models"
#: the index is a weighted mean of item means; rounding only
INDEX_TOL = 1e-8


@pytest.fixture(scope="module")
def satisfaction():
    return pd.read_csv(DATA / "satisfaction.csv", index_col=0)


@pytest.fixture(scope="module")
def result(satisfaction):
    return fit(load_model(MODELS / "plspm-satisfaction.toml"), satisfaction)


def hand_index(outer: pd.DataFrame, means: pd.Series) -> pd.Series:
    """ACSI formula with R plspm's published weights (scaled = FALSE: already for the raw items)."""
    out = {}
    for block, rows in outer.groupby("block", sort=False):
        w = rows.set_index("name")["weight"]
        w = w / w.sum()
        out[block] = float((w * (means[w.index] - 1) / 9 * 100).sum())
    return pd.Series(out)


def test_index_equals_hand_computation(result, satisfaction):
    outer = pd.read_csv(DATA / "satisfaction.outer-model.csv")
    expected = hand_index(outer, satisfaction.mean(numeric_only=True))
    ours = compute_index(result)
    names = list(ours.constructs)
    for block, value in expected.items():
        assert ours.construct_scores[names.index(block)] == pytest.approx(value, abs=INDEX_TOL)
    assert ours.index == pytest.approx(expected["SAT"], abs=INDEX_TOL)


def test_group_index_uses_group_means_with_fitted_weights(result, satisfaction):
    outer = pd.read_csv(DATA / "satisfaction.outer-model.csv")
    groups = group_index(result, satisfaction, "gender")
    assert groups.groups == ("female", "male")
    for g, row in zip(groups.groups, groups.construct_scores):
        sub = satisfaction[satisfaction["gender"] == g]
        expected = hand_index(outer, sub.mean(numeric_only=True))
        assert row[list(result.layout.constructs).index("SAT")] == pytest.approx(expected["SAT"], abs=INDEX_TOL)
    assert list(groups.n) == [int((satisfaction["gender"] == g).sum()) for g in groups.groups]


def test_group_index_with_weights_is_weighted_mean(result, satisfaction):
    weights = np.where(satisfaction["gender"] == "male", 2.0, 1.0) * (1 + np.arange(len(satisfaction)) % 3)
    groups = group_index(result, satisfaction, "gender", weights=weights)
    outer = pd.read_csv(DATA / "satisfaction.outer-model.csv")
    male = satisfaction["gender"].to_numpy() == "male"
    items = [c for c in satisfaction.columns if c != "gender"]
    means = pd.Series(np.average(satisfaction.loc[male, items], axis=0, weights=weights[male]), index=items)
    assert groups.index[1] == pytest.approx(hand_index(outer, means)["SAT"], abs=INDEX_TOL)


def test_non_positive_weight_is_a_clear_error(satisfaction):
    spec = load_model(MODELS / "plspm-satisfaction.toml").with_estimation(convention="exact")
    flipped = satisfaction.copy()
    flipped["imag4"] = 11 - flipped["imag4"]  # a reversed item gets a negative weight
    with pytest.raises(NonPositiveWeightsError, match="imag4"):
        compute_index(fit(spec, flipped))


def test_after_sales_model_with_industry_items():
    """The platform's model, with an industry's quality items added at run time, on seeded answers."""
    spec = load_model(MODELS / "after-sales-csi.toml").with_items("QUAL", ["qua_car1", "qua_car2"])
    rng = np.random.default_rng(12)
    n = 400
    eta = {"IMAG": rng.standard_normal(n)}
    eta["EXPE"] = 0.5 * eta["IMAG"] + 0.85 * rng.standard_normal(n)
    eta["QUAL"] = 0.7 * eta["EXPE"] + 0.7 * rng.standard_normal(n)
    eta["VAL"] = 0.6 * eta["QUAL"] + 0.8 * rng.standard_normal(n)
    eta["SAT"] = 0.3 * eta["IMAG"] + 0.4 * eta["QUAL"] + 0.3 * eta["VAL"] + 0.6 * rng.standard_normal(n)
    eta["LOY"] = 0.6 * eta["SAT"] + 0.8 * rng.standard_normal(n)
    columns = {item: np.clip(np.rint(7 + 1.5 * (0.8 * eta[c.name] + 0.6 * rng.standard_normal(n))), 1, 10)
               for c in spec.constructs for item in c.items}
    data = pd.DataFrame(columns)
    result = fit(spec, data)
    assert result.converged and "qua_car2" in result.layout.items
    idx = compute_index(result)
    sat = spec.construct("SAT").items
    w = idx.weights[[result.layout.items.index(i) for i in sat]]
    expected = float(w @ ((data[sat].mean() - 1) / 9 * 100))
    assert idx.index == pytest.approx(expected, abs=INDEX_TOL) and 0 < idx.index < 100
