import shutil
from pathlib import Path

import pytest

from survey.audits.catalogue import data_files, load_checklist_text, load_checklists
from survey.audits.spec import SampledItem
from survey.instruments.load import InstrumentError

HEAD = """
code = "audit_automobile"
industry = "automobile"
version = 1
base = "audit_common-1"
title = { zh = "汽车", en = "Automobiles" }
intro = { zh = "说明", en = "Intro" }
"""


def test_the_shipped_checklists_follow_gb_t_27922():
    checklists = load_checklists()
    common = checklists.get("audit_common").checklist
    assert [f.title.en.split(" ", 1)[1] for f in common.families] == [
        "Service system", "Commodity service", "Customer service", "Mystery-shopper live tests", "Tangibles"]
    assert sum(item.points for item in common.items()) == 100
    assert any(isinstance(item, SampledItem) for item in common.items())
    assert [d.code for d in common.deductions] == ["law", "own_rules", "industry_rules"] and common.bonuses


def test_an_industry_uses_its_own_checklist_or_the_common_one():
    checklists = load_checklists()
    automobile = checklists.for_industry("automobile").checklist
    common = checklists.get("audit_common").checklist
    codes = [item.code for item in automobile.items()]
    assert [item.code for item in common.items()] == [c for c in codes if not c.startswith("auto_")]
    assert codes.index("auto_b01") < codes.index("c01")  # appended to family b, before family c
    assert automobile.deductions == common.deductions
    assert checklists.for_industry("sports_equipment").checklist.code == "audit_common"


def test_extra_items_need_a_family_of_the_base():
    text = HEAD + '[[extra]]\nfamily = "z"\nitems = [{ type = "check", code = "z1", points = 2, text = { zh = "甲", en = "z1" } }]\n'
    with pytest.raises(InstrumentError, match="no family 'z' in the base"):
        load_checklist_text(text, "x.toml", data_files())


def test_codes_are_used_once():
    text = HEAD + '[[extra]]\nfamily = "b"\nitems = [{ type = "check", code = "a01", points = 2, text = { zh = "甲", en = "x" } }]\n'
    with pytest.raises(InstrumentError, match="a01: code used twice"):
        load_checklist_text(text, "x.toml", data_files())


@pytest.mark.parametrize(("change", "message"), [
    (('industry = "automobile"', 'industry = "bicycles"'), "neither 'common' nor a known industry"),
    (('code = "audit_automobile"', 'code = "audit_cars"'), "is called audit_automobile"),
    (('version = 1', 'version = 0'), "version"),
])
def test_bad_headers_are_refused_with_the_reason(change, message):
    with pytest.raises(InstrumentError, match=message):
        load_checklist_text(HEAD.replace(*change), "x.toml", data_files())


def test_a_published_version_cannot_be_edited(tmp_path: Path):
    root = tmp_path / "data"
    shutil.copytree(Path(str(data_files())), root)
    common = root / "audit_common-1.toml"
    common.write_text(common.read_text("utf-8").replace('points = 3, text = { zh = "设有', 'points = 4, text = { zh = "设有'), "utf-8")
    with pytest.raises(InstrumentError, match="published version was edited"):
        load_checklists(root)
