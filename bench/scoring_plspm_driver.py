"""Run Python plspm 0.5.7 (the baseline) on a benchmark data file; called by bench/scoring.py in bench/.venv-plspm.

Usage: python bench/scoring_plspm_driver.py DATA.npy MODEL.json [--bootstrap B] [--processes P]
Prints JSON: fit_seconds, paths {"FROM -> TO": estimate}, boot_seconds (when --bootstrap).
"""

import argparse
import json
import time

import numpy as np
import pandas as pd
import plspm.config as c
from plspm.mode import Mode
from plspm.plspm import Plspm
from plspm.scale import Scale
from plspm.scheme import Scheme


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("model")
    parser.add_argument("--bootstrap", type=int, default=0)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    model = json.load(open(args.model))
    x = np.load(args.data)
    data = pd.DataFrame(x.astype(float), columns=model["items"])
    structure = c.Structure()
    for a, b in model["edges"]:
        structure.add_path([a], [b])
    config = c.Config(structure.path(), default_scale=Scale.NUM)  # NUM: matches R plspm's numeric scaling
    for name, items in model["blocks"].items():
        config.add_lv(name, Mode.A, *[c.MV(i) for i in items])
    scheme = {"path": Scheme.PATH, "centroid": Scheme.CENTROID, "factorial": Scheme.FACTORIAL}[model["scheme"]]
    start = time.perf_counter()
    fitted = Plspm(data, config, scheme, iterations=100, tolerance=1e-6)
    paths = fitted.path_coefficients()  # [to, from]
    out = {"fit_seconds": time.perf_counter() - start,
           "paths": {f"{a} -> {b}": float(paths.loc[b, a]) for a, b in model["edges"]}}
    if args.bootstrap:
        start = time.perf_counter()
        boot = Plspm(data, config, scheme, iterations=100, tolerance=1e-6, bootstrap=True,
                     bootstrap_iterations=args.bootstrap, processes=args.processes)
        boot.bootstrap().paths()
        out["boot_seconds"] = time.perf_counter() - start
    print(json.dumps(out))


if __name__ == "__main__":
    main()
