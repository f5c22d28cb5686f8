"""How well the quality rules find injected bad responses among honest synthetic ones: recall and false positives.

Honest respondents come from the synthetic CSI model (survey.releases.synthetic.simulate) with plausible answering
times (log-normal, median 7 minutes), their own device, and a network that is their own (mobile data, 70%) or one
of three shared networks of their enterprise (an outlet's Wi-Fi, 30%); half of them send per-item times. Into that
wave the script injects, with labels:

  speeder      careless answers (uniform 1-10) in 30-120 s, per-item times of about 1 s where sent
  straight     the same answer (1-9) on every scale item, at a normal pace
  duplicate    an honest respondent answering again for the same enterprise from the same device 1-48 h later
  burst        ballot stuffing: runs of 15 plausible responses for one enterprise from one network within an hour
  bot          every item 10, in 40-90 s
  late         submitted after the campaign closed (an offline client sending late)

For each rule it prints the recall on the kind it is meant to catch and its false-positive rate on honest
responses; then, per kind, the share caught by any rule, and the share of honest responses with any flag.

    .venv/bin/python bench/quality_accuracy.py [--enterprises 40] [--respondents 50] [--seed 1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np
import pandas as pd

from survey.instruments.catalogue import load_catalogue
from survey.instruments.spec import ScaleItem
from survey.quality.rules import QUALITY, evaluate, layout
from survey.releases.synthetic import default_truth, roster, simulate

INDUSTRIES = ("automobile", "e_commerce")
OPENS, CLOSES = dt.date(2026, 11, 1), dt.date(2026, 11, 30)
START = pd.Timestamp("2026-11-01 01:00", tz="UTC")
TARGETS = {"speeder": "speeder", "item_speed": "speeder", "straight_lining": "straight",
           "duplicate_device": "duplicate", "duplicate_network": "burst", "velocity": "burst",
           "outside_window": "late", "approve_everything": "bot"}


def instruments():
    catalogue = load_catalogue()
    return [catalogue.get(code).instrument for code in INDUSTRIES]


def scale_codes(instrument) -> list[str]:
    return [item.code for item in instrument.items() if isinstance(item, ScaleItem)]


def honest_wave(enterprises: int, respondents: int, rng: np.random.Generator, seed: int) -> pd.DataFrame:
    blocks = {i.code: [c for s in i.sections if s.code == "industry" for c in (x.code for x in s.items)]
              for i in instruments()}
    firms = roster(INDUSTRIES, enterprises // len(INDUSTRIES), seed=seed)
    frame = simulate(firms, respondents, industry_items=blocks, truth=default_truth(INDUSTRIES), seed=seed)
    n = len(frame)
    frame["instrument"] = frame["industry"]
    frame["id"] = [f"h{i:06d}" for i in range(n)]
    frame["kind"] = "honest"
    received = START + pd.to_timedelta(rng.uniform(0, 28 * 86400, n), unit="s")
    seconds = np.exp(rng.normal(np.log(420), 0.35, n))
    frame["received_at"] = received
    frame["submitted_at"] = received
    frame["started_at"] = received - pd.to_timedelta(seconds, unit="s")
    frame["device"] = [f"dev{i}" for i in range(n)]
    shared = rng.random(n) < 0.3
    frame["network"] = np.where(shared, [f"wifi{e}-{k}" for e, k in zip(frame["enterprise"], rng.integers(0, 3, n))],
                                [f"mobile{i}" for i in range(n)])
    codes = {i.code: scale_codes(i) for i in instruments()}
    timed = rng.random(n) < 0.5
    frame["item_seconds"] = [
        {c: float(np.exp(rng.normal(np.log(9), 0.5))) for c in codes[ind]} if t else None
        for ind, t in zip(frame["industry"], timed)
    ]
    return frame


def inject(honest: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    codes = {i.code: scale_codes(i) for i in instruments()}
    n = len(honest)
    parts = []

    def pick(share: float, kind: str) -> pd.DataFrame:
        rows = honest.sample(n=max(1, int(share * n)), random_state=int(rng.integers(2**31))).copy()
        rows["kind"] = kind
        rows["id"] = [f"{kind[:2]}{i:06d}" for i in range(len(rows))]
        rows["device"] = [f"{kind}-dev{i}" for i in range(len(rows))]
        rows["network"] = [f"{kind}-net{i}" for i in range(len(rows))]
        return rows

    def answers(rows: pd.DataFrame, make) -> None:
        for industry, index in rows.groupby("industry").groups.items():
            for code in codes[industry]:
                rows.loc[index, code] = make(len(index))

    speeders = pick(0.05, "speeder")
    answers(speeders, lambda k: rng.integers(1, 11, k).astype(float))
    seconds = rng.uniform(30, 120, len(speeders))
    speeders["started_at"] = speeders["submitted_at"] - pd.to_timedelta(seconds, unit="s")
    speeders["item_seconds"] = [None if t is None else {c: float(rng.uniform(0.5, 1.5)) for c in t}
                                for t in speeders["item_seconds"]]
    parts.append(speeders)

    straight = pick(0.03, "straight")
    for position, (index, industry) in enumerate(zip(straight.index, straight["industry"])):
        straight.loc[index, codes[industry]] = float(rng.integers(1, 10))
    parts.append(straight)

    duplicate = pick(0.03, "duplicate")
    source = honest.loc[duplicate.index]
    duplicate["device"], duplicate["network"] = source["device"].to_numpy(), source["network"].to_numpy()
    later = pd.to_timedelta(rng.uniform(3600, 48 * 3600, len(duplicate)), unit="s")
    for name in ("received_at", "submitted_at", "started_at"):
        duplicate[name] = source[name] + later
    parts.append(duplicate)

    bursts = []
    for b in range(max(2, n // 1000)):
        rows = pick(15 / n, "burst").iloc[:15].copy()
        firm = rows["enterprise"].iloc[0]
        rows["enterprise"], rows["industry"] = firm, rows["industry"].iloc[0]
        rows["instrument"] = rows["industry"]
        at = START + pd.Timedelta(days=int(rng.integers(1, 27)))
        offsets = pd.to_timedelta(np.sort(rng.uniform(0, 3600, len(rows))), unit="s")
        duration = rows["submitted_at"] - rows["started_at"]
        rows["received_at"] = rows["submitted_at"] = at + offsets
        rows["started_at"] = rows["submitted_at"] - duration
        rows["network"] = f"burst-net{b}"
        rows["id"] = [f"bu{b:02d}{i:04d}" for i in range(len(rows))]
        bursts.append(rows)
    parts += bursts

    bots = pick(0.02, "bot")
    answers(bots, lambda k: np.full(k, 10.0))
    bots["started_at"] = bots["submitted_at"] - pd.to_timedelta(rng.uniform(40, 90, len(bots)), unit="s")
    bots["item_seconds"] = None
    parts.append(bots)

    late = pick(0.01, "late")
    shift = pd.to_timedelta(rng.uniform(1, 5, len(late)), unit="D")
    late["submitted_at"] = pd.Timestamp("2026-11-30 16:05", tz="UTC") + shift
    late["started_at"] = late["submitted_at"] - pd.Timedelta(minutes=7)
    late["received_at"] = late["submitted_at"]
    parts.append(late)
    return pd.concat([honest] + parts, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=40)
    parser.add_argument("--respondents", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    frame = inject(honest_wave(args.enterprises, args.respondents, rng, args.seed), rng)
    frame["is_test"] = False
    started = time.perf_counter()
    flags = evaluate(frame.drop(columns=["kind"]), QUALITY, layout(OPENS, CLOSES, instruments()))
    elapsed = time.perf_counter() - started
    kind = dict(zip(frame["id"], frame["kind"]))
    sizes = frame["kind"].value_counts().to_dict()
    by_rule: dict[str, set[str]] = {rule.name: set() for rule in QUALITY.rules}
    for flag in flags:
        by_rule[flag.rule].add(flag.response)
    print(f"{len(frame)} responses: " + ", ".join(f"{k} {v}" for k, v in sorted(sizes.items())) +
          f"; rule set {QUALITY.label}; evaluated in {elapsed:.2f} s\n")
    print(f"{'rule':<20}{'catches':<11}{'recall':>8}{'honest FPR':>12}")
    for rule, found in by_rule.items():
        target = TARGETS[rule]
        hit = sum(kind[i] == target for i in found) / sizes[target]
        false = sum(kind[i] == "honest" for i in found) / sizes["honest"]
        print(f"{rule:<20}{target:<11}{hit:>8.1%}{false:>12.2%}")
    anything = set().union(*by_rule.values())
    print(f"\n{'kind':<20}{'caught by any rule':>20}")
    for name in sorted(sizes):
        share = sum(kind[i] == name for i in anything) / sizes[name]
        label = "flagged (FPR)" if name == "honest" else "caught"
        print(f"{name:<20}{share:>12.1%}  {label}")


if __name__ == "__main__":
    main()
