"""Exclusion rules: which responses a release leaves out, as named and versioned data.

A rule set is plain data (its canonical description goes into the release manifest); each rule kind has one
function that marks the rows it excludes.  A row counts under the first rule of the set that excludes it.

Rule kinds
----------
``test``
    The response was made in test mode (column ``is_test`` true).
``flagged``
    The response carries at least one quality flag (column ``flags``: a tuple or list of flag names) that was
    not overridden.
``incomplete``
    The response cannot be scored: an item of the index (``required``: sat1..sat3) is missing, or more than
    ``max_missing_share`` (one half) of the instrument's scored items are missing.  The instrument's scored
    items are the common core's 1-10 items (``core``: IMAG, EXPE, QUAL, VAL, SAT and LOY; not cmp2, which only
    complainants are asked) plus the row's industry block (``industry_items[row.industry]``; when no mapping is
    given, the item columns outside the core that any response of the same industry answered).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import msgspec
import numpy as np
import pandas as pd

CORE_ITEMS = ("img1", "img2", "img3", "exp1", "exp2", "exp3", "qua1", "qua2", "qua3", "qua4", "qua5", "qua6",
              "val1", "val2", "sat1", "sat2", "sat3", "loy1", "loy2", "loy3")
NOT_ITEMS = frozenset({"id", "instrument", "version", "enterprise", "enterprise_name", "industry", "city",
                       "is_test", "flags", "cmp1", "cmp2", "weight"})


class Rule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One exclusion rule: its kind (which names it too) and its parameters."""

    name: Literal["test", "flagged", "incomplete"]
    description: str
    required: tuple[str, ...] = ()
    core: tuple[str, ...] = ()
    max_missing_share: float = 0.5


class RuleSet(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: str
    version: int
    rules: tuple[Rule, ...]

    @property
    def label(self) -> str:
        return f"{self.name}-v{self.version}"


STANDARD = RuleSet(name="standard", version=1, rules=(
    Rule(name="test", description="responses made in test mode"),
    Rule(name="flagged", description="responses with a quality flag that was not overridden"),
    Rule(name="incomplete", description="a satisfaction item missing, or more than half of the instrument's "
         "scored items missing", required=("sat1", "sat2", "sat3"), core=CORE_ITEMS, max_missing_share=0.5),
))


def describe(rule_set: RuleSet) -> dict[str, Any]:
    """The canonical description of a rule set, for the release manifest."""
    return msgspec.json.decode(msgspec.json.encode(rule_set))


def excluded_by_test(frame: pd.DataFrame, rule: Rule, industry_items) -> np.ndarray:
    return frame["is_test"].fillna(False).astype(bool).to_numpy()


def excluded_by_flagged(frame: pd.DataFrame, rule: Rule, industry_items) -> np.ndarray:
    flags = frame["flags"].to_numpy(dtype=object)
    return np.fromiter((f is not None and not isinstance(f, float) and len(f) > 0 for f in flags), dtype=bool,
                       count=len(flags))


def block_items(frame: pd.DataFrame, rule: Rule, industry_items) -> dict[str, tuple[str, ...]]:
    """The industry block of every industry in the frame (given, or answered columns outside the core)."""
    if industry_items is not None:
        return {str(k): tuple(v) for k, v in industry_items.items()}
    candidates = [c for c in frame.columns if c not in NOT_ITEMS and c not in rule.core
                  and pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])]
    answered = frame[candidates].notna().groupby(frame["industry"].astype(str)).any()
    return {industry: tuple(c for c in candidates if row[c]) for industry, row in answered.iterrows()}


def excluded_by_incomplete(frame: pd.DataFrame, rule: Rule, industry_items) -> np.ndarray:
    out = np.zeros(len(frame), dtype=bool)
    for item in rule.required:
        out |= frame[item].isna().to_numpy() if item in frame.columns else True
    core = [c for c in rule.core if c in frame.columns]
    core_missing = np.isnan(frame[core].to_numpy(dtype=float, na_value=np.nan)).sum(axis=1) if core else 0
    core_missing = core_missing + (len(rule.core) - len(core))
    blocks = block_items(frame, rule, industry_items)
    industry = frame["industry"].astype(str).to_numpy()
    for code in pd.unique(industry):
        rows = industry == code
        own = blocks.get(code, ())
        present = [c for c in own if c in frame.columns]
        missing = (core_missing[rows] if np.ndim(core_missing) else np.full(int(rows.sum()), core_missing))
        if present:
            missing = missing + np.isnan(frame[present].to_numpy(dtype=float, na_value=np.nan)[rows]).sum(axis=1)
        missing = missing + (len(own) - len(present))
        out[rows] |= missing > rule.max_missing_share * (len(rule.core) + len(own))
    return out


KINDS = {"test": excluded_by_test, "flagged": excluded_by_flagged, "incomplete": excluded_by_incomplete}


def apply_rules(frame: pd.DataFrame, rule_set: RuleSet = STANDARD, *,
                industry_items: Mapping[str, Sequence[str]] | None = None) -> pd.Series:
    """For every row, the name of the first rule that excludes it, or None (index aligned with ``frame``)."""
    first = np.full(len(frame), None, dtype=object)
    for rule in rule_set.rules:
        if not len(frame):
            break
        hit = KINDS[rule.name](frame, rule, industry_items) & (first == None)  # noqa: E711 (elementwise)
        first[hit] = rule.name
    return pd.Series(first, index=frame.index, dtype=object, name="excluded_by")
