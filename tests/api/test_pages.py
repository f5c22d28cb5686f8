"""The respondent's pages: list, form, errors beside the questions, thank-you only after storing."""

from __future__ import annotations

import re

import msgspec
import pytest

from survey.instruments.spec import Instrument
from tests.api.conftest import ADMIN, full_answers


def _hidden(html: str) -> dict[str, str]:
    fields = {}
    for tag in re.findall(r"<input[^>]*type=\"?hidden\"?[^>]*>", html):
        name = re.search(r'name="?([a-z_]+)"?', tag).group(1)
        value = re.search(r'value="([^"]*)"', tag)
        fields[name] = value.group(1) if value else ""
    return fields


def _form(client, registry, lang="zh"):
    page = client.get("/s/automobile", params={
        "campaign": registry["campaign"]["code"], "enterprise": registry["enterprise"]["id"], "lang": lang,
    })
    assert page.status_code == 200
    return page.text


def _instrument(client) -> Instrument:
    return msgspec.convert(client.get("/api/instruments/automobile").json()["instrument"], Instrument)


def _fields(answers: dict) -> dict[str, str]:
    return {key: ("yes" if value is True else str(value)) for key, value in answers.items()}


def test_home_lists_the_ten_questionnaires(client):
    page = client.get("/")
    assert page.status_code == 200 and page.text.count('href="/s/') >= 10


@pytest.mark.parametrize(("lang", "switch"), [("zh", '<a href="/?lang=en" hreflang="en" lang="en">English</a>'),
                                              ("en", '<a href="/?lang=zh" hreflang="zh-CN" lang="zh-CN">中文</a>')])
def test_home_has_the_language_switch(client, lang, switch):
    page = client.get("/", params={"lang": lang})
    assert switch in page.text and 'href="/s/automobile' in page.text


def test_the_form_is_chinese_by_default_with_an_english_switch(client, registry):
    html = _form(client, registry)
    assert 'lang="zh-CN"' in html and "提交" in html and "lang=en" in html
    english = _form(client, registry, "en")
    assert 'lang="en"' in english and "Submit" in english


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_form_submission_is_stored_then_thanked(client, registry, lang):
    hidden = _hidden(_form(client, registry, lang))
    data = {**hidden, **_fields(full_answers(_instrument(client)))}
    answer = client.post("/s/automobile", data=data, follow_redirects=False)
    assert answer.status_code == 303, answer.text[:2000]
    stored = client.get(f"/api/responses/{hidden['response_id']}", headers=ADMIN).json()
    assert stored["channel"] == "web" and stored["locale"] == lang and stored["answers"]["sat3"] == 8
    thanks = client.get(answer.headers["location"])
    assert thanks.status_code == 200
    other = "zh" if lang == "en" else "en"
    assert f'href="/s/automobile/thanks/{hidden["response_id"]}?lang={other}"' in thanks.text  # the language switch
    again = client.post("/s/automobile", data=data, follow_redirects=False)  # a double tap on Submit
    assert again.status_code == 303
    from survey.store.responses import count_responses

    assert count_responses(client.app.state.context.db) == 1


def test_errors_show_beside_the_question_with_answers_kept(client, registry):
    hidden = _hidden(_form(client, registry))
    answers = full_answers(_instrument(client))
    del answers["sat2"]
    answers["sat1"] = 4
    answer = client.post("/s/automobile", data={**hidden, **_fields(answers)}, follow_redirects=False)
    assert answer.status_code == 422
    html = answer.text
    assert re.search(r'name="?sat1"? value="?4"?[^>]*checked', html)
    sat2 = html.index('name="sat2"') if 'name="sat2"' in html else html.index("name=sat2")
    error_near = html.rfind("sat2", 0, sat2)
    assert error_near != -1
    from survey.store.responses import count_responses

    assert count_responses(client.app.state.context.db) == 0


def test_the_thank_you_page_needs_a_stored_response(client, registry):
    assert client.get("/s/automobile/thanks/00000000-0000-4000-8000-000000000000").status_code == 404


def test_without_an_enterprise_the_respondent_chooses_one(client, registry):
    page = client.get("/s/automobile")
    assert page.status_code == 200 and registry["enterprise"]["name"] in page.text
