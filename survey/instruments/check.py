"""Answer checks: a respondent's answers (JSON values) against an instrument, every problem reported per field."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from survey.errors import FieldError
from survey.instruments.spec import ChoiceItem, CityItem, ConsentItem, Instrument, Item, ScaleItem, Text

NA = "na"
UNKNOWN = "unknown item"
WRONG_TYPE = "wrong type"
OUT_OF_RANGE = "out of range"
NOT_AN_OPTION = "not an option"
NOT_A_CITY = "not a city of this survey"
NA_NOT_ALLOWED = "not applicable is not allowed"
REQUIRED = "required"
CONSENT = "consent is required"
NOT_ASKED = "not asked"

REASONS: dict[str, Text] = {
    UNKNOWN: Text(zh="问卷中没有这道题", en="This question is not in the questionnaire"),
    WRONG_TYPE: Text(zh="答案格式不正确", en="This answer has the wrong form"),
    OUT_OF_RANGE: Text(zh="请在给出的分值中选择", en="Please choose one of the scores shown"),
    NOT_AN_OPTION: Text(zh="请在给出的选项中选择", en="Please choose one of the options shown"),
    NOT_A_CITY: Text(zh="请从列表中选择城市", en="Please choose a city from the list"),
    NA_NOT_ALLOWED: Text(zh="此题不能选择“不适用”", en="“N/A” is not allowed for this question"),
    REQUIRED: Text(zh="请回答此题", en="Please answer this question"),
    CONSENT: Text(zh="请先阅读说明并同意参加调查", en="Please read the note and agree to take part"),
    NOT_ASKED: Text(zh="根据您前面的回答，此题无需作答", en="Given your earlier answer, this question is not asked"),
}


# The wording of a reason that several questions share, where it differs from the one for a single question.
REASONS_MANY: dict[str, Text] = {
    WRONG_TYPE: Text(zh="答案格式不正确", en="These answers have the wrong form"),
    NA_NOT_ALLOWED: Text(zh="以下各题不能选择“不适用”", en="“N/A” is not allowed for these questions"),
    REQUIRED: Text(zh="请回答以下各题", en="Please answer these questions"),
    NOT_ASKED: Text(zh="根据您前面的回答，以下各题无需作答", en="Given your earlier answers, these questions are not asked"),
}


def explain(reason: str, locale: str, *, many: bool = False) -> str:
    """A reason in words for the respondent (`many`: as said of several questions at once); the text before the
    first colon picks the wording."""
    key = reason.partition(":")[0]
    text = (REASONS_MANY.get(key) if many else None) or REASONS.get(key)
    return text.get(locale) if text else reason


def is_relevant(item: Item, answers: Mapping[str, object], relevant: Collection[str]) -> bool:
    """Whether the item is asked, given earlier answers and the codes of the earlier items that were asked."""
    condition = item.relevant
    if condition is None:
        return True
    return condition.item in relevant and answers.get(condition.item) == condition.equals


def check_answers(
    instrument: Instrument, answers: Mapping[str, object], cities: Collection[str]
) -> tuple[dict[str, object], list[FieldError]]:
    """Normalised answers (known, asked items; "na" as None) and the list of every problem found."""
    known = {item.code for item in instrument.items()}
    errors = [FieldError(field=f"answers.{code}", reason=UNKNOWN) for code in answers if code not in known]
    normalised: dict[str, object] = {}
    asked: set[str] = set()
    for item in instrument.items():
        code = item.code
        if item.relevant is not None and not is_relevant(item, answers, asked):
            if code in answers:
                condition = item.relevant
                reason = f"{NOT_ASKED}: asked only when {condition.item} is {condition.equals!r}" if condition else NOT_ASKED
                errors.append(FieldError(field=f"answers.{code}", reason=reason))
            continue
        asked.add(code)
        if code not in answers:
            if isinstance(item, ConsentItem):
                errors.append(FieldError(field=f"answers.{code}", reason=CONSENT))
            elif item.required:
                errors.append(FieldError(field=f"answers.{code}", reason=REQUIRED))
            continue
        value = answers[code]
        if type(value) is int and type(item) is ScaleItem and item.low <= value <= item.high:
            normalised[code] = value  # the common case, first
            continue
        value, reason = read_value(item, value, cities)
        if reason is None:
            normalised[code] = value
        else:
            errors.append(FieldError(field=f"answers.{code}", reason=reason))
    return normalised, errors


def read_value(item: Item, value: object, cities: Collection[str]) -> tuple[object, str | None]:
    """The stored value of one answer, or the reason it is refused."""
    if isinstance(item, ScaleItem):
        if value == NA:
            return (None, None) if item.na else (None, NA_NOT_ALLOWED)
        if not isinstance(value, int) or isinstance(value, bool):
            allowed = f' or "{NA}"' if item.na else ""
            return None, f"{WRONG_TYPE}: expected a whole number {item.low}-{item.high}{allowed}"
        if not item.low <= value <= item.high:
            return None, f"{OUT_OF_RANGE}: expected {item.low}-{item.high}"
        return value, None
    if isinstance(item, ConsentItem):
        if value is True:
            return True, None
        return None, CONSENT if value is False else f"{WRONG_TYPE}: expected true"
    if not isinstance(value, str):
        return None, f"{WRONG_TYPE}: expected a string"
    if isinstance(item, ChoiceItem) and value not in {option.code for option in item.options}:
        return None, f"{NOT_AN_OPTION}: expected one of {', '.join(option.code for option in item.options)}"
    if isinstance(item, CityItem) and value not in cities:
        return None, NOT_A_CITY
    return value, None


def drop_irrelevant(instrument: Instrument, answers: Mapping[str, object]) -> dict[str, object]:
    """The answers without those to items that are not asked (a form keeps hidden follow-ups' old values)."""
    kept = dict(answers)
    asked: set[str] = set()
    for item in instrument.items():
        if is_relevant(item, kept, asked):
            asked.add(item.code)
        else:
            kept.pop(item.code, None)
    return kept


def read_form(instrument: Instrument, form: Mapping[str, str]) -> dict[str, object]:
    """The answers from an HTML form post (all strings) as the JSON values check_answers takes; other fields ignored."""
    answers: dict[str, object] = {}
    for item in instrument.items():
        value = form.get(item.code)
        if value is None or value == "":
            continue
        if isinstance(item, ScaleItem) and value.isascii() and value.isdigit():
            answers[item.code] = int(value)
        elif isinstance(item, ConsentItem):
            answers[item.code] = value == "yes"
        else:
            answers[item.code] = value
    return answers
