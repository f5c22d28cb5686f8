"""Answer checks: every rule reports its own error, and the normalised answers keep only what was asked."""

from __future__ import annotations

import pytest

from survey.errors import FieldError
from survey.instruments.catalogue import load_catalogue
from survey.instruments.check import check_answers, drop_irrelevant, explain, read_form
from survey.instruments.load import load_instrument_text
from survey.instruments.spec import ChoiceItem, CityItem, ConsentItem, Instrument, ScaleItem

CITIES = frozenset({"440100", "440300"})

SMALL = load_instrument_text(
    """
code = "small"
industry = "home_appliance"
version = 1
title = { zh = "小问卷", en = "Small" }
intro = { zh = "说明", en = "Intro" }

[[sections]]
code = "all"
title = { zh = "全部", en = "All" }

[[sections.items]]
type = "consent"
code = "consent"
text = { zh = "同意", en = "Agree" }

[[sections.items]]
type = "city"
code = "city"
text = { zh = "城市", en = "City" }

[[sections.items]]
type = "scale"
code = "sat1"
construct = "SAT"
text = { zh = "满意", en = "Satisfied" }
low_label = { zh = "低", en = "Low" }
high_label = { zh = "高", en = "High" }

[[sections.items]]
type = "scale"
code = "strict"
construct = "SAT"
na = false
text = { zh = "必选", en = "No N/A" }
low_label = { zh = "低", en = "Low" }
high_label = { zh = "高", en = "High" }

[[sections.items]]
type = "scale"
code = "extra"
construct = "SAT"
required = false
text = { zh = "可选", en = "Optional" }
low_label = { zh = "低", en = "Low" }
high_label = { zh = "高", en = "High" }

[[sections.items]]
type = "choice"
code = "cmp1"
text = { zh = "投诉过吗？", en = "Complained?" }
options = [{ code = "yes", label = { zh = "是", en = "Yes" } }, { code = "no", label = { zh = "否", en = "No" } }]

[[sections.items]]
type = "scale"
code = "cmp2"
construct = "CMP"
text = { zh = "处理满意吗？", en = "Handled well?" }
low_label = { zh = "低", en = "Low" }
high_label = { zh = "高", en = "High" }
relevant = { item = "cmp1", equals = "yes" }
""",
    "small-1.toml",
)
VALID = {"consent": True, "city": "440300", "sat1": 8, "strict": 1, "cmp1": "no"}


def errors_for(answers: dict[str, object]) -> dict[str, str]:
    normalised, errors = check_answers(SMALL, answers, CITIES)
    return {error.field: error.reason for error in errors}


def complete(instrument: Instrument) -> dict[str, object]:
    """A full set of answers: a complaint, every scale at its top, every first option."""
    answers: dict[str, object] = {}
    for item in instrument.items():
        if isinstance(item, ScaleItem):
            answers[item.code] = item.high
        elif isinstance(item, ChoiceItem):
            answers[item.code] = "yes" if item.code == "cmp1" else item.options[0].code
        elif isinstance(item, CityItem):
            answers[item.code] = "440100"
        elif isinstance(item, ConsentItem):
            answers[item.code] = True
    return answers


@pytest.mark.parametrize("published", load_catalogue().all(), ids=lambda p: p.instrument.code)
def test_a_complete_response_passes_every_instrument(published) -> None:
    answers = complete(published.instrument)
    normalised, errors = check_answers(published.instrument, answers, CITIES)
    assert errors == []
    assert normalised == answers and "cmp2" in normalised


def test_a_valid_response_is_normalised_in_item_order() -> None:
    normalised, errors = check_answers(SMALL, {**VALID, "extra": "na"}, CITIES)
    assert errors == []
    assert list(normalised.items()) == [
        ("consent", True), ("city", "440300"), ("sat1", 8), ("strict", 1), ("extra", None), ("cmp1", "no")
    ]


def test_not_applicable_is_stored_as_none_and_counts_as_answered() -> None:
    normalised, errors = check_answers(SMALL, {**VALID, "sat1": "na"}, CITIES)
    assert errors == [] and normalised["sat1"] is None


def test_not_applicable_only_where_the_item_allows_it() -> None:
    assert errors_for({**VALID, "strict": "na"}) == {"answers.strict": "not applicable is not allowed"}


def test_unknown_items_are_reported_and_left_out() -> None:
    normalised, errors = check_answers(SMALL, {**VALID, "img9": 5}, CITIES)
    assert errors == [FieldError(field="answers.img9", reason="unknown item")]
    assert "img9" not in normalised


@pytest.mark.parametrize("value", [0, 11, -3, 100])
def test_scale_out_of_range(value: int) -> None:
    assert errors_for({**VALID, "sat1": value}) == {"answers.sat1": "out of range: expected 1-10"}


@pytest.mark.parametrize("value", [True, False, 7.0, "7", None, [7], "NA"])
def test_scale_wrong_type_including_bool(value: object) -> None:
    assert errors_for({**VALID, "sat1": value}) == {"answers.sat1": 'wrong type: expected a whole number 1-10 or "na"'}


@pytest.mark.parametrize(("field", "value"), [("cmp1", True), ("cmp1", 1), ("city", 440300), ("consent", "yes")])
def test_wrong_type_for_choice_city_and_consent(field: str, value: object) -> None:
    assert errors_for({**VALID, field: value})[f"answers.{field}"].startswith("wrong type")


def test_choice_must_be_one_of_the_options() -> None:
    assert errors_for({**VALID, "cmp1": "maybe"}) == {"answers.cmp1": "not an option: expected one of yes, no"}


def test_city_must_be_one_of_the_deployment() -> None:
    assert errors_for({**VALID, "city": "110000"}) == {"answers.city": "not a city of this survey"}


@pytest.mark.parametrize("missing", ["city", "sat1", "strict", "cmp1"])
def test_required_items_must_be_answered(missing: str) -> None:
    answers = {code: value for code, value in VALID.items() if code != missing}
    assert errors_for(answers) == {f"answers.{missing}": "required"}


def test_optional_items_may_be_left_out() -> None:
    assert errors_for(VALID) == {}


@pytest.mark.parametrize("answers", [{k: v for k, v in VALID.items() if k != "consent"}, {**VALID, "consent": False}])
def test_consent_is_required(answers: dict[str, object]) -> None:
    assert errors_for(answers) == {"answers.consent": "consent is required"}


def test_follow_up_is_required_when_its_condition_holds() -> None:
    assert errors_for({**VALID, "cmp1": "yes"}) == {"answers.cmp2": "required"}
    normalised, errors = check_answers(SMALL, {**VALID, "cmp1": "yes", "cmp2": 4}, CITIES)
    assert errors == [] and normalised["cmp2"] == 4


@pytest.mark.parametrize("cmp1", ["no", None])
def test_skip_logic_violated_when_follow_up_answered_without_its_condition(cmp1: str | None) -> None:
    answers = {**VALID, "cmp1": cmp1, "cmp2": 9} if cmp1 else {k: v for k, v in VALID.items() if k != "cmp1"} | {"cmp2": 9}
    found = errors_for(answers)
    assert found["answers.cmp2"] == "not asked: asked only when cmp1 is 'yes'"
    assert ("answers.cmp1" in found) == (cmp1 is None)


def test_every_field_is_reported_not_just_the_first() -> None:
    normalised, errors = check_answers(SMALL, {"city": "x", "sat1": 0, "cmp1": "no", "cmp2": 3, "zz": 1}, CITIES)
    assert {e.field for e in errors} == {
        "answers.zz", "answers.consent", "answers.city", "answers.sat1", "answers.strict", "answers.cmp2"
    }
    assert normalised == {"cmp1": "no"}


def test_drop_irrelevant_removes_answers_to_items_not_asked() -> None:
    assert drop_irrelevant(SMALL, {**VALID, "cmp2": 9}) == VALID
    assert drop_irrelevant(SMALL, {**VALID, "cmp1": "yes", "cmp2": 9})["cmp2"] == 9
    assert drop_irrelevant(SMALL, {"zz": 1, "cmp2": 9}) == {"zz": 1}


def test_read_form_turns_posted_strings_into_answer_values() -> None:
    form = {"consent": "yes", "city": "440300", "sat1": "8", "strict": "na", "extra": "", "cmp1": "no", "token": "t"}
    assert read_form(SMALL, form) == {"consent": True, "city": "440300", "sat1": 8, "strict": "na", "cmp1": "no"}
    assert read_form(SMALL, {"consent": "no", "sat1": "８"}) == {"consent": False, "sat1": "８"}


@pytest.mark.parametrize(
    ("reason", "zh"),
    [("required", "请回答此题"), ("out of range: expected 1-10", "请在给出的分值中选择"), ("something new", "something new")],
)
def test_reasons_are_explained_in_the_respondents_language(reason: str, zh: str) -> None:
    assert explain(reason, "zh") == zh


@pytest.mark.parametrize(("reason", "en"), [
    ("required", "Please answer these questions"),
    ("not applicable is not allowed", "“N/A” is not allowed for these questions"),
    ("out of range: expected 1-10", "Please choose one of the scores shown"), ("something new", "something new"),
])
def test_a_reason_several_questions_share_is_said_of_them_all(reason: str, en: str) -> None:
    assert explain(reason, "en", many=True) == en
