import numpy as np
import pytest

from survey.releases.cells import (cell_draws, cell_means, compare, mean_covariance, rank_groups, summarise, versus,
                                    widening)
from survey.releases.tables import IndexCell


def test_within_covariance_of_one_enterprise_is_var_over_n():
    rng = np.random.default_rng(1)
    x = rng.integers(1, 11, size=(50, 3)).astype(float)
    codes = np.zeros(50, dtype=int)
    mean, den, resid = cell_means(x, np.ones(50), codes, 1)
    np.testing.assert_allclose(mean[0], x.mean(axis=0))
    within, _ = mean_covariance(resid, codes, codes, 1, pooled=False)
    np.testing.assert_allclose(within[0], np.cov(x.T, ddof=1) / 50)


def test_between_covariance_is_the_cluster_formula():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(60, 2))
    cells = np.zeros(60, dtype=int)
    strata = np.repeat(np.arange(6), 10)
    mean, _, resid = cell_means(x, np.ones(60), cells, 1)
    _, between = mean_covariance(resid, cells, strata, 1, pooled=True)
    cluster_means = x.reshape(6, 10, 2).mean(axis=1)
    np.testing.assert_allclose(between[0], np.cov(cluster_means.T, ddof=1) / 6)


def test_missing_answers_drop_out_of_means():
    x = np.array([[1.0, np.nan], [3.0, 4.0], [5.0, 6.0]])
    mean, den, _ = cell_means(x, np.array([1.0, 1.0, 2.0]), np.zeros(3, dtype=int), 1)
    np.testing.assert_allclose(mean[0], [(1 + 3 + 10) / 4, (4 + 12) / 3])
    np.testing.assert_allclose(den[0], [4, 3])


def test_draws_spread_like_the_linearised_variance():
    rng = np.random.default_rng(3)
    x = rng.integers(5, 11, size=(400, 3)).astype(float)
    cells = np.repeat([0, 1], 200)
    w = np.array([0.2, 0.3, 0.5])
    est, draws, _ = cell_draws(x, np.ones(400), cells, cells, 2, w, np.tile(w, (4000, 1)), (1.0, 10.0),
                               np.random.default_rng(0), pooled=False)
    grad = w * 100 / 9
    for c in (0, 1):
        part = x[cells == c]
        assert est[c] == pytest.approx(float(grad @ (part.mean(axis=0) - 1)))
        sd = np.sqrt(grad @ np.cov(part.T, ddof=1) @ grad / 200)
        assert draws[:, c].std() == pytest.approx(sd, rel=0.05)


def cell(enterprise, index, low, high, se=1.0):
    return IndexCell(level="enterprise", industry="a", enterprise=enterprise, n=50, index=index, se=se, ci_low=low,
                     ci_high=high, status="published")


def test_rank_groups_by_overlap_with_the_leader():
    cells = [cell(1, 90, 88, 92), cell(2, 89, 87, 91), cell(3, 87, 85, 88.5), cell(4, 86, 84, 87.9),
             cell(5, 85, 83, 87.5), cell(6, 80, 78, 82), IndexCell(level="enterprise", industry="a", enterprise=7,
                                                                   n=5, index=None, se=None, ci_low=None,
                                                                   ci_high=None, status="suppressed")]
    assert rank_groups(cells) == {1: 1, 2: 1, 3: 1, 4: 2, 5: 2, 6: 3}


def test_versus_and_compare():
    assert versus(85.5, 87.0, 85.0) == "above" and versus(80.0, 84.9, 85.0) == "below"
    assert versus(84.0, 86.0, 85.0) == "not_significant" and versus(None, None, 85.0) is None
    old = {(2, "a", 1, ""): cell(1, 80.0, 78.0, 82.0, se=1.0)}
    new = compare(cell(1, 84.0, 82.0, 86.0, se=1.0), old)
    assert new.change == 4.0 and new.change_significant
    assert new.change_low == pytest.approx(4.0 - 1.959963984540054 * np.sqrt(2), abs=1e-6)
    assert compare(cell(1, 81.0, 79.0, 83.0, se=1.0), old).change_significant is False
    assert compare(cell(2, 81.0, 79.0, 83.0), old).change is None


def test_summarise_widens_around_the_estimate():
    draws = np.random.default_rng(4).normal(80.0, 2.0, 5000)
    se, low, high = summarise(80.0, draws)
    assert se == pytest.approx(2.0, rel=0.05) and low == pytest.approx(80 - 1.96 * 2, abs=0.2)
    _, wide_low, wide_high = summarise(80.0, draws, widening(np.array([9.0]))[0])
    factor = 2.262157162740992 / 1.959963984540054  # t(9) / z at 97.5%
    assert 80.0 - wide_low == pytest.approx(factor * (80.0 - low)) and wide_high - 80.0 == pytest.approx(
        factor * (high - 80.0))
    assert summarise(80.0, np.array([np.nan, 1.0])) == (None, None, None)
