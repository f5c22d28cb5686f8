"""Lohmöller's PLS path-modeling algorithm on sufficient statistics (covariance of the indicators)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from survey.scoring.effects import EffectsResult, decompose
from survey.scoring.moments import DataError, Moments, compute_moments
from survey.scoring.quality import QualityResult, assess
from survey.scoring.spec import ModelSpec


@dataclass(frozen=True)
class Layout:
    """Index arrays of a model: which item belongs to which block, and the path adjacency ``[from, to]``."""

    constructs: tuple[str, ...]
    items: tuple[str, ...]
    block: np.ndarray
    modes: tuple[str, ...]
    adjacency: np.ndarray
    predecessors: tuple[np.ndarray, ...]
    successors: tuple[np.ndarray, ...]
    formative: tuple[tuple[int, np.ndarray], ...]  # (construct, item rows) of the Mode B blocks

    @classmethod
    def of(cls, spec: ModelSpec) -> Layout:
        names = spec.names
        block = np.array([j for j, c in enumerate(spec.constructs) for _ in c.items])
        adj = np.zeros((len(names), len(names)))
        for a, b in spec.edges:
            adj[names.index(a), names.index(b)] = 1.0
        modes = tuple(c.mode for c in spec.constructs)
        return cls(names, spec.items, block, modes, adj,
                   tuple(np.flatnonzero(adj[:, k]) for k in range(len(names))),
                   tuple(np.flatnonzero(adj[k, :]) for k in range(len(names))),
                   tuple((j, np.flatnonzero(block == j)) for j, m in enumerate(modes) if m == "B"))

    @property
    def adjacency_total(self) -> np.ndarray:
        """Pairs ``[from, to]`` joined by a directed path (where a total effect exists)."""
        eye = np.eye(len(self.adjacency))
        return (np.linalg.inv(eye - self.adjacency) - eye) > 0.5

    @property
    def design(self) -> np.ndarray:
        """Outer design matrix (items x constructs) of zeros and ones."""
        return (self.block[:, None] == np.arange(len(self.constructs))[None, :]).astype(float)


@dataclass(frozen=True)
class PathEstimate:
    """One structural path: OLS estimate with the inference R's ``lm`` reports on the construct scores."""

    source: str
    target: str
    estimate: float
    std_error: float
    t: float
    p: float


@dataclass(frozen=True)
class PLSResult:
    """Everything a PLS-PM fit reports. Arrays are indexed by ``items`` and ``constructs`` (in model order)."""

    spec: ModelSpec
    layout: Layout
    moments: Moments
    iterations: int
    converged: bool
    weights: np.ndarray  # items x constructs, for the treated (standardized or centred) items, sign-aligned
    outer_weights: np.ndarray  # per item, as reported by plspm (row sums of ``weights``)
    loadings: np.ndarray
    cross_loadings: np.ndarray
    communalities: np.ndarray
    redundancies: np.ndarray
    construct_correlations: np.ndarray
    path_coefficients: np.ndarray  # [from, to]
    inner_model: tuple[PathEstimate, ...]
    r_squared: np.ndarray
    r_squared_adj: np.ndarray
    effects: EffectsResult
    quality: QualityResult | None
    gof: float
    scores: np.ndarray | None = field(default=None, repr=False)
    missing: str = "pairwise"  # how missing answers were handled: pairwise, listwise or available

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):  # frozen results: arrays read-only too
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                value.flags.writeable = False

    @property
    def n(self) -> float:
        return self.moments.n

    @property
    def total_effects(self) -> np.ndarray:
        return self.effects.total_effects

    @property
    def item_sd(self) -> np.ndarray:
        """Standard deviation of the original items (divisor n)."""
        return self.moments.sd


def inner_weights(corr: np.ndarray, layout: Layout, scheme: str) -> np.ndarray:
    """Inner weights ``E`` such that the inner estimate is ``Z = Y E``."""
    link = layout.adjacency + layout.adjacency.T
    if scheme == "centroid":
        return np.sign(corr) * link
    if scheme == "factorial":
        return corr * link
    e = np.zeros_like(corr)
    for k, (pred, succ) in enumerate(zip(layout.predecessors, layout.successors)):
        if len(pred):  # predecessors: regression of Y_k on them
            e[pred, k] = np.linalg.solve(corr[np.ix_(pred, pred)], corr[pred, k])
        e[succ, k] = corr[succ, k]  # successors: correlations
    return e


def estimate_weights(sigma: np.ndarray, layout: Layout, est) -> tuple[np.ndarray, int, bool]:
    """Iterate outer and inner estimation on ``sigma``, the covariance of the treated indicators.

    Returns the weights normalised to unit construct variance, the iterations and the convergence flag.
    """
    odm = layout.design

    def normalise(w):
        return w / np.sqrt(np.einsum("ij,ik,kj->j", w, sigma, w))

    w = normalise(odm)
    w_old = w.sum(axis=1)
    for iteration in range(1, est.max_iterations + 1):
        corr = w.T @ sigma @ w
        inner = (sigma @ w) @ inner_weights(corr, layout, est.scheme)
        new = inner * odm  # Mode A: covariances of the items with the inner estimate
        for j, rows in layout.formative:  # Mode B: regression of the inner estimate on the block
            new[rows, j] = np.linalg.solve(sigma[np.ix_(rows, rows)], inner[rows, j])
        if est.convention == "plspm":  # R plspm: squared change of |unnormalised weights|
            w_new = new.sum(axis=1)
            done = np.sum((np.abs(w_old) - np.abs(w_new)) ** 2) < est.tolerance
            w_old, w = w_new, normalise(new)
        else:
            new = normalise(new)
            done = np.max(np.abs(new - w)) < est.tolerance
            w = new
        if done:
            return w, iteration, True
    return w, est.max_iterations, False


def fit_moments(spec: ModelSpec, moments: Moments, rows: np.ndarray | None = None, *,
                align: np.ndarray | None = None, full: bool = True, layout: Layout | None = None) -> PLSResult:
    """Fit ``spec`` from the moments of its items (in ``spec.items`` order); scores only when ``rows`` given.

    Parameters
    ----------
    spec : ModelSpec
    moments : Moments
        Weighted moments of the items (see :func:`survey.scoring.moments.compute_moments`).
    rows : ndarray (N, p), optional
        The raw item values, to compute construct scores (missing cells count as the item mean).
    align : ndarray (p, k), optional
        Reference weights (the full-sample fit's): each construct's sign is chosen to agree with them
        (bootstrap sign alignment) instead of the majority sign of its loadings.
    full : bool
        Compute inference, reliability/validity and GoF too (the bootstrap skips them).
    layout : Layout, optional
        ``Layout.of(spec)``, when the caller has it already.
    """
    layout = Layout.of(spec) if layout is None else layout
    est = spec.estimation
    if not np.all(moments.sd > 0):
        flat = [layout.items[i] for i in np.flatnonzero(~(moments.sd > 0))]
        raise DataError(f"items without variance (or without answers): {', '.join(flat)}")
    sigma = moments.corr if est.scaled else moments.cov
    w, iterations, converged = estimate_weights(sigma, layout, est)
    odm = layout.design
    cross = sigma @ w / np.sqrt(np.diag(sigma))[:, None]  # corr(item, construct)
    sign = np.sign(np.sum(np.sign(cross) * odm, axis=0))
    sign[sign == 0] = -1.0
    if align is not None:
        sign = np.where(np.sum(align * w, axis=0) < 0, -1.0, 1.0)
    outer = w.sum(axis=1) if est.convention == "plspm" else (w * sign).sum(axis=1)
    w_signed = w * sign
    cross = cross * sign
    scores = None
    if rows is not None:
        rows = np.asarray(rows, dtype=float)
        centred = np.where(np.isnan(rows), 0.0, (rows - moments.mean) / (moments.sd if est.scaled else 1.0))
        scores = centred @ w_signed
    return assemble(spec, layout, moments, iterations, converged, w_signed, outer, cross,
                    w_signed.T @ sigma @ w_signed, np.sqrt(np.diag(sigma)), scores, full)


def assemble(spec, layout, moments, iterations, converged, w_signed, outer, cross, corr, item_scale, scores,
             full=True, missing="pairwise") -> PLSResult:
    """Everything that follows from the weights, the item-construct and the construct correlations."""
    odm = layout.design
    paths, inner, r2, r2_adj = regress(layout, corr, moments.n, full)
    loadings = (cross * odm).sum(axis=1)
    communalities = loadings**2
    redundancies = communalities * r2[layout.block]
    quality, gof = None, float("nan")
    if full:
        quality = assess(layout, moments.corr, w_signed * item_scale[:, None], loadings, corr, r2)
        endo = layout.adjacency.sum(axis=0) > 0
        multi = np.bincount(layout.block)[layout.block] > 1
        if multi.any():
            gof = float(np.sqrt(communalities[multi].mean() * r2[endo].mean()))
    return PLSResult(spec, layout, moments, iterations, converged, w_signed, outer, loadings, cross, communalities,
                     redundancies, corr, paths, inner, r2, r2_adj, decompose(layout.constructs, paths), quality, gof,
                     scores, missing)


def regress(layout: Layout, corr: np.ndarray, n: float, inference: bool = True):
    """OLS of every endogenous construct on its predecessors, from the construct correlations.

    Standard errors, t and p equal R's ``lm`` (and statsmodels ``OLS``) on the standardized scores with
    ``n`` observations (the sum of the case weights, read as frequency weights).
    """
    k = len(layout.constructs)
    paths = np.zeros((k, k))
    r2 = np.zeros(k)
    r2_adj = np.zeros(k)
    inner = []
    for j, pred in enumerate(layout.predecessors):
        if len(pred) == 0:
            continue
        rxx = corr[np.ix_(pred, pred)]
        beta = np.linalg.solve(rxx, corr[pred, j])
        r2[j] = float(corr[j, pred] @ beta)
        df = n - len(pred) - 1
        if df <= 0:
            raise DataError(f"too few observations ({n:g}) for the regression of {layout.constructs[j]}")
        r2_adj[j] = 1 - (1 - r2[j]) * (n - 1) / df
        paths[pred, j] = beta
        if inference:
            se = np.sqrt((1 - r2[j]) / df * np.diag(np.linalg.inv(rxx)))
            t = beta / se
            p = 2 * special.stdtr(df, -np.abs(t))
            inner += [PathEstimate(layout.constructs[i], layout.constructs[j], float(b), float(s), float(tv),
                                   float(pv)) for i, b, s, tv, pv in zip(pred, beta, se, t, p)]
    return paths, tuple(inner), r2, r2_adj


def frame_values(spec: ModelSpec, data) -> np.ndarray:
    """The model's item columns of a DataFrame (or an array already in ``spec.items`` order) as floats."""
    if hasattr(data, "columns"):
        absent = [c for c in spec.items if c not in data.columns]
        if absent:
            raise DataError(f"data has no column for items: {', '.join(absent)}")
        sub = data[list(spec.items)]
        bad = [c for c in spec.items if not np.issubdtype(sub[c].dtype, np.number)]
        if bad:
            raise DataError(f"non-numeric values in columns: {', '.join(bad)}")
        integral = all(np.issubdtype(sub[c].dtype, np.integer) for c in spec.items)
        return sub.to_numpy() if integral else sub.to_numpy(dtype=float)  # integers: no float copy
    x = np.asarray(data)
    if not np.issubdtype(x.dtype, np.number):
        raise DataError("item values must be numeric")
    if x.ndim != 2 or x.shape[1] != len(spec.items):
        raise DataError(f"expected an array with {len(spec.items)} item columns")
    return x


def fit(spec: ModelSpec, data, *, weights=None, missing: str = "pairwise", scores: bool = True) -> PLSResult:
    """Fit a PLS path model to survey rows.

    Parameters
    ----------
    spec : ModelSpec
    data : DataFrame or ndarray
        One row per respondent, a column per item (``spec.items``); NaN = not applicable.
    weights : array-like, optional
        Case weights (e.g. from :func:`survey.scoring.rake.rake`); integer weights act like repeated rows.
    missing : {"pairwise", "listwise", "available"}
        Default ``"pairwise"``: available-case moments (every mean and covariance from the rows that
        answered), so the fit stays on sufficient statistics; construct scores of incomplete rows count
        a missing item at its mean. ``"listwise"`` drops incomplete rows. ``"available"`` runs R plspm's
        available-data algorithm on the rows (see :mod:`survey.scoring.available`), reproducing plspm.
    scores : bool
        Also compute the construct scores of every row (one more matrix product).

    Returns
    -------
    PLSResult
    """
    x = frame_values(spec, data)
    if missing == "available":
        from survey.scoring.available import fit_available

        if weights is not None:
            raise DataError("missing='available' takes no case weights; use 'pairwise'")
        return fit_available(spec, x.astype(float))
    if missing == "listwise" and np.issubdtype(x.dtype, np.floating):
        keep = ~np.isnan(x).any(axis=1)
        x = x[keep]
        weights = None if weights is None else np.asarray(weights, dtype=float)[keep]
    moments = compute_moments(x, weights, "pairwise")
    if len(x) <= len(spec.items) or moments.n <= len(spec.items):
        raise DataError(f"{len(x)} rows are too few for a model with {len(spec.items)} items")
    result = fit_moments(spec, moments, x if scores else None)
    return result if missing == "pairwise" else dataclasses.replace(result, missing=missing)
