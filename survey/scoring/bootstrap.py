"""Bootstrap (respondent or cluster) on sufficient statistics: a resample is a vector of counts.

Every unit (a row, or a cluster such as an enterprise) carries its weighted sums ``w * f(x)`` where
``f`` lists the entries of ``x``, ``x x'`` (and the observed mask when cells are missing).  A resample's
sums are ``counts @ unit_sums``: one matrix product per batch of resamples, no refit from rows.  All
resamples of a batch are then fitted on their moments at once (:mod:`survey.scoring.batch`), with the
signs of the constructs aligned to the full sample.  Resamples that do not converge count as failed (NaN).
Percentile and BCa intervals; BCa's acceleration comes from a delete-a-group jackknife over clusters,
or over ``JACKKNIFE_GROUPS`` random groups of units when there are more (for respondents always):
deleting groups of N/m units gives the same acceleration to first order as deleting single units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse, special

from survey.scoring.batch import BatchMoments, block_scores_batch, fit_batch, index_weights_batch
from survey.scoring.index import NonPositiveWeightsError, block_scores, compute_index, factorize, index_weights, rescale
from survey.scoring.moments import DataError
from survey.scoring.pls import PLSResult, frame_values

JACKKNIFE_GROUPS = 100
BATCH = 100
ROW_CHUNK = 8192
BLOCK_CELLS = 2**21  # answers gathered at once when summing features per cluster (16 MB of float64)


@dataclass(frozen=True)
class Estimates:
    """Bootstrap distribution of a family of statistics (one column per label)."""

    labels: tuple[str, ...]
    estimate: np.ndarray
    draws: np.ndarray
    std_error: np.ndarray
    percentile: np.ndarray  # labels x (low, high)
    bca: np.ndarray


@dataclass(frozen=True)
class BootstrapResult:
    """Bootstrap of a fit: ``result["paths"]`` etc. give the :class:`Estimates` of each family.

    Draws are reproducible for a seed; with float64 sums (weighted or non-integer data) their last bits
    may depend on the BLAS build, with integer answers and no weights the sums are exact.
    """

    resamples: int
    seed: int
    cluster: str | None
    level: float
    failed: int  # resamples that could not be fitted (their draws are NaN)
    estimates: dict[str, Estimates]

    def __getitem__(self, name: str) -> Estimates:
        return self.estimates[name]


def resample_counts(seed: int, units: int, resamples: int) -> np.ndarray:
    """The counts (resamples x units) that :func:`bootstrap` draws for ``seed``."""
    return np.concatenate(list(iter_counts(np.random.default_rng(seed), units, resamples)))


def iter_counts(rng: np.random.Generator, units: int, resamples: int):
    """Multinomial(units, 1/units) counts in batches, drawn as ``units`` uniform picks per resample."""
    dtype = np.uint8 if units < 2**16 else np.uint16
    for start in range(0, resamples, BATCH):
        b = min(BATCH, resamples - start)
        picks = rng.integers(0, units, size=(b, units), dtype=np.int32 if units < 2**31 else np.int64)
        flat = picks.astype(np.int64) if b * units >= 2**31 else picks
        flat += (np.arange(b, dtype=flat.dtype) * units)[:, None]
        yield np.bincount(flat.ravel(), minlength=b * units).reshape(b, units).astype(dtype)


#: float32 represents every integer below 2**24 exactly
EXACT_FLOAT32 = 2**24


class Units:
    """Per-unit weighted feature sums of a data set (units = rows, or clusters).

    With integer answers and no case weights, the features are small integers (the shift is rounded),
    so the resampling product runs in float32 whenever every partial sum stays below 2**24: exact, and
    twice as fast as float64.
    """

    def __init__(self, x, weights, shift, clusters=None, groups=None, n_groups=0):
        self.p = x.shape[1]
        floating = np.issubdtype(x.dtype, np.floating)
        self.missing = bool(floating and np.isnan(x).any())
        integral = not floating or bool(np.all((x == np.rint(x)) | np.isnan(x)))
        self.exact = weights is None and integral
        self.shift = np.rint(shift) if self.exact else np.asarray(shift, dtype=float)
        self.iu = np.triu_indices(self.p)
        self.n_groups = n_groups
        w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=float)
        self.chunks = []
        if clusters is not None and groups is None:
            f = self.cluster_features(x, w, np.asarray(clusters))
            self.chunks = [(slice(0, len(f)), f, None)]
            self.units = len(f)
            self.largest = [float(np.abs(f).max()) if f.size else 0.0]
            return
        for start in range(0, len(x), ROW_CHUNK):
            sl = slice(start, min(start + ROW_CHUNK, len(x)))
            f, g = self.features(x[sl], w[sl], None if groups is None else groups[sl])
            self.chunks.append((sl, f, g))
        if clusters is not None:
            agg = sparse.csr_matrix((np.ones(len(x)), (clusters, np.arange(len(x)))))
            f = sum(agg[:, sl] @ f.astype(float) for sl, f, _ in self.chunks)
            g = None if groups is None else sparse.csr_matrix(sum(agg[:, sl] @ g for sl, _, g in self.chunks))
            self.chunks = [(slice(0, agg.shape[0]), np.asarray(f), g)]
        self.units = len(x) if clusters is None else agg.shape[0]
        self.largest = [float(np.abs(f).max()) if f.size else 0.0 for _, f, _ in self.chunks]

    def features(self, x, w, groups):
        xs = x.astype(float) - self.shift
        seen = ~np.isnan(xs)
        xs = np.where(seen, xs, 0.0)
        i, j = self.iu
        cross = xs[:, i] * xs[:, j]
        if self.missing:
            m = seen.astype(float)
            f = np.hstack([m[:, i] * m[:, j], (xs[:, :, None] * m[:, None, :]).reshape(len(x), -1), cross])
        else:
            f = np.hstack([np.ones((len(x), 1)), xs, cross])
        g = None
        if groups is not None:
            vals = np.hstack([xs * w[:, None], seen * w[:, None]])
            cols = groups[:, None] * 2 * self.p + np.arange(2 * self.p)[None, :]
            rows = np.repeat(np.arange(len(x)), 2 * self.p)
            g = sparse.csr_matrix((vals.ravel(), (rows, cols.ravel())), shape=(len(x), self.n_groups * 2 * self.p))
        return (f.astype(np.float32) if self.exact else f * w[:, None]), g

    def cluster_features(self, x, w, clusters):
        """The features of :meth:`features` summed per cluster, without a row of features per respondent: the
        clusters' rows are gathered into zero-padded blocks (clusters of similar size together) and each block's
        weighted cross products come from one batched matrix product."""
        p = self.p
        order = np.argsort(clusters, kind="stable")
        sizes = np.bincount(clusters)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        xs = x[order].astype(float) - self.shift
        seen = ~np.isnan(xs)
        xs = np.where(seen, xs, 0.0)
        ww = w[order]
        wsum, cross = np.zeros(len(sizes)), np.zeros((len(sizes), p, p))
        pairs, mixed = (np.zeros((len(sizes), p, p)), np.zeros((len(sizes), p, p))) if self.missing else (None, None)
        linear = np.zeros((len(sizes), p))
        by_size = np.argsort(sizes, kind="stable")
        ascending = np.maximum(sizes[by_size], 1)
        k = 0
        while k < len(by_size):
            rest = ascending[k:]  # a block of t clusters pads to t x its largest size: keep that within budget
            take = max(1, int((rest * np.arange(1, len(rest) + 1) * p <= BLOCK_CELLS).sum()))
            longest = int(rest[take - 1])
            block = by_size[k:k + take]
            offset = np.arange(longest)
            valid = offset[None, :] < sizes[block][:, None]
            index = np.where(valid, starts[block][:, None] + offset[None, :], 0)
            wv = ww[index] * valid
            xv = xs[index] * valid[:, :, None]
            wx = xv * wv[:, :, None]
            cross[block] = wx.swapaxes(1, 2) @ xv
            linear[block] = wx.sum(axis=1)
            wsum[block] = wv.sum(axis=1)
            if self.missing:
                mv = (seen[index] & valid[:, :, None]).astype(float)
                pairs[block] = (mv * wv[:, :, None]).swapaxes(1, 2) @ mv
                mixed[block] = wx.swapaxes(1, 2) @ mv
            k += take
        i, j = self.iu
        if self.missing:
            return np.hstack([pairs[:, i, j], mixed.reshape(len(sizes), -1), cross[:, i, j]])
        return np.hstack([wsum[:, None], linear, cross[:, i, j]])

    def resample(self, counts: np.ndarray):
        """Feature sums (and group sums) of every resample in ``counts`` (resamples x units)."""
        total = 0.0
        gsum = None
        top = float(counts.max()) if counts.size else 0.0
        for (sl, f, g), largest in zip(self.chunks, self.largest):
            c = counts[:, sl]
            if self.exact and (sl.stop - sl.start) * top * largest < EXACT_FLOAT32:
                total = total + (c.astype(np.float32) @ f.astype(np.float32, copy=False)).astype(float)
            else:
                total = total + c.astype(float) @ f.astype(float, copy=False)
            if g is not None:
                part = np.asarray((g.T @ c.astype(float).T).T)
                gsum = part if gsum is None else gsum + part
        return total, gsum

    def moments(self, f: np.ndarray) -> BatchMoments:
        """Means and (available-case) covariances of every resample's feature sums ``f`` (b x F)."""
        p, q = self.p, len(self.iu[0])
        b = len(f)

        def sym(v):
            m = np.zeros((b, p, p))
            m[:, self.iu[0], self.iu[1]] = v
            return m + np.triu(m, 1).swapaxes(1, 2)

        with np.errstate(invalid="ignore", divide="ignore"):
            if self.missing:
                w, a, c = sym(f[:, :q]), f[:, q:q + p * p].reshape(b, p, p), sym(f[:, q + p * p:])
                pair = a / w
                cov = c / w - pair * pair.swapaxes(1, 2)
                cov = (cov + cov.swapaxes(1, 2)) / 2
                mean = np.einsum("bii->bi", pair)
                n = np.einsum("bii->bi", w).max(axis=1)
            else:
                n = f[:, 0]
                mean = f[:, 1:1 + p] / n[:, None]
                cov = sym(f[:, 1 + p:]) / n[:, None, None] - mean[:, :, None] * mean[:, None, :]
        return BatchMoments(n, mean + self.shift, cov)


def statistics(result: PLSResult, group_means: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The bootstrapped statistics of one fit, as flat vectors (see :func:`labels`)."""
    layout = result.layout
    names = layout.constructs
    edges = result.spec.edges
    endo = layout.adjacency.sum(axis=0) > 0
    out = {
        "paths": np.array([result.path_coefficients[names.index(a), names.index(b)] for a, b in edges]),
        "outer_weights": result.weights.sum(axis=1),
        "loadings": result.loadings,
        "r_squared": result.r_squared[endo],
        "total_effects": result.total_effects[layout.adjacency_total],
    }
    try:
        idx = compute_index(result)
        out["index"] = idx.construct_scores
        out["index_weights"] = idx.weights
        if group_means is not None:
            w = index_weights(result)
            k = names.index(result.spec.index)
            out["group_index"] = np.array([block_scores(w, rescale(m, result.spec.scale), layout.block,
                                                        len(names))[k] for m in group_means])
    except NonPositiveWeightsError:
        out["index"] = np.full(len(names), np.nan)
        out["index_weights"] = np.full(len(layout.items), np.nan)
        if group_means is not None:
            out["group_index"] = np.full(len(group_means), np.nan)
    return out


def labels(result: PLSResult, groups: list | None = None) -> dict[str, tuple[str, ...]]:
    layout = result.layout
    names = layout.constructs
    endo = layout.adjacency.sum(axis=0) > 0
    out = {
        "paths": tuple(f"{a} -> {b}" for a, b in result.spec.edges),
        "outer_weights": layout.items,
        "loadings": layout.items,
        "r_squared": tuple(n for n, e in zip(names, endo) if e),
        "total_effects": tuple(f"{names[i]} -> {names[j]}" for i, j in zip(*np.nonzero(layout.adjacency_total))),
        "index": names,
        "index_weights": layout.items,
    }
    if groups is not None:
        out["group_index"] = tuple(str(g) for g in groups)
    return out


def fit_counts(result: PLSResult, units: Units, counts: np.ndarray, n_groups: int):
    """Fit every resample in ``counts`` at once; returns a dict of (resamples x k) arrays and the failures."""
    fsum, gsum = units.resample(counts)
    moments = units.moments(fsum)
    layout, spec = result.layout, result.spec
    try:
        with np.errstate(all="ignore"):  # degenerate resamples give NaN and count as failed
            fitted = fit_batch(layout, spec.estimation, moments, result.weights)
    except np.linalg.LinAlgError:  # a singular resample: fit one by one, marking the failures
        if len(counts) == 1:
            template = statistics(result, np.zeros((n_groups, units.p)) if n_groups else None)
            return {k: np.full((1, len(v)), np.nan) for k, v in template.items()}, 1
        parts = [fit_counts(result, units, counts[i:i + 1], n_groups) for i in range(len(counts))]
        return {k: np.concatenate([p[0][k] for p in parts]) for k in parts[0][0]}, sum(p[1] for p in parts)
    names = layout.constructs
    edges = [(names.index(a), names.index(b)) for a, b in spec.edges]
    endo = layout.adjacency.sum(axis=0) > 0
    t = names.index(spec.index)
    with np.errstate(all="ignore"):
        sd = np.sqrt(np.einsum("bii->bi", moments.cov))
        w = index_weights_batch(layout, spec.estimation.scaled, fitted, sd)
        index = block_scores_batch(w, rescale(moments.mean, spec.scale), layout.block, len(names))
    out = {
        "paths": np.stack([fitted.path_coefficients[:, i, j] for i, j in edges], axis=1),
        "outer_weights": fitted.weights.sum(axis=2),
        "loadings": fitted.loadings,
        "r_squared": fitted.r_squared[:, endo],
        "total_effects": fitted.total_effects[:, layout.adjacency_total],
        "index": index,
        "index_weights": w,
    }
    if n_groups:
        g = gsum.reshape(len(counts), n_groups, 2, units.p)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = g[:, :, 0] / g[:, :, 1] + units.shift
        out["group_index"] = block_scores_batch(w[:, None, :], rescale(means, spec.scale), layout.block,
                                                len(names))[..., t]
    bad = ~fitted.converged | ~np.all(np.isfinite(out["paths"]), axis=1) | ~np.all(np.isfinite(out["loadings"]), axis=1)
    for v in out.values():
        v[bad] = np.nan
    return out, int(bad.sum())


def intervals(estimate, draws, jack, level):
    """Standard errors, percentile and BCa intervals per column (NaN draws ignored)."""
    alpha = (1 - level) / 2
    k = len(estimate)
    se, pct, bca = np.full(k, np.nan), np.full((k, 2), np.nan), np.full((k, 2), np.nan)
    for j in range(k):
        d = draws[:, j][np.isfinite(draws[:, j])]
        if len(d) < 2 or not np.isfinite(estimate[j]):
            continue
        se[j] = d.std(ddof=1)
        pct[j] = np.quantile(d, [alpha, 1 - alpha])
        share = (np.sum(d < estimate[j]) + 0.5 * np.sum(d == estimate[j])) / len(d)
        jk = jack[:, j][np.isfinite(jack[:, j])]
        if not 0 < share < 1 or len(jk) < 3:
            continue
        z0 = special.ndtri(share)
        dev = jk.mean() - jk
        denom = 6 * np.sum(dev**2) ** 1.5
        a = np.sum(dev**3) / denom if denom > 0 else 0.0
        z = special.ndtri(np.array([alpha, 1 - alpha]))
        adj = special.ndtr(z0 + (z0 + z) / (1 - a * (z0 + z)))
        bca[j] = np.quantile(d, adj)
    return se, pct, bca


def bootstrap(result: PLSResult, data, *, resamples: int = 1000, seed: int = 0, cluster: str | None = None,
              by: str | None = None, weights=None, level: float = 0.95) -> BootstrapResult:
    """Bootstrap a fitted model: standard errors, percentile and BCa intervals.

    Parameters
    ----------
    result : PLSResult
        The full-sample fit (its weights fix the signs of every resample).
    data : DataFrame
        The same rows the model was fitted on (item columns, and ``cluster`` / ``by`` when given).
    resamples : int
        Number of bootstrap resamples B (default 1000).
    seed : int
        Seed of the ``numpy.random.Generator``; equal seeds give equal results.
    cluster : str, optional
        Resample whole clusters (e.g. enterprises) instead of respondents.
    by : str, optional
        Also bootstrap the index of every group of this column (NaN in resamples that miss a group).
    weights : array-like, optional
        The case weights of the fit.
    level : float
        Confidence level of the intervals.

    Returns
    -------
    BootstrapResult
        Families ``paths``, ``outer_weights``, ``loadings``, ``r_squared``, ``total_effects``,
        ``index`` (every construct), ``index_weights`` (the unstandardized outer weights normalised per
        block, as the index uses them, so that callers can apply a resample's weights to other means)
        and ``group_index``.
    """
    if result.missing == "available":
        raise DataError("the bootstrap runs on moments: fit with missing='pairwise' or 'listwise'")
    x = frame_values(result.spec, data)
    if result.missing == "listwise" and np.issubdtype(x.dtype, np.floating):
        keep = ~np.isnan(x).any(axis=1)
        x, data = x[keep], data[keep]
        weights = None if weights is None else np.asarray(weights, dtype=float)[keep]
    clusters = None if cluster is None else factorize(_column(data, cluster))[0]
    groups, group_names = (None, None) if by is None else factorize(_column(data, by))
    n_groups = 0 if by is None else len(group_names)
    units = Units(x, weights, result.moments.mean, clusters, groups, n_groups)
    rng = np.random.default_rng(seed)
    parts, failed = [], 0
    for counts in iter_counts(rng, units.units, resamples):
        stats, bad = fit_counts(result, units, counts, n_groups)
        parts.append(stats)
        failed += bad
    draws = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    jack, _ = fit_counts(result, units, jackknife_counts(units.units, seed), n_groups)
    full_means = None
    if n_groups:
        g = units.resample(np.ones((1, units.units)))[1][0].reshape(n_groups, 2, units.p)
        full_means = g[:, 0] / g[:, 1] + units.shift
    estimate = statistics(result, full_means)
    names = labels(result, group_names)
    out = {}
    for k, d in draws.items():
        se, pct, bca = intervals(estimate[k], d, jack[k], level)
        out[k] = Estimates(names[k], estimate[k], d, se, pct, bca)
    return BootstrapResult(resamples, seed, cluster, level, failed, out)


def jackknife_counts(units: int, seed: int) -> np.ndarray:
    """Delete-a-group jackknife: unit counts with one group of units left out per row."""
    m = min(units, JACKKNIFE_GROUPS)
    assign = np.random.default_rng([seed, 1]).permutation(units) % m
    return (assign[None, :] != np.arange(m)[:, None]).astype(np.uint8)


def _column(data, name):
    if not hasattr(data, "columns") or name not in data.columns:
        raise DataError(f"data has no column {name!r}")
    return data[name]
