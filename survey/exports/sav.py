"""SPSS .sav: variable and value labels in Chinese or English, codes as numbers with value labels, written in chunks.

pyreadstat writes a .sav only from a whole data frame (it has no append mode), so it writes the dictionary alone:
the variables, their labels, formats and value labels, from a one-row template. The cases are then appended here in
SPSS's bytecode compression (bias 100), a chunk at a time, vectorised with numpy, so memory does not grow with the
number of rows. The case count in the header is -1 ("unknown", which SPSS, PSPP and ReadStat accept) and is set to
the real count afterwards when the sink can seek (a file); a streamed download keeps -1.

Numbers: industry 1-10 in the programme's order, a city its GB/T 2260 code, a choice its option's place in the
questionnaire, booleans 0/1; missing is system-missing. Text is UTF-8, cut to 255 bytes at a character boundary.
Times are SPSS dates (seconds since 1582-10-14) in China Standard Time.
"""

from __future__ import annotations

import struct
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyreadstat

from survey.exports import arrow
from survey.exports.codebook import Codebook, Column

Language = Literal["zh", "en"]
MAX_TEXT = 255  # bytes; wider strings are "very long strings", which this writer does not produce
MAX_LABEL = 255  # bytes of a variable label
MAX_VALUE_LABEL = 120  # bytes of a value label (SPSS's limit)
WIDTHS = {"id": 36, "submitted_via": 10, "locale": 5}  # the stored columns' sizes
BIAS = 100
LITERAL, SPACES, SYSMIS, END = 253, 254, 255, 252
SPSS_EPOCH = 12_219_379_200  # seconds from 1582-10-14 to 1970-01-01
CHINA_OFFSET = 8 * 3600
FORMATS = {"scale": "F2.0", "integer": "F10.0", "boolean": "F1.0", "number": "F8.2", "datetime": "DATETIME20"}
MEASURES = {"scale": "scale", "integer": "nominal", "boolean": "nominal", "number": "scale", "datetime": "scale",
            "code": "nominal", "text": "nominal"}
SLICE_ROWS = 10_000
SPACES_WORD = np.frombuffer(b"        ", dtype=np.uint64)[0]


def write_sav(
    codebook: Codebook, chunks: Iterable[arrow.Chunk], sink: BinaryIO, *, labels: Language = "zh"
) -> int:
    """Write every chunk to `sink` with labels in `labels`; returns the number of rows."""
    source = arrow.schema(codebook)
    widths = _widths(codebook)
    dictionary, counts = _dictionary(codebook, widths, labels)
    start = sink.tell() if _seekable(sink) else None
    sink.write(dictionary)
    stream = _Compressor(sink, sum(_elements(codebook, widths)))
    rows = 0
    for chunk in chunks:
        table = arrow.table(chunk, source)
        for first in range(0, len(table), SLICE_ROWS):
            part = table.slice(first, SLICE_ROWS)
            stream.write(*_cases(part, codebook, widths))
            rows += len(part)
    stream.close()
    if start is not None:
        end = sink.tell()
        for offset, size in counts:
            sink.seek(start + offset)
            sink.write(struct.pack("<i" if size == 4 else "<q", rows))
        sink.seek(end)
    return rows


def _seekable(sink: BinaryIO) -> bool:
    try:
        return bool(sink.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def _widths(codebook: Codebook) -> dict[str, int]:
    """Bytes of each text variable (numbers have none)."""
    widths = {}
    for column in codebook.of("text"):
        if column.code in WIDTHS:
            width = WIDTHS[column.code]
        elif column.code == "flags":  # every rule at once
            width = len(",".join(str(v.value) for v in column.values).encode())
        elif column.values:
            width = max(len(str(v.value).encode()) for v in column.values)
        else:
            width = MAX_TEXT
        widths[column.code] = min(MAX_TEXT, max(1, width))
    return widths


def _cut(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-8 bytes without splitting a character."""
    return text.encode()[:limit].decode("utf-8", "ignore")


def _dictionary(codebook: Codebook, widths: dict[str, int], labels: Language) -> tuple[bytes, list[tuple[int, int]]]:
    """The file up to its data, with the case count -1, and where the counts are (offset, size)."""
    template = {}
    for column in codebook.columns:
        if column.code in widths:
            template[column.code] = ["x" * widths[column.code]]
        elif column.kind == "datetime":
            template[column.code] = [pd.Timestamp(2026, 1, 1)]
        else:
            template[column.code] = [1.0]
    numeric = [c for c in codebook.columns if c.code not in widths]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "dictionary.sav"
        pyreadstat.write_sav(
            pd.DataFrame(template), path, row_compress=True,
            file_label=_cut(codebook.campaign, 64),
            note=["weight: 1.0 for every response until raking weights are stored",
                  "times: China Standard Time (UTC+08:00)"],
            column_labels={c.code: _cut(c.label.get(labels), MAX_LABEL) for c in codebook.columns},
            variable_value_labels={c.code: _value_labels(c, labels) for c in numeric if _value_labels(c, labels)},
            variable_format={c.code: FORMATS[c.kind] for c in numeric if c.kind in FORMATS}
            | {c.code: f"F{max(len(str(v.number)) for v in c.values)}.0" for c in numeric if c.kind == "code"},
            variable_measure={c.code: MEASURES[c.kind] for c in codebook.columns},
        )
        written = path.read_bytes()
    end, counts = _records(written)
    elements = sum(-(-widths[c.code] // 8) if c.code in widths else 1 for c in codebook.columns)
    if struct.unpack_from("<i", written, 68)[0] != elements:
        raise RuntimeError(f"pyreadstat laid out {struct.unpack_from('<i', written, 68)[0]} elements, not {elements}")
    dictionary = bytearray(written[:end])
    for offset, size in counts:
        struct.pack_into("<i" if size == 4 else "<q", dictionary, offset, -1)
    return bytes(dictionary), counts


def _value_labels(column: Column, labels: Language) -> dict[float, str]:
    return {float(v.number): _cut(v.label.get(labels), MAX_VALUE_LABEL) for v in column.values if v.number is not None}


def _records(data: bytes) -> tuple[int, list[tuple[int, int]]]:
    """Walk the dictionary records: the offset where the data starts, and where the case counts are."""
    counts = [(80, 4)]
    at = 176
    while True:
        kind = struct.unpack_from("<i", data, at)[0]
        if kind == 2:
            _, _, has_label, missing = struct.unpack_from("<iiii", data, at)
            at += 32
            if has_label:
                at += 4 + -(-struct.unpack_from("<i", data, at)[0] // 4) * 4
            at += abs(missing) * 8
        elif kind == 3:
            count = struct.unpack_from("<i", data, at + 4)[0]
            at += 8
            for _ in range(count):
                at += 8 + -(-(data[at + 8] + 1) // 8) * 8
            at += 8 + 4 * struct.unpack_from("<i", data, at + 4)[0]  # the type 4 record that follows
        elif kind == 6:
            at += 8 + 80 * struct.unpack_from("<i", data, at + 4)[0]
        elif kind == 7:
            subtype, size, count = struct.unpack_from("<iii", data, at + 4)
            if subtype == 16:
                counts.append((at + 16 + 8, 8))
            at += 16 + size * count
        elif kind == 999:
            return at + 8, counts
        else:
            raise ValueError(f"unexpected record type {kind} at byte {at} of the .sav dictionary")


def _cases(table: pa.Table, codebook: Codebook, widths: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """The rows as compression codes and the 8-byte words they stand for, both (rows, blocks * 8), in variable order."""
    n = len(table)
    elements = _elements(codebook, widths)
    padded = (sum(elements) + 1 + 7) // 8 * 8  # each case ends with a padding (or end-of-data) code and whole blocks
    codes = np.zeros((n, padded), dtype=np.uint8)
    words = np.zeros((n, padded), dtype=np.uint64)
    numeric, places, scales, at = [], [], [], 0
    for column, size in zip(codebook.columns, elements, strict=True):
        if column.code in widths:
            text = _text_words(_array(table.column(column.code)), widths[column.code], size)
            words[:, at:at + size] = text
            codes[:, at:at + size] = np.where(text == SPACES_WORD, SPACES, LITERAL)
        elif column.kind == "scale":
            if scales and scales[-1][0] + len(scales[-1][1]) == at:
                scales[-1][1].append(column.code)
            else:
                scales.append((at, [column.code]))
        else:
            numeric.append(_numbers(_array(table.column(column.code)), column))
            places.append(at)
        at += size
    for start, run in scales:  # most of a case: small whole numbers, each its code, in runs of adjacent elements
        values = np.column_stack([_uint8(_array(table.column(code))) for code in run])
        valid = np.column_stack([_valid(_array(table.column(code))) for code in run])
        small = values <= 251 - BIAS
        codes[:, start:start + len(run)] = np.where(valid, np.where(small, values + np.uint8(BIAS), LITERAL), SYSMIS)
        if (valid & ~small).any():
            words[:, start:start + len(run)] = values.astype(np.float64).view(np.uint64)
    if numeric:
        values = np.column_stack(numeric)
        whole = (values == np.floor(values)) & (values >= 1 - BIAS) & (values <= 251 - BIAS)
        small = np.where(whole, values, 0) + BIAS
        codes[:, places] = np.where(np.isnan(values), SYSMIS, np.where(whole, small, LITERAL))
        words[:, places] = values.view(np.uint64)
    return codes, words


def _elements(codebook: Codebook, widths: dict[str, int]) -> list[int]:
    """The 8-byte elements of each variable in a case: one for a number, a text's width in eights."""
    return [-(-widths[c.code] // 8) if c.code in widths else 1 for c in codebook.columns]


def _array(column: pa.ChunkedArray) -> pa.Array:
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def _uint8(column: pa.Array) -> np.ndarray:
    """A uint8 column's values (whatever stands in a missing value's place)."""
    return np.frombuffer(column.buffers()[1], dtype=np.uint8, count=len(column), offset=column.offset)


def _valid(column: pa.Array) -> np.ndarray:
    bitmap = column.buffers()[0]
    if bitmap is None:
        return np.ones(len(column), dtype=bool)
    bits = np.unpackbits(np.frombuffer(bitmap, dtype=np.uint8), bitorder="little")
    return bits[column.offset:column.offset + len(column)].view(bool)


def _numbers(values: pa.Array, column: Column) -> np.ndarray:
    """A column as float64 (NaN where missing): a code as its number, a time as an SPSS date in UTC+8."""
    if column.kind == "code":
        numbers = np.array([v.number for v in column.values] + [np.nan], dtype=np.float64)
        found = pc.index_in(values, value_set=pa.array([str(v.value) for v in column.values]))
        return numbers[pc.fill_null(found, len(column.values)).to_numpy()]
    if column.kind == "datetime":  # whole seconds since 1970 (the export's times are cut to the second)
        seconds = pc.cast(values.view(pa.int64()), pa.float64()).to_numpy(zero_copy_only=False)
        return seconds + CHINA_OFFSET + SPSS_EPOCH
    return pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)


def _text_words(text: pa.Array, limit: int, size: int) -> np.ndarray:
    """UTF-8 text (cut to `limit` bytes) padded with spaces to `size` words of 8 bytes: a (rows, size) uint64 matrix."""
    text = pc.fill_null(text, "")
    lengths = pc.binary_length(text).to_numpy()
    if (lengths > limit).any():
        text = pa.array([value if len(value.encode()) <= limit else _cut(value, limit) for value in text.to_pylist()])
        lengths = pc.binary_length(text).to_numpy()
    text = pa.concat_arrays([text]) if text.offset else text
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)[:len(text) + 1]
    data = np.frombuffer(text.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]] if len(text) else b""
    matrix = np.full((len(text), size * 8), 32, dtype=np.uint8)
    rows = np.repeat(np.arange(len(text)), lengths)
    matrix[rows, np.arange(len(rows)) - np.repeat(offsets[:-1] - offsets[0], lengths)] = data
    return matrix.view(np.uint64)


class _Compressor:
    """SPSS bytecode compression as ReadStat writes it: each case in whole blocks of eight codes (padded with 0), each
    block followed by the literal words its codes call for; the last case's padding starts with the end code."""

    def __init__(self, sink: BinaryIO, elements: int) -> None:
        self.sink = sink
        self.elements = elements
        self.last: tuple[np.ndarray, np.ndarray] | None = None  # held back until it is known to be the last

    def write(self, codes: np.ndarray, words: np.ndarray) -> None:
        if not len(codes):
            return
        if self.last is not None:  # each case is whole blocks, so cases are compressed apart
            self._emit(*self.last)
        self.last = codes[-1:].copy(), words[-1:].copy()
        self._emit(codes[:-1], words[:-1])

    def close(self) -> None:
        if self.last is not None:
            codes, words = self.last
            codes[0, self.elements] = END
            self._emit(codes, words)

    def _emit(self, codes: np.ndarray, words: np.ndarray) -> None:
        flat = codes.reshape(-1)
        self.sink.write(_blocks(flat, words.reshape(-1)[flat == LITERAL]))


def _blocks(codes: np.ndarray, literals: np.ndarray) -> bytes:
    """Codes (a multiple of eight) and the words of their LITERAL codes, in order, as compressed bytes.

    Everything is a whole 8-byte word: block b's codes go to word b + (literals in earlier blocks), and the j-th
    literal, in block b, to word b + 1 + j.
    """
    blocks = len(codes) // 8
    if not blocks:
        return b""
    block_of = np.flatnonzero(codes == LITERAL) >> 3
    before = np.zeros(blocks, dtype=np.int64)
    np.cumsum(np.bincount(block_of, minlength=blocks)[:-1], out=before[1:])
    out = np.empty(blocks + len(literals), dtype=np.uint64)
    out[np.arange(blocks) + before] = np.ascontiguousarray(codes).view(np.uint64)
    out[block_of + 1 + np.arange(len(literals))] = literals
    return out.tobytes()
