"""CSV for spreadsheets: UTF-8 with a byte-order mark, a header of item codes, empty cells for missing values.

Times are ISO 8601 with their offset (``2026-11-19T12:00:00+08:00``), booleans ``true``/``false``. A text cell
that a spreadsheet would run as a formula (it starts with =, +, -, @, a tab or a carriage return) gets a leading
apostrophe. Written with Arrow's CSV writer, a chunk at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from survey.exports import arrow
from survey.exports.codebook import TIME_ZONE, UNSAFE_START, Codebook

BOM = "\ufeff".encode()
UNSAFE = pa.array(UNSAFE_START)


def write_csv(codebook: Codebook, chunks: Iterable[arrow.Chunk], sink: BinaryIO) -> int:
    """Write every chunk to `sink`; returns the number of rows."""
    source = arrow.schema(codebook)
    target = pa.schema([pa.field(f.name, pa.string() if pa.types.is_timestamp(f.type) else f.type) for f in source])
    sink.write(BOM)
    writer = pcsv.CSVWriter(sink, target, write_options=pcsv.WriteOptions(quoting_style="needed"))
    rows = 0
    for chunk in chunks:
        writer.write_table(safe(arrow.table(chunk, source)))
        rows += len(chunk)
    writer.close()
    return rows


def safe(table: pa.Table) -> pa.Table:
    """Times as ISO 8601 text; text cells that could run as a formula prefixed with an apostrophe."""
    columns = []
    for column in table.columns:
        if pa.types.is_timestamp(column.type):
            local = pc.cast(pc.local_timestamp(column), pa.timestamp("s"))  # the wall-clock time in UTC+8
            text = pc.replace_substring(pc.cast(local, pa.string()), " ", "T", max_replacements=1)
            column = pc.binary_join_element_wise(text, TIME_ZONE, "")
        elif pa.types.is_string(column.type):
            unsafe = pc.fill_null(pc.is_in(pc.utf8_slice_codeunits(column, 0, 1), value_set=UNSAFE), False)
            if pc.any(unsafe).as_py():
                column = pc.if_else(unsafe, pc.binary_join_element_wise("'", column, ""), column)
        columns.append(column)
    return pa.table(columns, names=table.column_names)
