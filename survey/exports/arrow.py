"""Export chunks as Arrow tables with one fixed schema per codebook: the form the store reads them in and every writer
takes (a pandas frame with the codebook's columns, as the tests write chunks by hand, is converted)."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from survey.exports.codebook import TIME_ZONE, Codebook, Kind

Chunk = pa.Table | pd.DataFrame  # the rows of a chunk of an export, with the codebook's columns
TYPES: dict[Kind, pa.DataType] = {
    "text": pa.string(),
    "code": pa.string(),
    "scale": pa.uint8(),
    "integer": pa.int64(),
    "boolean": pa.bool_(),
    "datetime": pa.timestamp("s", tz=TIME_ZONE),
    "number": pa.float64(),
}


def schema(codebook: Codebook) -> pa.Schema:
    return pa.schema([pa.field(column.code, TYPES[column.kind]) for column in codebook.columns])


def table(chunk: Chunk, target: pa.Schema) -> pa.Table:
    """A chunk as a table of `target`; times are cut to the second and shown in China Standard Time."""
    if isinstance(chunk, pa.Table):
        return chunk if chunk.schema.equals(target) else chunk.cast(target, safe=False)
    return pa.Table.from_pandas(chunk, schema=target, preserve_index=False, safe=False)
