import numpy as np
import pandas as pd

from survey.releases.rules import CORE_ITEMS, STANDARD, Rule, RuleSet, apply_rules, describe


def frame(rows):
    base = {item: 8.0 for item in CORE_ITEMS} | {"auto1": 7.0, "auto2": 7.0}
    return pd.DataFrame([{"industry": "automobile", "is_test": False, "flags": (), **base, **row} for row in rows])


def test_each_row_counts_under_its_first_rule():
    half = {item: np.nan for item in CORE_ITEMS[:11]}  # 11 of 22 scored items missing: not more than half
    more = {item: np.nan for item in CORE_ITEMS[:12]}  # 12 of 22: more than half
    f = frame([{}, {"is_test": True}, {"flags": ("straightlining",)}, {"is_test": True, "flags": ("speeding",)},
               {"sat2": np.nan}, half, more, {"flags": ["a", "b"], "sat1": np.nan}])
    got = apply_rules(f, STANDARD, industry_items={"automobile": ["auto1", "auto2"]})
    assert got.tolist() == [None, "test", "flagged", "test", "incomplete", None, "incomplete", "flagged"]
    assert (got.index == f.index).all()


def test_industry_block_is_inferred_from_answered_columns():
    more = {item: np.nan for item in CORE_ITEMS[:10]} | {"auto1": np.nan, "auto2": np.nan}  # 12 of 22 missing
    f = frame([{}, more])  # with no industry block: 10 of 20 missing, not more than half
    assert apply_rules(f, STANDARD).tolist() == [None, "incomplete"]
    assert apply_rules(f, STANDARD, industry_items={"automobile": []}).tolist() == [None, None]


def test_rule_order_decides_the_count():
    f = frame([{"is_test": True, "flags": ("x",)}])
    flagged_first = RuleSet(name="other", version=2, rules=(STANDARD.rules[1], STANDARD.rules[0]))
    assert apply_rules(f, flagged_first).tolist() == ["flagged"]
    assert flagged_first.label == "other-v2"


def test_empty_frame_and_description():
    f = frame([]).iloc[:0]
    assert len(apply_rules(f, STANDARD)) == 0
    d = describe(STANDARD)
    assert d["name"] == "standard" and d["version"] == 1
    assert [r["name"] for r in d["rules"]] == ["test", "flagged", "incomplete"]
    assert d["rules"][2]["required"] == ["sat1", "sat2", "sat3"]
    assert isinstance(Rule(name="test", description="t"), Rule)
