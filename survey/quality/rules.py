"""Quality rules: which responses look careless or bogus, as named and versioned data with pure functions.

A rule set is plain data; each rule kind has one function from a frame of responses to a detail string per
row (None where the rule does not fire).  Flags are stored with the set's version and never delete anything;
the release rule ``flagged`` excludes a response while one of its flags stands (is not overridden).

The frame has a row per response: ``id``, ``enterprise``, ``instrument`` (code), ``is_test``, the times
``started_at``, ``submitted_at`` and ``received_at`` (UTC), ``device`` and ``network`` (keyed hashes or None),
``item_seconds`` (a dict of seconds per item code, or None) and a float column per scale item (NaN = missing).
Test responses are never flagged and never count for others.  Rules that compare a response with others
(``duplicate_device``, ``duplicate_network``, ``velocity``) only look back in time (order: received, then id),
so a response gets the same answer on arrival as in a later batch pass.

Rule kinds
----------
``speeder``
    Answering took less than ``share`` of the campaign's median time, once ``min_responses`` responses exist.
``item_speed``
    Less than ``min_seconds`` per item: from the client's per-item times where it sent them for at least
    ``min_items`` items, else the whole answering time over the answered scale items.
``straight_lining``
    The same answer on every item of a block of at least ``min_items`` answered scale items (a section, or the
    whole questionnaire), unless that answer is the top of the scale: all top box is ``approve_everything``'s.
``duplicate_device``
    The same device answered for the same enterprise before.
``duplicate_network``
    More than ``max_count`` responses for one enterprise from one network within ``window_seconds``.
``velocity``
    More than ``max_count`` responses from one network within ``window_seconds``, whatever the enterprise.
``outside_window``
    Submitted (as the client says, on China's calendar) before the campaign opened or after it closed.
``approve_everything``
    Every answered scale item (at least ``min_items``) at the top of the scale, and another flag stands: never on
    top box alone, since delighted customers exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import Literal

import msgspec
import numpy as np
import pandas as pd

from survey.instruments.spec import Instrument
from survey.responses import CHINA

RuleName = Literal["speeder", "item_speed", "straight_lining", "duplicate_device", "duplicate_network", "velocity",
                   "outside_window", "approve_everything"]


class QualityRule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One rule: its kind (which names it too), whether it runs on arrival, and its parameters."""

    name: RuleName
    description: str
    on_arrival: bool = True
    share: float = 0.0
    min_responses: int = 0
    min_seconds: float = 0.0
    min_items: int = 0
    window_seconds: int = 0
    max_count: int = 0


class QualityRuleSet(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: str
    version: int
    rules: tuple[QualityRule, ...]

    @property
    def label(self) -> str:
        return f"{self.name}-v{self.version}"

    def rule(self, name: str) -> QualityRule | None:
        return next((rule for rule in self.rules if rule.name == name), None)


QUALITY = QualityRuleSet(name="quality", version=1, rules=(
    QualityRule(name="speeder", description="answered in less than 40% of the campaign's median time (once 30 "
                "responses exist)", on_arrival=False, share=0.4, min_responses=30),
    QualityRule(name="item_speed", description="less than 2 seconds per item", min_seconds=2.0, min_items=6),
    QualityRule(name="straight_lining", description="the same answer (not the top) on every item of a block of "
                "6 or more scale items", min_items=6),
    QualityRule(name="duplicate_device", description="the same device answered for this enterprise before"),
    QualityRule(name="duplicate_network", description="more than 5 responses for one enterprise from one network "
                "within 24 hours", window_seconds=24 * 3600, max_count=5),
    QualityRule(name="velocity", description="more than 10 responses from one network within an hour",
                window_seconds=3600, max_count=10),
    QualityRule(name="outside_window", description="submitted outside the campaign's dates"),
    QualityRule(name="approve_everything", description="every scale item at the top (at least 10 answered), with "
                "another flag", min_items=10),
))


class Layout(msgspec.Struct, frozen=True, kw_only=True):
    """What the rules need to know of a campaign: its dates and its instruments' scale items by section."""

    opens_on: dt.date
    closes_on: dt.date
    blocks: Mapping[str, tuple[tuple[str, ...], ...]]  # instrument code -> scale items of each section
    top: Mapping[str, int]  # instrument code -> the top of its scales


def layout(opens_on: dt.date, closes_on: dt.date, instruments: Collection[Instrument]) -> Layout:
    blocks = {instrument.code: instrument.scale_blocks() for instrument in instruments}
    top = {instrument.code: instrument.scale_top() for instrument in instruments}
    return Layout(opens_on=opens_on, closes_on=closes_on, blocks=blocks, top=top)


class Flag(msgspec.Struct, frozen=True, kw_only=True, order=True):
    response: str
    rule: str
    detail: str


def _none(frame: pd.DataFrame) -> np.ndarray:
    return np.full(len(frame), None, dtype=object)


def _seconds(frame: pd.DataFrame) -> np.ndarray:
    return (frame["submitted_at"] - frame["started_at"]).dt.total_seconds().to_numpy(dtype=float)


def _live(frame: pd.DataFrame) -> np.ndarray:
    return ~frame["is_test"].fillna(False).astype(bool).to_numpy()


def speeder(frame: pd.DataFrame, rule: QualityRule, context: Layout) -> np.ndarray:
    out, live, seconds = _none(frame), _live(frame), _seconds(frame)
    if live.sum() < rule.min_responses:
        return out
    median = float(np.median(seconds[live]))
    for i in np.flatnonzero(live & (seconds < rule.share * median)):
        out[i] = (f"answered in {seconds[i]:.0f} s, under {rule.share:.0%} of the campaign's median "
                  f"{median:.0f} s ({live.sum()} responses)")
    return out


def _scale_columns(frame: pd.DataFrame, context: Layout) -> dict[str, list[str]]:
    return {code: [c for block in blocks for c in block if c in frame.columns] for code, blocks in context.blocks.items()}


def item_speed(frame: pd.DataFrame, rule: QualityRule, context: Layout) -> np.ndarray:
    out, live, seconds = _none(frame), _live(frame), _seconds(frame)
    answered = np.zeros(len(frame))
    for code, columns in _scale_columns(frame, context).items():
        rows = (frame["instrument"] == code).to_numpy()
        answered[rows] = frame.loc[rows, columns].notna().sum(axis=1).to_numpy() if columns else 0
    for i, timed in enumerate(frame["item_seconds"]):
        if not live[i]:
            continue
        if isinstance(timed, Mapping) and len(timed) >= rule.min_items:
            per_item, how = sum(timed.values()) / len(timed), f"over the {len(timed)} timed items"
        elif answered[i] >= rule.min_items:
            per_item, how = seconds[i] / answered[i], f"over {answered[i]:.0f} answered items"
        else:
            continue
        if per_item < rule.min_seconds:
            out[i] = f"{per_item:.1f} s per item {how}, under {rule.min_seconds:g} s"
    return out


def straight_lining(frame: pd.DataFrame, rule: QualityRule, context: Layout) -> np.ndarray:
    out, live = _none(frame), _live(frame)
    for code, blocks in context.blocks.items():
        rows = np.flatnonzero((frame["instrument"] == code).to_numpy() & live)
        if not len(rows):
            continue
        whole = tuple(c for block in blocks for c in block)
        for block in sorted({b for b in blocks if len(b) >= rule.min_items} | {whole}, key=len):
            columns = [c for c in block if c in frame.columns]
            if len(columns) < rule.min_items:
                continue
            values = frame[columns].to_numpy(dtype=float)[rows]
            count = np.sum(~np.isnan(values), axis=1)
            enough = count >= rule.min_items
            low, high = np.nanmin(values[enough], axis=1), np.nanmax(values[enough], axis=1)
            same = (low == high) & (high != context.top.get(code, 10))
            for i, value, n in zip(rows[enough][same], low[same], count[enough][same], strict=True):
                if out[i] is None:
                    out[i] = f"the same answer {value:.0f} on all {n} answered items of {columns[0]}..{columns[-1]}"
    return out


def _order(frame: pd.DataFrame) -> np.ndarray:
    """Positions in arrival order: received, then id."""
    return np.lexsort((frame["id"].to_numpy(dtype=str), frame["received_at"].to_numpy(dtype="datetime64[ns]")))


def _window_counts(frame: pd.DataFrame, keys: list[str], window_seconds: int) -> np.ndarray:
    """For each row with all keys present: how many rows of its key arrived within the window up to it (itself too)."""
    counts = np.zeros(len(frame), dtype=np.int64)
    usable = _live(frame) & frame[keys].notna().all(axis=1).to_numpy()
    if not usable.any():
        return counts
    part = frame[usable]
    group = part.groupby(keys, sort=False).ngroup().to_numpy(dtype=np.int64)
    received = part["received_at"].to_numpy(dtype="datetime64[ns]")
    seconds = (received - received.min()) / np.timedelta64(1, "s")
    order = np.lexsort((part["id"].to_numpy(dtype=str), seconds, group))
    position = group[order] * 1e10 + seconds[order]  # groups far apart on one axis
    inside = np.arange(len(order)) - np.searchsorted(position, position - window_seconds, side="right") + 1
    counts[np.flatnonzero(usable)[order]] = inside
    return counts


def duplicate_device(frame: pd.DataFrame, rule: QualityRule, context: Layout) -> np.ndarray:
    out = _none(frame)
    usable = _live(frame) & frame["device"].notna().to_numpy()
    first: dict[tuple, str] = {}
    for i in _order(frame):
        if usable[i]:
            key = (frame["device"].iat[i], frame["enterprise"].iat[i])
            if key in first:
                out[i] = f"the same device answered for this enterprise before (response {first[key][:8]})"
            else:
                first[key] = frame["id"].iat[i]
    return out


def duplicate_network(frame: pd.DataFrame, rule: QualityRule, context: Layout) -> np.ndarray:
    out, counts = _none(frame), _window_counts(frame, ["network", "enterprise"], rule.window_seconds)
    for i in np.flatnonzero(counts > rule.max_count):
        out[i] = (f"response {counts[i]} for this enterprise from one network within "
                  f"{rule.window_seconds / 3600:g} h (more than {rule.max_count})")
    return out


def velocity(frame: pd.DataFrame, rule: QualityRule, context: Layout) -> np.ndarray:
    out, counts = _none(frame), _window_counts(frame, ["network"], rule.window_seconds)
    for i in np.flatnonzero(counts > rule.max_count):
        out[i] = f"response {counts[i]} from one network within {rule.window_seconds / 60:g} min (more than {rule.max_count})"
    return out


def outside_window(frame: pd.DataFrame, rule: QualityRule, context: Layout) -> np.ndarray:
    out, live = _none(frame), _live(frame)
    for i, moment in enumerate(frame["submitted_at"]):
        day = moment.astimezone(CHINA).date()
        if live[i] and not context.opens_on <= day <= context.closes_on:
            out[i] = f"submitted on {day}, outside the campaign's {context.opens_on} to {context.closes_on}"
    return out


def approve_everything(frame: pd.DataFrame, rule: QualityRule, context: Layout, others: np.ndarray) -> np.ndarray:
    out, live = _none(frame), _live(frame)
    for code, columns in _scale_columns(frame, context).items():
        rows = np.flatnonzero((frame["instrument"] == code).to_numpy() & live & others)
        if not len(rows) or not columns:
            continue
        values = frame[columns].to_numpy(dtype=float)[rows]
        count = np.sum(~np.isnan(values), axis=1)
        top = context.top.get(code, 10)
        every = (count >= rule.min_items) & np.all(np.isnan(values) | (values == top), axis=1)
        for i, n in zip(rows[every], count[every], strict=True):
            out[i] = f"all {n} answered scale items at {top}, with another flag"
    return out


KINDS = {"speeder": speeder, "item_speed": item_speed, "straight_lining": straight_lining,
         "duplicate_device": duplicate_device, "duplicate_network": duplicate_network, "velocity": velocity,
         "outside_window": outside_window}


def evaluate(
    frame: pd.DataFrame,
    rule_set: QualityRuleSet,
    context: Layout,
    *,
    arrival: bool = False,
    standing: Collection[str] = (),
    cleared: Collection[tuple[str, str]] = (),
) -> list[Flag]:
    """The flags the rules raise on the frame (all rules, or on `arrival` only the cheap ones), sorted.

    `standing` are responses that already carry a stored flag that stands; `cleared` are (response, rule) pairs
    an administrator overrode: neither is raised again as the "other flag" that approve-everything needs.
    """
    flags: list[Flag] = []
    if not len(frame):
        return flags
    frame = frame.reset_index(drop=True)
    ids = [str(i) for i in frame["id"]]
    cleared = set(cleared)
    standing = set(standing)
    others = np.array([i in standing for i in ids], dtype=bool)
    for rule in rule_set.rules:
        if rule.name == "approve_everything" or (arrival and not rule.on_arrival):
            continue
        details = KINDS[rule.name](frame, rule, context)
        for i in np.flatnonzero(details != None):  # noqa: E711 (elementwise)
            flags.append(Flag(response=ids[i], rule=rule.name, detail=details[i]))
            others[i] |= (ids[i], rule.name) not in cleared
    rule = rule_set.rule("approve_everything")
    if rule is not None and (rule.on_arrival or not arrival):
        details = approve_everything(frame, rule, context, others)
        flags += [Flag(response=ids[i], rule=rule.name, detail=details[i]) for i in np.flatnonzero(details != None)]  # noqa: E711
    return sorted(flags)


def describe(rule_set: QualityRuleSet) -> dict:
    return msgspec.to_builtins(rule_set)
