"""The respondent's pages: every item present, answers and errors kept in place, small enough for a weak network."""

from __future__ import annotations

import re

import pytest

from survey.errors import FieldError
from survey.instruments.catalogue import Published, load_catalogue
from survey.instruments.check import check_answers
from survey.instruments.render import render_catalogue, render_form, render_thanks
from survey.instruments.spec import ScaleItem
from survey.regions import load_regions

CATALOGUE = load_catalogue()
CITIES = [(city.code, city.zh, city.en) for city in load_regions().cities]
CASES = [(p, locale) for p in CATALOGUE.all() for locale in ("zh", "en")]
IDS = [f"{p.instrument.code}-{locale}" for p, locale in CASES]


def form(published: Published, locale: str = "zh", **overrides: object) -> str:
    arguments = {
        "locale": locale, "action": "/r/abc", "hidden": {"invitation": "abc"}, "answers": {}, "errors": [],
        "cities": CITIES, "switch_url": "/r/abc?lang=" + ("zh" if locale == "en" else "en"),
    } | overrides
    return render_form(published.instrument, **arguments)


def question(page: str, code: str) -> str:
    """The markup of one question, from its opening tag to the next question's."""
    start = page.index(f"id=q-{code}>")
    following = page.find(" id=q-", start + 1)
    return page[start : following if following > 0 else len(page)]


@pytest.mark.parametrize(("published", "locale"), CASES, ids=IDS)
def test_every_item_is_on_the_page_with_its_choices(published: Published, locale: str) -> None:
    page = form(published, locale)
    for item in published.instrument.items():
        block = question(page, item.code)
        assert item.text.get(locale).replace("'", "&#39;") in block
        if isinstance(item, ScaleItem):
            values = re.findall(rf"name={item.code} value=(\w+)", block)
            assert values == [str(v) for v in range(item.low, item.high + 1)] + ["na"]
    assert page.count('name="city"') == 1 and page.count("<option value=4") == len(CITIES)


@pytest.mark.parametrize(("published", "locale"), CASES, ids=IDS)
def test_the_page_stays_under_30_kb_even_with_every_question_in_error(published: Published, locale: str) -> None:
    _, errors = check_answers(published.instrument, {}, [code for code, _, _ in CITIES])
    assert len(errors) > 25
    assert len(form(published, locale, errors=errors).encode()) < 30_000
    assert len(form(published, locale).encode()) < 30_000


@pytest.mark.parametrize(("locale", "lang", "switch", "submit"), [("zh", "zh-CN", "English", "提交"), ("en", "en", "中文", "Submit")])
def test_language_viewport_switch_and_submit(locale: str, lang: str, switch: str, submit: str) -> None:
    page = form(CATALOGUE.get("automobile"), locale, switch_url="/r/abc?lang=x&amp=1")
    assert f'<html lang="{lang}">' in page
    assert '<meta name="viewport" content="width=device-width,initial-scale=1">' in page
    assert re.search(r'<a href="/r/abc\?lang=x&amp;amp=1"[^>]*>' + switch + "</a>", page)
    assert f'<button type="submit">{submit}</button>' in page
    assert "不适用" in page if locale == "zh" else "N/A" in page


def test_no_external_resources_or_scripts() -> None:
    page = form(CATALOGUE.get("mobile_phone"))
    assert "<script" not in page and "<link" not in page and "src=" not in page and "@import" not in page
    assert "min-height:44px" in page


def test_answers_are_kept_checked() -> None:
    answers = {"consent": True, "city": "440300", "img1": 7, "qua1": None, "cmp1": "yes", "service_type": "repair"}
    page = form(CATALOGUE.get("home_appliance"), answers=answers)
    assert "name=img1 value=7 checked>" in page
    assert "name=qua1 value=na checked>" in page
    assert "name=cmp1 value=yes checked required>" in page and "name=service_type value=repair checked>" in page
    assert '<option value=440300 selected>深圳</option>' in page
    assert 'name="consent" value="yes" checked' in page
    assert page.count(" checked") == 5


def test_errors_are_shown_beside_their_question_and_linked_from_a_summary() -> None:
    errors = [FieldError(field="answers.img2", reason="required"), FieldError(field="answers.zz", reason="unknown item")]
    page = form(CATALOGUE.get("computer"), errors=errors)
    assert "<p class=err>请回答此题</p>" in question(page, "img2")
    assert "class=err" not in question(page, "img1") and "class=err" not in question(page, "img3")
    summary = page[page.index('id=problems'):page.index("<form")]
    assert "<a href=#q-img2>7</a>" in summary and "answers.zz: 问卷中没有这道题" in summary
    assert "<legend>7. " in question(page, "img2")


@pytest.mark.parametrize(("locale", "one", "several", "consent"), [
    ("zh", "请回答此题：<a href=#q-img2>7</a>", "请回答以下各题：", "参与说明"),
    ("en", "Please answer this question: <a href=#q-img2>7</a>", "Please answer these questions: ", "Consent"),
])
def test_the_summary_says_question_or_questions_and_names_the_consent(locale, one, several, consent) -> None:
    page = form(CATALOGUE.get("computer"), locale, errors=[FieldError(field="answers.img2", reason="required")])
    assert one in page
    missing = [FieldError(field=f"answers.{code}", reason="required") for code in ("consent", "img1", "img2")]
    page = form(CATALOGUE.get("computer"), locale, errors=missing)
    summary = page[page.index("id=problems"):page.index("<form")]
    sep = "、" if locale == "zh" else ", "
    assert f"{several}<a href=#q-consent>{consent}</a>{sep}<a href=#q-img1>6</a>{sep}<a href=#q-img2>7</a>" in summary
    assert ("this question" not in summary) and ("此题" not in summary)


def test_the_complaint_follow_up_is_hidden_by_css_until_yes_but_still_on_the_page() -> None:
    page = form(CATALOGUE.get("e_commerce"))
    assert "form:not(:has([name=cmp1][value=yes]:checked)) #q-cmp2{display:none}" in page
    assert "name=cmp2 value=10" in page and "required" not in question(page, "cmp2")


def test_hidden_fields_are_passed_through_escaped() -> None:
    page = form(CATALOGUE.get("automobile"), hidden={"invitation": "a1", "outlet": '"><script>'})
    assert '<input type="hidden" name="invitation" value="a1">' in page
    assert '<input type="hidden" name="outlet" value="&#34;&gt;&lt;script&gt;">' in page
    assert '<form method="post" action="/r/abc">' in page


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_thanks_page_shows_the_reference(locale: str) -> None:
    instrument = CATALOGUE.get("computer").instrument
    page = render_thanks(instrument, locale=locale, response_id="r-<42>")
    assert "r-&lt;42&gt;" in page and instrument.title.get(locale) in page
    assert ("感谢" in page) == (locale == "zh")


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_catalogue_lists_and_links_all_ten(locale: str) -> None:
    page = render_catalogue(CATALOGUE.all(), locale=locale, link=lambda code: f"/s/{code}")
    for published in CATALOGUE.all():
        code = published.instrument.code
        assert f'<a href="/s/{code}">{published.instrument.title.get(locale)}</a>' in page
    assert page.count("<li>") == 10
