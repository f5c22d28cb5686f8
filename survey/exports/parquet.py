"""Parquet: one row group per chunk, the codebook's types (items as nullable uint8, times in UTC+8), and the
codebook itself as JSON in the file's metadata under ``survey.codebook``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import BinaryIO

import pyarrow.parquet as pq

from survey.exports import arrow
from survey.exports.codebook import Codebook, codebook_json

METADATA_KEY = b"survey.codebook"


def write_parquet(codebook: Codebook, chunks: Iterable[arrow.Chunk], sink: BinaryIO) -> int:
    """Write every chunk to `sink`; returns the number of rows."""
    schema = arrow.schema(codebook).with_metadata({METADATA_KEY: codebook_json(codebook)})
    rows = 0
    with pq.ParquetWriter(sink, schema, compression="zstd") as writer:
        for chunk in chunks:
            writer.write_table(arrow.table(chunk, schema))
            rows += len(chunk)
    return rows
