"""A respondent on a phone: questionnaire list, company chooser, the no-JavaScript form, errors, the thank-you page."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.browser.conftest import Service, fits_phone

if TYPE_CHECKING:
    from playwright.sync_api import Page

CITY = {"zh-CN": ("深圳", "440300"), "en": ("Shenzhen", "440300")}
TITLE = {"zh-CN": "汽车售后服务满意度调查", "en": "After-sales service satisfaction survey: automobiles"}
THANKS = {"zh-CN": "感谢您的参与！", "en": "Thank you for taking part!"}
LEFT_OUT = ("consent", "city", "img2", "sat3")  # the consent tick, the city list and two scale questions


def answer(page: Page, *, leave: tuple[str, ...] = (), only: tuple[str, ...] | None = None) -> dict[str, object]:
    """Answer every question shown, in page order, by tapping labels as a person does; the answers as stored."""
    city, code = CITY[page.locator("html").get_attribute("lang")]
    given: dict[str, object] = {}
    questions = page.locator("form [id^='q-']")
    for n in range(questions.count()):
        question = questions.nth(n)
        item = question.get_attribute("id").removeprefix("q-")
        if item in leave or (only is not None and item not in only) or not question.is_visible():
            continue  # a follow-up shows (by CSS alone) only once its trigger is answered: asked in page order
        if question.locator("select").count():
            question.locator("select").select_option(label=city)
            given[item] = code
        elif question.locator("input[type=checkbox]").count():
            question.locator("label").click()
            given[item] = True
        elif question.locator(".s").count():  # a 1-10 scale
            value = 6 + n % 5
            question.locator(f"label:has(> input[value='{value}'])").click()
            given[item] = value
        else:
            question.locator("label").first.click()
            given[item] = question.locator("input:checked").get_attribute("value")
    return given


def every_control_labelled(page: Page) -> None:
    unlabelled = page.evaluate(
        "[...document.querySelectorAll('form input:not([type=hidden]), form select, form button')]"
        ".filter(e => e.tagName !== 'BUTTON' ? e.labels.length === 0 : !e.textContent.trim()).map(e => e.name)"
    )
    assert unlabelled == []


def stored(service: Service, response_id: str) -> dict:
    answer = httpx.get(f"{service.base_url}/api/responses/{response_id}", headers=service.admin_headers(), timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_respondent_chooses_a_company_answers_everything_and_the_response_is_stored(page, service, shot, lang):
    page.goto("/")
    assert page.locator("main li a").count() == 10
    if lang == "en":
        page.get_by_role("link", name="English").click()  # the switch on the questionnaire list
        page.wait_for_url(re.compile(r"/\?lang=en$"))
    assert page.locator("html").get_attribute("lang") == lang
    shot(page, "questionnaires")
    page.get_by_role("link", name=TITLE[lang]).click()
    if page.get_by_role("link", name=re.compile("演示测评活动|Demo campaign")).count():
        page.get_by_role("link", name=re.compile("演示测评活动|Demo campaign")).click()  # several open campaigns
    companies = page.locator("a.choice")
    assert companies.count() == 8 and "演示汽车企业" in companies.first.inner_text()
    fits_phone(page)
    shot(page, "companies")
    chosen = companies.nth(2)
    enterprise = int(re.search(r"enterprise=(\d+)", chosen.get_attribute("href")).group(1))
    chosen.click()

    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("h1").inner_text() == TITLE[lang]
    assert re.search(r"campaign=demo&enterprise=\d+", page.url)
    fits_phone(page)
    every_control_labelled(page)
    shot(page, "form")
    assert not page.locator("#q-cmp2").is_visible()  # asked only after "yes" to the complaint question
    given = answer(page)
    assert given["cmp1"] == "yes" and "cmp2" in given
    shot(page, "answered")
    page.locator("form button[type=submit]").click()

    page.wait_for_url(re.compile(r"/s/automobile/thanks/[0-9a-f-]{36}"))
    assert page.locator("h1").inner_text() == THANKS[lang]
    fits_phone(page)
    shot(page, "thanks")
    response_id = page.locator("main strong").inner_text()
    other = "zh-CN" if lang == "en" else "en"
    page.get_by_role("link", name="中文" if lang == "en" else "English").click()  # the thank-you page has the switch
    assert page.locator("h1").inner_text() == THANKS[other] and page.locator("main strong").inner_text() == response_id
    response = stored(service, response_id)
    assert (response["campaign"], response["enterprise"], response["channel"]) == ("demo", enterprise, "web")
    assert response["locale"] == lang[:2]
    assert response["answers"] == given


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_missing_answers_are_named_beside_their_questions_and_the_given_ones_kept(page, service, shot, lang):
    page.goto(f"/s/automobile?campaign=demo&enterprise=2&lang={lang[:2]}")
    response_id = page.locator("input[name=response_id]").input_value()
    given = answer(page, leave=LEFT_OUT)
    form_url = page.url

    page.locator("form button[type=submit]").click()  # the browser's own check stops it at the first gap
    assert page.url == form_url and page.locator("#problems").count() == 0
    first_gap = page.locator("form :invalid").first
    assert first_gap.get_attribute("name") == "consent"
    assert first_gap.evaluate("e => e.validationMessage")
    shot(page, "browser-check")

    # A browser that ignores `required` (some in-app web views) sends the form as it is: the server answers.
    page.evaluate("document.querySelector('form').noValidate = true")
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/s/automobile$"))
    assert page.locator("#problems").is_visible()
    fits_phone(page)
    shot(page, "errors")
    for item in LEFT_OUT:
        assert page.locator(f"#q-{item} .err").first.is_visible(), item
        assert "bad" in page.locator(f"#q-{item}").get_attribute("class")
    assert page.locator(".err").count() == len(LEFT_OUT)
    summary = page.locator("#problems").inner_text()  # several questions are "these questions"; the consent named
    assert {"zh-CN": "请回答以下各题：5、7、27", "en": "Please answer these questions: 5, 7, 27"}[lang] in summary
    assert {"zh-CN": "参加调查：参与说明", "en": "agree to take part: Consent"}[lang] in summary
    for item, value in given.items():
        control = page.locator(f"#q-{item} input")
        if isinstance(value, bool):
            assert control.is_checked(), item
        else:
            assert page.locator(f"#q-{item} input[value='{value}']").is_checked(), item
    page.locator("#problems a").last.click()
    assert page.url.endswith("#q-sat3") and page.locator("#q-sat3").is_visible()

    given |= answer(page, only=LEFT_OUT)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/thanks/"))
    shot(page, "thanks")
    assert page.locator("main strong").inner_text() == response_id  # the same response, sent once
    assert stored(service, response_id)["answers"] == given
