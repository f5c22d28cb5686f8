import io
import struct

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from survey.exports import arrow, sav
from survey.exports.codebook import Codebook, Column
from survey.exports.sav import write_sav
from survey.instruments.spec import Text
from tests.exports.frames import LONG_NAME, codebook, frame


class Unseekable(io.RawIOBase):
    """A sink that can only be written to, like a streamed download."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.data += data
        return len(data)


def read(tmp_path, raw: bytes):
    path = tmp_path / "export.sav"
    path.write_bytes(raw)
    return pyreadstat.read_sav(path)


def written(book, chunks, **options) -> bytes:
    sink = io.BytesIO()
    assert write_sav(book, chunks, sink, **options) == sum(len(c) for c in chunks)
    return sink.getvalue()


def test_values_round_trip_as_numbers_text_and_system_missing(tmp_path):
    book = codebook()
    data = frame(book)
    back, meta = read(tmp_path, written(book, [data]))
    assert list(back.columns) == book.codes() and meta.number_rows == 3
    for code in book.items():
        assert np.array_equal(back[code].to_numpy(), data[code].to_numpy(np.float64, na_value=np.nan),
                              equal_nan=True), code
    assert back["industry"].tolist() == [1, 10, 1]  # the programme's order of the ten industries
    assert back["city"].tolist() == [440100, 440300, 445300]
    assert back["service_type"].tolist()[:2] == [2, 4] and np.isnan(back["service_type"].iloc[2])
    assert back["cmp1"].tolist() == [1, 2, 2] and back["is_test"].tolist() == [0, 1, 0]
    assert back["outlet"].tolist()[0] == 7 and np.isnan(back["outlet"].iloc[1])
    assert back["id"].tolist() == data["id"].tolist() and back["locale"].tolist() == ["zh", "en", "zh"]
    assert back["flags"].tolist() == ["", "speeding,straightlining", "-1+1"]
    assert back["weight"].tolist() == [1.0, 1.0, 1.0]


def test_times_are_in_china_standard_time(tmp_path):
    book = codebook()
    back, _ = read(tmp_path, written(book, [frame(book)]))
    assert back["submitted_at"].tolist() == [pd.Timestamp("2026-11-19 12:00:00"), pd.Timestamp("2026-11-20 00:05:01"),
                                             pd.Timestamp("2026-10-01 08:07:00")]


def test_text_longer_than_255_bytes_is_cut_at_a_character(tmp_path):
    book = codebook()
    back, _ = read(tmp_path, written(book, [frame(book)]))
    assert back["enterprise_name"].iloc[0] == "广州汽车服务有限公司"
    assert back["enterprise_name"].iloc[2] == LONG_NAME[:85] and len(LONG_NAME[:85].encode()) == 255


@pytest.mark.parametrize("labels", ["zh", "en"])
def test_variable_and_value_labels_in_the_chosen_language(tmp_path, labels):
    book = codebook()
    _, meta = read(tmp_path, written(book, [frame(book)], labels=labels))
    column = {c.code: c for c in book.columns}
    assert meta.column_names_to_labels["sat1"] == column["sat1"].label.get(labels)
    assert meta.variable_value_labels["industry"] == {1: "汽车", 10: "电子商务"} if labels == "zh" else {
        1: "automobiles", 10: "e-commerce"}
    assert meta.variable_value_labels["sat1"] == {1: column["sat1"].values[0].label.get(labels),
                                                  10: column["sat1"].values[1].label.get(labels)}
    assert meta.variable_value_labels["city"][440100] == ("广州" if labels == "zh" else "Guangzhou")
    assert meta.variable_value_labels["service_type"][2] == ("维修" if labels == "zh" else "Repair")
    assert meta.variable_value_labels["flagged"] == ({0: "否", 1: "是"} if labels == "zh" else {0: "no", 1: "yes"})


def unstamped(raw: bytes) -> bytes:
    """The file without its header's creation date and time (bytes 92-108: "dd mmm yy" and "hh:mm:ss"), which
    differ between two writes a second apart."""
    return raw[:92] + b"\0" * 17 + raw[109:]


def test_chunks_of_any_size_give_the_same_file():
    book = codebook()
    data = frame(book)
    whole = unstamped(written(book, [data]))
    assert unstamped(written(book, [data.iloc[:1], data.iloc[1:1], data.iloc[1:]])) == whole
    assert unstamped(written(book, [data.iloc[[i]] for i in range(3)])) == whole


def test_the_case_count_is_written_when_the_sink_can_seek_and_unknown_otherwise(tmp_path):
    book = codebook()
    sink = Unseekable()
    write_sav(book, [frame(book)], sink)
    assert struct.unpack_from("<i", sink.data, 80)[0] == -1
    back, meta = read(tmp_path, bytes(sink.data))
    assert len(back) == 3  # readers count the cases themselves
    assert struct.unpack_from("<i", written(book, [frame(book)]), 80)[0] == 3


def test_no_rows_is_a_readable_empty_file(tmp_path):
    book = codebook()
    back, meta = read(tmp_path, written(book, []))
    assert list(back.columns) == book.codes() and len(back) == 0


@pytest.mark.parametrize("rows", [0, 1, 2, 8])
def test_compressed_cases_are_the_bytes_pyreadstat_writes(tmp_path, rows):
    """Reference: pyreadstat's own bytecode compression of the same whole frame (numbers in and out of the -99..151
    range, missing, text of one and two words, blank text, Chinese)."""
    data = pd.DataFrame({
        "a": [1.0, np.nan, 151.0, 152.0, -99.0, -100.0, 2.5, 0.0][:rows],
        "t": ["abcdefghij", "", " ", "中文", "x" * 16, "y", "", "z"][:rows],
        "b": ([np.nan] * 7 + [3.0])[:rows],
    })
    path = tmp_path / "reference.sav"
    pyreadstat.write_sav(data, path, row_compress=True)
    reference = path.read_bytes()
    book = Codebook(campaign="x", columns=tuple(
        Column(code=code, label=Text(zh=code, en=code), kind=kind) for code, kind in [("a", "number"), ("t", "text"),
                                                                                      ("b", "number")]))
    widths = {"t": 16}
    out = io.BytesIO()
    compressor = sav._Compressor(out, sum(sav._elements(book, widths)))
    for first in range(rows):  # a case at a time, as the chunks may come
        compressor.write(*sav._cases(arrow.table(data.iloc[first:first + 1], arrow.schema(book)), book, widths))
    compressor.close()
    assert out.getvalue() == reference[sav._records(reference)[0]:]
