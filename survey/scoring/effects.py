"""Direct, indirect and total effects of a recursive path model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class EffectsResult:
    """Effect matrices indexed ``[from, to]`` over the constructs in model order."""

    constructs: tuple[str, ...]
    direct: np.ndarray
    indirect: np.ndarray
    total_effects: np.ndarray

    def rows(self) -> list[dict]:
        """One record per ordered pair with a direct or an indirect effect."""
        out = []
        for i, a in enumerate(self.constructs):
            for j, b in enumerate(self.constructs):
                if i != j and (self.direct[i, j] != 0 or self.indirect[i, j] != 0):
                    out.append({"from": a, "to": b, "direct": float(self.direct[i, j]),
                                "indirect": float(self.indirect[i, j]), "total": float(self.total_effects[i, j])})
        return out


def total_effects(path_coefficients: np.ndarray) -> np.ndarray:
    """Sum of all path products: ``B + B^2 + ... = (I - B)^-1 - I`` for an acyclic ``B[from, to]``."""
    b = np.asarray(path_coefficients, dtype=float)
    eye = np.eye(len(b))
    return np.linalg.solve(eye - b.T, eye).T - eye


def decompose(constructs: tuple[str, ...], path_coefficients: np.ndarray) -> EffectsResult:
    """Split the effects of ``path_coefficients`` (``[from, to]``) into direct, indirect and total."""
    total = total_effects(path_coefficients)
    return EffectsResult(constructs, np.asarray(path_coefficients, dtype=float), total - path_coefficients, total)
