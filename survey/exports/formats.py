"""The export formats: what each is called, its file name and media type, and the writer that makes it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import BinaryIO, Literal

import msgspec

from survey.exports import arrow
from survey.exports.codebook import Codebook, codebook_csv, codebook_json
from survey.exports.csvfile import write_csv
from survey.exports.parquet import write_parquet
from survey.exports.sav import Language, write_sav
from survey.exports.stream import ahead
from survey.exports.xlsx import write_xlsx

FormatName = Literal["csv", "xlsx", "sav", "parquet", "codebook", "codebook-json"]


class Format(msgspec.Struct, frozen=True, kw_only=True):
    suffix: str  # of the file name after the campaign code
    media_type: str
    rows: bool  # whether it holds the responses (else: only the codebook)


FORMATS: dict[str, Format] = {
    "csv": Format(suffix="responses.csv", media_type="text/csv", rows=True),
    "xlsx": Format(suffix="responses.xlsx",
                   media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", rows=True),
    "sav": Format(suffix="responses.sav", media_type="application/x-spss-sav", rows=True),
    "parquet": Format(suffix="responses.parquet", media_type="application/vnd.apache.parquet", rows=True),
    "codebook": Format(suffix="codebook.csv", media_type="text/csv", rows=False),
    "codebook-json": Format(suffix="codebook.json", media_type="application/json", rows=False),
}


def file_name(campaign: str, name: FormatName) -> str:
    return f"{campaign}-{FORMATS[name].suffix}"


def write_export(
    name: FormatName, codebook: Codebook, chunks: Iterable[arrow.Chunk], sink: BinaryIO, *, labels: Language = "zh"
) -> int:
    """Write the export in format `name` to `sink`, the chunks read one ahead of the writer in a thread; returns the
    number of response rows (0 for a codebook)."""
    if name == "codebook":
        sink.write(codebook_csv(codebook))
        return 0
    if name == "codebook-json":
        sink.write(codebook_json(codebook))
        return 0
    chunks = ahead(iter(chunks))
    try:
        if name == "sav":
            return write_sav(codebook, chunks, sink, labels=labels)
        writer = {"csv": write_csv, "xlsx": write_xlsx, "parquet": write_parquet}[name]
        return writer(codebook, chunks, sink)
    finally:
        chunks.close()
