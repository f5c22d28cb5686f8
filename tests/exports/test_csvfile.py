import io

import numpy as np
import pandas as pd
import pytest

from survey.exports.csvfile import write_csv
from tests.exports.frames import LONG_NAME, codebook, frame


def written(chunks, book) -> bytes:
    sink = io.BytesIO()
    write_csv(book, chunks, sink)
    return sink.getvalue()


def test_round_trip_with_bom_header_of_codes_and_missing_as_empty_cells():
    book = codebook()
    data = frame(book)
    raw = written([data.iloc[:2], data.iloc[2:]], book)
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(back.columns) == book.codes()
    assert back["enterprise_name"].tolist() == ["广州汽车服务有限公司", "'=HYPERLINK(\"http://x\")", LONG_NAME]
    for code in book.items():
        expected = ["" if pd.isna(v) else str(v) for v in data[code]]
        assert back[code].tolist() == expected, code
    assert back["outlet"].tolist() == ["7", "", "9"]
    assert back["service_type"].tolist() == ["repair", "return_refund", ""]
    assert back["is_test"].tolist() == ["false", "true", "false"]
    assert back["weight"].tolist() == ["1", "1", "1"]


def test_times_are_iso_8601_in_china_standard_time():
    book = codebook()
    back = pd.read_csv(io.BytesIO(written([frame(book)], book)), encoding="utf-8-sig", dtype=str)
    assert back["submitted_at"].tolist() == ["2026-11-19T12:00:00+08:00", "2026-11-20T00:05:01+08:00",
                                             "2026-10-01T08:07:00+08:00"]
    parsed = pd.to_datetime(back["submitted_at"])
    assert (parsed == frame(book)["submitted_at"]).all()


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1+1", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_a_spreadsheet_would_run_gets_an_apostrophe(text):
    book = codebook()
    data = frame(book).iloc[:1].assign(enterprise_name=[text], flags=[text])
    back = pd.read_csv(io.BytesIO(written([data], book)), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert back["enterprise_name"].tolist() == ["'" + text]
    assert back["flags"].tolist() == ["'" + text]


def test_plain_text_and_numbers_are_left_alone():
    book = codebook()
    data = frame(book).iloc[:1].assign(enterprise_name=["a=b - c"])
    back = pd.read_csv(io.BytesIO(written([data], book)), encoding="utf-8-sig", keep_default_na=False)
    assert back["enterprise_name"].tolist() == ["a=b - c"]
    assert back["enterprise"].dtype == np.int64 and back["sat1"].dtype == np.int64


def test_no_rows_still_has_the_header():
    book = codebook()
    raw = written([], book)
    assert raw.decode("utf-8-sig").strip().replace('"', "").split(",") == book.codes()
