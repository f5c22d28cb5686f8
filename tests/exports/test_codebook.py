import csv
import io

import msgspec

from survey.exports.codebook import RECORD, Codebook, codebook_csv, codebook_json
from tests.exports.frames import codebook


def test_record_columns_then_context_answers_then_core_items_then_industry_blocks():
    book = codebook()
    codes = book.codes()
    assert codes[:13] == ["id", "instrument", "version", "industry", "enterprise", "enterprise_name", "outlet", "city",
                          "submitted_via", "locale", "is_test", "started_at", "submitted_at"]
    assert codes[-3:] == ["flagged", "flags", "weight"] and set(codes[:13] + codes[-3:]) == RECORD
    assert book.choices() == ["service_type", "service_when", "channel", "warranty", "cmp1"]
    items = book.items()
    assert items[0] == "img1" and items.index("loy3") < items.index("auto1") < items.index("ecom1")
    assert len(codes) == len(set(codes))


def test_values_numbers_labels_and_versions():
    column = {c.code: c for c in codebook().columns}
    assert [(v.value, v.number, v.label.zh) for v in column["industry"].values] == [
        ("automobile", 1, "汽车"), ("e_commerce", 10, "电子商务")]
    assert column["city"].values[0].number == 440100 and column["city"].values[0].label.en == "Guangzhou"
    assert [v.value for v in column["service_type"].values][:2] == ["installation", "repair"]
    assert [v.number for v in column["service_type"].values][:2] == [1, 2]
    assert [(v.value, v.label.en) for v in column["sat1"].values] == [(1, "Very dissatisfied"), (10, "Very satisfied")]
    assert column["auto1"].versions == ("automobile-1",) and column["sat1"].versions == ("automobile-1", "e_commerce-1")
    assert column["weight"].kind == "number" and "raking" in column["weight"].note
    assert [v.value for v in column["flags"].values] == ["speeding", "straightlining"]


def test_codebook_csv_for_spreadsheets():
    raw = codebook_csv(codebook(rules=("=cmd",)))
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert lines[0] == ["code", "label_zh", "label_en", "type", "values", "sav_numbers", "versions", "note"]
    row = {line[0]: line for line in lines[1:]}
    assert row["flags"][4] == "'=cmd==cmd/=cmd"
    assert row["industry"][5] == "automobile=1; e_commerce=10" and row["city"][5] == ""
    assert row["cmp1"][4] == "yes=是/Yes; no=否/No"
    assert len(lines) == 1 + len(codebook().columns)


def test_codebook_json_decodes_to_the_same_codebook():
    book = codebook()
    assert msgspec.json.decode(codebook_json(book), type=Codebook) == book
