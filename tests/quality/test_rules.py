"""Each quality rule on hand-made frames, and properties that hold for any frame (hypothesis)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey.instruments.catalogue import load_catalogue
from survey.quality.rules import QUALITY, Layout, QualityRule, QualityRuleSet, describe, evaluate, layout

T0 = pd.Timestamp("2026-11-20 02:00", tz="UTC")
ITEMS = [f"q{i}" for i in range(10)]
CONTEXT = Layout(opens_on=dt.date(2026, 11, 1), closes_on=dt.date(2026, 11, 30),
                 blocks={"x": (tuple(ITEMS[:6]), tuple(ITEMS[6:]))}, top={"x": 10})


def row(k: int, **changes) -> dict:
    """An unremarkable response: six minutes, varied answers, its own device and network, an hour after the last."""
    values = {code: float(5 + (k + j) % 4) for j, code in enumerate(ITEMS)}
    return {"id": f"r{k:03d}", "enterprise": 1, "instrument": "x", "is_test": False,
            "started_at": T0 + pd.Timedelta(hours=k) - pd.Timedelta(minutes=6), "submitted_at": T0 + pd.Timedelta(hours=k),
            "received_at": T0 + pd.Timedelta(hours=k), "device": f"d{k}", "network": f"n{k}", "item_seconds": None,
            **values} | changes


def flags(rows, rule_set=QUALITY, **kw) -> set[tuple[str, str]]:
    return {(f.response, f.rule) for f in evaluate(pd.DataFrame(rows), rule_set, CONTEXT, **kw)}


def test_unremarkable_responses_carry_no_flag():
    assert flags([row(k) for k in range(40)]) == set()


def test_a_speeder_is_flagged_only_once_the_median_rests_on_enough_responses():
    fast = {"started_at": T0 + pd.Timedelta(hours=3) - pd.Timedelta(seconds=100)}  # 100 s against a 360 s median
    assert flags([row(k, **fast) if k == 3 else row(k) for k in range(29)]) == set()
    assert flags([row(k, **fast) if k == 3 else row(k) for k in range(30)]) == {("r003", "speeder")}
    just = {"started_at": T0 + pd.Timedelta(hours=3) - pd.Timedelta(seconds=145)}  # 40% of 360 s is 144 s
    assert flags([row(k, **just) if k == 3 else row(k) for k in range(30)]) == set()


def test_item_speed_uses_the_clients_item_times_where_given_else_the_whole_time():
    timed = {code: 1.5 for code in ITEMS[:6]}
    slow_timed = {code: 2.5 for code in ITEMS[:6]}
    quick = {"started_at": T0 - pd.Timedelta(seconds=15)}  # 15 s over 10 answered items
    got = flags([row(0, item_seconds=timed), row(1, item_seconds=slow_timed), row(2, **quick) | {"started_at":
                 T0 + pd.Timedelta(hours=2) - pd.Timedelta(seconds=15)}, row(3, item_seconds={"q0": 0.1})])
    assert got == {("r000", "item_speed"), ("r002", "item_speed")}  # r003: one timed item is too few to judge


def test_straight_lining_is_one_answer_over_a_block_of_six_but_not_the_top():
    line = {code: 4.0 for code in ITEMS[:6]}
    short = {code: 4.0 for code in ITEMS[:5]} | {"q5": np.nan}  # five answered: too few
    top = {code: 10.0 for code in ITEMS[:6]}
    assert flags([row(0, **line), row(1, **short), row(2, **top)]) == {("r000", "straight_lining")}


def test_a_device_that_answered_before_for_the_enterprise_is_a_duplicate():
    rows = [row(0, device="a"), row(1, device="a"), row(2, device="a", enterprise=2), row(3, device=None)]
    assert flags(rows) == {("r001", "duplicate_device")}


def test_network_rules_count_within_their_windows():
    same = [row(k, network="n", received_at=T0 + pd.Timedelta(minutes=k)) for k in range(12)]
    assert flags(same) == {(f"r{k:03d}", "duplicate_network") for k in range(5, 12)} | {
        (f"r{k:03d}", "velocity") for k in range(10, 12)}
    spread = [row(k, network="n", received_at=T0 + pd.Timedelta(hours=5 * k)) for k in range(12)]
    assert flags(spread) == set()  # five hours apart: never more than five within a day
    others = [row(k, network="n", enterprise=k, received_at=T0 + pd.Timedelta(minutes=k)) for k in range(11)]
    assert flags(others) == {("r010", "velocity")}


def test_answers_outside_the_campaign_window_are_flagged_on_chinas_calendar():
    late = row(0, submitted_at=pd.Timestamp("2026-11-30 16:30", tz="UTC"))  # 00:30 on 1 December in China
    last = row(1, submitted_at=pd.Timestamp("2026-11-30 15:30", tz="UTC"))  # 23:30 on 30 November
    assert flags([late, last]) == {("r000", "outside_window")}


def test_approve_everything_needs_another_flag():
    top = {code: 10.0 for code in ITEMS}
    assert flags([row(0, **top)]) == set()
    rushed = row(1, **top, item_seconds={code: 0.5 for code in ITEMS})
    assert flags([rushed]) == {("r001", "item_speed"), ("r001", "approve_everything")}
    assert flags([rushed], cleared={("r001", "item_speed")}) == {("r001", "item_speed")}
    assert flags([row(2, **top)], standing={"r002"}) == {("r002", "approve_everything")}


def test_test_responses_are_never_flagged_nor_counted():
    rows = [row(k, network="n", received_at=T0 + pd.Timedelta(minutes=k), is_test=k < 6) for k in range(12)]
    assert ("r005", "duplicate_network") not in flags(rows)
    assert flags([row(0, is_test=True, **{code: 4.0 for code in ITEMS})]) == set()


def test_arrival_runs_only_the_cheap_rules_and_the_set_describes_itself():
    fast = {"started_at": T0 + pd.Timedelta(hours=3) - pd.Timedelta(seconds=100)}
    rows = [row(k, **fast) if k == 3 else row(k) for k in range(30)]
    assert flags(rows, arrival=True) == set() and flags(rows) == {("r003", "speeder")}
    assert describe(QUALITY)["version"] == 1 and QUALITY.label == "quality-v1"
    assert [r["name"] for r in describe(QUALITY)["rules"]][-1] == "approve_everything"
    assert flags(rows, QualityRuleSet(name="none", version=1, rules=())) == set()
    assert flags([], arrival=True) == set()


def test_the_layout_of_a_real_instrument_has_a_block_of_six():
    instrument = load_catalogue().get("automobile").instrument
    found = layout(dt.date(2026, 1, 1), dt.date(2026, 12, 31), [instrument])
    assert max(len(b) for b in found.blocks["automobile"]) == 6 and found.top["automobile"] == 10


# Properties over random frames: arrival agrees with the batch pass, order does not matter, and a response's
# comparisons only look back in time.
answers = st.lists(st.one_of(st.none(), st.integers(1, 10)), min_size=10, max_size=10)
responses = st.lists(st.tuples(
    st.integers(0, 3),  # device
    st.integers(0, 2),  # network
    st.integers(1, 2),  # enterprise
    st.integers(0, 180),  # minutes after T0 received
    st.integers(5, 900),  # seconds answering
    answers,
    st.booleans(),  # test
), min_size=1, max_size=25)


def frame_of(drawn) -> pd.DataFrame:
    rows = []
    for k, (device, network, enterprise, minute, seconds, values, test) in enumerate(drawn):
        received = T0 + pd.Timedelta(minutes=minute)
        rows.append(row(k, device=f"d{device}", network=f"n{network}", enterprise=enterprise, is_test=test,
                        received_at=received, submitted_at=received, started_at=received - pd.Timedelta(seconds=seconds),
                        **{code: np.nan if v is None else float(v) for code, v in zip(ITEMS, values)}))
    return pd.DataFrame(rows)


@settings(max_examples=60, deadline=None)
@given(responses)
def test_property_the_last_arrival_gets_the_same_cheap_flags_as_in_the_batch_pass(drawn):
    frame = frame_of(drawn)
    last = frame.sort_values(["received_at", "id"]).iloc[-1]["id"]
    cheap = {rule.name for rule in QUALITY.rules if rule.on_arrival}
    batch = {(f.response, f.rule) for f in evaluate(frame, QUALITY, CONTEXT) if f.rule in cheap and f.response == last}
    arrival = {(f.response, f.rule) for f in evaluate(frame, QUALITY, CONTEXT, arrival=True) if f.response == last}
    assert arrival == batch


@settings(max_examples=60, deadline=None)
@given(responses, st.randoms(use_true_random=False))
def test_property_flags_do_not_depend_on_the_order_of_rows(drawn, random):
    frame = frame_of(drawn)
    shuffled = frame.sample(frac=1.0, random_state=random.randint(0, 2**31)).reset_index(drop=True)
    assert evaluate(frame, QUALITY, CONTEXT) == evaluate(shuffled, QUALITY, CONTEXT)


@settings(max_examples=60, deadline=None)
@given(responses)
def test_property_later_responses_never_change_earlier_comparisons(drawn):
    frame = frame_of(drawn).sort_values(["received_at", "id"]).reset_index(drop=True)
    causal = {"duplicate_device", "duplicate_network", "velocity"}
    for cut in range(1, len(frame)):
        before = {(f.response, f.rule) for f in evaluate(frame.iloc[:cut], QUALITY, CONTEXT) if f.rule in causal}
        after = {(f.response, f.rule) for f in evaluate(frame, QUALITY, CONTEXT)
                 if f.rule in causal and f.response in set(frame["id"].iloc[:cut])}
        assert before == after


@settings(max_examples=60, deadline=None)
@given(responses)
def test_property_approve_everything_never_stands_alone_and_tests_are_never_flagged(drawn):
    frame = frame_of(drawn)
    found = evaluate(frame, QUALITY, CONTEXT)
    rules_of: dict[str, set[str]] = {}
    for f in found:
        rules_of.setdefault(f.response, set()).add(f.rule)
    assert all(rules != {"approve_everything"} for rules in rules_of.values())
    tests = set(frame.loc[frame["is_test"], "id"])
    assert not tests & set(rules_of)


@pytest.mark.parametrize("share", [0.3, 0.5])
def test_a_rule_set_is_data_its_parameters_decide(share):
    slow_median = [row(k) for k in range(30)]
    rows = slow_median + [row(30, started_at=T0 + pd.Timedelta(hours=30) - pd.Timedelta(seconds=150))]
    rule = QualityRule(name="speeder", description="d", on_arrival=False, share=share, min_responses=30)
    got = flags(rows, QualityRuleSet(name="t", version=2, rules=(rule,)))
    assert got == ({("r030", "speeder")} if share == 0.5 else set())  # 150 s against 360 s: under half, over 30%
