"""XLSForm: every instrument exports to a form pyxform (and ODK Validate) accepts, and reads back as the same instrument;
hand-written forms import what they can and list the rest; malformed workbooks fail naming sheet, row and reason."""

from __future__ import annotations

import io
import shutil
import xml.etree.ElementTree as ET

import msgspec
import openpyxl
import pytest
from pyxform.xls2xform import convert

from survey.instruments.catalogue import Catalogue, load_catalogue
from survey.instruments.load import load_instrument_text
from survey.instruments.spec import ChoiceItem, CityItem, ConsentItem, Instrument, ScaleItem
from survey.instruments.xlsform import Skipped, WorkbookError, export_xlsform, import_xlsform
from survey.regions import load_industries, load_regions

INDUSTRIES = load_industries().codes()
XF = "{http://www.w3.org/2002/xforms}"
H = "{http://www.w3.org/1999/xhtml}"
SURVEY_NS = "{urn:x-survey:instrument}"

# Everything the format can say, away from its defaults: a 0-11 scale without N/A, optional items, a condition on a
# choice item, a label that looks like a spreadsheet formula, a choice item named like the city list, two scales
# sharing their anchors (one list), and sections whose code equals their only question's.
UNUSUAL = """
code = "unusual"
industry = "computer"
version = 4
kind = "audit"
title = { zh = "特别问卷", en = "Unusual" }
intro = { zh = "=说明", en = "=1+1 is not a formula" }

[[sections]]
code = "ok"
title = { zh = "同意", en = "Consent" }

[[sections.items]]
type = "consent"
code = "ok"
text = { zh = "同意", en = "Agree" }
required = false

[[sections]]
code = "main"
title = { zh = "部分", en = "Part" }

[[sections.items]]
type = "choice"
code = "cities"
text = { zh = "是否？", en = "Yes?" }
options = [{ code = "yes", label = { zh = "是", en = "Yes" } }, { code = "no", label = { zh = "否", en = "No" } }]
required = false

[[sections.items]]
type = "choice"
code = "why"
text = { zh = "原因", en = "Why" }
options = [{ code = "a", label = { zh = "甲", en = "A" } }, { code = "b", label = { zh = "乙", en = "B" } }]
relevant = { item = "cities", equals = "no" }

[[sections.items]]
type = "scale"
code = "q1"
construct = "QUAL"
low = 0
high = 11
na = false
text = { zh = "评分", en = "Rate" }
low_label = { zh = "很差", en = "Very poor" }
high_label = { zh = "很好", en = "Excellent" }
relevant = { item = "cities", equals = "yes" }

[[sections.items]]
type = "scale"
code = "q2"
construct = "VAL"
low = 0
high = 11
na = false
text = { zh = "再评分", en = "Rate again" }
low_label = { zh = "很差", en = "Very poor" }
high_label = { zh = "很好", en = "Excellent" }

[[sections.items]]
type = "city"
code = "where"
text = { zh = "城市", en = "City" }
required = false
"""

# A form written by hand in KoboToolbox style, as pyxform's tests write forms: one table per sheet.
HAND_WRITTEN = """
| survey   |                        |              |                     |                     |                    |                    |                      |            |                        |
|          | type                   | name         | label::Chinese (zh) | label::English (en) | label::French (fr) | hint::English (en) | relevant             | constraint | bind::survey:construct |
|          | start                  | start        |                     |                     |                    |                    |                      |            |                        |
|          | note                   | intro        | 欢迎                | Welcome             |                    |                    |                      |            |                        |
|          | begin_group            | about        | 关于您              | About you           |                    |                    |                      |            |                        |
|          | text                   | full_name    | 姓名                | Name                |                    |                    |                      |            |                        |
|          | integer                | age          | 年龄                | Age                 |                    |                    |                      | . > 17     |                        |
|          | select_one yn          | used         | 用过吗？            | Used it?            | Utilisé ?          | Once is enough     |                      |            |                        |
|          | select_multiple why    | reasons      | 原因                | Reasons             |                    |                    |                      |            |                        |
|          | select_one rate        | rating       | 评分                | Rating              |                    |                    | ${used} = 'yes'      |            | SAT                    |
|          | select_one rate        | again        | 再评分              | Rating again        |                    |                    | ${age} > 30          |            | SAT                    |
|          | select_one rate        | loyal        | 忠诚                | Loyalty             |                    |                    | ${reasons} = 'price' |            | LOY                    |
|          | select_one yn          | agree        | 同意吗              | Agree?              |                    |                    |                      | . = 'yes'  |                        |
|          | select_one yn or_other | other        | 其他                | Other               |                    |                    |                      |            |                        |
|          | end_group              |              |                     |                     |                    |                    |                      |            |                        |
|          | begin_group            | follow       | 跟进                | Follow-up           |                    |                    | ${used} = 'no'       |            |                        |
|          | select_one yn          | call_back    | 回访？              | Call back?          |                    |                    |                      |            |                        |
|          | select_one yn          | call_twice   | 两次？              | Twice?              |                    |                    | ${call_back} = 'yes' |            |                        |
|          | begin_group            | inner        | 内部                | Inner               |                    |                    |                      |            |                        |
|          | select_one city        | town         | 城市                | City                |                    |                    |                      |            |                        |
|          | end_group              |              |                     |                     |                    |                    |                      |            |                        |
|          | end_group              |              |                     |                     |                    |                    |                      |            |                        |
|          | begin_repeat           | visits       | 来访                | Visits              |                    |                    |                      |            |                        |
|          | date                   | visit_date   | 日期                | Date                |                    |                    |                      |            |                        |
|          | end_repeat             |              |                     |                     |                    |                    |                      |            |                        |
|          | calculate              | score        |                     |                     |                    |                    |                      |            |                        |
|          | acknowledge            | consent      | 我同意              | I agree             |                    |                    |                      |            |                        |
| choices  |                        |              |                     |                     |                    |                    |                      |            |                        |
|          | list_name              | name         | label::Chinese (zh) | label::English (en) |                    |                    |                      |            |                        |
|          | yn                     | yes          | 是                  | Yes                 |                    |                    |                      |            |                        |
|          | yn                     | no           | 否                  | No                  |                    |                    |                      |            |                        |
|          | why                    | price        | 价格                | Price               |                    |                    |                      |            |                        |
|          | rate                   | 1            | 1 = 很差            | 1 = Poor            |                    |                    |                      |            |                        |
|          | rate                   | 2            | 2                   | 2                   |                    |                    |                      |            |                        |
|          | rate                   | 3            | 3 = 很好            | 3 = Good            |                    |                    |                      |            |                        |
|          | rate                   | na           | 不适用              | N/A                 |                    |                    |                      |            |                        |
| settings |                        |              |                     |                     |                    |                    |                      |            |                        |
|          | form_title             | form_id      | version             | title_en            |                    |                    |                      |            |                        |
|          | 手写问卷               | mobile_phone | 2024061201          | Hand-written        |                    |                    |                      |            |                        |
"""


def workbook(tables: str, cities: list[str] | None = None) -> bytes:
    """An .xlsx from sheets written as tables (`| sheet |` opens a sheet, its first row is the header), with whole
    numbers typed as numbers as a spreadsheet user would; `cities` adds a `city` list of those codes."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    sheet = None
    for line in tables.strip().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0]:
            sheet = book.create_sheet(cells[0])
        elif sheet is not None and any(cells[1:]):
            sheet.append([int(c) if c.isdigit() else c or None for c in cells[1:]])
    for code in cities or ():
        book["choices"].append(["city", int(code), code, code])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def to_xform(data: bytes, **options: object) -> ET.Element:
    warnings: list[str] = []
    result = convert(data, warnings=warnings, **options)
    assert warnings == []
    return ET.fromstring(result.xform)


@pytest.mark.parametrize("code", INDUSTRIES)
def test_every_instrument_converts_with_pyxform_without_warnings(catalogue: Catalogue, code: str) -> None:
    instrument = catalogue.get(code).instrument
    root = to_xform(export_xlsform(instrument))
    model = root.find(f"{H}head/{XF}model")
    data = model.find(f"{XF}instance/{XF}data")
    assert (data.get("id"), data.get("version")) == (code, "1")
    assert root.find(f"{H}head/{H}title").text == instrument.title.zh
    languages = {t.get("lang"): t.get("default") for t in model.iter(f"{XF}translation")}
    assert languages == {"Chinese (zh)": "true()", "English (en)": None}
    binds = {b.get("nodeset").rsplit("/", 1)[1]: b for b in model.iter(f"{XF}bind")}
    assert binds["cmp2"].get("nodeset") == "/data/complaints/cmp2"
    assert " ".join(binds["cmp2"].get("relevant").split()) == "/data/complaints/cmp1 = 'yes'"
    scales = [item for item in instrument.items() if isinstance(item, ScaleItem)]
    assert {item.code: binds[item.code].get(f"{SURVEY_NS}construct") for item in scales} == {
        item.code: item.construct for item in scales
    }
    assert all(binds[item.code].get("required") == "true()" for item in instrument.items())
    texts = {
        t.get("lang"): {text.get("id"): text.find(f"{XF}value").text for text in t.iter(f"{XF}text")}
        for t in model.iter(f"{XF}translation")
    }
    assert texts["Chinese (zh)"]["/data/complaints/cmp2:label"] == "您对投诉的处理情况有多满意？"
    assert texts["English (en)"]["/data/complaints/cmp2:label"] == "How satisfied are you with how your complaint was handled?"
    assert texts["English (en)"]["/data/image/img1:hint"] == "Score 1-10; choose N/A if it does not apply."
    assert [texts[lang][f"scale_img1-{n}"] for lang in texts for n in (0, 9, 10)] == [
        "1 = 完全不同意", "10 = 完全同意", "不适用", "1 = Strongly disagree", "10 = Strongly agree", "N/A"
    ]


@pytest.mark.skipif(shutil.which("java") is None, reason="ODK Validate needs Java (java not on PATH)")
@pytest.mark.parametrize("code", INDUSTRIES)
def test_every_instrument_passes_odk_validate(catalogue: Catalogue, code: str) -> None:
    to_xform(export_xlsform(catalogue.get(code).instrument), validate=True)


@pytest.mark.parametrize("code", INDUSTRIES)
def test_round_trip_keeps_everything_but_the_version(catalogue: Catalogue, code: str) -> None:
    instrument = catalogue.get(code).instrument
    imported, skipped = import_xlsform(export_xlsform(instrument), versions=catalogue.versions)
    assert skipped == []
    assert imported.version == 2
    assert msgspec.structs.replace(imported, version=instrument.version) == instrument


def test_round_trip_of_every_field_away_from_its_default() -> None:
    instrument = load_instrument_text(UNUSUAL, "unusual.toml")
    data = export_xlsform(instrument)
    imported, skipped = import_xlsform(data, versions=lambda code: {"unusual": (1, 4, 2)}[code])
    assert skipped == []
    assert imported.version == 5
    assert msgspec.structs.replace(imported, version=4) == instrument
    lists = {row[0] for row in openpyxl.load_workbook(io.BytesIO(data))["choices"].iter_rows(min_row=2, values_only=True)}
    assert lists == {"cities", "why", "scale_q1", "cities_2"}  # q2 shares q1's scale; the city list yields its name
    to_xform(data)


def names(instrument: Instrument) -> dict[str, type]:
    return {item.code: type(item) for item in instrument.items()}


def test_a_hand_written_form_imports_what_it_can_and_lists_the_rest() -> None:
    instrument, skipped = import_xlsform(workbook(HAND_WRITTEN, sorted(load_regions().codes())), name="hand.xlsx")
    assert (instrument.code, instrument.industry, instrument.version) == ("mobile_phone", "mobile_phone", 1)
    assert (instrument.title.zh, instrument.title.en, instrument.intro.en) == ("手写问卷", "Hand-written", "Welcome")
    assert [section.code for section in instrument.sections] == ["about", "follow", "main"]
    assert names(instrument) == {
        "used": ChoiceItem, "rating": ScaleItem, "call_back": ChoiceItem, "town": CityItem, "consent": ConsentItem,
    }
    items = {item.code: item for item in instrument.items()}
    rating = items["rating"]
    assert isinstance(rating, ScaleItem)
    assert (rating.low, rating.high, rating.na, rating.construct) == (1, 3, True, "SAT")
    assert (rating.low_label.zh, rating.high_label.en) == ("很差", "Good")
    assert (rating.relevant.item, rating.relevant.equals) == ("used", "yes")
    assert (items["call_back"].relevant.item, items["call_back"].relevant.equals) == ("used", "no")  # the group's
    assert items["used"].required is False
    reasons = {entry.name: entry.reason for entry in skipped}
    expected = {
        "start": "type 'start' not supported",
        "full_name": "type 'text' not supported",
        "age": "type 'integer' not supported",
        "reasons": "several answers to one question are not supported",
        "again": "relevant '${age} > 30' is not of the form ${item} = 'value'",
        "loyal": "relevant refers to 'reasons', which is not an earlier imported choice question",
        "agree": "column constraint",
        "other": "or_other and choices from a file are not supported",
        "call_twice": "conditions on both a group and the question",
        "inner": "nested group: its questions were imported into section follow",
        "visits": "repeats are not supported",
        "score": "calculated values are not questions",
        "label::French (fr)": "column not imported (rows 7): not part of the instrument format",
        "used": "hint not imported",
    }
    assert set(reasons) == set(expected)
    for name, reason in expected.items():
        assert reason in reasons[name], name
    assert "visit_date" not in reasons  # inside the skipped repeat: listed once, with the repeat
    assert str(next(e for e in skipped if e.name == "agree")).startswith(
        'sheet survey, row 12 (agree): column constraint (". = \'yes\'") changes the answers'
    )
    assert Skipped(sheet="survey", row=2, name="start", reason=reasons["start"]) in skipped


def test_a_form_with_nothing_importable_says_so_with_the_reasons() -> None:
    tables = """
| survey   |         |      |       |
|          | type    | name | label |
|          | text    | name | Name  |
| settings |         |      |       |
|          | form_id |      |       |
|          | e_commerce |   |       |
"""
    with pytest.raises(WorkbookError, match=r"(?s)f.xlsx: sheet survey: no question could be imported:\n  sheet survey, row 2 \(name\): type 'text'"):
        import_xlsform(workbook(tables), name="f.xlsx")


SETTINGS = "| settings | | |\n| | form_id | industry |\n| | tiny | automobile |\n"
CHOICES = "| choices | | | |\n| | list_name | name | label |\n| | yn | yes | Yes |\n| | yn | no | No |\n"


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        ("| choices | | |\n| | list_name | name |\n| | yn | yes |", "f.xlsx: no sheet named survey (sheets: choices)"),
        ("| survey | | |\n| | type | label |\n| | text | Q |", "f.xlsx: sheet survey, row 1: no column 'name'"),
        (
            "| survey | | | |\n| | type | name | label |\n| | select_one yn | q1 | Q |\n| | select_one yn | q1 | Q again |\n"
            + CHOICES + SETTINGS,
            "f.xlsx: sheet survey, row 3, column name: name 'q1' used twice (first in row 2)",
        ),
        (
            "| survey | | | |\n| | type | name | label |\n| | select_one yesno | q1 | Q |\n" + CHOICES + SETTINGS,
            "f.xlsx: sheet survey, row 2, column type: list 'yesno' is not in the choices sheet",
        ),
        (
            "| survey | | | |\n| | type | name | label |\n| | select_one yn | q1 | Q |\n" + SETTINGS,
            "f.xlsx: sheet survey, row 2, column type: list 'yn' is not in the choices sheet",
        ),
        (
            "| survey | | | |\n| | type | name | label |\n| | select_one yn | q1 | Q |\n| | end_group | | |\n"
            + CHOICES + SETTINGS,
            "f.xlsx: sheet survey, row 3, column type: end_group without a begin_group",
        ),
        (
            "| survey | | | |\n| | type | name | label |\n| | begin_group | g | G |\n| | select_one yn | q1 | Q |\n"
            + CHOICES + SETTINGS,
            "f.xlsx: sheet survey, row 2, column type: begin_group is never closed by end_group",
        ),
        (
            "| survey | | | |\n| | type | name | label |\n| | | q1 | Q |\n" + CHOICES + SETTINGS,
            "f.xlsx: sheet survey, row 2, column type: empty, but the row has name, label",
        ),
        (
            "| survey | | | |\n| | type | name | label |\n| | select_one yn | q1 | Q |\n" + CHOICES + "| | yn | yes | Y |\n"
            + SETTINGS,
            "f.xlsx: sheet choices, row 4, column name: choice 'yes' appears twice in list 'yn'",
        ),
        (
            "| survey | | | |\n| | type | name | label |\n| | select_one yn | q1 | Q |\n" + CHOICES,
            "f.xlsx: sheet settings, row 2, column form_id: empty",
        ),
        (
            "| survey | | | |\n| | type | name | label |\n| | select_one yn | q1 | Q |\n" + CHOICES
            + "| settings | |\n| | form_id |\n| | tiny |\n",
            "f.xlsx: sheet settings, row 2, column industry: empty; one of automobile, ",
        ),
        (
            "| survey | | | | |\n| | type | name | label | label |\n| | select_one yn | q1 | Q | R |\n" + CHOICES + SETTINGS,
            "f.xlsx: sheet survey, row 1: column 'label' appears twice (columns 3 and 4)",
        ),
    ],
    ids=["no-survey", "no-name-column", "duplicate-name", "missing-list", "no-choices-sheet", "stray-end",
         "unclosed-group", "no-type", "duplicate-choice", "no-form-id", "no-industry", "duplicate-column"],
)
def test_malformed_workbooks_fail_naming_sheet_row_and_reason(tables: str, message: str) -> None:
    with pytest.raises(WorkbookError) as raised:
        import_xlsform(workbook(tables), name="f.xlsx")
    assert str(raised.value).startswith(message)


def test_a_file_that_is_not_a_workbook_fails_clearly() -> None:
    with pytest.raises(WorkbookError, match=r"^f.xlsx: not a readable .xlsx workbook"):
        import_xlsform(b"type,name\ntext,q1\n", name="f.xlsx")


def test_a_label_too_long_for_the_format_names_its_row() -> None:
    tables = "| survey | | | |\n| | type | name | label |\n| | select_one yn | q1 | Q |\n| | select_one yn | q2 | " \
        + "长" * 2001 + " |\n" + CHOICES + SETTINGS
    with pytest.raises(WorkbookError, match=r"^f.xlsx: sheet survey, row 3 \(\$\.sections\[0\]\.items\[1\]\.text\.zh\): "):
        import_xlsform(workbook(tables), name="f.xlsx")
