import csv
import io

import msgspec
import pytest

from survey.releases.downloads import cell, table_csv, table_json, table_names
from survey.releases.tables import ReleaseTables
from tests.releases.pages_fixtures import small_tables, tables  # noqa: F401  (fixture)


def read(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))


def test_names_are_the_contract_tables():
    assert table_names() == ("cells", "drivers", "item_drivers", "quality", "paths", "sample", "methods", "audits")
    assert set(table_names()) <= set(ReleaseTables.__struct_fields__)


@pytest.mark.parametrize("name", table_names())
def test_csv_round_trips_in_field_order(tables, name):
    rows = read(table_csv(tables, name))
    value = getattr(tables, name)
    records = [value] if name == "methods" else list(value)
    assert len(rows) == 1 + len(records)
    fields = type(records[0]).__struct_fields__
    if not any(isinstance(getattr(records[0], field), dict) for field in fields):  # a dict spreads over columns
        assert rows[0] == list(fields)
    for line, record in zip(rows[1:], records):
        shown = dict(zip(rows[0], line))
        for field in fields:
            stored = getattr(record, field)
            if isinstance(stored, float):
                assert float(shown[field]) == stored
            elif stored is None:
                assert shown[field] == ""
            elif isinstance(stored, dict):
                assert {k: int(shown[f"{field}:{k}"]) for k in stored} == stored
            elif isinstance(stored, str) and stored.startswith("="):
                assert shown[field] == "'" + stored
            else:
                assert shown[field] == (str(stored).lower() if isinstance(stored, bool) else str(stored))


def test_sample_spreads_the_rules_in_order(tables):
    header = read(table_csv(tables, "sample"))[0]
    assert header == ["industry", "received", "excluded:test", "excluded:flagged", "excluded:incomplete", "scored",
                      "enterprises", "iterations", "converged"]


def test_floats_are_repr_exact(tables):
    rows = read(table_csv(tables, "cells"))
    se = rows[1][rows[0].index("se")]
    assert se == repr(tables.cells[0].se) and float(se) == tables.cells[0].se


@pytest.mark.parametrize("text, shown", [
    ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"), ("+1+2", "'+1+2"), ("-A1", "'-A1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("-inf", "'-inf"), ("-3.5", "-3.5"), ("+2", "+2"), ("粤海", "粤海"),
    ("n<30", "n<30"),
])
def test_formula_injection_is_neutralised(text, shown):
    assert cell(text) == shown


def test_enterprise_name_formula_is_quoted_in_the_file(tables):
    rows = read(table_csv(tables, "cells"))
    names = [r[rows[0].index("enterprise_name")] for r in rows[1:]]
    assert "'=HYPERLINK(\"http://evil.example\")" in names and "粤海汽车服务有限公司" in names


@pytest.mark.parametrize("name", table_names())
def test_same_input_same_bytes(name):
    assert table_csv(small_tables(), name) == table_csv(small_tables(), name)
    assert table_json(small_tables(), name) == table_json(small_tables(), name)


@pytest.mark.parametrize("name", table_names())
def test_json_decodes_to_the_table(tables, name):
    value = getattr(tables, name)
    assert msgspec.json.decode(table_json(tables, name), type=type(value) if name == "methods"
                               else tuple[type(value[0]), ...]) == value


def test_unknown_table_is_refused(tables):
    with pytest.raises(KeyError, match="no table 'campaign'"):
        table_csv(tables, "campaign")
