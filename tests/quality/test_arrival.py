"""The plain-Python arrival rules give the newest response exactly the flags (rule and detail) that the frame's
rules give it, on generated responses and neighbours (hypothesis)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey.quality.arrival import OWN, Earlier, arrival_flags, own_flags
from survey.quality.rules import QUALITY, Layout, QualityRule, QualityRuleSet, evaluate

T0 = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)
ITEMS = [f"q{i}" for i in range(10)]
CONTEXT = Layout(opens_on=dt.date(2026, 11, 1), closes_on=dt.date(2026, 11, 30),
                 blocks={"x": (tuple(ITEMS[:6]), tuple(ITEMS[6:])), "y": (tuple(ITEMS[:7]),)}, top={"x": 10, "y": 5})


def _changed(name: str, **changes) -> QualityRuleSet:
    rules = tuple(QualityRule(**{**{f: getattr(rule, f) for f in rule.__struct_fields__}, **changes})
                  for rule in QUALITY.rules)
    return QualityRuleSet(name=name, version=1, rules=rules)


# Thresholds low enough that generated neighbours cross them often; the speeder on arrival over the rows at hand.
TIGHT = _changed("tight", max_count=2)
WITH_SPEEDER = _changed("all-on-arrival", on_arrival=True, min_responses=3, max_count=1)

EDGES = [0, -1, -3600, -3601, -3599, -86_400, -86_401, -86_399]  # the new one's own time and the windows' edges
moment = st.one_of(st.sampled_from(EDGES), st.integers(min_value=-3 * 86_400, max_value=0)).map(
    lambda s: T0 + dt.timedelta(seconds=s))
scale_value = st.one_of(st.none(), st.sampled_from([1, 4, 5, 10]))


@st.composite
def response(draw, k: int, latest: bool = False) -> tuple[dict, dict]:
    received = T0 if latest else draw(moment)
    started = received - dt.timedelta(seconds=draw(st.integers(min_value=0, max_value=900)))
    row = {
        "id": f"r{k:03d}" if not latest else draw(st.sampled_from(["r000", "r500", "zzz"])),
        "enterprise": draw(st.sampled_from([1, 2])),
        "instrument": draw(st.sampled_from(["x", "y"])),
        "is_test": draw(st.booleans()) if not latest else False,
        "started_at": started,
        "submitted_at": received - dt.timedelta(seconds=draw(st.sampled_from([0, 0, 86_400 * 40]))),
        "received_at": received,
        "device": draw(st.sampled_from([None, "d1", "d2"])),
        "network": draw(st.sampled_from([None, "n1", "n2"])),
        "item_seconds": draw(st.one_of(st.none(), st.dictionaries(st.sampled_from(ITEMS), st.sampled_from([0.5, 3.0]),
                                                                  max_size=10))),
    }
    same = draw(st.booleans())
    first = draw(scale_value)
    scale = {code: (first if same else draw(scale_value)) for code in ITEMS}
    return row, scale


@st.composite
def arrivals(draw) -> tuple[dict, dict, list[dict]]:
    earlier = [draw(response(k + 1))[0] for k in range(draw(st.integers(min_value=0, max_value=14)))]
    new, scale = draw(response(0, latest=True))
    return new, scale, earlier


def frame_flags(new: dict, scale: dict, earlier: list[dict], rule_set: QualityRuleSet) -> list:
    rows = [new | {code: (np.nan if value is None else float(value)) for code, value in scale.items()}]
    rows += [row | {code: np.nan for code in ITEMS} for row in earlier]
    frame = pd.DataFrame(rows)
    for name in ("started_at", "submitted_at", "received_at"):
        frame[name] = pd.to_datetime(frame[name], utc=True)
    return [f for f in evaluate(frame, rule_set, CONTEXT, arrival=True) if f.response == new["id"]]


@pytest.mark.parametrize("rule_set", [QUALITY, TIGHT, WITH_SPEEDER], ids=lambda r: r.name)
@settings(max_examples=150, deadline=None)
@given(case=arrivals())
def test_the_arrival_rules_agree_with_the_frame(rule_set, case):
    new, scale, earlier = case
    earlier = [row for row in earlier if row["id"] != new["id"]]
    assert arrival_flags(new, Earlier(new, earlier), scale, rule_set, CONTEXT) == frame_flags(new, scale, earlier, rule_set)


@pytest.mark.parametrize("rule_set", [QUALITY, TIGHT, WITH_SPEEDER], ids=lambda r: r.name)
@settings(max_examples=100, deadline=None)
@given(case=arrivals())
def test_the_rules_a_submission_runs_before_its_write_give_the_same_flags(rule_set, case):
    new, scale, earlier = case
    earlier = [row for row in earlier if row["id"] != new["id"]]
    own = own_flags(new, scale, rule_set, CONTEXT)
    assert {flag.rule for flag in own} <= OWN
    assert arrival_flags(new, Earlier(new, earlier), scale, rule_set, CONTEXT, own) == arrival_flags(
        new, Earlier(new, earlier), scale, rule_set, CONTEXT)


def test_a_straight_liner_from_a_busy_network_gets_each_flag_by_name():
    new = {"id": "new", "enterprise": 1, "instrument": "x", "is_test": False, "started_at": T0 - dt.timedelta(minutes=6),
           "submitted_at": T0, "received_at": T0, "device": "d", "network": "n", "item_seconds": None}
    earlier = [new | {"id": f"old{k:02d}", "received_at": T0 - dt.timedelta(minutes=k + 1)} for k in range(11)]
    scale = {code: 4 for code in ITEMS}
    got = {(f.rule, f.detail) for f in arrival_flags(new, Earlier(new, earlier), scale, QUALITY, CONTEXT)}
    assert got == {
        ("straight_lining", "the same answer 4 on all 6 answered items of q0..q5"),
        ("duplicate_device", "the same device answered for this enterprise before (response old10)"),
        ("duplicate_network", "response 12 for this enterprise from one network within 24 h (more than 5)"),
        ("velocity", "response 12 from one network within 60 min (more than 10)"),
    }
