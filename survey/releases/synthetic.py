"""Synthetic survey waves from a latent CSI model with known parameters (demo wave, coverage check, benchmark).

Latent constructs follow the model's paths (IMAG -> EXPE -> QUAL -> VAL -> SAT -> LOY, with IMAG, EXPE and QUAL
also reaching SAT directly and IMAG reaching LOY).  IMAG and QUAL carry an industry effect (fixed, from
``Truth.industry_effects``) plus an enterprise random effect (normal, sd ``enterprise_sd``), so industries and
enterprises differ in their satisfaction.  An item is ``clip(rint(centre + loading * latent + noise), 1, 10)``;
non-index items are "not applicable" (NaN) with probability ``na_rate``; about 15% of respondents complained
(``cmp1 = "yes"``, more often when QUAL is low) and only they answer ``cmp2``.  The enterprise effects are
drawn first from the seed, so the same roster and seed give the same enterprises whatever the number of
respondents: a very large sample of a wave's own enterprises gives their true indices.

The population value of an industry's index is the index of the model fitted to one very large simulated sample
of that industry (:func:`population_index`, by default 200,000 enterprises x 10 respondents): the limit of the
estimator as the number of enterprises grows.  The enterprise effects dominate its Monte Carlo error, so the
sample has many small enterprises (the limit does not depend on the respondents per enterprise: the pooled
means and covariances converge to the same values); the error is about 0.006 points.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import msgspec
import numpy as np
import pandas as pd

from survey.scoring import ModelSpec, PLSResult, compute_index, fit

CONSTRUCTS = ("IMAG", "EXPE", "QUAL", "VAL", "SAT", "LOY")
CORE = {"IMAG": ("img1", "img2", "img3"), "EXPE": ("exp1", "exp2", "exp3"),
        "QUAL": ("qua1", "qua2", "qua3", "qua4", "qua5", "qua6"), "VAL": ("val1", "val2"),
        "SAT": ("sat1", "sat2", "sat3"), "LOY": ("loy1", "loy2", "loy3")}
PATHS = {"EXPE": {"IMAG": 0.5}, "QUAL": {"EXPE": 0.6}, "VAL": {"EXPE": 0.2, "QUAL": 0.5},
         "SAT": {"IMAG": 0.2, "EXPE": 0.1, "QUAL": 0.35, "VAL": 0.3}, "LOY": {"IMAG": 0.2, "SAT": 0.6}}
CITIES = ("440100", "440300", "440400", "440500", "440600", "440700", "440800", "440900", "441200", "441300",
          "441400", "441500", "441600", "441700", "441800", "441900", "442000", "445100", "445200", "445300",
          "440200")


class Enterprise(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    industry: str
    city: str


class Truth(msgspec.Struct, frozen=True, kw_only=True):
    """The known parameters of the simulated population."""

    industry_effects: dict[str, float]  # latent shift of IMAG and QUAL per industry
    enterprise_sd: float = 0.25
    centre: float = 8.75  # item value at latent 0
    loading: float = 1.0
    noise_sd: float = 0.9
    na_rate: float = 0.03
    complaint_logit: float = -1.8


def default_truth(industries: Sequence[str], spread: float = 0.6) -> Truth:
    """Industry effects spread evenly over [-spread, spread] in the given order: some industries sit above 85,
    some below."""
    k = len(industries)
    effects = np.linspace(-spread, spread, k) if k > 1 else np.zeros(k)
    return Truth(industry_effects={code: float(e) for code, e in zip(industries, effects)})


def roster(industries: Sequence[str], per_industry: int, *, cities: Sequence[str] = CITIES,
           seed: int = 0) -> tuple[Enterprise, ...]:
    """Enterprises numbered from 1, ``per_industry`` per industry, each in a city drawn with the seed."""
    rng = np.random.default_rng([seed, 7])
    out, next_id = [], 1
    for code in industries:
        for city in rng.choice(np.asarray(cities), size=per_industry):
            out.append(Enterprise(id=next_id, industry=code, city=str(city)))
            next_id += 1
    return tuple(out)


def simulate(enterprises: Sequence[Enterprise], respondents: int | Sequence[int], *,
             industry_items: Mapping[str, Sequence[str]], truth: Truth, seed: int) -> pd.DataFrame:
    """One synthetic wave: a row per respondent (enterprise, industry, city, is_test, flags, cmp1 and items)."""
    rng = np.random.default_rng(seed)
    counts = np.broadcast_to(np.asarray(respondents, dtype=np.int64), (len(enterprises),))
    owner = np.repeat(np.arange(len(enterprises)), counts)
    n = len(owner)
    industry = np.array([e.industry for e in enterprises], dtype=object)
    shift = np.array([truth.industry_effects[e.industry] for e in enterprises])
    shift = (shift + rng.normal(0.0, truth.enterprise_sd, len(enterprises)))[owner]
    latent: dict[str, np.ndarray] = {}
    for name in CONSTRUCTS:
        eta = sum((b * latent[a] for a, b in PATHS.get(name, {}).items()), np.zeros(n))
        eta = eta + rng.standard_normal(n) * (0.8 if name in PATHS else 1.0)
        latent[name] = eta + shift if name in ("IMAG", "QUAL") else eta
    columns: dict[str, np.ndarray] = {}
    codes = sorted({e.industry for e in enterprises})
    blocks = {name: list(items) for name, items in CORE.items()}
    extra = {item for code in codes for item in industry_items.get(code, ())}
    for name in CONSTRUCTS:
        for item in blocks[name] + (sorted(extra) if name == "QUAL" else []):
            value = truth.centre + truth.loading * latent[name] + truth.noise_sd * rng.standard_normal(n)
            value = np.clip(np.rint(value), 1, 10)
            if name != "SAT":
                value[rng.random(n) < truth.na_rate] = np.nan
            columns[item] = value
    own = industry[owner]
    for item in extra:  # an industry's block is asked only of that industry
        columns[item][~np.isin(own, [c for c in codes if item in industry_items.get(c, ())])] = np.nan
    complained = rng.random(n) < 1 / (1 + np.exp(-(truth.complaint_logit - 0.8 * (latent["QUAL"] - shift))))
    cmp2 = np.clip(np.rint(6.5 + latent["SAT"] + truth.noise_sd * rng.standard_normal(n)), 1, 10)
    frame = pd.DataFrame({
        "enterprise": np.array([e.id for e in enterprises], dtype=np.int64)[owner],
        "industry": own.astype(str),
        "city": np.array([e.city for e in enterprises], dtype=object)[owner],
        "is_test": np.zeros(n, dtype=bool),
        "flags": [()] * n,
        "cmp1": np.where(complained, "yes", "no"),
    })
    items = pd.DataFrame(columns)
    items["cmp2"] = np.where(complained, cmp2, np.nan)
    return pd.concat([frame, items], axis=1)


def population_fit(spec: ModelSpec, industry: str, *, industry_items: Mapping[str, Sequence[str]], truth: Truth,
                   enterprises: int = 200_000, respondents: int = 10, seed: int = 99) -> PLSResult:
    """The model fitted to one very large sample of an industry: its weights are the population weights."""
    roster_ = tuple(Enterprise(id=i + 1, industry=industry, city=CITIES[0]) for i in range(enterprises))
    frame = simulate(roster_, respondents, industry_items=industry_items, truth=truth, seed=seed)
    return fit(spec.with_items("QUAL", list(industry_items.get(industry, ()))), frame, scores=False)


def population_index(spec: ModelSpec, industry: str, *, industry_items: Mapping[str, Sequence[str]],
                     truth: Truth, enterprises: int = 200_000, respondents: int = 10, seed: int = 99) -> float:
    """The population value of an industry's index (see the module docstring)."""
    return compute_index(population_fit(spec, industry, industry_items=industry_items, truth=truth,
                                        enterprises=enterprises, respondents=respondents, seed=seed)).index
