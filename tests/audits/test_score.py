"""The score against checklists worked out by hand (the arithmetic is in each test's comments)."""

from fractions import Fraction

import pytest

from survey.audits.catalogue import load_checklist_text, load_checklists
from survey.audits.score import ScoreError, level_of, score_audit
from survey.audits.spec import Finding, ItemAnswer

SMALL = """
code = "audit_common"
industry = "common"
version = 1
title = { zh = "小表", en = "Small" }
intro = { zh = "说明", en = "Intro" }

[[families]]
code = "a"
title = { zh = "A", en = "A" }
items = [
  { type = "check", code = "x1", points = 4, text = { zh = "甲", en = "x1" } },
  { type = "sampled", code = "x2", points = 6, unit = { zh = "工单", en = "orders" }, text = { zh = "乙", en = "x2" } },
]

[[families]]
code = "b"
title = { zh = "B", en = "B" }
items = [
  { type = "check", code = "y1", points = 5, na = true, text = { zh = "丙", en = "y1" } },
  { type = "check", code = "y2", points = 5, text = { zh = "丁", en = "y2" } },
]

[[deductions]]
code = "law"
text = { zh = "违法", en = "law" }

[[bonuses]]
code = "innovation"
text = { zh = "创新", en = "innovation" }
"""


def answer(result=None, sample=None, conforming=None) -> ItemAnswer:
    return ItemAnswer(result=result, sample=sample, conforming=conforming)


def test_a_small_checklist_by_hand():
    checklist = load_checklist_text(SMALL, "small.toml")
    answers = {"x1": answer("partly"), "x2": answer(sample=10, conforming=7), "y1": answer("na"), "y2": answer("conforms")}
    # earned 4/2 + 6*7/10 + 5 = 2 + 4.2 + 5 = 11.2 of 4 + 6 + 5 = 15 applicable (y1 left out): 74.666... -> 74.67
    # two deductions and the bonus: 74.667 - 2 + 1 = 73.67, compliant (70-80)
    result = score_audit(checklist, answers, [Finding(code="law"), Finding(code="law")], Finding(code="innovation"))
    assert (result.earned, result.applicable, result.base) == (11.2, 15, 74.67)
    assert (result.deductions, result.bonus, result.score, result.level) == (2, 1, 73.67, "compliant")
    # family a: 6.2 of 10 = 62%; family b: 5 of 5 = 100%
    assert [(f.family, f.earned, f.applicable, f.percent) for f in result.families] == [("a", 6.2, 10, 62.0), ("b", 5.0, 5, 100.0)]


def test_the_common_checklist_by_hand():
    checklist = load_checklists().get("audit_common").checklist
    answers = {item.code: answer("conforms") for item in checklist.items() if item.__class__.__name__ == "CheckItem"}
    answers |= {item.code: answer(sample=8, conforming=8) for item in checklist.items() if item.code not in answers}
    answers |= {"a02": answer(sample=5, conforming=4), "b05": answer(sample=10, conforming=9), "d03": answer("partly"),
                "b08": answer("na"), "e03": answer("not")}
    # 100 points; b08 (3) not applicable: 97 applicable. Lost: a02 4*(1/5) = 0.8, b05 6*(1/10) = 0.6, d03 3/2 = 1.5,
    # e03 2. Earned 97 - 4.9 = 92.1; 92.1 / 97 = 94.948...% -> 94.95: four stars, just short of five
    result = score_audit(checklist, answers)
    assert (result.earned, result.applicable, result.score, result.level) == (92.1, 97, 94.95, "four_stars")
    # the bonus lifts it over 95: 95.95, five stars
    assert score_audit(checklist, answers, bonus=Finding(code="innovation")).level == "five_stars"
    # three deductions: 91.95, four stars still
    assert score_audit(checklist, answers, [Finding(code="law")] * 3).score == 91.95


def test_the_score_stays_within_0_and_100():
    checklist = load_checklist_text(SMALL, "small.toml")
    perfect = {"x1": answer("conforms"), "x2": answer(sample=3, conforming=3), "y1": answer("conforms"), "y2": answer("conforms")}
    assert score_audit(checklist, perfect, bonus=Finding(code="innovation")).score == 100.0
    nothing = {"x1": answer("not"), "x2": answer(sample=3, conforming=0), "y1": answer("na"), "y2": answer("not")}
    assert score_audit(checklist, nothing, [Finding(code="law")] * 4).score == 0.0


@pytest.mark.parametrize(("score", "level"), [
    (Fraction(6999, 100), "not_compliant"), (70, "compliant"), (Fraction(7999, 100), "compliant"), (80, "three_stars"),
    (90, "four_stars"), (Fraction(94999, 1000), "four_stars"), (95, "five_stars"), (100, "five_stars"),
])
def test_levels_at_the_thresholds(score, level):
    assert level_of(score) == level


@pytest.mark.parametrize(("answers", "message"), [
    ({"x1": answer("conforms"), "x2": answer(sample=3, conforming=3), "y1": answer("na")}, "y2: not answered"),
    ({"x1": answer(), "x2": answer(sample=3, conforming=3), "y1": answer("na"), "y2": answer("not")}, "x1"),
    ({"x1": answer("not"), "x2": answer(sample=0, conforming=0), "y1": answer("na"), "y2": answer("not")}, "x2"),
    ({"x1": answer("not"), "x2": answer(sample=2, conforming=3), "y1": answer("na"), "y2": answer("not")}, "x2"),
])
def test_unscorable_answers_say_which_item(answers, message):
    with pytest.raises(ScoreError, match=message):
        score_audit(load_checklist_text(SMALL, "small.toml"), answers)


def test_nothing_applicable_cannot_be_scored():
    checklist = load_checklist_text(SMALL.replace('points = 4, text', 'points = 4, na = true, text')
                                    .replace('type = "sampled", code = "x2", points = 6,', 'type = "sampled", code = "x2", points = 6, na = true,')
                                    .replace('code = "y2", points = 5,', 'code = "y2", points = 5, na = true,'), "small.toml")
    with pytest.raises(ScoreError, match="no item applies"):
        score_audit(checklist, {code: answer("na") for code in ("x1", "x2", "y1", "y2")})
