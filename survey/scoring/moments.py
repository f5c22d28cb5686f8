"""Weighted sufficient statistics of the indicators: one pass over the rows, then everything is p x p.

The statistics are sums, so they add up over shards, clusters and bootstrap resamples:
``Sums`` holds, for the shifted data ``x - shift`` with missing cells set to zero and the observed
mask ``m``, the sums ``W = sum w m m'``, ``A = sum w x m'`` and ``C = sum w x x'``.  With no missing
cells ``W`` is constant and ``A`` holds the column sums.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from survey.scoring.spec import ScoringError

#: rows per chunk in the single pass, so memory stays at a few chunks of p^2 whatever N is
CHUNK_ROWS = 16_384


class DataError(ScoringError):
    """The data cannot be used with the model (missing column, non-numeric value, too few rows...)."""


@dataclass(frozen=True)
class Sums:
    """Additive weighted sums over rows (``rows`` counts the rows that entered)."""

    shift: np.ndarray
    W: np.ndarray
    A: np.ndarray
    C: np.ndarray
    rows: int

    def __add__(self, other: Sums) -> Sums:
        return Sums(self.shift, self.W + other.W, self.A + other.A, self.C + other.C, self.rows + other.rows)


@dataclass(frozen=True)
class Moments:
    """Weighted means and covariances (divisor = sum of weights), available-case when cells are missing.

    Attributes
    ----------
    n : float
        Sum of the case weights (the number of rows for unit weights); with missing cells, that of the
        rows answering the most-answered item.  Standard errors use it as the number of observations.
    mean : ndarray (p,)
        Weighted mean of every indicator over the rows where it is observed.
    cov : ndarray (p, p)
        Weighted covariance; entry (j, k) uses the rows where both j and k are observed, with the
        pair's own means (like R's ``cov(use = "pairwise.complete.obs")`` with divisor n).
    rows : int
        Number of data rows.
    """

    n: float
    mean: np.ndarray
    cov: np.ndarray
    rows: int

    @property
    def sd(self) -> np.ndarray:
        return np.sqrt(np.diag(self.cov))

    @property
    def corr(self) -> np.ndarray:
        sd = self.sd
        return self.cov / np.outer(sd, sd)


def accumulate(x: np.ndarray, weights: np.ndarray | None = None, shift: np.ndarray | None = None) -> Sums:
    """One pass over ``x`` (rows x items, NaN = not applicable) in chunks; returns the weighted sums."""
    x = np.asarray(x)  # converted chunk by chunk: integer answers stay compact
    weights = None if weights is None else np.asarray(weights, dtype=float)
    p = x.shape[1]
    if shift is None:
        head = x[: min(len(x), 1000)].astype(float)
        seen = (~np.isnan(head)).sum(axis=0)
        shift = np.where(seen > 0, np.nansum(head, axis=0) / np.maximum(seen, 1), 0.0)
    total = Sums(shift, np.zeros((p, p)), np.zeros((p, p)), np.zeros((p, p)), 0)
    exact = not np.issubdtype(x.dtype, np.floating)  # integer answers: no NaN possible
    for start in range(0, len(x), CHUNK_ROWS):
        block = x[start : start + CHUNK_ROWS].astype(float)
        block -= shift
        mask = None if exact else ~np.isnan(block)
        if mask is None or mask.all():
            wx = block if weights is None else block * weights[start : start + CHUNK_ROWS, None]
            sw = len(block) if weights is None else weights[start : start + CHUNK_ROWS].sum()
            W = np.full((p, p), float(sw))
            A = np.repeat(wx.sum(axis=0)[:, None], p, axis=1)
            C = wx.T @ block
        else:
            w = np.ones(len(block)) if weights is None else weights[start : start + CHUNK_ROWS]
            m = mask.astype(float)
            block = np.where(mask, block, 0.0)
            wx = block * w[:, None]
            W = (m * w[:, None]).T @ m
            A = wx.T @ m
            C = wx.T @ block
        total = total + Sums(shift, W, A, C, len(block))
    return total


def finish(s: Sums) -> Moments:
    """Means and (available-case) covariances from the sums."""
    with np.errstate(invalid="ignore", divide="ignore"):
        pair_mean = s.A / s.W  # (j, k): mean of j over rows where j and k are observed
        cov = s.C / s.W - pair_mean * pair_mean.T
    cov = (cov + cov.T) / 2
    mean = np.diag(pair_mean) + s.shift
    return Moments(float(np.max(np.diag(s.W))), mean, cov, s.rows)


def compute_moments(x: np.ndarray, weights: np.ndarray | None = None, missing: str = "pairwise") -> Moments:
    """Weighted moments of the indicators.

    Parameters
    ----------
    x : ndarray (N, p)
        Indicator values; NaN marks "not applicable".
    weights : ndarray (N,), optional
        Non-negative case weights (frequency, sampling or raking weights).
    missing : {"pairwise", "listwise"}
        ``"pairwise"`` (default): available-case moments, every mean and covariance from the rows where
        its indicators are observed (R plspm likewise computes with the available data);
        ``"listwise"``: drop every row with a missing indicator first.

    Returns
    -------
    Moments
    """
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.number):
        raise DataError("item values must be numeric")
    if weights is not None:
        weights = np.asarray(weights, dtype=float)
        if weights.shape != (len(x),) or not np.all(np.isfinite(weights)) or np.any(weights < 0):
            raise DataError("case weights must be finite, non-negative, one per row")
    if missing == "listwise" and np.issubdtype(x.dtype, np.floating):
        keep = ~np.isnan(x).any(axis=1)
        x = x[keep]
        weights = None if weights is None else weights[keep]
    elif missing not in ("pairwise", "listwise"):
        raise ValueError(f"unknown missing-data method {missing!r}")
    return finish(accumulate(x, weights))
