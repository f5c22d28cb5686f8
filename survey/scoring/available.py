"""R plspm's available-data algorithm for missing answers, on the rows (``fit(..., missing="available")``).

When a block has missing cells, plspm (R 0.4.x, and its Python port 0.5.7 with ``Scale.NUM``) estimates
each outer weight from the rows that answered the item and each score from the items the row answered:

    w_j = sum_{i: x_ij seen} x_ij z_i / sum_{i: x_ij seen} z_i^2
    y_i = sum_{j: x_ij seen} x_ij w_j / sum_{j: x_ij seen} w_j^2

on items standardized over their answers, then standardizes the scores.  This needs a pass over the
rows per iteration (the default ``"pairwise"`` method needs one pass in all).  Rows that answered no
item of some block are dropped, as plspm does.  The reported weights follow plspm: scaled so that the
weighted sum of the items has the variance ``n / (n - 1)`` times its sample variance over the complete rows.
"""

from __future__ import annotations

import numpy as np

from survey.scoring.moments import DataError, compute_moments
from survey.scoring.pls import Layout, PLSResult, assemble, inner_weights
from survey.scoring.spec import ModelSpec


def standardize(v: np.ndarray) -> np.ndarray:
    """Centre and scale a score vector to population variance 1."""
    v = v - v.mean()
    return v / np.sqrt(np.mean(v**2))


def pairwise_corr(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Correlation of every column of ``x`` (with NaN) with every column of ``y``, over the pairs observed."""
    out = np.empty((x.shape[1], y.shape[1]))
    for j in range(x.shape[1]):
        seen = ~np.isnan(x[:, j])
        out[j] = [np.corrcoef(x[seen, j], y[seen, k])[0, 1] for k in range(y.shape[1])]
    return out


def fit_available(spec: ModelSpec, x: np.ndarray) -> PLSResult:
    """Fit with plspm's available-data algorithm (no case weights).

    Parameters
    ----------
    spec : ModelSpec
        Its ``scaled``, ``scheme``, ``tolerance``, ``max_iterations`` apply; ``convention = "plspm"``
        stops on ``sum((|y_old| - |y_new|)^2) < tolerance`` over the scores as plspm does, ``"exact"`` on
        the largest change of a score.
    x : ndarray (N, p)
        Item values in ``spec.items`` order, NaN = not applicable.
    """
    layout = Layout.of(spec)
    est = spec.estimation
    k = len(layout.constructs)
    empty = np.zeros(len(x), dtype=bool)
    for j in range(k):
        empty |= np.isnan(x[:, layout.block == j]).all(axis=1)
    x = x[~empty]
    if len(x) <= len(layout.items):
        raise DataError(f"{len(x)} usable rows are too few for a model with {len(layout.items)} items")
    moments = compute_moments(x)
    if not np.all(moments.sd > 0):
        raise DataError("some items have no variance")
    z = (x - moments.mean) / (moments.sd if est.scaled else 1.0)
    seen = ~np.isnan(z)
    z0 = np.where(seen, z, 0.0)
    for j, mode in enumerate(layout.modes):
        if mode == "B" and not seen[:, layout.block == j].all():
            raise DataError(f"missing='available' needs complete answers in Mode B block {layout.constructs[j]}")
    w = layout.design.copy()
    y = np.column_stack([standardize(block_scores(z0, seen, w[:, j], layout.block == j)) for j in range(k)])
    iterations, converged = est.max_iterations, False
    for iteration in range(1, est.max_iterations + 1):
        inner = y @ inner_weights(np.corrcoef(y, rowvar=False), layout, est.scheme)
        new = np.empty_like(y)
        for j, mode in enumerate(layout.modes):
            rows = layout.block == j
            if mode == "A":
                w[rows, j] = (z0[:, rows].T @ inner[:, j]) / (seen[:, rows].T @ inner[:, j] ** 2)
            else:
                w[rows, j] = np.linalg.lstsq(z0[:, rows], inner[:, j], rcond=None)[0]
            new[:, j] = standardize(block_scores(z0, seen, w[:, j], rows))
        if est.convention == "plspm":
            done = np.sum((np.abs(y) - np.abs(new)) ** 2) < est.tolerance
        else:
            done = np.max(np.abs(new - y)) < est.tolerance
        y = new
        if done:
            iterations, converged = iteration, True
            break
    complete = seen.all(axis=1)
    n = len(x)
    raw = z[complete] @ w
    w = w * np.sqrt(n / (n - 1)) / raw.std(axis=0, ddof=1)
    cross = pairwise_corr(z, y)
    return assemble(spec, layout, moments, iterations, converged, w, w.sum(axis=1), cross,
                    np.corrcoef(y, rowvar=False), np.ones(len(layout.items)), y, missing="available")


def block_scores(z0: np.ndarray, seen: np.ndarray, w: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Scores of one block from the answered items: ``sum x w / sum w^2`` over each row's answers."""
    wb = w[rows]
    return (z0[:, rows] @ wb) / (seen[:, rows] @ wb**2)
