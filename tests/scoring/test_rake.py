"""Raking reproduces the target margins."""

import numpy as np
import pandas as pd
import pytest

from survey.scoring.moments import DataError
from survey.scoring.rake import rake

#: raking tolerance on weighted shares
SHARE_TOL = 1e-9


def sample():
    rng = np.random.default_rng(7)
    return pd.DataFrame({"city": rng.choice(["a", "b", "c"], 600, p=[0.6, 0.3, 0.1]),
                         "industry": rng.choice(["car", "phone"], 600, p=[0.2, 0.8])})


def test_rake_matches_margins():
    frame = sample()
    margins = {"city": {"a": 300, "b": 300, "c": 400}, "industry": {"car": 0.5, "phone": 0.5}}
    res = rake(frame, margins, tolerance=1e-12)
    assert res.converged and res.iterations > 1
    assert res.weights.sum() == pytest.approx(len(frame))
    for column, targets in margins.items():
        total = sum(targets.values())
        for level, target in targets.items():
            share = res.weights[frame[column] == level].sum() / res.weights.sum()
            assert share == pytest.approx(target / total, abs=SHARE_TOL)


def test_rake_rejects_levels_without_target():
    with pytest.raises(DataError, match="no target"):
        rake(sample(), {"city": {"a": 1, "b": 1}})
