"""Excel .xlsx: a ``responses`` sheet (a header of item codes, a row per response) and a ``codebook`` sheet.

The workbook is a minimal SpreadsheetML package written here, the worksheet's XML streamed into its zip entry as it
is made (survey.exports.zipwriter: ISA-L's deflate at level 1), so memory stays flat however many rows there are.
Rows are made 10,000 at a time by Arrow in C++, never a Python call per cell: one Acero projection (an expression per
column, joined into a ``<row>`` element per row) runs with the GIL released, so the thread that reads the next chunk
runs alongside. A run of scale-item columns (most of the sheet) is one numpy gather from a table of cells of one
width, padded with spaces inside the tag (``<c ><v>5</v></c>``, ``<c           />``), which XML ignores. Rows carry
their number; cells carry no reference (``r`` is optional in ECMA-376: each cell is in the column after the one
before, so an empty cell is written as ``<c/>``), which Excel, LibreOffice, openpyxl and calamine read.

Cells are typed: numbers, booleans, dates (Excel serial days in China Standard Time with a date format) and text.
Text is an inline string (``t="inlineStr"``), never a formula, so a text cell that starts with ``=`` stays text;
``& < >`` are escaped, the control characters that XML 1.0 forbids are written as Excel's ``_xHHHH_`` escapes (and a
literal ``_xHHHH_`` as ``_x005F_xHHHH_``), as Excel itself does; text longer than a cell holds is cut to 32,767
characters. Missing values are empty cells. A sheet holds at most 1,048,575 rows under its header: a larger export
is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow.acero import AggregateNodeOptions, Declaration, ProjectNodeOptions, TableSourceNodeOptions

from survey.errors import FieldError, InvalidInput
from survey.exports import arrow
from survey.exports.codebook import Codebook, Kind, codebook_rows
from survey.exports.zipwriter import TooLarge, ZipWriter

MAX_ROWS = 1_048_575  # Excel's 1,048,576 rows less the header
MAX_CHARS = 32_767  # characters (UTF-16 code units) in a cell; longer text is cut, as Excel would
DAY = 86_400
EXCEL_EPOCH = 25_569  # the serial number of 1970-01-01
CHINA_OFFSET = 8 * 3600
LEVEL = 1  # ISA-L's deflate level (0-3): the sheet's XML is repetitive, level 1 makes it about a tenth
SLICE_ROWS = 10_000  # rows made into XML at once (about 20 MB of it for 92 columns)

BLANK = "<c/>"
DATE_STYLE = ' s="1"'
BOLD_STYLE = ' s="2"'
TEXT_OPEN = '<c t="inlineStr"><is><t>'
TEXT_CLOSE = "</t></is></c>"
# Text that needs more than the plain inline string: XML's special characters, characters XML 1.0 forbids, text
# that reads as Excel's _xHHHH_ escape, leading or trailing white space (kept with xml:space="preserve").
SPECIAL = r"[&<>\x00-\x08\x0b-\x1f\x{fffe}\x{ffff}]|_x[0-9a-fA-F]{4}_|^[\s\pZ\x{85}]|[\s\pZ\x{85}]$"
ESCAPE_LIKE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")

XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
PARTS = {
    "[Content_Types].xml": XML + (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{SHEET_TYPE}"/>'
        f'<Override PartName="/xl/worksheets/sheet2.xml" ContentType="{SHEET_TYPE}"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        "</Types>"),
    "_rels/.rels": XML + (
        f'<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
        f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"),
    "xl/workbook.xml": XML + (
        f'<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
        "<bookViews><workbookView/></bookViews>"
        '<sheets><sheet name="responses" sheetId="1" r:id="rId1"/><sheet name="codebook" sheetId="2" r:id="rId2"/>'
        "</sheets></workbook>"),
    "xl/_rels/workbook.xml.rels": XML + (
        f'<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
        f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{RELATIONSHIPS}/worksheet" Target="worksheets/sheet2.xml"/>'
        f'<Relationship Id="rId3" Type="{RELATIONSHIPS}/styles" Target="styles.xml"/>'
        "</Relationships>"),
    # cell styles: 0 plain, 1 a date and time (DATE_STYLE), 2 bold (BOLD_STYLE, the header rows)
    "xl/styles.xml": XML + (
        f'<styleSheet xmlns="{MAIN}">'
        '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/><scheme val="minor"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/><scheme val="minor"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"),
}
FROZEN_HEADER = ('<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                 '<selection pane="bottomLeft"/>')


def check_rows(count: int) -> None:
    """Refuse an export that does not fit on one sheet (InvalidInput naming the format)."""
    if count > MAX_ROWS:
        raise InvalidInput([FieldError(
            field="format", reason=f"an .xlsx sheet holds at most {MAX_ROWS:,} rows and this export has {count:,}: "
                                   "filter it (industry, city, enterprise) or choose csv, sav or parquet")])


def write_xlsx(codebook: Codebook, chunks: Iterable[arrow.Chunk], sink: BinaryIO) -> int:
    """Write every chunk to `sink` (a binary file that need not be seekable); returns the number of rows.
    Raises InvalidInput once the rows pass MAX_ROWS (or the sheet's XML 4 GiB), leaving `sink` unfinished."""
    layout = Rows(codebook)
    rows = 0
    package = ZipWriter(sink, level=LEVEL)
    for name, text in PARTS.items():
        package.add(name, text.encode())
    try:
        with package.stream("xl/worksheets/sheet1.xml") as sheet:
            sheet.write(_sheet_start(selected=True).encode())
            sheet.write(_header(codebook.codes()).encode())
            for chunk in chunks:
                if not len(chunk):
                    continue
                if rows + len(chunk) > MAX_ROWS:
                    check_rows(rows + len(chunk))
                for xml in layout.xml(chunk, first_row=rows + 2):
                    sheet.write(_bytes(xml))
                rows += len(chunk)
            sheet.write(b"</sheetData></worksheet>")
    except TooLarge:
        raise InvalidInput([FieldError(
            field="format", reason=f"this export is too large for an .xlsx file ({rows:,} rows written): "
                                   "filter it (industry, city, enterprise) or choose csv, sav or parquet")]) from None
    package.add("xl/worksheets/sheet2.xml", _codebook_sheet(codebook).encode())
    package.close()
    return rows


def _sheet_start(*, selected: bool) -> str:
    view = ' tabSelected="1"' if selected else ""
    return XML + (f'<worksheet xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
                  f'<sheetViews><sheetView{view} workbookViewId="0">{FROZEN_HEADER}</sheetView></sheetViews>'
                  '<sheetFormatPr defaultRowHeight="15"/><sheetData>')


def _header(cells: Sequence[str]) -> str:
    return '<row r="1">' + "".join(_text_cell(cell, BOLD_STYLE) for cell in cells) + "</row>"


def _codebook_sheet(codebook: Codebook) -> str:
    lines = codebook_rows(codebook)
    body = "".join(f'<row r="{number}">' + "".join(_text_cell(cell) if cell else BLANK for cell in line) + "</row>"
                   for number, line in enumerate(lines[1:], start=2))
    return _sheet_start(selected=False) + _header(lines[0]) + body + "</sheetData></worksheet>"


class Rows:
    """How a chunk of the codebook's columns becomes ``<row>`` elements."""

    def __init__(self, codebook: Codebook) -> None:
        self.source = arrow.schema(codebook)
        self.kinds: list[Kind] = [column.kind for column in codebook.columns]
        self.names = [f"c{k}" for k in range(len(self.kinds))]  # the codes need not be usable as field names
        self.texts = [k for k, kind in enumerate(self.kinds) if kind in ("text", "code")]
        self.runs: list[range] = []  # runs of adjacent scale columns, each made into one block of cells
        for k, kind in enumerate(self.kinds):
            if kind == "scale":
                if self.runs and self.runs[-1].stop == k:
                    self.runs[-1] = range(self.runs[-1].start, k + 1)
                else:
                    self.runs.append(range(k, k + 1))
        self.expressions: dict[frozenset[int], pc.Expression] = {}

    def xml(self, chunk: arrow.Chunk, *, first_row: int) -> Iterator[pa.Array]:
        """The rows of `chunk`, numbered from `first_row`, as string arrays of ``<row>`` elements."""
        table = arrow.table(chunk, self.source).rename_columns(self.names)
        made = frozenset(self._special(table))
        for k in made:  # text that needs escaping: made cell by cell (rare)
            table = table.set_column(k, self.names[k], _texts(_array(table.column(k))))
        if made not in self.expressions:
            self.expressions[made] = self._expression(made)
        for first in range(0, len(table), SLICE_ROWS):
            part = table.slice(first, SLICE_ROWS)
            start = first_row + first
            part = part.append_column("row", pa.array(np.arange(start, start + len(part))).cast(pa.string()))
            for number, run in enumerate(self.runs):
                part = part.append_column(f"scale{number}", _scale_cells([_array(part.column(k)) for k in run]))
            plan = Declaration.from_sequence([
                Declaration("table_source", TableSourceNodeOptions(part)),
                Declaration("project", ProjectNodeOptions([self.expressions[made]], ["xml"])),
            ])
            for batch in plan.to_reader(use_threads=False):
                yield batch.column(0)

    def _special(self, table: pa.Table) -> list[int]:
        """The text columns with a cell that needs more than a plain inline string."""
        if not self.texts or not len(table):
            return []
        texts = [k for k in self.texts if not _plain(_array(table.column(k)))]
        if not texts:
            return []
        names = [self.names[k] for k in texts]
        masks = [pc.match_substring_regex(pc.field(name), SPECIAL)
                 | (pc.utf8_length(pc.field(name)) > pc.scalar(MAX_CHARS // 2)) for name in names]
        plan = Declaration.from_sequence([
            Declaration("table_source", TableSourceNodeOptions(table.select(names))),
            Declaration("project", ProjectNodeOptions(masks, names)),
            Declaration("aggregate", AggregateNodeOptions([(name, "any", None, name) for name in names])),
        ])
        found = plan.to_table(use_threads=False).to_pylist()[0]
        return [k for k, name in zip(texts, names, strict=True) if found[name]]

    def _expression(self, made: frozenset[int]) -> pc.Expression:
        cells = []
        for k, kind in enumerate(self.kinds):
            if kind == "scale":
                cells.extend(pc.field(f"scale{n}") for n, run in enumerate(self.runs) if run.start == k)
            elif k in made:
                cells.append(pc.field(self.names[k]))
            else:
                cells.append(_cell(pc.field(self.names[k]), kind))
        return pc.binary_join_element_wise(_s('<row r="'), pc.field("row"), _s('">'), *cells, _s("</row>"), _s(""))


PLAIN = np.zeros(256, dtype=bool)  # bytes that never make a cell special: printable ASCII but for & < > and space
PLAIN[0x21:0x7F] = True
PLAIN[np.frombuffer(b"&<>", dtype=np.uint8)] = False


def _plain(column: pa.Array) -> bool:
    """Whether no cell of a text column can need more than a plain inline string (SPECIAL, or a length past
    MAX_CHARS // 2), told from its bytes alone: only printable ASCII other than & < > and space, no ``_x``, and
    short cells. False means: ask SPECIAL."""
    if column.type != pa.string() or not len(column):
        return False
    offsets = np.frombuffer(column.buffers()[1], dtype=np.int32, count=len(column) + 1, offset=4 * column.offset)
    if (np.diff(offsets) > MAX_CHARS // 2).any():
        return False
    data = np.frombuffer(column.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]] if column.buffers()[2] \
        else np.zeros(0, dtype=np.uint8)
    return bool(PLAIN[data].all()) and not ((data[:-1] == ord("_")) & (data[1:] == ord("x"))).any()


def _s(text: str) -> pc.Expression:
    return pc.scalar(text)


def _cell(field: pc.Expression, kind: Kind) -> pc.Expression:
    """A column's ``<c>`` elements, ``<c/>`` where missing (any kind but scale)."""
    if kind == "boolean":
        value = pc.if_else(field, _s('<c t="b"><v>1</v></c>'), _s('<c t="b"><v>0</v></c>'))
    elif kind == "integer":
        value = _number(field.cast(pa.string()))
    elif kind == "number":  # NaN and infinities have no cell value: empty cells; 1e-07 as 1E-07, as Excel writes it
        finite = pc.if_else(pc.is_finite(field), field, pc.scalar(pa.scalar(None, pa.float64())))
        value = _number(pc.utf8_upper(finite.cast(pa.string())))
    elif kind == "datetime":  # Excel serial days of the wall-clock time in UTC+8, to the second
        seconds = pc.add(field.cast(pa.int64()), pc.scalar(CHINA_OFFSET)).cast(pa.float64())
        days = pc.add(pc.divide(seconds, pc.scalar(float(DAY))), pc.scalar(float(EXCEL_EPOCH)))
        value = _number(days.cast(pa.string()), DATE_STYLE)
    else:
        value = pc.binary_join_element_wise(_s(TEXT_OPEN), field, _s(TEXT_CLOSE), _s(""))
    return pc.coalesce(value, _s(BLANK))


def _number(text: pc.Expression, style: str = "") -> pc.Expression:
    return pc.binary_join_element_wise(_s(f"<c{style}><v>"), text, _s("</v></c>"), _s(""))


def _scale_cells(columns: Sequence[pa.Array]) -> pa.Array:
    """A run of uint8 columns as one string per row: their cells, each padded to the width of the widest value."""
    n = len(columns[0])
    values = np.stack([_uint8(column) for column in columns], axis=1)  # (rows, columns)
    valid = np.stack([_valid(column) for column in columns], axis=1)
    values = np.where(valid, values, 0)
    width = len("<c><v></v></c>") + len(str(int(values.max()) if n else 0))
    index = values.astype(np.uint16)
    index[~valid] = MISSING_INDEX
    cells = np.take(_padded(width), index, axis=0)  # (rows, columns, width) bytes
    if cells.size >= 2**31:
        raise ValueError(f"{n:,} rows of {len(columns)} scale columns are too many for one chunk")
    offsets = np.arange(n + 1, dtype=np.int32) * np.int32(len(columns) * width)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(cells))


def _uint8(column: pa.Array) -> np.ndarray:
    return np.frombuffer(column.buffers()[1], dtype=np.uint8, count=len(column), offset=column.offset)


def _valid(column: pa.Array) -> np.ndarray:
    bitmap = column.buffers()[0]
    if bitmap is None:
        return np.ones(len(column), dtype=bool)
    bits = np.unpackbits(np.frombuffer(bitmap, dtype=np.uint8), bitorder="little")
    return bits[column.offset:column.offset + len(column)].view(bool)


MISSING_INDEX = 256
_PADDED: dict[int, np.ndarray] = {}


def _padded(width: int) -> np.ndarray:
    """Cells of `width` bytes for the values 0-255 (those that fit) and, at MISSING_INDEX, an empty cell."""
    if width not in _PADDED:
        cells = []
        for value in range(256):
            text = f"><v>{value}</v></c>"
            cells.append("<c" + " " * (width - 2 - len(text)) + text if 2 + len(text) <= width else BLANK)
        cells.append("<c" + " " * (width - 4) + "/>")
        table = np.zeros((MISSING_INDEX + 1, width), dtype=np.uint8)
        for row, cell in enumerate(cells):
            table[row, :len(cell)] = np.frombuffer(cell.encode(), dtype=np.uint8)
        _PADDED[width] = table
    return _PADDED[width]


def _array(column: pa.ChunkedArray) -> pa.Array:
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def _texts(column: pa.Array) -> pa.Array:
    """Inline strings; the few cells that need escaping, white space kept or cutting are made one by one."""
    cells = pc.binary_join_element_wise(TEXT_OPEN, column, TEXT_CLOSE, "")
    special = pc.or_(pc.match_substring_regex(column, SPECIAL), pc.greater(pc.utf8_length(column), MAX_CHARS // 2))
    special = pc.fill_null(special, False)
    if pc.any(special).as_py():
        texts = pc.filter(column, special).to_pylist()
        cells = pc.replace_with_mask(cells, special, pa.array([_text_cell(text) for text in texts], pa.string()))
    return pc.fill_null(cells, BLANK)


def _text_cell(text: str, style: str = "") -> str:
    """An inline string cell, escaped as Excel escapes it (and as xlsxwriter did)."""
    if len(text) > MAX_CHARS // 2:
        text = _cut(text)
    text = ESCAPE_LIKE.sub(r"_x005F\1", text)
    text = FORBIDDEN.sub(lambda found: f"_x{ord(found.group()):04X}_", text)
    keep = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<c{style} t="inlineStr"><is><t{keep}>{text}</t></is></c>'


def _cut(text: str) -> str:
    """`text` cut to MAX_CHARS UTF-16 code units, never inside a character."""
    units = text.encode("utf-16-le")
    if len(units) <= 2 * MAX_CHARS:
        return text
    return units[:2 * MAX_CHARS].decode("utf-16-le", errors="ignore")


def _bytes(strings: pa.Array) -> memoryview:
    """The UTF-8 bytes of all of `strings` one after another, without a copy."""
    if len(strings) == 0:
        return memoryview(b"")
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int32, count=len(strings) + 1, offset=4 * strings.offset)
    return memoryview(strings.buffers()[2])[offsets[0]:offsets[-1]]
