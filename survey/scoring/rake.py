"""Raking (iterative proportional fitting) of case weights to known population margins."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from survey.scoring.moments import DataError


@dataclass(frozen=True)
class RakeResult:
    """Raked case weights, with the convergence report of the iterative proportional fitting."""

    weights: np.ndarray
    iterations: int
    converged: bool
    max_error: float  # largest |weighted share - target share| over all margin cells


def rake(frame, margins: Mapping[str, Mapping[object, float]], *, base_weights=None, total: float | None = None,
         tolerance: float = 1e-10, max_iterations: int = 1000) -> RakeResult:
    """Rake case weights so that the weighted shares of every margin match the targets.

    Parameters
    ----------
    frame : DataFrame
        The sample, with one column per margin.
    margins : mapping
        ``{column: {level: target}}``; targets are population counts or shares (each margin is
        normalised to shares, so margins given as counts need not share the same total).
    base_weights : array-like, optional
        Design weights to start from (default 1).
    total : float, optional
        Sum of the returned weights (default: the number of rows, so the weights average 1 and the
        sum of weights used for standard errors stays the sample size).
    tolerance : float
        Stop when every cell's weighted share is within ``tolerance`` of its target share.
    max_iterations : int

    Returns
    -------
    RakeResult
    """
    n = len(frame)
    w = np.ones(n) if base_weights is None else np.asarray(base_weights, dtype=float).copy()
    if w.shape != (n,) or np.any(w < 0) or not np.all(np.isfinite(w)):
        raise DataError("base weights must be finite, non-negative, one per row")
    plan = []
    for column, targets in margins.items():
        if column not in frame.columns:
            raise DataError(f"no column {column!r} for a raking margin")
        values = frame[column].to_numpy()
        levels = list(targets)
        share = np.array([float(targets[v]) for v in levels])
        if np.any(share < 0) or share.sum() <= 0:
            raise DataError(f"margin {column!r}: targets must be non-negative with a positive sum")
        share = share / share.sum()
        cells = [values == v for v in levels]
        covered = np.logical_or.reduce(cells)
        if not covered.all():
            strays = sorted({str(v) for v in values[~covered]})
            raise DataError(f"margin {column!r} has no target for levels: {', '.join(strays)}")
        empty = [str(v) for v, c, s in zip(levels, cells, share) if s > 0 and not (w[c] > 0).any()]
        if empty:
            raise DataError(f"margin {column!r}: no respondents in levels {', '.join(empty)}")
        plan.append((cells, share))
    error = np.inf
    for iteration in range(1, max_iterations + 1):
        for cells, share in plan:
            current = np.array([w[c].sum() for c in cells]) / w.sum()
            for c, have, want in zip(cells, current, share):
                if have > 0:
                    w[c] *= want / have
        error = max(float(np.max(np.abs(np.array([w[c].sum() for c in cells]) / w.sum() - share)))
                    for cells, share in plan)
        if error < tolerance:
            break
    w *= (n if total is None else total) / w.sum()
    return RakeResult(w, iteration, error < tolerance, error)
