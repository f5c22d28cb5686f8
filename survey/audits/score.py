"""The audit score after GB/T 27922: points earned / applicable points x 100, special deductions, one bonus, stars.

Pure: a checklist and the answers in, an AuditScore out. Exact fractions inside; the figures out are rounded to two
decimals (half up) and the level is decided on the exact score.

- a checked item earns all its points when it conforms, half when it partly conforms, none when it does not; "not
  applicable" leaves its points out of the applicable points;
- a sampled item earns points x conforming / sample size; "not applicable" (nothing to sample) leaves it out;
- every special deduction takes 1 point off the 0-100 score, the bonus (at most one) adds 1; the score stays in 0-100;
- 70 is compliant; 80, 90 and 95 are three, four and five stars.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Literal

from msgspec import Struct

from survey.audits.spec import Checklist, CheckItem, Finding, ItemAnswer

Level = Literal["not_compliant", "compliant", "three_stars", "four_stars", "five_stars"]
LEVELS: tuple[tuple[int, Level], ...] = ((95, "five_stars"), (90, "four_stars"), (80, "three_stars"), (70, "compliant"))
PARTLY = Fraction(1, 2)


class FamilyScore(Struct, frozen=True, kw_only=True):
    family: str
    earned: float
    applicable: int
    percent: float | None  # None when nothing in the family applied


class AuditScore(Struct, frozen=True, kw_only=True):
    earned: float
    applicable: int
    base: float  # earned / applicable x 100, before deductions and bonus
    deductions: int
    bonus: int
    score: float
    level: Level
    families: tuple[FamilyScore, ...]


class ScoreError(ValueError):
    """The answers cannot be scored against this checklist (an item unanswered, nothing applicable)."""


def level_of(score: Fraction | float) -> Level:
    for threshold, level in LEVELS:
        if score >= threshold:
            return level
    return "not_compliant"


def item_points(item: CheckItem | object, answer: ItemAnswer) -> Fraction | None:
    """Points earned on one item, or None when it does not apply."""
    if answer.result == "na":
        return None
    if isinstance(item, CheckItem):
        share = {"conforms": Fraction(1), "partly": PARTLY, "not": Fraction(0)}.get(answer.result or "")
        if share is None:
            raise ScoreError(f"{item.code}: a checked item needs a result")
        return item.points * share
    if not answer.sample or answer.conforming is None or answer.conforming > answer.sample:
        raise ScoreError(f"{item.code}: a sampled item needs a sample of at least 1 and conforming <= sample")
    return item.points * Fraction(answer.conforming, answer.sample)


def score_audit(
    checklist: Checklist,
    answers: Mapping[str, ItemAnswer],
    deductions: Sequence[Finding] = (),
    bonus: Finding | None = None,
) -> AuditScore:
    """The score of one audit; every item of the checklist must be answered."""
    earned, applicable = Fraction(0), 0
    families = []
    for family in checklist.families:
        family_earned, family_applicable = Fraction(0), 0
        for item in family.items:
            if item.code not in answers:
                raise ScoreError(f"{item.code}: not answered")
            points = item_points(item, answers[item.code])
            if points is not None:
                family_earned += points
                family_applicable += item.points
        families.append(FamilyScore(
            family=family.code,
            earned=_round(family_earned),
            applicable=family_applicable,
            percent=_round(family_earned / family_applicable * 100) if family_applicable else None,
        ))
        earned += family_earned
        applicable += family_applicable
    if not applicable:
        raise ScoreError("no item applies: the audit cannot be scored")
    base = earned / applicable * 100
    plus = 1 if bonus is not None else 0
    final = min(Fraction(100), max(Fraction(0), base - len(deductions) + plus))
    return AuditScore(
        earned=_round(earned), applicable=applicable, base=_round(base), deductions=len(deductions), bonus=plus,
        score=_round(final), level=level_of(final), families=tuple(families),
    )


def _round(value: Fraction) -> float:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
