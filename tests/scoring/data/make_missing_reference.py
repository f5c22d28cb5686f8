"""Generate the missing-data reference: Python plspm 0.5.7 (a port of R plspm) on satisfaction.csv with
a few cells blanked.  Run once, in its own environment (plspm needs pandas < 3):

    python3 -m venv bench/.venv-plspm
    bench/.venv-plspm/bin/pip install 'plspm==0.5.7' 'pandas<3'
    bench/.venv-plspm/bin/python tests/scoring/data/make_missing_reference.py

With missing values R plspm (and this port, with ``Scale.NUM``) switches to its available-data
algorithm: each weight from the rows that answered the item, each score from the items the row answered.
Writes satisfaction-missing.csv (the data) and satisfaction-missing.{outer-model,paths,inner-summary,scores}.csv.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import plspm.config as c
from plspm.mode import Mode
from plspm.plspm import Plspm
from plspm.scale import Scale
from plspm.scheme import Scheme

HERE = Path(__file__).parent
BLOCKS = {"IMAG": "imag", "EXPE": "expe", "QUAL": "qual", "VAL": "val", "SAT": "sat", "LOY": "loy"}
PATHS = [("IMAG", ["EXPE", "SAT", "LOY"]), ("EXPE", ["QUAL", "VAL", "SAT"]), ("QUAL", ["VAL", "SAT"]),
         ("VAL", ["SAT"]), ("SAT", ["LOY"])]


def main() -> None:
    data = pd.read_csv(HERE / "satisfaction.csv", index_col=0).drop(columns=["gender"]).astype(float)
    rng = np.random.default_rng(20240601)
    cells = rng.choice(data.size, 60, replace=False)  # about 1% of the cells
    values = data.to_numpy()
    values.flat[cells] = np.nan
    data = pd.DataFrame(values, index=data.index, columns=data.columns)
    data.to_csv(HERE / "satisfaction-missing.csv", index_label="id")

    structure = c.Structure()
    for source, targets in PATHS:
        structure.add_path([source], targets)
    config = c.Config(structure.path(), default_scale=Scale.NUM)
    for lv, prefix in BLOCKS.items():
        config.add_lv_with_columns_named(lv, Mode.A, data, prefix)
    model = Plspm(data, config, Scheme.CENTROID, iterations=1000, tolerance=1e-14)

    outer = model.outer_model()
    outer.index.name = "name"
    outer.to_csv(HERE / "satisfaction-missing.outer-model.csv", float_format="%.17g")
    paths = model.path_coefficients()  # row = to, column = from (plspm's layout)
    paths.to_csv(HERE / "satisfaction-missing.paths.csv", float_format="%.17g")
    model.inner_summary().to_csv(HERE / "satisfaction-missing.inner-summary.csv", float_format="%.17g")
    model.scores().to_csv(HERE / "satisfaction-missing.scores.csv", float_format="%.17g")


if __name__ == "__main__":
    main()
