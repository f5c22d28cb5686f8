import numpy as np
import pandas as pd

from survey.releases.synthetic import CORE, default_truth, population_index, roster, simulate
from survey.scoring import compute_index, fit, load_model

INDUSTRIES = ["automobile", "computer", "mobile_phone"]
ITEMS = {"automobile": ["auto1", "auto2"], "computer": ["comp1", "comp2"], "mobile_phone": ["phon1", "phon2"]}
SPEC = load_model("models/after-sales-csi.toml")


def wave(seed):
    return simulate(roster(INDUSTRIES, 10, seed=1), 50, industry_items=ITEMS, truth=default_truth(INDUSTRIES),
                    seed=seed)


def test_reproducible_per_seed():
    pd.testing.assert_frame_equal(wave(5), wave(5))
    assert not wave(5)["sat1"].equals(wave(6)["sat1"])


def test_shape_and_values():
    f = wave(5)
    assert len(f) == 30 * 50 and f["enterprise"].nunique() == 30
    items = [i for block in CORE.values() for i in block]
    values = f[items + ["cmp2"]].to_numpy()
    seen = values[~np.isnan(values)]
    assert set(np.unique(seen)) <= set(range(1, 11))
    assert 0.005 < np.isnan(f[items].to_numpy()).mean() < 0.05
    assert f[["sat1", "sat2", "sat3"]].notna().all().all()
    complained = f["cmp1"] == "yes"
    assert 0.08 < complained.mean() < 0.25
    assert f.loc[~complained, "cmp2"].isna().all() and f.loc[complained, "cmp2"].notna().all()
    assert f.loc[f.industry != "automobile", "auto1"].isna().all()
    assert not f["is_test"].any() and all(flags == () for flags in f["flags"])


def test_industries_above_and_below_the_target():
    truth = default_truth(INDUSTRIES)
    values = {c: population_index(SPEC, c, industry_items=ITEMS, truth=truth, enterprises=400, respondents=100)
              for c in INDUSTRIES}
    assert min(values.values()) < 85 < max(values.values())
    assert values["automobile"] < values["computer"] < values["mobile_phone"]


def test_population_value_is_what_large_samples_estimate():
    truth = default_truth(["automobile"])
    pop = population_index(SPEC, "automobile", industry_items=ITEMS, truth=truth, enterprises=2000, respondents=100)
    big = simulate(roster(["automobile"], 2000, seed=3), 100, industry_items=ITEMS, truth=truth, seed=11)
    estimate = compute_index(fit(SPEC.with_items("QUAL", ITEMS["automobile"]), big, scores=False)).index
    assert abs(estimate - pop) < 0.3


def test_enterprises_do_not_depend_on_the_number_of_respondents():
    firms = roster(["automobile"], 40, seed=2)
    truth = default_truth(["automobile"])

    def means(respondents, seed):
        f = simulate(firms, respondents, industry_items=ITEMS, truth=truth, seed=seed)
        return f.groupby("enterprise")[["sat1", "sat2", "sat3", "qua1"]].mean().to_numpy()

    same = np.abs(means(2000, 4) - means(3000, 4)).mean()
    other = np.abs(means(2000, 4) - means(3000, 5)).mean()
    assert same < 0.1 < other
