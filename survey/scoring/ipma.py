"""Importance-performance map analysis (IPMA) toward the index target."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from survey.scoring.index import compute_index, unstandardized_weights


@dataclass(frozen=True)
class Driver:
    """One construct or item: its importance for the index, its 0-100 performance, and the rise of
    performance that alone would lift the index to the target (``None`` when that needs more than 100)."""

    name: str
    construct: str
    importance: float
    performance: float
    required_rise: float | None
    reachable: bool


@dataclass(frozen=True)
class IPMAResult:
    """Drivers of the index construct, at construct and at item level."""

    index: float
    target: float
    constructs: tuple[Driver, ...]
    items: tuple[Driver, ...]


def rise(index: float, target: float, importance: float, performance: float) -> tuple[float | None, bool]:
    """Points of performance needed to move the index from ``index`` to ``target``."""
    if index >= target:
        return 0.0, True
    if not importance > 0:
        return None, False
    needed = (target - index) / importance
    return (needed, True) if performance + needed <= 100.0 else (None, False)


def ipma(result, target: float | None = None) -> IPMAResult:
    """Importance-performance of every driver of the index construct.

    Importance is the unstandardized total effect on the index construct in the 0-100 metric, as
    SmartPLS's IPMA rescales it: ``total_std * sd(index score) / sd(driver score)`` where the 0-100
    score of construct j has sd ``100 / ((high - low) * sum_i u_i)`` with ``u`` the unstandardized
    outer weights. An item's importance is its normalised weight times its construct's importance.

    Parameters
    ----------
    result : PLSResult
    target : float, optional
        Defaults to the model's ``target`` (85).
    """
    spec, layout = result.spec, result.layout
    target = spec.target if target is None else float(target)
    idx = compute_index(result)
    u = unstandardized_weights(result)
    block_sum = np.bincount(layout.block, weights=u)
    t = layout.constructs.index(spec.index)
    importance = result.total_effects[:, t] * block_sum / block_sum[t]
    drivers = [j for j in range(len(layout.constructs)) if j != t and result.total_effects[j, t] != 0]
    constructs = []
    for j in drivers:
        need, ok = rise(idx.index, target, importance[j], idx.construct_scores[j])
        constructs.append(Driver(layout.constructs[j], layout.constructs[j], float(importance[j]),
                                 float(idx.construct_scores[j]), need, ok))
    items = []
    for i, item in enumerate(layout.items):
        j = layout.block[i]
        if j in drivers:
            imp = float(idx.weights[i] * importance[j])
            need, ok = rise(idx.index, target, imp, idx.item_scores[i])
            items.append(Driver(item, layout.constructs[j], imp, float(idx.item_scores[i]), need, ok))
    return IPMAResult(idx.index, target, tuple(constructs), tuple(items))
