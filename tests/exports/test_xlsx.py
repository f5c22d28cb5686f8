import csv
import datetime as dt
import io
import shutil
import subprocess
import zipfile
from xml.etree import ElementTree

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.escape import unescape

from survey.errors import InvalidInput
from survey.exports import xlsx
from survey.exports.stream import stream
from survey.exports.xlsx import MAX_ROWS, check_rows, write_xlsx
from tests.exports.frames import LONG_NAME, codebook, frame


def written(chunks, book) -> bytes:
    sink = io.BytesIO()
    assert write_xlsx(book, chunks, sink) == sum(len(c) for c in chunks)
    return sink.getvalue()


def workbook(chunks, book):
    return openpyxl.load_workbook(io.BytesIO(written(chunks, book)))


def columns(sheet) -> dict[str, list]:
    rows = list(sheet.iter_rows(values_only=True))
    return {code: [row[k] for row in rows[1:]] for k, code in enumerate(rows[0])}


def test_round_trip_typed_cells_and_blank_missing_values():
    book = codebook()
    data = frame(book)
    sheet = workbook([data.iloc[:1], data.iloc[1:]], book)["responses"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == book.codes() and len(rows) == 4
    back = columns(sheet)
    for code in book.items():
        assert back[code] == [None if pd.isna(v) else int(v) for v in data[code]], code
    assert back["enterprise_name"] == ["广州汽车服务有限公司", "=HYPERLINK(\"http://x\")", LONG_NAME]
    assert back["is_test"] == [False, True, False] and back["outlet"] == [7, None, 9]
    assert back["submitted_at"] == [dt.datetime(2026, 11, 19, 12), dt.datetime(2026, 11, 20, 0, 5, 1),
                                             dt.datetime(2026, 10, 1, 8, 7)]
    assert back["weight"] == [1, 1, 1] and back["service_type"] == ["repair", "return_refund", None]
    assert back["city"] == ["440100", "440300", "445300"]  # codes stay text
    assert back["flags"] == ["", "speeding,straightlining", "-1+1"]


def test_cells_carry_their_types_and_the_header_and_dates_their_styles():
    book = codebook()
    sheet = workbook([frame(book)], book)["responses"]
    codes = book.codes()

    def cell(row, code):
        return sheet.cell(row=row, column=codes.index(code) + 1)

    assert cell(1, "id").font.b and not cell(2, "id").font.b
    assert cell(2, "id").data_type == "s" and cell(2, "city").data_type == "s"
    assert cell(2, "enterprise").data_type == "n" and cell(2, book.items()[0]).data_type == "n"
    assert cell(2, "is_test").data_type == "b" and cell(2, "weight").data_type == "n"
    assert cell(2, "submitted_at").number_format == "yyyy-mm-dd hh:mm:ss"
    assert cell(3, "outlet").value is None and cell(3, "outlet").data_type == "n"
    assert sheet.freeze_panes == "A2"


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "=1+1", "+1", "-1+1", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_looks_like_a_formula_is_stored_as_text(text):
    book = codebook()
    data = frame(book).iloc[:1].assign(enterprise_name=[text])
    sheet = workbook([data], book)["responses"]
    cell = sheet.cell(row=2, column=book.codes().index("enterprise_name") + 1)
    assert cell.data_type == "s" and unescape(cell.value) == text
    raw = zipfile.ZipFile(io.BytesIO(written([data], book))).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in raw


NASTY = [
    'a & b <c> "d" \'e\' </t></is></c><c><v>1</v></c>',  # XML's special characters, and an attempt to break out
    "<r>rich?</r>",
    "nul\x00 bell\x07 vt\x0b ff\x0c esc\x1b us\x1f",  # control characters XML 1.0 forbids
    "cr\r lf\n tab\t crlf\r\n",
    "_x0041_ stays _x0041_",  # reads like Excel's own escape
    "  leading and trailing spaces  ",
    "\u3000全角空格\u3000",
    "\ufffe\uffff",
    "中文企业名称 😀 emoji",
    "",
]


def test_xml_special_and_forbidden_characters_round_trip():
    book = codebook()
    data = pd.concat([frame(book).iloc[:1]] * len(NASTY), ignore_index=True)
    data["enterprise_name"] = NASTY
    data["flags"] = list(reversed(NASTY))
    raw = written([data], book)
    ElementTree.fromstring(zipfile.ZipFile(io.BytesIO(raw)).read("xl/worksheets/sheet1.xml"))  # well-formed
    back = columns(openpyxl.load_workbook(io.BytesIO(raw))["responses"])
    # openpyxl leaves Excel's _xHHHH_ escapes in place; Excel and LibreOffice read them as the characters
    assert [unescape(v) for v in back["enterprise_name"]] == NASTY
    assert [unescape(v) for v in back["flags"]] == list(reversed(NASTY))
    assert back["enterprise_name"][NASTY.index("cr\r lf\n tab\t crlf\r\n")] == "cr_x000D_ lf\n tab\t crlf_x000D_\n"
    assert back["enterprise_name"][0] == NASTY[0]


def test_text_longer_than_a_cell_holds_is_cut_to_32767_characters():
    book = codebook()
    data = frame(book).iloc[:2].assign(enterprise_name=["名" * 40_000, "😀" * 20_000])
    back = columns(workbook([data], book)["responses"])["enterprise_name"]
    assert back[0] == "名" * 32_767
    assert back[1] == "😀" * 16_383  # 2 UTF-16 units each: the last one would not fit whole


def test_numbers_round_trip_exactly_and_non_finite_ones_are_empty():
    book = codebook()
    weights = [0.1, 1 / 3, 1e-7, 1.5e20, -2.5, 0.0, float("nan"), float("inf"), 123456789.123]
    data = pd.concat([frame(book).iloc[:1]] * len(weights), ignore_index=True)
    data["weight"] = weights
    data["enterprise"] = [2**40 + k for k in range(len(weights))]
    back = columns(workbook([data], book)["responses"])
    assert back["weight"][:6] == weights[:6] and back["weight"][6:8] == [None, None]
    assert back["weight"][8] == weights[8]
    assert back["enterprise"] == [2**40 + k for k in range(len(weights))]


@pytest.mark.parametrize("values", [[0, 1, 9], [0, 10, 99], [100, 254, 255]])
def test_scale_answers_of_every_width(values):
    book = codebook()
    data = frame(book)
    items = book.items()
    data[items[0]] = pd.array(values, dtype="UInt8")
    data[items[1]] = pd.array([None, values[2], None], dtype="UInt8")
    back = columns(workbook([data], book)["responses"])
    assert back[items[0]] == values and back[items[1]] == [None, values[2], None]


def test_many_chunks_and_slices_number_their_rows_in_order(monkeypatch):
    monkeypatch.setattr(xlsx, "SLICE_ROWS", 7)  # slices that start inside a byte of Arrow's validity bitmaps
    book = codebook()
    data = pd.concat([frame(book)] * 700, ignore_index=True)  # 2,100 rows
    data["enterprise"] = np.arange(len(data))
    for number, code in enumerate(book.items()):
        data[code] = pd.array([None if (row + number) % 3 == 0 else (row * number) % 11 for row in range(len(data))],
                              dtype="UInt8")
    chunks = [data.iloc[:1000], data.iloc[1000:1000], data.iloc[1000:2099], data.iloc[2099:]]
    raw = written(chunks, book)
    sheet = zipfile.ZipFile(io.BytesIO(raw)).read("xl/worksheets/sheet1.xml")
    assert sheet.count(b"<row ") == 2101 and b'<row r="2101">' in sheet and b'<row r="2102">' not in sheet
    back = columns(openpyxl.load_workbook(io.BytesIO(raw))["responses"])
    assert back["enterprise"] == list(range(len(data)))
    for code in book.items():
        assert back[code] == [None if pd.isna(v) else int(v) for v in data[code]], code


def test_the_codebook_sheet_lists_every_column():
    book = codebook()
    notes = list(workbook([frame(book)], book)["codebook"].iter_rows(values_only=True))
    assert notes[0][:3] == ("code", "label_zh", "label_en")
    assert [row[0] for row in notes[1:]] == book.codes()
    assert notes[1][1] == "答卷编号" and notes[1][4] is None  # no values: an empty cell


def test_no_rows_still_has_the_header():
    book = codebook()
    sheet = workbook([], book)["responses"]
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [book.codes()]


def test_written_to_an_unseekable_stream_the_package_is_whole():
    book = codebook()
    raw = b"".join(stream(lambda pipe: write_xlsx(book, [frame(book)], pipe)))
    package = zipfile.ZipFile(io.BytesIO(raw))
    assert package.testzip() is None
    assert set(package.namelist()) == {"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/styles.xml",
                                       "xl/_rels/workbook.xml.rels", "xl/worksheets/sheet1.xml",
                                       "xl/worksheets/sheet2.xml"}
    assert openpyxl.load_workbook(io.BytesIO(raw)).sheetnames == ["responses", "codebook"]


def test_a_sheet_too_small_for_the_export_is_refused_before_and_while_writing(monkeypatch):
    check_rows(MAX_ROWS)
    with pytest.raises(InvalidInput) as refused:
        check_rows(MAX_ROWS + 1)
    assert refused.value.errors[0].field == "format" and "1,048,575" in refused.value.errors[0].reason
    monkeypatch.setattr(xlsx, "MAX_ROWS", 2)
    book = codebook()
    with pytest.raises(InvalidInput):
        write_xlsx(book, [frame(book)], io.BytesIO())
    write_xlsx(book, [frame(book).iloc[:2]], io.BytesIO())


LIBREOFFICE = shutil.which("libreoffice") or shutil.which("soffice")


@pytest.mark.skipif(LIBREOFFICE is None, reason="LibreOffice is not installed (Debian: libreoffice-calc-nogui)")
def test_libreoffice_reads_the_workbook(tmp_path):
    book = codebook()
    data = pd.concat([frame(book).iloc[:1]] * len(NASTY), ignore_index=True)
    data["enterprise_name"] = NASTY
    (tmp_path / "export.xlsx").write_bytes(written([frame(book), data], book))
    profile = (tmp_path / "profile").as_uri()
    subprocess.run([LIBREOFFICE, f"-env:UserInstallation={profile}", "--headless", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false", "--outdir", str(tmp_path),
                    str(tmp_path / "export.xlsx")], check=True, capture_output=True, timeout=180)
    with (tmp_path / "export.csv").open(encoding="utf-8", newline="") as text:
        rows = list(csv.reader(text))
    assert rows[0] == book.codes() and len(rows) == 1 + 3 + len(NASTY)
    back = {code: [row[k] for row in rows[1:]] for k, code in enumerate(rows[0])}
    assert back["enterprise_name"][:3] == ["广州汽车服务有限公司", "=HYPERLINK(\"http://x\")", LONG_NAME]
    assert back["submitted_at"][:3] == ["2026-11-19 12:00:00", "2026-11-20 00:05:01", "2026-10-01 08:07:00"]
    assert back["outlet"][:3] == ["7", "", "9"] and back["is_test"][:3] == ["FALSE", "TRUE", "FALSE"]
    assert back[book.items()[0]][:3] == ["1", "10", "5"] and back["weight"][:3] == ["1", "1", "1"]
    # LibreOffice turns _xHHHH_ back into the characters (and a carriage return into a line feed)
    assert back["enterprise_name"][3:] == [text.replace("\r\n", "\n").replace("\r", "\n") for text in NASTY]
