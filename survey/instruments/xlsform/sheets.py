"""Workbooks as tables: named sheets of rows written to .xlsx, and read back with each row's number for messages."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from msgspec import Struct
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException


class WorkbookError(ValueError):
    """A workbook that cannot be read as the form it should be; the message names sheet, row, column and reason."""


class Row(Struct, frozen=True, kw_only=True):
    """One non-empty row: its sheet, its number as the spreadsheet shows it, and its non-empty cells by header."""

    sheet: str
    number: int
    cells: dict[str, str]

    def get(self, column: str) -> str:
        return self.cells.get(column, "")

    def where(self, column: str | None = None) -> str:
        """`sheet survey, row 7, column type` for messages."""
        return f"sheet {self.sheet}, row {self.number}" + (f", column {column}" if column else "")


class Sheet(Struct, frozen=True, kw_only=True):
    name: str
    header: tuple[str, ...]
    rows: tuple[Row, ...]


def write_workbook(sheets: Mapping[str, tuple[Sequence[str], Iterable[Mapping[str, str | None]]]]) -> bytes:
    """An .xlsx file with one sheet per entry: a header row of the columns, then one row per mapping."""
    book = Workbook()
    book.remove(book.active)
    for name, (columns, rows) in sheets.items():
        sheet = book.create_sheet(name)
        sheet.append(list(columns))
        for number, row in enumerate(rows, start=2):
            for column, key in enumerate(columns, start=1):
                value = row.get(key)
                if value:
                    cell = sheet.cell(row=number, column=column, value=value)
                    cell.data_type = "s"  # text, even when it starts with "=" (never a formula)
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read_workbook(source: Path | bytes, name: str) -> dict[str, Sheet]:
    """Every sheet by its lower-case name; headers and cells as stripped text; `name` names the file in errors."""
    try:
        file = io.BytesIO(source) if isinstance(source, bytes) else source
        book = load_workbook(file, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as error:
        raise WorkbookError(f"{name}: not a readable .xlsx workbook ({error})") from None
    try:
        sheets = [(sheet.title.strip().lower(), sheet) for sheet in book.worksheets]
        return {title: _sheet(title, sheet.iter_rows(values_only=True), name) for title, sheet in sheets}
    finally:
        book.close()


def _sheet(name: str, values: Iterable[tuple[object, ...]], source: str) -> Sheet:
    lines = iter(values)
    header = tuple(_text(value) for value in next(lines, ()))
    seen: dict[str, int] = {}
    for column, title in enumerate(header, start=1):
        if title and title in seen:
            raise WorkbookError(
                f"{source}: sheet {name}, row 1: column {title!r} appears twice (columns {seen[title]} and {column})"
            )
        seen[title] = column
    rows = []
    for number, line in enumerate(lines, start=2):
        cells = {header[i]: text for i, value in enumerate(line[: len(header)]) if header[i] and (text := _text(value))}
        if cells:
            rows.append(Row(sheet=name, number=number, cells=cells))
    return Sheet(name=name, header=header, rows=tuple(rows))


def _text(value: object) -> str:
    """A cell as text: whole numbers without ".0" (Excel stores a typed 1 as 1.0), booleans as yes/no."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
