"""Reliability and validity of the measurement model, from the item correlations and the fitted weights."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class QualityResult:
    """Per-construct reliability and validity (arrays in construct order, matrices ``[row, column]``).

    ``cronbach_alpha`` is the standardized alpha and ``dg_rho`` the Dillon-Goldstein rho of the first
    principal component, both as R plspm's ``unidim`` reports them (on the item correlations);
    ``rho_c`` is the composite reliability from the PLS loadings (SmartPLS, seminr); ``rho_a`` is
    Dijkstra-Henseler's rho_A; ``htmt`` the heterotrait-monotrait ratio (Henseler et al. 2015);
    ``inner_vif[i, j]`` the VIF of predictor ``i`` in the regression of construct ``j``.
    """

    ave: np.ndarray
    block_communality: np.ndarray
    mean_redundancy: np.ndarray
    cronbach_alpha: np.ndarray
    dg_rho: np.ndarray
    eig_1st: np.ndarray
    eig_2nd: np.ndarray
    rho_c: np.ndarray
    rho_a: np.ndarray
    htmt: np.ndarray
    inner_vif: np.ndarray


def unidimensionality(r: np.ndarray, mode: str) -> tuple[float, float, float, float]:
    """Standardized Cronbach's alpha, Dillon-Goldstein rho and the first two eigenvalues of a block."""
    p = len(r)
    if p == 1:
        return 1.0, 1.0, 1.0, 0.0
    eig, vec = np.linalg.eigh(r)
    eig, vec = eig[::-1], vec[:, ::-1]
    if mode == "B":
        return 0.0, 0.0, float(eig[0]), float(eig[1])
    alpha = max(0.0, (r.sum() - p) / r.sum() * p / (p - 1))
    load = np.sqrt(eig[0]) * vec[:, 0]  # correlations of the items with the first component
    num = load.sum() ** 2
    return alpha, float(num / (num + p - (load**2).sum())), float(eig[0]), float(eig[1])


def rho_a(r: np.ndarray, w: np.ndarray) -> float:
    """Dijkstra-Henseler rho_A for weights ``w`` of standardized items with correlations ``r``."""
    if len(w) == 1:
        return 1.0
    w = w / np.sqrt(w @ r @ w)
    ww = np.outer(w, w)
    off = r - np.diag(np.diag(r))
    return float((w @ w) ** 2 * (w @ off @ w) / (w @ (ww - np.diag(np.diag(ww))) @ w))


def htmt(r: np.ndarray, block: np.ndarray, k: int) -> np.ndarray:
    """Heterotrait-monotrait ratio of every pair of constructs (NaN where a block has one item)."""
    out = np.full((k, k), np.nan)
    mono = np.full(k, np.nan)
    for j in range(k):
        idx = np.flatnonzero(block == j)
        if len(idx) > 1:
            sub = r[np.ix_(idx, idx)]
            mono[j] = sub[np.triu_indices(len(idx), 1)].mean()
    for i in range(k):
        for j in range(k):
            if i != j:
                hetero = r[np.ix_(block == i, block == j)].mean()
                out[i, j] = hetero / np.sqrt(mono[i] * mono[j])
    return out


def assess(layout, item_corr, std_weights, loadings, construct_corr, r_squared) -> QualityResult:
    """Compute every reliability and validity measure of a fitted model.

    Parameters
    ----------
    layout : Layout
    item_corr : ndarray (p, p)
        Correlations of the items.
    std_weights : ndarray (p, k)
        Outer weights for the standardized items.
    loadings, construct_corr, r_squared
        From the fit.
    """
    k = len(layout.constructs)
    block = layout.block
    communality = loadings**2
    ave = np.array([communality[block == j].mean() for j in range(k)])
    redundancy = communality * r_squared[block]
    mean_red = np.array([redundancy[block == j].mean() for j in range(k)])
    uni = np.array([unidimensionality(item_corr[np.ix_(block == j, block == j)], layout.modes[j]) for j in range(k)])
    rho_c = np.empty(k)
    rhoa = np.empty(k)
    for j in range(k):
        lam = loadings[block == j]
        rho_c[j] = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())
        rhoa[j] = rho_a(item_corr[np.ix_(block == j, block == j)], std_weights[block == j, j])
    vif = np.full((k, k), np.nan)
    for j in range(k):
        pred = np.flatnonzero(layout.adjacency[:, j])
        if len(pred):
            vif[pred, j] = np.diag(np.linalg.inv(construct_corr[np.ix_(pred, pred)]))
    return QualityResult(ave, ave.copy(), mean_red, uni[:, 0], uni[:, 1], uni[:, 2], uni[:, 3], rho_c, rhoa,
                         htmt(item_corr, block, k), vif)
