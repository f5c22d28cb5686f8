"""The shipped questionnaires load, follow the design, and stay locked to their published hashes."""

from __future__ import annotations

import hashlib
import re
import shutil
from importlib.resources import as_file
from pathlib import Path

import msgspec
import pytest

from survey.errors import NotFound
from survey.instruments.catalogue import (
    Catalogue,
    Published,
    UnknownInstrument,
    digest,
    load_catalogue,
    load_lock,
    publish,
)
from survey.instruments.load import InstrumentError, data_files, load_instrument_text
from survey.instruments.spec import ChoiceItem, ScaleItem, encode_canonical
from survey.regions import load_industries

INDUSTRIES = load_industries().codes()
PREFIX = {
    "automobile": "auto", "home_appliance": "appl", "mobile_phone": "phon", "computer": "comp",
    "home_building_materials": "home", "agricultural_machinery": "agri", "construction_machinery": "cons",
    "sports_equipment": "spor", "complete_equipment": "cset", "e_commerce": "ecom",
}
CORE = (
    "consent service_type service_when channel warranty city img1 img2 img3 exp1 exp2 exp3 "
    "qua1 qua2 qua3 qua4 qua5 qua6 val1 val2 sat1 sat2 sat3 cmp1 cmp2 loy1 loy2 loy3"
).split()
CONSTRUCTS = {"img": "IMAG", "exp": "EXPE", "qua": "QUAL", "val": "VAL", "sat": "SAT", "cmp": "CMP", "loy": "LOY"}
CJK = re.compile(r"[\u4e00-\u9fff]")

MINIMAL = """
code = "tiny"
industry = "automobile"
version = 1
title = { zh = "测试问卷", en = "Test questionnaire" }
intro = { zh = "说明", en = "Intro" }

[[sections]]
code = "main"
title = { zh = "部分", en = "Part" }

[[sections.items]]
type = "choice"
code = "q0"
text = { zh = "是否？", en = "Yes?" }
options = [{ code = "yes", label = { zh = "是", en = "Yes" } }, { code = "no", label = { zh = "否", en = "No" } }]

[[sections.items]]
type = "scale"
code = "q1"
construct = "QUAL"
low = 1
high = 10
text = { zh = "评分", en = "Rate" }
low_label = { zh = "很差", en = "Very poor" }
high_label = { zh = "很好", en = "Excellent" }
"""


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def test_all_ten_industries_have_one_survey(catalogue: Catalogue) -> None:
    latest = catalogue.all()
    assert sorted(p.instrument.code for p in latest) == sorted(INDUSTRIES)
    for published in latest:
        assert published.instrument.industry == published.instrument.code
        assert (published.instrument.kind, published.instrument.version) == ("survey", 1)


@pytest.mark.parametrize("code", INDUSTRIES)
def test_core_items_in_order_then_industry_block(catalogue: Catalogue, code: str) -> None:
    instrument = catalogue.get(code).instrument
    items = instrument.items()
    block = [i for s in instrument.sections if s.code == "industry" for i in s.items]
    assert [i.code for i in items if i not in block] == CORE
    assert 2 <= len(block) <= 5
    assert all(isinstance(i, ScaleItem) and i.construct == "QUAL" for i in block)
    assert [i.code for i in block] == [f"{PREFIX[code]}{n}" for n in range(1, len(block) + 1)]
    assert 20 <= sum(isinstance(i, ScaleItem) for i in items) <= 30


@pytest.mark.parametrize("code", INDUSTRIES)
def test_scales_are_one_to_ten_with_na_and_the_right_construct(catalogue: Catalogue, code: str) -> None:
    for item in catalogue.get(code).instrument.items():
        if isinstance(item, ScaleItem):
            assert (item.low, item.high, item.na) == (1, 10, True)
            if item.code[:3] in CONSTRUCTS:
                assert item.construct == CONSTRUCTS[item.code[:3]], item.code


@pytest.mark.parametrize("code", INDUSTRIES)
def test_context_options_and_complaint_follow_up(catalogue: Catalogue, code: str) -> None:
    items = {item.code: item for item in catalogue.get(code).instrument.items()}
    options = {c: [o.code for o in i.options] for c, i in items.items() if isinstance(i, ChoiceItem)}
    assert options["service_type"] == [
        "installation", "repair", "maintenance", "return_refund", "consultation_complaint", "training"
    ]
    assert options["service_when"] == ["within_3_months", "3_to_6_months", "6_to_12_months", "over_12_months"]
    assert options["channel"] == ["on_site", "in_store", "remote"]
    assert options["warranty"] == ["in_warranty", "out_of_warranty", "not_sure"]
    assert options["cmp1"] == ["yes", "no"]
    assert "12" in items["service_when"].text.zh and "12" in items["service_when"].text.en
    relevant = items["cmp2"].relevant
    assert relevant is not None and (relevant.item, relevant.equals) == ("cmp1", "yes")


def test_the_core_is_identical_in_every_instrument(catalogue: Catalogue) -> None:
    cores = {
        msgspec.json.encode([s for s in p.instrument.sections if s.code != "industry"]) for p in catalogue.all()
    }
    assert len(cores) == 1


@pytest.mark.parametrize("code", INDUSTRIES)
def test_every_text_has_chinese_first_and_english(catalogue: Catalogue, code: str) -> None:
    texts = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if set(node) == {"zh", "en"}:
                texts.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                walk(value)

    walk(msgspec.to_builtins(catalogue.get(code).instrument))
    assert len(texts) > 60
    for text in texts:
        assert CJK.search(text["zh"]), text
        assert not CJK.search(text["en"].replace("三包", "")), text


def test_hashes_are_the_canonical_sha256_and_match_the_lock(catalogue: Catalogue) -> None:
    locked = {(e.code, e.version): e.sha256 for e in load_lock().published}
    assert len(locked) == len(catalogue.all())
    for published in catalogue.all():
        instrument = published.instrument
        assert published.sha256 == hashlib.sha256(encode_canonical(instrument)).hexdigest()
        assert locked[(instrument.code, instrument.version)] == published.sha256
    assert [p.sha256 for p in load_catalogue().all()] == [p.sha256 for p in catalogue.all()]


def test_an_edited_published_version_is_refused() -> None:
    text = data_files().joinpath("automobile-1.toml").read_text("utf-8")
    edited = load_instrument_text(text.replace("使用原厂正品配件", "使用正品配件"), "automobile-1.toml")
    with pytest.raises(InstrumentError, match=r"^automobile-1\.toml: published version was edited"):
        publish(edited, "automobile-1.toml", load_lock())


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    with as_file(data_files()) as source:
        shutil.copytree(source, tmp_path / "data")
    return tmp_path / "data"


def test_an_edited_core_is_refused_for_the_first_instrument_using_it(data_copy: Path) -> None:
    core = data_copy / "core-1.toml"
    core.write_text(core.read_text("utf-8").replace("非常满意", "十分满意"), "utf-8")
    with pytest.raises(InstrumentError, match=r"^agricultural_machinery-1\.toml: published version was edited"):
        load_catalogue(data_copy)


def test_a_new_version_is_refused_until_locked_and_the_message_gives_the_entry(data_copy: Path) -> None:
    text = (data_copy / "e_commerce-1.toml").read_text("utf-8").replace("version = 1", "version = 2")
    (data_copy / "e_commerce-2.toml").write_text(text.replace("退货退款的速度", "退款到账的速度"), "utf-8")
    with pytest.raises(InstrumentError, match="e_commerce-2.toml: not published") as caught:
        load_catalogue(data_copy)
    entry = str(caught.value).split(":\n", 1)[1]
    with (data_copy / "published.toml").open("a", encoding="utf-8") as lock:
        lock.write("\n" + entry + "\n")
    catalogue = load_catalogue(data_copy)
    assert catalogue.versions("e_commerce") == (1, 2)
    assert catalogue.get("e_commerce").instrument.version == 2
    texts = {v: {i.code: i.text.zh for i in catalogue.get("e_commerce", v).instrument.items()} for v in (1, 2)}
    assert (texts[1]["ecom1"], texts[2]["ecom1"]) == ("退货退款的速度", "退款到账的速度")


def test_a_file_must_be_named_by_code_and_version(data_copy: Path) -> None:
    (data_copy / "computer-1.toml").rename(data_copy / "computer-v1.toml")
    with pytest.raises(InstrumentError, match=r"computer-v1\.toml: \$: file name must be computer-1\.toml"):
        load_catalogue(data_copy)


def test_a_published_version_may_not_disappear(data_copy: Path) -> None:
    (data_copy / "computer-1.toml").unlink()
    with pytest.raises(InstrumentError, match="published.toml: computer version 1 is published but its file is missing"):
        load_catalogue(data_copy)


def test_lookup_by_code_and_version() -> None:
    one = load_instrument_text(MINIMAL, "tiny-1.toml")
    two = load_instrument_text(MINIMAL.replace("version = 1", "version = 2"), "tiny-2.toml")
    catalogue = Catalogue(Published(instrument=i, sha256=digest(i)) for i in (two, one))
    assert catalogue.get("tiny").instrument is two
    assert catalogue.get("tiny", 1).instrument is one
    assert catalogue.versions("tiny") == (1, 2)
    assert catalogue.all() == (catalogue.get("tiny"),)
    for call in (lambda: catalogue.get("huge"), lambda: catalogue.get("tiny", 3), lambda: catalogue.versions("x")):
        with pytest.raises(UnknownInstrument) as caught:
            call()
        assert isinstance(caught.value, KeyError) and isinstance(caught.value, NotFound)
    with pytest.raises(InstrumentError, match="tiny version 1 twice"):
        Catalogue(Published(instrument=one, sha256=digest(one)) for _ in range(2))


MALFORMED = [
    ("low = 1\n", 'low = "one"\n', r"\$\.sections\[0\]\.items\[1\]\.low \(item q1\): Expected `int`, got `str`"),
    ("low = 1\n", "low = 10\n", r"item q1: low \(10\) must be below high \(10\)"),
    ('code = "q1"', 'code = "q0"', r"item q0: item code used twice"),
    ('code = "q1"', 'code = "Q1"', r"\$\.sections\[0\]\.items\[1\]\.code \(item Q1\): Expected `str` matching regex"),
    ('type = "scale"', 'type = "slider"', r"\$\.sections\[0\]\.items\[1\]\.type \(item q1\): Invalid value 'slider'"),
    ('construct = "QUAL"', 'construct = "QUAL"\ncolour = "red"', r"\$\.sections\[0\]\.items\[1\] \(item q1\): Object contains unknown field `colour`"),
    ('construct = "QUAL"', 'construct = "QUAL"\nrelevant = { item = "q0", equals = "maybe" }', r"item q1: relevant\.equals 'maybe' is not an option of q0"),
    ('construct = "QUAL"', 'construct = "QUAL"\nrelevant = { item = "q9", equals = "yes" }', r"item q1: relevant\.item 'q9' is not an earlier choice item"),
    ('options = [', 'relevant = { item = "q1", equals = "yes" }\noptions = [', r"item q0: relevant\.item 'q1' is not an earlier choice item"),
    ('industry = "automobile"', 'industry = "bicycles"', r"\$\.industry: unknown industry 'bicycles'"),
    ('industry = "automobile"', 'industry = "automobile"\ncore = "core-99"', r"(?<=^core-99\.toml: )\$: core file not found"),
    ('title = { zh = "部分"', 'title = { zh = ""', r"\$\.sections\[0\]\.title\.zh: Expected `str` of length >= 1"),
    ("[[sections]]", "[[sections]", r"TOML syntax: "),
]


@pytest.mark.parametrize(("old", "new", "message"), MALFORMED)
def test_malformed_files_name_file_item_and_reason(old: str, new: str, message: str) -> None:
    assert old in MINIMAL
    with pytest.raises(InstrumentError, match=r"^(tiny-1\.toml|core-99\.toml): " + message):
        load_instrument_text(MINIMAL.replace(old, new, 1), "tiny-1.toml")


def test_an_instrument_on_the_shared_core_composes_head_block_tail() -> None:
    text = MINIMAL.replace('industry = "automobile"', 'industry = "automobile"\ncore = "core-1"')
    text = text.replace('code = "q0"', 'code = "x0"').replace('item = "q0"', 'item = "x0"')
    codes = [item.code for item in load_instrument_text(text, "tiny-1.toml").items()]
    assert codes == CORE[:18] + ["x0", "q1"] + CORE[18:]
