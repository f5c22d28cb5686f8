"""The 0-100 index (ACSI formula) of every construct, overall and per group."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from survey.scoring.moments import DataError
from survey.scoring.pls import frame_values
from survey.scoring.spec import ScoringError


class NonPositiveWeightsError(ScoringError):
    """An index needs positive outer weights; some construct has a zero or negative one."""


@dataclass(frozen=True)
class IndexResult:
    """0-100 scores of the items and constructs.

    Attributes
    ----------
    weights : ndarray (p,)
        Unstandardized outer weights normalised to sum to 1 within each block.
    item_scores : ndarray (p,)
        ``(mean - low) / (high - low) * 100`` per item.
    construct_scores : ndarray (k,)
        ``sum_i weights_i * item_scores_i`` per construct; the index construct's value is the index.
    index : float
    """

    constructs: tuple[str, ...]
    items: tuple[str, ...]
    weights: np.ndarray
    item_scores: np.ndarray
    construct_scores: np.ndarray
    index: float


@dataclass(frozen=True)
class GroupIndexResult:
    """Index of every construct per group (rows in ``groups`` order)."""

    column: str
    groups: tuple
    n: np.ndarray
    weighted_n: np.ndarray
    construct_scores: np.ndarray  # groups x constructs
    index: np.ndarray  # per group


def unstandardized_weights(result) -> np.ndarray:
    """Weights for the items on their original scale (standardized weight / item SD when scaled)."""
    w = result.weights.sum(axis=1)
    return w / result.item_sd if result.spec.estimation.scaled else w


def index_weights(result) -> np.ndarray:
    """Unstandardized outer weights normalised to sum to 1 per block.

    Raises
    ------
    NonPositiveWeightsError
        When a weight is not positive (the index formula would not be a weighted mean).
    """
    w = unstandardized_weights(result)
    block = result.layout.block
    bad = [result.layout.items[i] for i in np.flatnonzero(~(w > 0))]
    if bad:
        names = sorted({result.layout.constructs[block[result.layout.items.index(b)]] for b in bad})
        raise NonPositiveWeightsError(
            f"outer weights must be positive for a 0-100 index; not positive: {', '.join(bad)} "
            f"(construct {', '.join(names)})")
    return w / np.bincount(block, weights=w)[block]


def rescale(means: np.ndarray, scale: tuple[float, float]) -> np.ndarray:
    low, high = scale
    return (np.asarray(means, dtype=float) - low) / (high - low) * 100.0


def compute_index(result, means: np.ndarray | None = None) -> IndexResult:
    """Index of every construct from the fitted weights and item means (default: the fitted sample's).

    Parameters
    ----------
    result : PLSResult
    means : ndarray (p,), optional
        Item means (e.g. of a group); ``NaN`` items are left out and the block's weights renormalised.
    """
    w = index_weights(result)
    scores = rescale(result.moments.mean if means is None else means, result.spec.scale)
    construct = block_scores(w, scores, result.layout.block, len(result.layout.constructs))
    k = result.layout.constructs.index(result.spec.index)
    return IndexResult(result.layout.constructs, result.layout.items, w, scores, construct, float(construct[k]))


def block_scores(w: np.ndarray, item_scores: np.ndarray, block: np.ndarray, k: int) -> np.ndarray:
    """Weighted mean of the item scores per block; items without a score drop out (renormalising)."""
    seen = ~np.isnan(item_scores)
    num = np.bincount(block, weights=np.where(seen, w * item_scores, 0.0), minlength=k)
    den = np.bincount(block, weights=np.where(seen, w, 0.0), minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def group_means(x: np.ndarray, codes: np.ndarray, g: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Weighted available-case item means per group (groups x items)."""
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=float)
    seen = ~np.isnan(x)
    sums = np.zeros((g, x.shape[1]))
    dens = np.zeros((g, x.shape[1]))
    np.add.at(sums, codes, np.where(seen, x, 0.0) * w[:, None])
    np.add.at(dens, codes, seen * w[:, None])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(dens > 0, sums / dens, np.nan)


def group_index(result, data, by: str, weights=None) -> GroupIndexResult:
    """Index per group (any column, e.g. enterprise or city) from the fitted weights and the group's
    weighted item means.

    Parameters
    ----------
    result : PLSResult
        The fitted model (e.g. of the industry) whose weights apply to every group.
    data : DataFrame
        The rows, with the item columns and ``by``.
    by : str
        The grouping column.
    weights : array-like, optional
        Case weights.
    """
    if by not in data.columns:
        raise DataError(f"data has no column {by!r} to group by")
    x = frame_values(result.spec, data)
    codes, groups = factorize(data[by])
    w = index_weights(result)
    means = group_means(x, codes, len(groups), weights)
    scores = np.array([block_scores(w, rescale(m, result.spec.scale), result.layout.block,
                                    len(result.layout.constructs)) for m in means])
    k = result.layout.constructs.index(result.spec.index)
    wt = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=float)
    return GroupIndexResult(by, tuple(groups), np.bincount(codes, minlength=len(groups)),
                            np.bincount(codes, weights=wt, minlength=len(groups)), scores, scores[:, k])


def factorize(column) -> tuple[np.ndarray, list]:
    """Integer codes and sorted distinct values of a column (rows with a missing group are an error)."""
    values = np.asarray(column)
    if any(v is None or (isinstance(v, float) and np.isnan(v)) for v in values):
        raise DataError("the grouping column has missing values")
    groups, codes = np.unique(values.astype(str) if values.dtype == object else values, return_inverse=True)
    return codes.ravel(), list(groups.tolist())
