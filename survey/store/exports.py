"""A campaign's responses for an export, read in chunks with a streaming cursor, ordered by response id.

Each chunk is an Arrow table of the codebook's columns in the export's Arrow types (survey.exports.arrow), built
straight from the fetched columns: the scale items are decoded from the stored bytes one numpy gather per instrument
version, the context answers are split from one JSON array text per row with Arrow, and the quality flags (those not
overridden) come from one query per chunk.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
from sqlalchemy import (
    Connection, Integer, Select, String, Text, cast, exists, func, literal, literal_column, select, type_coerce,
)
from sqlalchemy.sql.elements import ColumnElement

from survey.errors import Conflict, FieldError, InvalidInput, NotFound
from survey.exports import arrow
from survey.exports.codebook import Codebook, build_codebook
from survey.exports.selection import ExportFilter, check_filter, exported_instruments
from survey.instruments.catalogue import Catalogue
from survey.instruments.spec import Instrument, ScaleItem
from survey.regions import IndustryList, RegionList
from survey.registry import Campaign
from survey.responses import MISSING
from survey.store.engine import Database
from survey.store.registry import find_campaign
from survey.store.tables import EnterpriseRow, ResponseFlagRow, ResponseRow

CHUNK_ROWS = 50_000


class ExportPlan(msgspec.Struct, frozen=True, kw_only=True):
    """A checked export: the campaign, the questionnaire versions its rows may answer, the codebook and the filter."""

    campaign: Campaign
    instruments: tuple[Instrument, ...]
    codebook: Codebook
    selection: ExportFilter


def plan_export(
    db: Database, catalogue: Catalogue, campaign: str, selection: ExportFilter, regions: RegionList,
    industries: IndustryList,
) -> ExportPlan:
    """Check the campaign (NotFound) and the filter (InvalidInput) and lay out the columns."""
    found = find_campaign(db, campaign)
    if found is None:
        raise NotFound(f"campaign {campaign!r}")
    check_filter(selection, found, regions.codes())
    check_enterprises(db, selection)
    instruments = tuple(exported_instruments(catalogue, found, selection))
    codebook = build_codebook(found.code, instruments, industries, regions, flag_rules(db, found))
    return ExportPlan(campaign=found, instruments=instruments, codebook=codebook, selection=selection)


def planned_chunks(db: Database, plan: ExportPlan, *, rows: int = CHUNK_ROWS) -> Iterator[pa.Table]:
    return export_chunks(db, plan.campaign, plan.instruments, plan.codebook, plan.selection, rows=rows)


def planned_count(db: Database, plan: ExportPlan) -> int:
    return count_exported(db, plan.campaign, plan.instruments, plan.selection)


def flag_rules(db: Database, campaign: Campaign) -> list[str]:
    """The rules of the campaign's quality flags that were not overridden, sorted."""
    with db.read() as session:
        return sorted(session.scalars(
            select(ResponseFlagRow.rule).distinct().join(ResponseRow)
            .where(ResponseRow.campaign_id == campaign.id, ResponseFlagRow.overridden.is_(False))
        ))


def check_enterprises(db: Database, selection: ExportFilter) -> None:
    """Refuse a filter that names an enterprise the registry does not have (InvalidInput)."""
    if not selection.enterprises:
        return
    with db.read() as session:
        known = set(session.scalars(select(EnterpriseRow.id).where(EnterpriseRow.id.in_(selection.enterprises))))
    missing = [FieldError(field="enterprise", reason=f"no enterprise {e}") for e in selection.enterprises if e not in known]
    if missing:
        raise InvalidInput(missing)


def count_exported(db: Database, campaign: Campaign, instruments: Sequence[Instrument], selection: ExportFilter) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(ResponseRow)
                              .where(*_conditions(campaign, instruments, selection))) or 0


def export_chunks(
    db: Database,
    campaign: Campaign,
    instruments: Sequence[Instrument],
    codebook: Codebook,
    selection: ExportFilter,
    *,
    rows: int = CHUNK_ROWS,
) -> Iterator[pa.Table]:
    """The selected responses as tables of at most `rows` rows with the codebook's columns and Arrow types
    (survey.exports.arrow), in response id order."""
    layouts = {(i.code, i.version): [item.code for item in i.items() if isinstance(item, ScaleItem)]
               for i in instruments}
    choices = codebook.choices()
    schema = arrow.schema(codebook)
    industries = sorted({i.industry for i in instruments})
    with db.read() as session:
        connection = session.connection()
        registry = _Registry(connection.execute(
            select(EnterpriseRow.id, EnterpriseRow.name, EnterpriseRow.industry)
            .where(EnterpriseRow.industry.in_(industries))).all())
        query = (select(_line(choices, connection.dialect.name == "sqlite"))
                 .where(*_conditions(campaign, instruments, selection)).order_by(ResponseRow.id))
        for lines in _fetch(connection, query, rows):
            fetched = _parse(lines)
            ids = fetched.column("id")
            flags = _flags(connection, ids[0].as_py(), ids[-1].as_py())
            yield _table(fetched, flags, codebook, schema, layouts, registry)


def _fetch(connection: Connection, query: Select, rows: int) -> Iterator[list[tuple[str]]]:
    """The rows of `query` in lists of `rows`, from the driver's cursor (a server-side one on PostgreSQL).

    SQLAlchemy compiles the query; its result layer is skipped, as building a Row for each of a million rows costs
    about 4 s, a fifth of the time an export may take. The columns are read as the driver gives them.
    """
    compiled = query.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    driver = connection.connection.driver_connection
    sqlite = connection.dialect.name == "sqlite"
    cursor = driver.cursor() if sqlite else driver.cursor(name="survey_export")
    if sqlite:  # SQLite sorts all the rows before the first: let it sort in two threads, as the writer waits then
        driver.execute(f"PRAGMA threads={SORT_THREADS}")
    try:
        cursor.execute(compiled.string, tuple(params[name] for name in compiled.positiontup)
                       if compiled.positional else params)
        while batch := cursor.fetchmany(rows):
            yield batch
    finally:
        cursor.close()
        if sqlite:
            driver.execute("PRAGMA threads=0")


SORT_THREADS = 2
SEPARATOR = "\x1f"  # the unit separator: no stored value that a line holds (codes, UUIDs, times, hex) contains it
FETCHED = pa.schema([
    ("id", pa.string()), ("instrument", pa.string()), ("version", pa.int64()), ("enterprise", pa.int64()),
    ("outlet", pa.int64()), ("city", pa.string()), ("submitted_via", pa.string()), ("locale", pa.string()),
    ("is_test", pa.bool_()), ("started_at", pa.string()), ("submitted_at", pa.string()), ("context", pa.string()),
    ("item_values", pa.string()),
])


def _line(choices: Sequence[str], sqlite: bool) -> ColumnElement:
    """A response's columns (FETCHED) as one line of text, made by the database: a row costs the driver one string,
    not thirteen objects, and Arrow's CSV reader splits the lines with the GIL released.

    Times are UTC as ``2026-11-20 04:00:00.000000``, is_test 0 or 1, the scale answers' bytes in hex.
    """
    def text(column: ColumnElement) -> ColumnElement:
        return cast(column, Text)

    if sqlite:
        moment = (lambda column: type_coerce(column, String))  # stored as text in UTC
        values = func.hex(ResponseRow.item_values)
    else:
        moment = (lambda column: func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24:MI:SS.US"))
        values = func.encode(ResponseRow.item_values, "hex")
    parts = [
        ResponseRow.id, ResponseRow.instrument_code, text(ResponseRow.instrument_version),
        text(ResponseRow.enterprise_id), func.coalesce(text(ResponseRow.outlet_id), ""), ResponseRow.city,
        ResponseRow.channel, ResponseRow.locale, text(cast(ResponseRow.is_test, Integer)),
        moment(ResponseRow.started_at), moment(ResponseRow.submitted_at), _context(choices, sqlite), values,
    ]
    line = type_coerce(parts[0], Text)
    for part in parts[1:]:
        line = line.op("||")(literal_column(f"'{SEPARATOR}'")).op("||")(part)
    return line


def _parse(lines: Sequence[tuple[str]]) -> pa.Table:
    """Fetched lines as a table of FETCHED."""
    data = "\n".join([line for line, in lines]).encode()
    return pcsv.read_csv(
        pa.py_buffer(data),
        read_options=pcsv.ReadOptions(column_names=FETCHED.names, use_threads=False, block_size=len(data) + 1),
        parse_options=pcsv.ParseOptions(delimiter=SEPARATOR, quote_char=False, double_quote=False),
        convert_options=pcsv.ConvertOptions(column_types=FETCHED, true_values=["1"], false_values=["0"],
                                            strings_can_be_null=False),
    )


def _context(codes: Sequence[str], sqlite: bool) -> ColumnElement:
    """The context answers as one JSON array text: ["repair", "within_3_months", ...] (null where not answered)."""
    if not codes:
        return literal("[]")
    if sqlite:  # one parse of the answers for every code
        return func.json_extract(ResponseRow.answers, *[f'$."{code}"' for code in codes])
    return cast(func.json_build_array(*[ResponseRow.answers[code] for code in codes]), Text)


def _flags(connection: Connection, first: str, last: str) -> dict[str, str]:
    """The flags that were not overridden of the responses with ids from `first` to `last`: id -> "rule,rule"."""
    found: dict[str, list[str]] = {}
    for response_id, rule in connection.execute(
        select(ResponseFlagRow.response_id, ResponseFlagRow.rule)
        .where(ResponseFlagRow.response_id.between(first, last), ResponseFlagRow.overridden.is_(False))
    ):
        found.setdefault(response_id, []).append(rule)
    return {response_id: ",".join(sorted(rules)) for response_id, rules in found.items()}


def _conditions(campaign: Campaign, instruments: Sequence[Instrument], selection: ExportFilter) -> list[ColumnElement]:
    conditions = [ResponseRow.campaign_id == campaign.id,
                  ResponseRow.instrument_code.in_(sorted({i.code for i in instruments}))]
    if selection.industries:
        conditions.append(ResponseRow.enterprise_id.in_(
            select(EnterpriseRow.id).where(EnterpriseRow.industry.in_(selection.industries))))
    if selection.cities:
        conditions.append(ResponseRow.city.in_(selection.cities))
    if selection.enterprises:
        conditions.append(ResponseRow.enterprise_id.in_(selection.enterprises))
    if selection.flags != "all":
        flagged = exists().where(ResponseFlagRow.response_id == ResponseRow.id, ResponseFlagRow.overridden.is_(False))
        conditions.append(flagged if selection.flags == "flagged" else ~flagged)
    return conditions


def _table(
    fetched: pa.Table,
    flags: dict[str, str],
    codebook: Codebook,
    schema: pa.Schema,
    layouts: dict[tuple[str, int], list[str]],
    registry: _Registry,
) -> pa.Table:
    """A chunk as a table of the export's Arrow schema, made from the fetched columns (no pandas)."""
    column = {name: _array(fetched.column(name)) for name in fetched.column_names}
    n = len(fetched)
    names, industry = registry.lookup(column["enterprise"].to_numpy())
    flag_text = _flag_text(column["id"], flags)
    columns: dict[str, Any] = {
        name: column[name]
        for name in ("id", "instrument", "version", "enterprise", "outlet", "city", "submitted_via", "locale", "is_test")
    } | {
        "industry": industry, "enterprise_name": names,
        "started_at": _moments(column["started_at"]), "submitted_at": _moments(column["submitted_at"]),
        "flagged": pc.not_equal(flag_text, ""), "flags": flag_text, "weight": np.ones(n),
    }
    columns.update(_answers(column["context"], codebook.choices()))
    items = codebook.items()
    matrix = _items(column["id"], column["instrument"], column["version"].to_numpy(), _unhex(column["item_values"]),
                    layouts, {code: j for j, code in enumerate(items)})
    for j, code in enumerate(items):
        columns[code] = pa.array(matrix[:, j], pa.uint8(), mask=matrix[:, j] == MISSING)
    return pa.table([columns[field.name] for field in schema], schema=schema)


def _array(column: pa.ChunkedArray) -> pa.Array:
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def _flag_text(ids: pa.Array, flags: dict[str, str]) -> pa.Array:
    """Each response's flags ("rule,rule"), "" where it has none."""
    if not flags:
        return pa.array([""] * len(ids), pa.string())
    found = pc.index_in(ids, value_set=pa.array(list(flags), pa.string()))
    return pc.fill_null(pa.array(list(flags.values()), pa.string()).take(found), "")


HEX = np.zeros(256, dtype=np.uint8)
HEX[np.frombuffer(b"0123456789abcdef", np.uint8)] = np.arange(16)
HEX[np.frombuffer(b"ABCDEF", np.uint8)] = np.arange(10, 16)


def _unhex(text: pa.Array) -> pa.BinaryArray:
    """Hex text (either case) as the bytes it spells."""
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32, count=len(text) + 1, offset=4 * text.offset)
    digits = np.frombuffer(text.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]] if offsets[-1] > offsets[0] \
        else np.zeros(0, dtype=np.uint8)
    data = HEX[digits[0::2]] << 4 | HEX[digits[1::2]]
    return pa.BinaryArray.from_buffers(pa.binary(), len(text), [None, pa.py_buffer((offsets - offsets[0]) // 2),
                                                                pa.py_buffer(data)])


class _Registry:
    """The enterprises' names and industries, looked up by id a column at a time ("" for an id it does not hold)."""

    def __init__(self, enterprises: Sequence[tuple[int, str, str]]) -> None:
        ordered = sorted(enterprises)
        self.keys = np.asarray([key for key, _, _ in ordered], dtype=np.int64)
        self.names = pa.array([name for _, name, _ in ordered] + [""], pa.string())
        self.industries = pa.array([industry for _, _, industry in ordered] + [""], pa.string())

    def lookup(self, enterprises: np.ndarray) -> tuple[pa.Array, pa.Array]:
        at = np.searchsorted(self.keys, enterprises)
        found = at < len(self.keys)
        found[found] = self.keys[at[found]] == enterprises[found]
        at = pa.array(np.where(found, at, len(self.keys)))
        return self.names.take(at), self.industries.take(at)


def _answers(context: pa.Array, codes: list[str]) -> dict[str, pa.Array]:
    """Split the JSON arrays of context answers with Arrow: option codes never hold a comma or a quote."""
    if not codes:
        return {}
    parts = pc.split_pattern(pc.utf8_slice_codeunits(context, 1, -1), ",")
    columns = {}
    for k, code in enumerate(codes):
        value = pc.utf8_trim(pc.list_element(parts, k), ' "')
        columns[code] = pc.if_else(pc.equal(value, "null"), None, value)
    return columns


def _moments(text: pa.Array) -> pa.Array:
    """Times in UTC as text (``2026-11-20 04:00:00.000000``) as times to the second (shown in UTC+8)."""
    seconds = pc.cast(text.cast(pa.timestamp("us")), pa.timestamp("s"), safe=False)
    return seconds.view(arrow.TYPES["datetime"])


def _items(
    ids: pa.Array,
    codes: pa.Array,
    versions: np.ndarray,
    values: pa.BinaryArray,
    layouts: dict[tuple[str, int], list[str]],
    position: dict[str, int],
) -> np.ndarray:
    """The scale answers as a (rows, items) uint8 matrix in codebook order, MISSING where not asked or not answered."""
    matrix = np.full((len(ids), len(position)), MISSING, dtype=np.uint8, order="F")
    if not len(ids):
        return matrix
    encoded = codes.dictionary_encode()
    names = encoded.dictionary.to_pylist()
    keys = encoded.indices.to_numpy().astype(np.int64) << 32 | versions
    unique, groups = np.unique(keys, return_inverse=True)
    order = np.argsort(groups, kind="stable")
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32, count=len(values) + 1, offset=4 * values.offset)
    data = np.frombuffer(values.buffers()[2], dtype=np.uint8) if values.buffers()[2] else np.zeros(0, np.uint8)
    lengths = np.diff(offsets)
    for key, rows_of in zip(unique, np.split(order, np.cumsum(np.bincount(groups))[:-1]), strict=True):
        code, version = names[key >> 32], int(key & 0xFFFF_FFFF)
        layout = layouts.get((code, version))
        if layout is None:
            raise NotFound(f"instrument {code} version {version} of stored responses")
        wrong = np.flatnonzero(lengths[rows_of] != len(layout))
        if len(wrong):
            raise Conflict(f"response {ids[int(rows_of[wrong[0]])].as_py()}: stored answers do not fit {code} version {version} "
                           f"({len(layout)} items)")
        block = data[offsets[rows_of][:, None] + np.arange(len(layout))]
        matrix[np.ix_(rows_of, [position[code] for code in layout])] = block
    return matrix
