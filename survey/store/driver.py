"""SQLite inserts through the driver: a group write's rows without SQLAlchemy's processing of every value.

SQLAlchemy converts each value of each row in Python (times to text, JSON to text, booleans to 0/1) before the
driver sees it; for the group write's inserts that was a fifth of its work under the write lock. Here each table's
columns and conversions are worked out once, as SQLAlchemy's SQLite dialect writes them (tests/store/test_driver.py
compares the stored text), and the rows go to the driver's executemany.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import JSON, Boolean, Connection, DateTime, Table

from survey.store.engine import json_text


def driver_insert(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> bool:
    """SQLite: insert the rows (each a value for every column of the table) in the connection's transaction. A row
    whose key is there already inserts nothing of them and returns False (the caller then decides with ON CONFLICT);
    True once every row is in."""
    sql, columns = _statement(table)
    raw = connection.connection.driver_connection
    raw.execute("SAVEPOINT driver_insert")
    try:
        raw.executemany(sql, [tuple(row[name] if write is None else write(row[name]) for name, write in columns)
                              for row in rows])
    except sqlite3.IntegrityError:
        raw.execute("ROLLBACK TO driver_insert")
        return False
    finally:
        raw.execute("RELEASE driver_insert")
    return True


@cache
def _statement(table: Table) -> tuple[str, list[tuple[str, Callable[[Any], Any] | None]]]:
    # Every column of the table: a column added later is written too, or the insert fails loudly (KeyError).
    columns = [(column.name, _writer(column)) for column in table.columns]
    names, marks = ", ".join(name for name, _ in columns), ", ".join("?" for _ in columns)
    return f"INSERT INTO {table.name} ({names}) VALUES ({marks})", columns


def _writer(column: Any) -> Callable[[Any], Any] | None:
    """How SQLAlchemy's SQLite dialect writes a value of the column (None: as it is)."""
    if isinstance(column.type, JSON):
        return json_text  # None too: SQLAlchemy's JSON writes it as JSON null, not SQL NULL
    if isinstance(column.type, DateTime):
        return lambda value: None if value is None else sqlite_time(value)
    if isinstance(column.type, Boolean):
        return lambda value: None if value is None else int(value)
    return None


def sqlite_time(moment: dt.datetime) -> str:
    """A time as SQLAlchemy's SQLite DATETIME stores it: its fields, without the offset (the store writes UTC)."""
    return moment.replace(tzinfo=None).isoformat(" ", "microseconds")
