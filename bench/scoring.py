"""Benchmark of the PLS scoring engine against Python plspm 0.5.7 (the baseline).

    .venv/bin/python bench/scoring.py                   # N = 10k, 100k, 1M
    .venv/bin/python bench/scoring.py --sizes 10000,100000 --resamples 1000

Synthetic ECSI-shaped data (seeded): the after-sales CSI model with three industry quality items, answers
on 1..10 generated from a structural model.  plspm runs in bench/.venv-plspm (pandas < 3) through
bench/scoring_plspm_driver.py, with Scale.NUM so that it matches R plspm.  Prints the agreement of the
path coefficients (max abs difference), times, our peak memory, and the ratios against the targets:
fit at 1M >= 100x faster than plspm with peak <= 300 MB; fit + 1000-resample bootstrap at 100k >= 500x
faster than plspm's bootstrap (timed at --plspm-resamples and scaled linearly).  When plspm is not run
at a size (above --plspm-max-n), its time is scaled linearly from the largest size it ran, and the output
says so.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from survey.scoring.bootstrap import bootstrap  # noqa: E402
from survey.scoring.pls import fit  # noqa: E402
from survey.scoring.spec import load_model  # noqa: E402

PLSPM_PYTHON = ROOT / "bench" / ".venv-plspm" / "bin" / "python"
DRIVER = ROOT / "bench" / "scoring_plspm_driver.py"
INDUSTRY_ITEMS = ["qua_x1", "qua_x2", "qua_x3"]
# structural model (standardized): target <- {source: coefficient}
STRUCTURE = {"EXPE": {"IMAG": 0.55}, "QUAL": {"EXPE": 0.7}, "VAL": {"EXPE": 0.2, "QUAL": 0.55},
             "SAT": {"IMAG": 0.2, "EXPE": 0.05, "QUAL": 0.25, "VAL": 0.4}, "LOY": {"IMAG": 0.25, "SAT": 0.5}}


def model():
    spec = load_model(ROOT / "models" / "after-sales-csi.toml").with_items("QUAL", INDUSTRY_ITEMS)
    return spec.with_estimation(tolerance=1e-7)


def synthetic(spec, n: int, seed: int = 20240601, chunk: int = 100_000) -> np.ndarray:
    """ECSI-shaped answers (uint8 on 1..10), generated in chunks so memory stays small."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, len(spec.items)), dtype=np.uint8)
    loading = rng.uniform(0.65, 0.9, len(spec.items))
    block = {c.name: c.items for c in spec.constructs}
    col = {item: i for i, item in enumerate(spec.items)}
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        eta = {"IMAG": rng.standard_normal(m)}
        for target, sources in STRUCTURE.items():
            signal = sum(b * eta[s] for s, b in sources.items())
            eta[target] = signal + rng.standard_normal(m) * np.sqrt(max(0.2, 1 - signal.var()))
        for name, items in block.items():
            for item in items:
                lam = loading[col[item]]
                x = 7.2 + 1.5 * (lam * eta[name] + np.sqrt(1 - lam**2) * rng.standard_normal(m))
                out[start:start + m, col[item]] = np.clip(np.rint(x), 1, 10)
    return out


def best_of(fn, repeats: int) -> tuple[float, object]:
    best, value = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    return best, value


def our_fit(spec, x, repeats):
    seconds, result = best_of(lambda: fit(spec, x, scores=False), repeats)
    tracemalloc.start()
    fit(spec, x, scores=False)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, result, peak


def run_plspm(spec, x, resamples: int = 0) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        np.save(Path(tmp) / "x.npy", x)
        json.dump({"items": list(spec.items), "edges": [list(e) for e in spec.edges],
                   "scheme": spec.estimation.scheme,
                   "blocks": {c.name: list(c.items) for c in spec.constructs}}, open(Path(tmp) / "m.json", "w"))
        cmd = [str(PLSPM_PYTHON), str(DRIVER), str(Path(tmp) / "x.npy"), str(Path(tmp) / "m.json")]
        if resamples:
            cmd += ["--bootstrap", str(resamples), "--processes", "2"]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode:
            raise RuntimeError(f"plspm failed: {done.stderr[-2000:]}")
        return json.loads(done.stdout)


def ratio_line(name, ours, theirs, target, note=""):
    ratio = theirs / ours
    verdict = "meets" if ratio >= target else "MISSES"
    return f"{name}: ours {ours:.3f} s, plspm {theirs:.2f} s{note} -> {ratio:,.0f}x ({verdict} target {target}x)"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated N")
    parser.add_argument("--resamples", type=int, default=1000, help="our bootstrap resamples")
    parser.add_argument("--bootstrap-n", type=int, default=100_000, help="N for the bootstrap comparison")
    parser.add_argument("--plspm-resamples", type=int, default=200, help="plspm bootstrap resamples (scaled)")
    parser.add_argument("--plspm-max-n", type=int, default=100_000, help="largest N plspm runs at")
    parser.add_argument("--no-plspm", action="store_true")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    spec = model()
    have_plspm = PLSPM_PYTHON.exists() and not args.no_plspm
    print(f"model {spec.id} + {len(INDUSTRY_ITEMS)} industry items: {len(spec.items)} items, "
          f"{len(spec.constructs)} constructs, scheme {spec.estimation.scheme}; {os.cpu_count()} CPUs")
    print(f"{'N':>9} {'ours fit s':>11} {'peak MB':>8} {'iter':>5} {'plspm fit s':>12} {'ratio':>8} "
          f"{'max |dpath|':>12}")
    plspm_at: dict[int, float] = {}
    lines = []
    for n in sizes:
        x = synthetic(spec, n)
        seconds, result, peak = our_fit(spec, x, 3 if n <= 100_000 else 1)
        theirs, diff, note = None, None, ""
        if have_plspm and n <= args.plspm_max_n:
            out = run_plspm(spec, x)
            theirs = out["fit_seconds"]
            plspm_at[n] = theirs
            names = result.layout.constructs
            ours = {f"{a} -> {b}": result.path_coefficients[names.index(a), names.index(b)] for a, b in spec.edges}
            diff = max(abs(ours[k] - v) for k, v in out["paths"].items())
        elif plspm_at:
            base = max(plspm_at)
            theirs = plspm_at[base] * n / base
            note = f" (scaled linearly from N={base})"
        row = f"{n:>9} {seconds:>11.4f} {peak / 2**20:>8.1f} {result.iterations:>5} "
        row += f"{'-' if theirs is None else f'{theirs:.3f}':>12} "
        row += f"{'-' if theirs is None else f'{theirs / seconds:,.0f}x':>8} "
        row += f"{'-' if diff is None else f'{diff:.1e}':>12}"
        print(row + note, flush=True)
        if theirs is not None and n == max(sizes):
            lines.append(ratio_line(f"fit at N={n}", seconds, theirs, 100, note))
            lines.append(f"peak memory of our fit at N={n}: {peak / 2**20:.1f} MB traced "
                         f"({'meets' if peak <= 300 * 2**20 else 'MISSES'} target 300 MB); process max RSS so far "
                         f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB (includes the data)")
        del x
    n = args.bootstrap_n
    x = synthetic(spec, n)
    frame = x_frame(spec, x)
    times = []
    for _ in range(2):  # the first run includes one-time costs (BLAS threads, page faults): report both
        start = time.perf_counter()
        full = fit(spec, frame, scores=False)
        boot = bootstrap(full, frame, resamples=args.resamples, seed=1)
        times.append(time.perf_counter() - start)
    ours = min(times)
    print(f"\nours: fit + {args.resamples}-resample bootstrap at N={n}: {times[0]:.2f} s first run, "
          f"{times[1]:.2f} s second ({boot.failed} failed resamples); "
          f"95% BCa of {boot['paths'].labels[-1]}: [{boot['paths'].bca[-1][0]:.3f}, {boot['paths'].bca[-1][1]:.3f}]",
          flush=True)
    if have_plspm:
        out = run_plspm(spec, x, args.plspm_resamples)
        theirs = out["boot_seconds"] * args.resamples / args.plspm_resamples
        print(f"plspm: bootstrap with {args.plspm_resamples} resamples at N={n}: {out['boot_seconds']:.1f} s "
              f"-> {theirs:.1f} s for {args.resamples} (scaled linearly)")
        lines.append(ratio_line(f"fit + bootstrap at N={n} (our faster run)", ours, theirs, 500,
                                f" (plspm at {args.plspm_resamples} resamples, scaled)"))
        lines.append(ratio_line(f"fit + bootstrap at N={n} (our slower run)", max(times), theirs, 500,
                                f" (plspm at {args.plspm_resamples} resamples, scaled)"))
    print("\nTargets")
    for line in lines:
        print("  " + line)
    return 0


def x_frame(spec, x):
    import pandas as pd

    return pd.DataFrame(x, columns=list(spec.items))


if __name__ == "__main__":
    raise SystemExit(main())
