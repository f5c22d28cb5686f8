"""Coverage of the release intervals: do 95% intervals of an industry's index cover its population value?

    .venv/bin/python bench/coverage.py                       # 200 waves, 40 enterprises x 60 respondents, B=300
    .venv/bin/python bench/coverage.py --waves 400 --interval bca --workers 2

Each wave is simulated from the known model of survey.releases.synthetic (one industry, enterprise random
effects) and scored by survey.releases.compute.compute_release exactly as a release is (exclusions, fit,
cluster bootstrap over enterprises).  The population value is the index fitted to one very large simulated
sample of the same industry (population_fit: 200,000 enterprises x 10 respondents).  PASS when the share of
waves whose interval covers it lies in [93%, 97%]; with 200 waves its Monte Carlo standard error is 1.5 points.
The first --cell-waves waves also check the enterprise cells: the interval of each published enterprise against
its own index (20,000 simulated respondents of the same enterprise, scored with the population weights).
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from msgspec.structs import replace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from survey.releases.compute import compute_release  # noqa: E402
from survey.releases.rules import STANDARD  # noqa: E402
from survey.releases.synthetic import default_truth, population_fit, roster, simulate  # noqa: E402
from survey.scoring import compute_index, load_model  # noqa: E402

INDUSTRY = "automobile"
ITEMS = {INDUSTRY: ["auto1", "auto2", "auto3", "auto4", "auto5"]}
SPEC = load_model(ROOT / "models" / "after-sales-csi.toml")


def one_wave(args) -> tuple[tuple[float, float, float, float], list[tuple[float, float, float]]]:
    """(estimate, ci_low, ci_high, se) of the industry index in wave ``seed``; with population SAT weights, also
    (truth, ci_low, ci_high) of every published enterprise cell, its truth from 20,000 of its own respondents."""
    seed, enterprises, respondents, resamples, interval, shift, sat_weights = args
    truth = replace(default_truth([INDUSTRY]), industry_effects={INDUSTRY: shift})
    firms = roster([INDUSTRY], enterprises, seed=seed)
    frame = simulate(firms, respondents, industry_items=ITEMS, truth=truth, seed=seed)
    tables = compute_release(frame, SPEC, industry_items=ITEMS, campaign="coverage", campaign_title_zh="覆盖率",
                             campaign_title_en="coverage", is_demo=True, rule_set=STANDARD, resamples=resamples,
                             seed=seed, interval=interval)
    cell = next(c for c in tables.cells if c.level == "industry")
    checked = []
    if sat_weights is not None:
        big = simulate(firms, 20_000, industry_items=ITEMS, truth=truth, seed=seed)  # the same enterprises
        means = big.groupby("enterprise")[["sat1", "sat2", "sat3"]].mean()
        true = (means.to_numpy() - 1) / 9 * 100 @ sat_weights
        value = dict(zip(means.index.tolist(), true.tolist()))
        checked = [(value[c.enterprise], c.ci_low, c.ci_high) for c in tables.cells
                   if c.level == "enterprise" and c.index is not None]
    return (cell.index, cell.ci_low, cell.ci_high, cell.se), checked


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--waves", type=int, default=200)
    parser.add_argument("--enterprises", type=int, default=40)
    parser.add_argument("--respondents", type=int, default=60)
    parser.add_argument("--resamples", type=int, default=300)
    parser.add_argument("--interval", choices=("percentile", "bca"), default="percentile")
    parser.add_argument("--shift", type=float, default=0.0, help="the industry's latent effect (0: index near 85)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument("--cell-waves", type=int, default=20, help="waves whose enterprise cells are checked too")
    args = parser.parse_args()
    print(f"settings: waves={args.waves} industry={INDUSTRY} enterprises={args.enterprises} "
          f"respondents={args.respondents} resamples={args.resamples} interval={args.interval} shift={args.shift} "
          f"workers={args.workers} seeds={args.first_seed}..{args.first_seed + args.waves - 1} "
          f"(cluster bootstrap over enterprises, 95% level)")
    start = time.perf_counter()
    truth = replace(default_truth([INDUSTRY]), industry_effects={INDUSTRY: args.shift})
    population = population_fit(SPEC, INDUSTRY, industry_items=ITEMS, truth=truth)
    value = compute_index(population).index
    sat_weights = compute_index(population).weights[[population.layout.items.index(i) for i in ("sat1", "sat2",
                                                                                              "sat3")]]
    print(f"population value: {value:.4f} (one sample of 200,000 enterprises x 10 respondents, "
          f"{time.perf_counter() - start:.1f} s)")
    jobs = [(args.first_seed + k, args.enterprises, args.respondents, args.resamples, args.interval, args.shift,
             sat_weights if k < args.cell_waves else None) for k in range(args.waves)]
    with ProcessPoolExecutor(args.workers) as pool:
        done = list(pool.map(one_wave, jobs, chunksize=4))
    estimate, low, high, se = np.array([d[0] for d in done], dtype=float).T
    cells = np.array([c for d in done for c in d[1]], dtype=float).reshape(-1, 3)
    covered = (low <= value) & (value <= high)
    share = covered.mean()
    mc = np.sqrt(share * (1 - share) / len(covered))
    print(f"mean estimate {estimate.mean():.3f} (bias {estimate.mean() - value:+.3f}); sd of estimates "
          f"{estimate.std(ddof=1):.3f}; mean bootstrap se {se.mean():.3f}; mean width {(high - low).mean():.3f}")
    print(f"missed below {np.mean(high < value):.3f}, above {np.mean(low > value):.3f}")
    print(f"coverage: {100 * share:.1f}% (Monte Carlo se {100 * mc:.1f} points) of {len(covered)} waves; "
          f"target 93-97%: {'PASS' if 0.93 <= share <= 0.97 else 'FAIL'}")
    if len(cells):
        hit = (cells[:, 1] <= cells[:, 0]) & (cells[:, 0] <= cells[:, 2])
        print(f"enterprise cells: {100 * hit.mean():.1f}% of {len(hit)} intervals (from {args.cell_waves} waves) cover "
              f"the enterprise's own index (its 20,000-respondent mean with the population weights)")
    print(f"runtime: {time.perf_counter() - start:.1f} s")
    return 0 if 0.93 <= share <= 0.97 else 1


if __name__ == "__main__":
    raise SystemExit(main())
