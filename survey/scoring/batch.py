"""PLS-PM on a stack of moment matrices at once (one per bootstrap resample or jackknife sample).

The same algorithm as :func:`survey.scoring.pls.estimate_weights` and :func:`~survey.scoring.pls.regress`,
vectorised over the leading axis, so a thousand resamples cost a few dozen small batched solves per
iteration instead of a thousand Python-level fits.  Each resample stops by the model's own rule;
construct signs are aligned with the full-sample weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from survey.scoring.pls import Layout


@dataclass(frozen=True)
class BatchMoments:
    n: np.ndarray  # (b,)
    mean: np.ndarray  # (b, p)
    cov: np.ndarray  # (b, p, p)


@dataclass(frozen=True)
class BatchFit:
    weights: np.ndarray  # (b, p, k) for the treated items, sign-aligned
    loadings: np.ndarray  # (b, p)
    path_coefficients: np.ndarray  # (b, k, k) [from, to]
    r_squared: np.ndarray  # (b, k)
    total_effects: np.ndarray  # (b, k, k)
    iterations: np.ndarray  # (b,)
    converged: np.ndarray  # (b,)


def solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Batched ``solve(a, b)`` for ``a`` (n, m, m) and ``b`` (n, m)."""
    return np.linalg.solve(a, b[..., None])[..., 0]


def inner_weights(corr: np.ndarray, layout: Layout, scheme: str) -> np.ndarray:
    link = layout.adjacency + layout.adjacency.T
    if scheme == "centroid":
        return np.sign(corr) * link
    if scheme == "factorial":
        return corr * link
    e = np.zeros_like(corr)
    for k, (pred, succ) in enumerate(zip(layout.predecessors, layout.successors)):
        if len(pred):
            e[:, pred, k] = solve(corr[:, pred][:, :, pred], corr[:, pred, k])
        e[:, succ, k] = corr[:, succ, k]
    return e


def quad(w: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """``W' S W`` for every matrix in the stack."""
    return np.swapaxes(w, 1, 2) @ sigma @ w


def fit_batch(layout: Layout, est, moments: BatchMoments, align: np.ndarray) -> BatchFit:
    """Fit every moment matrix of the stack.

    Parameters
    ----------
    layout : Layout
    est : Estimation
        The model's settings (scheme, scaled, tolerance, max_iterations, convention).
    moments : BatchMoments
    align : ndarray (p, k)
        Full-sample weights; each resample's construct signs are chosen to agree with them.
    """
    cov = moments.cov
    sd = np.sqrt(np.einsum("bii->bi", cov))
    sigma = cov / (sd[:, :, None] * sd[:, None, :]) if est.scaled else cov
    odm = layout.design
    b = len(sigma)

    def normalise(w):
        return w / np.sqrt(np.einsum("bij,bik,bkj->bj", w, sigma, w))[:, None, :]

    w = normalise(np.broadcast_to(odm, (b, *odm.shape)).copy())
    w_old = w.sum(axis=2)
    active = np.ones(b, dtype=bool)
    iterations = np.full(b, est.max_iterations)
    for iteration in range(1, est.max_iterations + 1):
        s, wa = sigma[active], w[active]
        inner = (s @ wa) @ inner_weights(quad(wa, s), layout, est.scheme)
        new = inner * odm
        for j, rows in layout.formative:
            new[:, rows, j] = solve(s[:, rows][:, :, rows], inner[:, rows, j])
        if est.convention == "plspm":
            w_new = new.sum(axis=2)
            done = np.sum((np.abs(w_old[active]) - np.abs(w_new)) ** 2, axis=1) < est.tolerance
            w_old[active] = w_new
            new = normalise_subset(new, s)
        else:
            new = normalise_subset(new, s)
            done = np.max(np.abs(new - wa), axis=(1, 2)) < est.tolerance
        w[active] = new
        idx = np.flatnonzero(active)
        iterations[idx[done]] = iteration
        active[idx[done]] = False
        if not active.any():
            break
    converged = ~active
    cross = sigma @ w
    sign = np.where(np.sum(align[None] * w, axis=1) < 0, -1.0, 1.0)[:, None, :]
    w = w * sign
    loadings = ((cross * sign) * odm).sum(axis=2) / np.sqrt(np.einsum("bii->bi", sigma))
    corr = quad(w, sigma)
    k = len(layout.constructs)
    paths = np.zeros((b, k, k))
    r2 = np.zeros((b, k))
    for j, pred in enumerate(layout.predecessors):
        if len(pred):
            beta = solve(corr[:, pred][:, :, pred], corr[:, pred, j])
            paths[:, pred, j] = beta
            r2[:, j] = np.sum(corr[:, j, pred] * beta, axis=1)
    eye = np.eye(k)
    total = np.linalg.inv(eye - paths) - eye
    return BatchFit(w, loadings, paths, r2, total, iterations, converged)


def normalise_subset(w: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    return w / np.sqrt(np.einsum("bij,bik,bkj->bj", w, sigma, w))[:, None, :]


def index_weights_batch(layout: Layout, scaled: bool, fitted: BatchFit, sd: np.ndarray) -> np.ndarray:
    """Unstandardized weights normalised per block; NaN rows where a weight is not positive."""
    u = fitted.weights.sum(axis=2)
    if scaled:
        u = u / sd
    k = len(layout.constructs)
    sums = np.stack([u[:, layout.block == j].sum(axis=1) for j in range(k)], axis=1)
    out = u / sums[:, layout.block]
    out[~np.all(u > 0, axis=1)] = np.nan
    return out


def block_scores_batch(w: np.ndarray, item_scores: np.ndarray, block: np.ndarray, k: int) -> np.ndarray:
    """Weighted mean of item scores per block for stacks (..., p); NaN item scores drop out."""
    seen = ~np.isnan(item_scores)
    num = np.where(seen, w * np.nan_to_num(item_scores), 0.0)
    den = np.where(seen, w, 0.0)
    cols = [np.flatnonzero(block == j) for j in range(k)]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.stack([num[..., c].sum(axis=-1) / den[..., c].sum(axis=-1) for c in cols], axis=-1)
