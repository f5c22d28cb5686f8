"""The arrival rules for one response, in plain Python: the flags `evaluate(frame, arrival=True)` gives the newest
row of a frame, without building the frame (a submission runs this inside its write transaction, so it must be
cheap: about 0.2 ms here against 20 ms through pandas). tests/quality/test_arrival.py holds the two to the same
answers on generated responses.

`new` and the rows given to `Earlier` are mappings with the frame's fields (``id``, ``enterprise``, ``instrument``,
``is_test``, ``started_at``, ``submitted_at``, ``received_at``, ``device``, ``network``, ``item_seconds``); `scale`
is the new response's scale answers by item code (None: missing). The other responses need no answers: no arrival
rule reads them.

The rules ask three questions of the earlier responses (`Neighbours`): how many share the new one's network (and
enterprise) within a window, which came first from its device, and how long they took. `Earlier` answers them from a
list of rows; the store answers them in SQL (survey/store/quality.py), so that a network behind which thousands of
respondents share one address (a carrier's NAT, an office) costs a count per arrival, not a pass over all of them.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from survey.quality.rules import Flag, Layout, QualityRule, QualityRuleSet
from survey.responses import CHINA

Row = Mapping[str, Any]


class Neighbours(Protocol):
    """What the arrival rules ask about the non-test responses that arrived before the new one."""

    def count(self, keys: tuple[str, ...], since: dt.datetime) -> int:
        """How many share the new one's values of `keys` and were received after `since`."""
        ...

    def first_same_device(self) -> Row | None:
        """The first of them from the new one's device for its enterprise."""
        ...

    def durations(self) -> list[float]:
        """Seconds each of those at hand took, from start to submission."""
        ...


class Earlier:
    """Neighbours from a list of rows, as a frame holds them: test responses are ignored, and the counts and the
    first device see only those that arrived before the new one (the durations, like the frame's median, all)."""

    def __init__(self, new: Row, rows: Sequence[Row]) -> None:
        self._new = new
        self._all = [row for row in rows if not row["is_test"]]
        self._rows = [row for row in self._all if arrived_before(row, new)]

    def count(self, keys: tuple[str, ...], since: dt.datetime) -> int:
        return sum(1 for row in self._rows if all(row[key] == self._new[key] for key in keys)
                   and as_utc(row["received_at"]) > since)

    def first_same_device(self) -> Row | None:
        same = [row for row in self._rows
                if row["device"] == self._new["device"] and row["enterprise"] == self._new["enterprise"]]
        return min(same, key=lambda row: (as_utc(row["received_at"]), str(row["id"])), default=None)

    def durations(self) -> list[float]:
        return [_seconds(row) for row in self._all]


# The rules that read the response alone (its answers, times and instrument; not the campaign's dates, not other
# responses): a submission runs them before its write transaction (own_flags), the others inside it.
OWN = frozenset({"straight_lining", "item_speed"})


def own_flags(new: Row, scale: Mapping[str, float | None], rule_set: QualityRuleSet, context: Layout) -> list[Flag]:
    """The flags the rule set's OWN arrival rules raise on `new` (`context`: only its blocks and tops are read)."""
    if new["is_test"]:
        return []
    flags = []
    for rule in rule_set.rules:
        if rule.on_arrival and rule.name in OWN:
            detail = _RULES[rule.name](new, None, scale, rule, context)
            if detail is not None:
                flags.append(Flag(response=str(new["id"]), rule=rule.name, detail=detail))
    return flags


def arrival_flags(new: Row, earlier: Neighbours, scale: Mapping[str, float | None], rule_set: QualityRuleSet,
                  context: Layout, own: list[Flag] | None = None) -> list[Flag]:
    """The flags the rule set's arrival rules raise on `new`, sorted (as evaluate() sorts them); `own`: the flags of
    the OWN rules, when own_flags() gave them already."""
    if new["is_test"]:
        return []
    flags: list[Flag] = [] if own is None else list(own)
    for rule in rule_set.rules:
        if not rule.on_arrival or rule.name == "approve_everything" or (own is not None and rule.name in OWN):
            continue
        detail = _RULES[rule.name](new, earlier, scale, rule, context)
        if detail is not None:
            flags.append(Flag(response=str(new["id"]), rule=rule.name, detail=detail))
    rule = rule_set.rule("approve_everything")
    if rule is not None and rule.on_arrival and flags:
        detail = _approve_everything(new, scale, rule, context)
        if detail is not None:
            flags.append(Flag(response=str(new["id"]), rule=rule.name, detail=detail))
    return sorted(flags)


def as_utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def arrived_before(row: Row, new: Row) -> bool:
    """Whether `row` arrived before `new` (received, then id), as the frame's rules order them."""
    return (as_utc(row["received_at"]), str(row["id"])) < (as_utc(new["received_at"]), str(new["id"]))


def _columns(new: Row, context: Layout) -> list[str]:
    return [code for block in context.blocks.get(new["instrument"], ()) for code in block]


def _answered(new: Row, scale: Mapping[str, float | None], context: Layout) -> list[float]:
    return [scale[code] for code in _columns(new, context) if scale.get(code) is not None]


def _item_speed(new: Row, earlier: Neighbours, scale: Mapping[str, float | None], rule: QualityRule,
                context: Layout) -> str | None:
    timed = new["item_seconds"]
    answered = len(_answered(new, scale, context))
    seconds = _seconds(new)
    if isinstance(timed, Mapping) and len(timed) >= rule.min_items:
        per_item, how = sum(timed.values()) / len(timed), f"over the {len(timed)} timed items"
    elif answered >= rule.min_items:
        per_item, how = seconds / answered, f"over {answered:.0f} answered items"
    else:
        return None
    return f"{per_item:.1f} s per item {how}, under {rule.min_seconds:g} s" if per_item < rule.min_seconds else None


def _straight_lining(new: Row, earlier: Neighbours, scale: Mapping[str, float | None], rule: QualityRule,
                     context: Layout) -> str | None:
    blocks = context.blocks.get(new["instrument"])
    if not blocks:
        return None
    whole = tuple(c for block in blocks for c in block)
    for block in sorted({b for b in blocks if len(b) >= rule.min_items} | {whole}, key=len):
        if len(block) < rule.min_items:
            continue
        values = [scale[code] for code in block if scale.get(code) is not None]
        if len(values) >= rule.min_items and min(values) == max(values) != context.top.get(new["instrument"], 10):
            return f"the same answer {min(values):.0f} on all {len(values)} answered items of {block[0]}..{block[-1]}"
    return None


def _duplicate_device(new: Row, earlier: Neighbours, scale: Mapping[str, float | None], rule: QualityRule,
                      context: Layout) -> str | None:
    if new["device"] is None:
        return None
    first = earlier.first_same_device()
    if first is None:
        return None
    return f"the same device answered for this enterprise before (response {str(first['id'])[:8]})"


def _window_count(new: Row, earlier: Neighbours, keys: tuple[str, ...], window_seconds: int) -> int:
    """How many responses of the new one's key arrived within the window up to it (itself included)."""
    if any(new[key] is None for key in keys):
        return 0
    return 1 + earlier.count(keys, as_utc(new["received_at"]) - dt.timedelta(seconds=window_seconds))


def _duplicate_network(new: Row, earlier: Neighbours, scale: Mapping[str, float | None], rule: QualityRule,
                       context: Layout) -> str | None:
    count = _window_count(new, earlier, ("network", "enterprise"), rule.window_seconds)
    if count <= rule.max_count:
        return None
    return (f"response {count} for this enterprise from one network within {rule.window_seconds / 3600:g} h "
            f"(more than {rule.max_count})")


def _velocity(new: Row, earlier: Neighbours, scale: Mapping[str, float | None], rule: QualityRule,
              context: Layout) -> str | None:
    count = _window_count(new, earlier, ("network",), rule.window_seconds)
    if count <= rule.max_count:
        return None
    return f"response {count} from one network within {rule.window_seconds / 60:g} min (more than {rule.max_count})"


def _outside_window(new: Row, earlier: Neighbours, scale: Mapping[str, float | None], rule: QualityRule,
                    context: Layout) -> str | None:
    day = as_utc(new["submitted_at"]).astimezone(CHINA).date()
    if context.opens_on <= day <= context.closes_on:
        return None
    return f"submitted on {day}, outside the campaign's {context.opens_on} to {context.closes_on}"


def _speeder(new: Row, earlier: Neighbours, scale: Mapping[str, float | None], rule: QualityRule,
             context: Layout) -> str | None:
    """Off on arrival in the standard set (the campaign's median needs the batch pass); a set that turns it on gets
    the median of the responses at hand, as the frame would give it."""
    seconds = [_seconds(new), *earlier.durations()]
    if len(seconds) < rule.min_responses:
        return None
    middle = statistics.median(seconds)
    if _seconds(new) >= rule.share * middle:
        return None
    return (f"answered in {_seconds(new):.0f} s, under {rule.share:.0%} of the campaign's median {middle:.0f} s "
            f"({len(seconds)} responses)")


def _seconds(row: Row) -> float:
    return (as_utc(row["submitted_at"]) - as_utc(row["started_at"])).total_seconds()


def _approve_everything(new: Row, scale: Mapping[str, float | None], rule: QualityRule, context: Layout) -> str | None:
    values = _answered(new, scale, context)
    top = context.top.get(new["instrument"], 10)
    if len(values) >= rule.min_items and all(value == top for value in values):
        return f"all {len(values)} answered scale items at {top}, with another flag"
    return None


_RULES = {"speeder": _speeder, "item_speed": _item_speed, "straight_lining": _straight_lining,
          "duplicate_device": _duplicate_device, "duplicate_network": _duplicate_network, "velocity": _velocity,
          "outside_window": _outside_window}
