"""Open-data downloads of a release: every table as CSV (for spreadsheets) and as JSON (exactly as published).

CSV: UTF-8 with a byte-order mark so that Excel reads the Chinese, one header row, the columns in the order of
the Struct's fields, floats as their exact repr, None as an empty cell, booleans as true/false.  The sample
table's ``excluded`` mapping becomes one column per rule, ``excluded:<rule>``, in the order the rules first
appear.  A text cell that a spreadsheet would run as a formula (it starts with =, +, -, @ and is not a number,
or with a tab or carriage return) gets a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import re
import typing

import msgspec

from survey.releases.tables import (AuditCell, DriverRow, IndexCell, ItemDriverRow, Methods, PathRow, QualityRow,
                                    ReleaseTables, SampleRow)

ROWS: dict[str, type[msgspec.Struct]] = {
    "cells": IndexCell, "drivers": DriverRow, "item_drivers": ItemDriverRow, "quality": QualityRow,
    "paths": PathRow, "sample": SampleRow, "methods": Methods, "audits": AuditCell,
}
FORMULA = ("=", "+", "-", "@")
CONTROL = ("\t", "\r")
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def table_names() -> tuple[str, ...]:
    """The names of the downloadable tables, in the order the page lists them."""
    return tuple(ROWS)


def table_json(tables: ReleaseTables, name: str) -> bytes:
    """One table as msgspec JSON, exactly as the release stores it."""
    check(name)
    return msgspec.json.encode(getattr(tables, name))


def table_csv(tables: ReleaseTables, name: str) -> bytes:
    """One table as CSV for spreadsheets: BOM, header, one line per row, safe against formula injection."""
    check(name)
    value = getattr(tables, name)
    rows = [value] if name == "methods" else list(value)
    spread = {f.name: list(dict.fromkeys(key for row in rows for key in getattr(row, f.name)))
              for f in msgspec.structs.fields(ROWS[name]) if typing.get_origin(f.type) is dict}
    header = [column for f in msgspec.structs.fields(ROWS[name])
              for column in ([f"{f.name}:{key}" for key in spread[f.name]] if f.name in spread else [f.name])]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([text for f in msgspec.structs.fields(ROWS[name])
                         for text in ([cell(getattr(row, f.name).get(key)) for key in spread[f.name]]
                                      if f.name in spread else [cell(getattr(row, f.name))])])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def cell(value: object) -> str:
    """A value as CSV text: exact floats, empty None, true/false, and text that cannot run as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    if text.startswith(CONTROL) or (text.startswith(FORMULA) and not is_number(text)):
        return "'" + text
    return text


def is_number(text: str) -> bool:
    """Whether a text reads as a plain number (such as "-3.5"), which a spreadsheet shows and never runs."""
    return NUMBER.fullmatch(text) is not None


def check(name: str) -> None:
    """Refuse a name that is not a table of the release."""
    if name not in ROWS:
        raise KeyError(f"no table {name!r}; the tables are {', '.join(ROWS)}")
