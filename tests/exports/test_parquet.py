import io

import msgspec
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from survey.exports.codebook import Codebook
from survey.exports.parquet import METADATA_KEY, write_parquet
from tests.exports.frames import codebook, frame


def test_round_trip_with_types_nulls_and_a_row_group_per_chunk():
    book = codebook()
    data = frame(book)
    sink = io.BytesIO()
    assert write_parquet(book, [data.iloc[:2], data.iloc[2:]], sink) == 3
    parquet = pq.ParquetFile(io.BytesIO(sink.getvalue()))
    assert parquet.metadata.num_row_groups == 2
    table = parquet.read()
    assert table.column_names == book.codes()
    assert table.schema.field("sat1").type == pa.uint8() and table.schema.field("outlet").type == pa.int64()
    assert table.schema.field("submitted_at").type == pa.timestamp("ms", tz="+08:00")
    for code in book.items():
        assert table.column(code).to_pylist() == [None if v is pd.NA else int(v) for v in data[code]], code
    back = table.to_pandas()
    assert (back["submitted_at"] == data["submitted_at"]).all()
    assert back["enterprise_name"].tolist() == data["enterprise_name"].tolist()
    assert table.column("service_type").to_pylist() == ["repair", "return_refund", None]


def test_the_codebook_travels_in_the_metadata():
    book = codebook()
    sink = io.BytesIO()
    write_parquet(book, [], sink)
    metadata = pq.read_schema(io.BytesIO(sink.getvalue())).metadata
    assert msgspec.json.decode(metadata[METADATA_KEY], type=Codebook) == book
