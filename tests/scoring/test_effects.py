"""Direct, indirect and total effects of a chain and a diamond, by hand."""

import numpy as np
import pytest

from survey.scoring.effects import decompose


def test_chain_and_diamond():
    names = ("A", "B", "C", "D")
    b = np.zeros((4, 4))
    b[0, 1], b[1, 2], b[0, 2], b[2, 3] = 0.5, 0.4, 0.3, 0.6  # A->B->C->D and A->C
    e = decompose(names, b)
    assert e.total_effects[0, 2] == pytest.approx(0.3 + 0.5 * 0.4)
    assert e.indirect[0, 2] == pytest.approx(0.5 * 0.4)
    assert e.total_effects[0, 3] == pytest.approx((0.3 + 0.5 * 0.4) * 0.6)
    assert e.direct[0, 3] == 0 and e.indirect[1, 3] == pytest.approx(0.4 * 0.6)
    rows = {(r["from"], r["to"]) for r in e.rows()}
    assert rows == {("A", "B"), ("A", "C"), ("A", "D"), ("B", "C"), ("B", "D"), ("C", "D")}
