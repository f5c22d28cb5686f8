"""Export chunks as Arrow tables with one fixed schema per codebook (the form the CSV and Parquet writers take)."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from survey.exports.codebook import TIME_ZONE, Codebook, Kind

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


def table(frame: pd.DataFrame, target: pa.Schema) -> pa.Table:
    """A chunk as a table of `target`; times are cut to the second and shown in China Standard Time."""
    return pa.Table.from_pandas(frame, schema=target, preserve_index=False, safe=False)
