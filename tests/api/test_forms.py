"""Reading posted forms into the API's Structs: a reason per field, in the page's language."""

from __future__ import annotations

import datetime as dt

import pytest

from survey.api.forms import explain, field_errors, read_form
from survey.errors import FieldError
from survey.quality.flags import FlagOverride
from survey.registry import CampaignCreate, CampaignUpdate, OutletCreate


def test_a_good_form_is_the_struct():
    form = {"code": "wave-2", "title_zh": " 第二期 ", "title_en": "Wave 2", "opens_on": "2026-03-01",
            "closes_on": "2026-04-01", "is_demo": "1", "csrf": "ignored"}
    made, errors = read_form(form, CampaignCreate, "zh", checkboxes=("open_links", "is_demo"),
                             lists={"industries": ["automobile"]})
    assert errors == {}
    assert made == CampaignCreate(code="wave-2", title_zh="第二期", title_en="Wave 2", industries=["automobile"],
                                  opens_on=dt.date(2026, 3, 1), closes_on=dt.date(2026, 4, 1), is_demo=True,
                                  open_links=False)


@pytest.mark.parametrize(("field", "value", "zh", "en"), [
    ("code", "", "必填。", "Required."),
    ("code", "Wave 2", "格式不正确，请参照说明。", "Not in the expected form; see the hint."),
    ("title_zh", "x" * 201, "最多 200 个字符。", "At most 200 characters."),
    ("opens_on", "2026-02-30", "请按 年-月-日 填写日期，例如 2026-03-01。", "Enter a date as YYYY-MM-DD, e.g. 2026-03-01."),
    ("status", "later", "请从列表中选择。", "Choose one from the list."),
])
def test_each_field_gets_its_own_reason_in_both_languages(field, value, zh, en):
    form = {"code": "wave-2", "title_zh": "甲", "title_en": "A", "opens_on": "2026-03-01", "closes_on": "2026-04-01",
            field: value}
    for locale, reason in (("zh", zh), ("en", en)):
        made, errors = read_form(form, CampaignCreate, locale, lists={"industries": ["automobile"]})
        assert made is None and errors == {field: reason}


def test_every_bad_field_is_named_at_once():
    _, errors = read_form({"latitude": "north", "longitude": "inf", "enterprise_id": "1.5"}, OutletCreate, "en")
    assert errors == {"enterprise_id": "Enter a whole number.", "name": "Required.", "city": "Required.",
                      "address": "Required.", "latitude": "Enter a number.", "longitude": "Enter a number."}
    _, errors = read_form({"enterprise_id": "0", "name": "a", "city": "440100", "address": "b", "latitude": "-91",
                           "longitude": "1"}, OutletCreate, "zh")
    assert errors == {"enterprise_id": "不能小于 1。", "latitude": "不能小于 -90。"}


def test_an_edit_form_may_require_what_the_struct_leaves_optional():
    made, errors = read_form({"title_zh": "", "status": "open"}, CampaignUpdate, "en", required=("title_zh",))
    assert made is None and errors == {"title_zh": "Required."}
    made, errors = read_form({"status": "open"}, CampaignUpdate, "en", checkboxes=("open_links",))
    assert errors == {} and made.status == "open" and made.open_links is False and made.title_zh is None


def test_lists_and_short_text():
    _, errors = read_form({}, CampaignCreate, "zh", lists={"industries": []})
    assert errors["industries"] == "请至少选择 1 项。"
    _, errors = read_form({"reason": "no"}, FlagOverride, "en")
    assert errors == {"reason": "At least 3 characters."}


def test_domain_reasons_are_said_in_chinese_with_the_english_kept():
    assert explain("must not be before opens_on", "zh") == "结束日期不能早于开始日期。 (must not be before opens_on)"
    assert explain("must not be before opens_on", "en") == "must not be before opens_on"
    assert explain("something new", "zh") == "something new"
    shown = field_errors([FieldError(field="industries[1]", reason="unknown industry 'x'"),
                          FieldError(field="industries[2]", reason="unknown industry 'y'"),
                          FieldError(field="margins.automobile.city", reason="every level needs a count")], "en")
    assert shown == {"industries": "unknown industry 'x' unknown industry 'y'", "margins": "every level needs a count"}
