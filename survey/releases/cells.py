"""Index cells below the industry (enterprise, city, industry x city): estimates, bootstrap draws, comparisons.

A cell's index is the industry model's index weights applied to the cell's weighted SAT item means.  Its
uncertainty has two parts, and each bootstrap draw carries both:

* the model's: the draw uses the index weights of the same cluster-bootstrap resample of the industry;
* the cell's sampling error: the cell's item means are redrawn from the normal law of their resampled means,
  ``N(m, V)``, with ``V`` the linearised (sandwich) covariance of the weighted means.  Resampling enterprises
  cannot give this part: an enterprise's own cell is either in a resample whole or not at all, so its mean
  never moves.  For an enterprise, ``V`` is that of a respondent bootstrap (respondents are the units).
  For a city or industry x city cell, ``V`` is the larger (in the index's variance) of two estimates: with the
  cell's enterprises as clusters (right when they are a sample of the cell's enterprises, but unstable when
  they are few) and with respondents as units stratified by enterprise (the within-enterprise sampling error,
  a floor that is always there).  The normal law is the large-sample law of a bootstrap mean; cells are
  published only from ``min_n`` respondents, where it holds well for means of 1-10 answers.

Intervals of cells are percentile intervals of these draws, widened around the estimate by t(df) / z where df are
the degrees of freedom of ``V`` (respondents minus enterprises, or enterprises minus one), as the industry's
interval is for its G - 1.  With 40 enterprises x 60 respondents, 94% of simulated enterprise intervals covered
the enterprise's own index (bench/coverage.py).
"""

from __future__ import annotations

import numpy as np
from msgspec.structs import replace
from scipy import stats

from survey.releases.tables import IndexCell, Versus, round_published

LEVELS = ("programme", "industry", "enterprise", "city", "industry_city")
Z95 = 1.959963984540054


def cell_means(x: np.ndarray, w: np.ndarray, cells: np.ndarray, count: int):
    """Weighted available-case means (count x q), their weight sums, and each row's linearised residual."""
    seen = ~np.isnan(x)
    xs = np.where(seen, x, 0.0)
    ws = seen * w[:, None]
    den = np.stack([np.bincount(cells, ws[:, j], count) for j in range(x.shape[1])], axis=1)
    num = np.stack([np.bincount(cells, ws[:, j] * xs[:, j], count) for j in range(x.shape[1])], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = num / den
        resid = np.where(seen, ws * (xs - mean[cells]) / den[cells], 0.0)
    return mean, den, resid


def scatter(values: np.ndarray, groups: np.ndarray, count: int) -> np.ndarray:
    """Sum of outer products of ``values`` (rows x q) per group (count x q x q)."""
    q = values.shape[1]
    out = np.zeros((count, q, q))
    np.add.at(out, groups, values[:, :, None] * values[:, None, :])
    return out


def mean_covariance(resid: np.ndarray, cells: np.ndarray, strata: np.ndarray, count: int, pooled: bool):
    """Covariance (count x q x q) of each cell's means from the rows' linearised residuals: ``within`` with
    respondents as units stratified by ``strata`` (enterprises), and ``between`` with the strata as clusters
    (NaN for a cell with one cluster; the same as ``within`` unless ``pooled``)."""
    span = int(strata.max(initial=0)) + 1
    codes, pair = np.unique(cells.astype(np.int64) * span + strata, return_inverse=True)
    pair_keys = np.stack([codes // span, codes % span], axis=1)
    pair = pair.ravel()
    pairs = len(pair_keys)
    size = np.bincount(pair, minlength=pairs).astype(float)
    sums = np.stack([np.bincount(pair, resid[:, j], pairs) for j in range(resid.shape[1])], axis=1)
    dev = resid - (sums / size[:, None])[pair]
    factor = np.where(size > 1, size / np.maximum(size - 1, 1), 0.0)
    within = scatter(dev * np.sqrt(factor[pair])[:, None], cells, count)
    if not pooled:
        return within, within
    owner = pair_keys[:, 0]
    clusters = np.bincount(owner, minlength=count).astype(float)
    centre = np.stack([np.bincount(owner, sums[:, j], count) for j in range(sums.shape[1])], axis=1) / np.maximum(
        clusters, 1)[:, None]
    g = np.where(clusters > 1, clusters / np.maximum(clusters - 1, 1), np.nan)
    between = scatter(sums - centre[owner], owner, count) * g[:, None, None]
    return within, between


def cell_draws(x, w, cells, strata, count, weights, weight_draws, scale, rng, pooled):
    """Estimates (count,), draws (B x count) and the degrees of freedom (count,) of the variance behind each
    cell's draws: respondents minus enterprises when respondents are the units, enterprises minus one when the
    enterprises are (see the module docstring)."""
    mean, den, resid = cell_means(x, w, cells, count)
    within, between = mean_covariance(resid, cells, strata, count, pooled)
    span = int(strata.max(initial=0)) + 1
    clusters = np.bincount(np.unique(cells.astype(np.int64) * span + strata) // span, minlength=count)
    df = np.bincount(cells, minlength=count) - clusters
    grad = weights * 100.0 / (scale[1] - scale[0])
    cov = within
    if pooled:
        v_in = np.einsum("j,cjk,k->c", grad, within, grad)
        v_between = np.einsum("j,cjk,k->c", grad, between, grad)
        chosen = np.nan_to_num(v_between, nan=-1.0) > v_in
        cov = np.where(chosen[:, None, None], between, within)
        df = np.where(chosen, clusters - 1, df)
    cov = np.nan_to_num(cov)
    vals, vecs = np.linalg.eigh(cov)
    root = vecs * np.sqrt(np.clip(vals, 0.0, None))[:, None, :]
    z = rng.standard_normal((len(weight_draws), count, x.shape[1]))
    means = mean[None] + np.einsum("cjk,bck->bcj", root, z)
    estimate = score(weights[None], mean, scale)
    draws = score(weight_draws[:, None, :], means, scale)
    return estimate, draws, np.maximum(df, 1)


def score(weights: np.ndarray, means: np.ndarray, scale) -> np.ndarray:
    """Weighted mean of the 0-100 item scores over the items with a mean (renormalising the weights)."""
    seen = ~np.isnan(means)
    items = (np.nan_to_num(means) - scale[0]) / (scale[1] - scale[0]) * 100.0
    with np.errstate(invalid="ignore", divide="ignore"):
        return (np.where(seen, weights * items, 0.0).sum(-1)) / np.where(seen, weights, 0.0).sum(-1)


def widening(df: np.ndarray) -> np.ndarray:
    """t(df) / z at the 97.5% point: how much wider an interval is when its variance has ``df`` degrees of
    freedom."""
    return stats.t.ppf(0.975, df) / Z95


def summarise_many(estimate: np.ndarray, draws: np.ndarray, widen: np.ndarray):
    """:func:`summarise` of every column of ``draws`` (B x cells) at once (failed resamples are whole NaN rows)."""
    d = draws[np.isfinite(draws).any(axis=1)]
    if len(d) < 2:
        nothing = np.full(len(estimate), np.nan)
        return nothing, nothing, nothing
    low, high = np.quantile(d, [0.025, 0.975], axis=0)
    return d.std(axis=0, ddof=1), estimate + widen * (low - estimate), estimate + widen * (high - estimate)


def summarise(estimate: float, draws: np.ndarray, widen: float = 1.0):
    """Standard error and 95% percentile interval of draws (NaN draws ignored; None without two draws), the
    interval's distance from the estimate multiplied by ``widen`` (see :func:`widening`)."""
    d = draws[np.isfinite(draws)]
    if len(d) < 2:
        return None, None, None
    low, high = np.quantile(d, [0.025, 0.975])
    if widen != 1.0:
        low, high = estimate + widen * (low - estimate), estimate + widen * (high - estimate)
    return float(d.std(ddof=1)), float(low), float(high)


def versus(low: float | None, high: float | None, target: float) -> Versus | None:
    """Above or below the target when the interval says so."""
    if low is None or high is None:
        return None
    return "above" if low > target else "below" if high < target else "not_significant"


def key(cell: IndexCell) -> tuple:
    return (LEVELS.index(cell.level), cell.industry or "", cell.enterprise or -1, cell.city or "")


def compare(cell: IndexCell, previous: dict[tuple, IndexCell]) -> IndexCell:
    """The change against the same cell of the previous release, with its interval from the two standard errors."""
    old = previous.get(key(cell))
    if old is None or cell.index is None or old.index is None or cell.se is None or old.se is None:
        return cell
    change = cell.index - old.index
    half = Z95 * float(np.hypot(cell.se, old.se))
    low, high = change - half, change + half
    return replace(cell, change=round_published(change), change_low=round_published(low),
                            change_high=round_published(high), change_significant=bool(low > 0 or high < 0))


def rank_groups(cells: list[IndexCell]) -> dict[int, int]:
    """Rank groups of one industry's published enterprises: in order of index, an enterprise joins the group of
    the current leader when its interval reaches the leader's (ci_high >= leader's ci_low); otherwise it opens
    the next group and leads it.  Enterprises the intervals cannot separate from a leader never rank apart."""
    ranked = sorted((c for c in cells if c.index is not None and c.ci_low is not None),
                    key=lambda c: (-c.index, c.enterprise))
    out: dict[int, int] = {}
    group, leader = 0, None
    for cell in ranked:
        if leader is None or cell.ci_high < leader.ci_low:
            group, leader = group + 1, cell
        out[cell.enterprise] = group
    return out
