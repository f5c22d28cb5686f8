"""Properties of the answer checks that hold for every published questionnaire and any answers (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey.instruments.catalogue import load_catalogue
from survey.instruments.check import NA, NOT_ASKED, check_answers, drop_irrelevant, is_relevant
from survey.instruments.spec import ChoiceItem, CityItem, ConsentItem, Instrument, ScaleItem
from survey.regions import load_regions

INSTRUMENTS = [entry.instrument for entry in load_catalogue().all()]
CITIES = load_regions().codes()
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def valid_value(item) -> st.SearchStrategy:
    if isinstance(item, ScaleItem):
        values = st.integers(min_value=item.low, max_value=item.high)
        return st.one_of(values, st.just(NA)) if item.na else values
    if isinstance(item, ConsentItem):
        return st.just(True)
    if isinstance(item, ChoiceItem):
        return st.sampled_from([option.code for option in item.options])
    if isinstance(item, CityItem):
        return st.sampled_from(sorted(CITIES))
    return st.text(max_size=20)


@st.composite
def complete(draw, instrument: Instrument) -> dict:
    """A complete, valid set of answers: every asked item answered (follow-ups only where their condition holds)."""
    answers: dict = {}
    asked: set[str] = set()
    for item in instrument.items():
        if not is_relevant(item, answers, asked):
            continue
        asked.add(item.code)
        answers[item.code] = draw(valid_value(item))
    return answers


def anything(instrument: Instrument) -> st.SearchStrategy:
    codes = [item.code for item in instrument.items()]
    options = [o.code for item in instrument.items() if isinstance(item, ChoiceItem) for o in item.options]
    keys = st.one_of(st.sampled_from(codes), st.text(min_size=1, max_size=8))
    values = st.one_of(st.integers(min_value=-1000, max_value=1000), st.booleans(), st.none(), st.just(NA),
                       st.text(max_size=10), st.sampled_from(options or ["x"]), st.sampled_from(sorted(CITIES)))
    return st.dictionaries(keys, values, max_size=len(codes) + 3)


instrument_and_complete = st.sampled_from(INSTRUMENTS).flatmap(lambda i: st.tuples(st.just(i), complete(i)))
instrument_and_anything = st.sampled_from(INSTRUMENTS).flatmap(lambda i: st.tuples(st.just(i), anything(i)))


@SETTINGS
@given(instrument_and_complete)
def test_complete_valid_answers_pass_and_are_kept_with_na_as_missing(case):
    instrument, answers = case
    normalised, errors = check_answers(instrument, answers, CITIES)
    assert errors == []
    assert normalised == {code: None if value == NA else value for code, value in answers.items()}


@SETTINGS
@given(instrument_and_anything)
def test_every_answer_given_is_kept_or_refused_by_name_never_both(case):
    instrument, answers = case
    normalised, errors = check_answers(instrument, answers, CITIES)
    refused = {error.field.removeprefix("answers.") for error in errors}
    assert all(error.field.startswith("answers.") and error.reason for error in errors)
    assert set(normalised) <= set(answers) and not set(normalised) & refused
    assert set(answers) <= set(normalised) | refused
    known = {item.code for item in instrument.items()}
    assert set(normalised) <= known


@SETTINGS
@given(instrument_and_anything)
def test_the_kept_answers_pass_again_unchanged(case):
    instrument, answers = case
    normalised, _ = check_answers(instrument, answers, CITIES)
    given_again = {code: NA if value is None else value for code, value in normalised.items()}
    again, errors = check_answers(instrument, given_again, CITIES)
    assert again == normalised
    assert {e.field for e in errors} <= {f"answers.{i.code}" for i in instrument.items()}  # only missing ones
    assert not any(e.reason.startswith(NOT_ASKED) for e in errors)


@SETTINGS
@given(instrument_and_anything)
def test_dropping_the_questions_not_asked_leaves_nothing_not_asked(case):
    instrument, answers = case
    _, errors = check_answers(instrument, drop_irrelevant(instrument, answers), CITIES)
    assert not any(error.reason.startswith(NOT_ASKED) for error in errors)
