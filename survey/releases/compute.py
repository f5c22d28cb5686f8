"""The tables of a release from a frame of responses: pure computation, frames in, frozen tables out.

Per industry: the rule set's exclusions; case weights raked to the industry's margins (equal weights when
none); the model with the industry's QUAL items; a cluster bootstrap over enterprises on per-enterprise
sufficient statistics (:func:`survey.scoring.bootstrap`); the SAT index with its standard error and interval
(percentile or BCa, ``interval``); paths with their intervals; measurement quality; importance-performance.
With G enterprises the bootstrap standard error is multiplied by sqrt(G / (G - 1)) and the interval's distance
from the estimate by that times t(G - 1) / z, the usual small-sample corrections for few clusters (the plain
cluster bootstrap covered the population value in 91-92% of simulated waves with 40 enterprises, see
bench/coverage.py).
Cells below the industry (enterprise, city, industry x city) combine the industry model's resampled weights
with their own sampling error, see :mod:`survey.releases.cells`; a city pools its industry x city cells in
proportion to their sums of case weights (its respondents, each scored by their own industry's model).

The programme index is the mean of the industry indices weighted by the industries' population sizes when
``margins`` give counts for every industry (the sum of the first margin's counts), else equally.  Industries
are independent samples, so a programme (or city) draw is the weighted sum of the industries' draws.
Seeds: industry ``k`` bootstraps with ``SeedSequence([seed, *k.encode()])``, so adding an industry leaves the
others' draws alone.  Every number is rounded by ``round_published`` and every table sorted, so equal inputs
give byte-identical JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from msgspec.structs import replace
from scipy import stats

from survey.releases import cells as C
from survey.releases.disclosure import disclose
from survey.releases.rules import RuleSet, apply_rules
from survey.releases.tables import (DriverRow, IndexCell, ItemDriverRow, Methods, PathRow, QualityRow, ReleaseTables,
                                    SampleRow, round_published)
from survey.scoring import ModelSpec, ScoringError, bootstrap, compute_index, fit, ipma, rake
from survey.scoring.index import factorize

R = round_published
Progress = Callable[[str, float], None]


def rise_to_target(index: float, target: float, importance: float, performance: float) -> tuple[float | None, bool]:
    """Points of performance that alone lift the index to the target (None when it is there already, or when
    the driver has no positive importance); reachable when the performance stays within 100."""
    if index >= target:
        return None, True
    if not importance > 0:
        return None, False
    needed = (target - index) / importance
    return needed, performance + needed <= 100.0


def few_clusters(clusters: int) -> tuple[float, float]:
    """Small-sample factors of a cluster bootstrap over G clusters: sqrt(G / (G - 1)) for the standard error (the
    bootstrap variance is (G - 1) / G times the unbiased one), and that times t(G - 1) / z for the interval's
    distance from the estimate (a variance estimated from G clusters has G - 1 degrees of freedom)."""
    if clusters < 2:
        return 1.0, 1.0
    variance = float(np.sqrt(clusters / (clusters - 1)))
    return variance, variance * float(stats.t.ppf(0.975, clusters - 1) / stats.norm.ppf(0.975))


def seed_of(seed: int, *parts: str | int) -> np.random.SeedSequence:
    return np.random.SeedSequence([seed, *(b for p in parts for b in (p.encode() if isinstance(p, str) else [p]))])


def cell(level, n, estimate, draws, target, **keys) -> IndexCell:
    """A cell from its estimate and draws (percentile interval)."""
    return summarised(level, n, estimate, *C.summarise(estimate, draws), target, **keys)


def summarised(level, n, estimate, se, low, high, target, **keys) -> IndexCell:
    """A cell from its estimate, standard error and interval (None or NaN when missing)."""
    if any(v is None or not np.isfinite(v) for v in (estimate, se, low, high)):
        se = low = high = None
        estimate = None if estimate is None or not np.isfinite(estimate) else estimate
    return IndexCell(level=level, n=int(n), index=R(estimate), se=R(se), ci_low=R(low), ci_high=R(high),
                     status="published", vs_target=C.versus(low, high, target), **keys)


def score_industry(code, rows, spec, items, weights, resamples, seed, note):
    """Fit and bootstrap one industry (the fit and its bootstrap)."""
    model = spec.with_items("QUAL", list(items))
    result = fit(model, rows, weights=weights, scores=False)
    note("bootstrap")
    boot = bootstrap(result, rows, resamples=resamples, seed=int(seed_of(seed, code).generate_state(1)[0]),
                     cluster="enterprise", weights=weights)
    return result, boot


def industry_tables(code, rows, result, boot, weights, interval, target, seed):
    """Cells (industry, enterprise, industry x city) and rows (paths, quality, drivers) of a fitted industry."""
    layout, spec = result.layout, result.spec
    t = layout.constructs.index(spec.index)
    ix = boot["index"]
    variance, width = few_clusters(int(rows["enterprise"].nunique()))
    value = float(ix.estimate[t])
    band = ix.percentile if interval == "percentile" else ix.bca
    low, high = (value + width * (band[t] - value)).tolist() if np.all(np.isfinite(band[t])) else (None, None)
    out = [IndexCell(level="industry", industry=code, n=len(rows), index=R(value), se=R(variance * ix.std_error[t]),
                     ci_low=R(low), ci_high=R(high), status="published", vs_target=C.versus(low, high, target))]
    sat = np.flatnonzero(layout.block == t)
    x = rows[[layout.items[i] for i in sat]].to_numpy(dtype=float)
    w = np.ones(len(rows)) if weights is None else np.asarray(weights, dtype=float)
    full = compute_index(result).weights[sat]
    draws_w = boot["index_weights"].draws[:, sat]
    ent, ent_ids = factorize(rows["enterprise"])
    names = {}
    if "enterprise_name" in rows.columns:
        names = dict(zip(rows["enterprise"].tolist(), rows["enterprise_name"].tolist()))
    rng = np.random.default_rng(seed_of(seed, code, "enterprise"))
    est, draws, df = C.cell_draws(x, w, ent, ent, len(ent_ids), full, draws_w, spec.scale, rng, pooled=False)
    se, low, high = C.summarise_many(est, draws, C.widening(df))
    counts = np.bincount(ent, minlength=len(ent_ids))
    for j, e in enumerate(ent_ids):
        name = names.get(e)
        out.append(summarised("enterprise", counts[j], est[j], se[j], low[j], high[j], target, industry=code,
                              enterprise=int(e), enterprise_name=None if name is None or pd.isna(name) else str(name)))
    city, city_ids = factorize(rows["city"].astype(str))
    rng = np.random.default_rng(seed_of(seed, code, "industry_city"))
    est, city_draws, df = C.cell_draws(x, w, city, ent, len(city_ids), full, draws_w, spec.scale, rng, pooled=True)
    se, low, high = C.summarise_many(est, city_draws, C.widening(df))
    counts = np.bincount(city, minlength=len(city_ids))
    sums = np.bincount(city, weights=w, minlength=len(city_ids))
    for j, c in enumerate(city_ids):
        out.append(summarised("industry_city", counts[j], est[j], se[j], low[j], high[j], target, industry=code,
                              city=str(c)))
    by_city = {str(c): (counts[j], sums[j], est[j], city_draws[:, j]) for j, c in enumerate(city_ids)}
    return out, by_city, (value, value + variance * (ix.draws[:, t] - value))


def model_rows(code, result, boot, interval, target, clusters):
    """Paths with intervals, measurement quality and importance-performance of one fitted industry."""
    layout = result.layout
    paths = boot["paths"]
    width = few_clusters(clusters)[1]
    band = paths.percentile if interval == "percentile" else paths.bca
    band = paths.estimate[:, None] + width * (band - paths.estimate[:, None])
    path_rows = [PathRow(industry=code, source=a, target=b, estimate=R(paths.estimate[i]), ci_low=R(band[i, 0]),
                         ci_high=R(band[i, 1])) for i, (a, b) in enumerate(result.spec.edges)]
    q = result.quality
    endo = layout.adjacency.sum(axis=0) > 0
    quality = [QualityRow(industry=code, construct=name, cronbach_alpha=R(q.cronbach_alpha[j]), rho_c=R(q.rho_c[j]),
                          rho_a=R(q.rho_a[j]), ave=R(q.ave[j]), r_squared=R(result.r_squared[j]) if endo[j] else None)
               for j, name in enumerate(layout.constructs)]
    imp = ipma(result, target)
    drivers = []
    for d in imp.constructs:
        needed, ok = rise_to_target(imp.index, target, d.importance, d.performance)
        drivers.append(DriverRow(industry=code, construct=d.construct, importance=R(d.importance),
                                 performance=R(d.performance), rise_needed=R(needed), reachable=ok))
    items = [ItemDriverRow(industry=code, construct=d.construct, item=d.name, importance=R(d.importance),
                           performance=R(d.performance)) for d in imp.items]
    return path_rows, quality, drivers, items


def programme_shares(codes: Sequence[str], margins) -> tuple[np.ndarray, str]:
    if margins and all(code in margins and margins[code] for code in codes):
        sizes = np.array([sum(float(v) for v in next(iter(margins[code].values())).values()) for code in codes])
        text = ", ".join(f"{c} {s:g}" for c, s in zip(codes, sizes))
        return sizes / sizes.sum(), f"industry indices weighted by population size (first raking margin): {text}"
    return np.full(len(codes), 1 / max(len(codes), 1)), "equal weights of the industry indices"


class Industry:
    """What one industry contributes: its sample row, cells and model rows, and its draws for the combinations."""

    def __init__(self, code, frame, excluded, spec, items, margins, resamples, seed, interval, rule_set, note):
        target = float(spec.target)
        mine = (frame["industry"].astype(str) == code).to_numpy()
        reasons = excluded[mine]
        rows = frame[mine & excluded.isna().to_numpy()].reset_index(drop=True)
        note("weights")
        weights = rake(rows, margins[code]).weights if margins and code in margins else None
        note("fit")
        try:
            result, boot = score_industry(code, rows, spec, items, weights, resamples, seed, note)
        except ScoringError:  # too few responses or enterprises, constant items, non-positive weights
            result = boot = None
        note("tables")
        clusters = int(rows["enterprise"].nunique())
        self.sample = SampleRow(industry=code, received=int(mine.sum()), scored=len(rows), enterprises=clusters,
                                excluded={r.name: int((reasons == r.name).sum()) for r in rule_set.rules},
                                iterations=result.iterations if result else 0,
                                converged=bool(result.converged) if result else False)
        self.fitted = result is not None
        self.cells = [IndexCell(level="industry", industry=code, n=len(rows), index=None, se=None, ci_low=None,
                                ci_high=None, status="suppressed")]
        self.rows: tuple[list, ...] = ([], [], [], [])
        self.by_city: dict = {}
        if self.fitted:
            self.cells, self.by_city, (self.estimate, self.draws) = industry_tables(
                code, rows, result, boot, weights, interval, target, seed)
            self.rows = model_rows(code, result, boot, interval, target, clusters)


def combine(level, parts, shares, target, **keys) -> IndexCell:
    """A cell of independent parts ``(n, estimate, draws)`` mixed in the proportions ``shares``."""
    return cell(level, sum(p[0] for p in parts), float(np.dot(shares, [p[1] for p in parts])),
                sum(s * p[2] for s, p in zip(shares, parts)), target, **keys)


def publish(cells, previous: ReleaseTables | None, min_n: int, max_ci_width: float) -> tuple[IndexCell, ...]:
    """Disclosure rules, changes against the previous release, and enterprise rank groups."""
    shown = disclose(tuple(sorted(cells, key=C.key)), min_n=min_n, max_ci_width=max_ci_width)
    before = {C.key(c): c for c in previous.cells} if previous is not None else {}
    shown = [C.compare(c, before) for c in shown]
    groups = {code: C.rank_groups([c for c in shown if c.level == "enterprise" and c.industry == code])
              for code in sorted({c.industry for c in shown if c.level == "enterprise"})}
    return tuple(replace(c, rank_group=groups[c.industry][c.enterprise])
                 if c.level == "enterprise" and c.enterprise in groups.get(c.industry, {}) else c for c in shown)


def compute_release(frame: pd.DataFrame, spec: ModelSpec, *, industry_items: Mapping[str, Sequence[str]],
                    campaign: str, campaign_title_zh: str, campaign_title_en: str, is_demo: bool, rule_set: RuleSet,
                    margins: Mapping[str, Mapping[str, Mapping[Any, float]]] | None = None, resamples: int = 1000,
                    seed: int = 0, min_n: int = 30, max_ci_width: float = 10.0,
                    previous: ReleaseTables | None = None, interval: Literal["percentile", "bca"] = "percentile",
                    progress: Progress | None = None, excluded: pd.Series | None = None) -> ReleaseTables:
    """Compute every table of a release (see the module docstring for the methods).

    ``margins`` maps an industry to its raking margins ``{column: {level: population count}}``, e.g. customers
    per city; ``previous`` is the release the changes are measured against; ``progress(stage, fraction)`` is
    called as the work advances (stages "weights", "fit", "bootstrap", "tables"); ``excluded`` is
    ``apply_rules(frame, rule_set, industry_items=industry_items)`` when the caller has it already.
    """
    target = float(spec.target)
    if excluded is None:
        excluded = apply_rules(frame, rule_set, industry_items=industry_items)
    present = set(pd.unique(frame["industry"].astype(str))) if len(frame) else set()
    codes = sorted(c for c in industry_items if c in present)
    parts = []
    for i, code in enumerate(codes):
        def note(stage, i=i):
            if progress:
                progress(stage, i / len(codes))
        parts.append(Industry(code, frame, excluded, spec, industry_items[code], margins, resamples, seed, interval,
                              rule_set, note))
    cells = [c for part in parts for c in part.cells]
    for city in sorted({c for part in parts for c in part.by_city}):
        here = [part.by_city[city] for part in parts if city in part.by_city]
        cells.append(combine("city", [(p[0], p[2], p[3]) for p in here], np.array([p[1] for p in here]) / sum(
            p[1] for p in here), target, city=city))
    fitted = [part for part in parts if part.fitted]
    shares, weighting = programme_shares([p.sample.industry for p in fitted], margins)
    if fitted:
        cells.append(combine("programme", [(p.sample.scored, p.estimate, p.draws) for p in fitted], shares, target))
    published = publish(cells, previous, min_n, max_ci_width)
    if progress:
        progress("tables", 1.0)
    methods = Methods(model_id=spec.id, target=R(target), resamples=resamples, seed=seed, interval=interval,
                      cluster="enterprise", min_n=min_n, max_ci_width=R(max_ci_width), programme_weighting=weighting,
                      exclusion_rules=rule_set.label,
                      weights="equal" if not margins else "raked within each industry to margins: " + "; ".join(
                          f"{k}: {', '.join(sorted(margins[k]))}" for k in sorted(margins)))
    paths, quality, drivers, items = ([row for part in parts for row in part.rows[j]] for j in range(4))
    return ReleaseTables(
        campaign=campaign, campaign_title_zh=campaign_title_zh, campaign_title_en=campaign_title_en, is_demo=is_demo,
        methods=methods, cells=published,
        drivers=tuple(sorted(drivers, key=lambda d: (d.industry, d.construct))),
        item_drivers=tuple(sorted(items, key=lambda d: (d.industry, d.construct, d.item))),
        quality=tuple(sorted(quality, key=lambda q: (q.industry, q.construct))),
        paths=tuple(sorted(paths, key=lambda p: (p.industry, p.source, p.target))),
        sample=tuple(sorted((p.sample for p in parts), key=lambda s: s.industry)))
