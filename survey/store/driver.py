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
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Boolean, Connection, DateTime, Table

from survey.store.engine import json_text


def driver_insert(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> bool:
    """SQLite: insert the rows (each a value for every column of the table) in the connection's transaction; True
    once every row is in. False, inserting nothing, on another database (the caller inserts through SQLAlchemy) or
    when a row's key is there already (the caller then decides with ON CONFLICT)."""
    if connection.dialect.name != "sqlite":
        return False
    sql, values, converted = _statement(table)
    params = []
    for row in rows:
        param = list(values(row))
        for position, write in converted:
            param[position] = write(param[position])
        params.append(param)
    raw = connection.connection.driver_connection
    raw.execute("SAVEPOINT driver_insert")
    try:
        raw.executemany(sql, params)
    except sqlite3.IntegrityError:
        raw.execute("ROLLBACK TO driver_insert")
        return False
    finally:
        raw.execute("RELEASE driver_insert")
    return True


@cache
def _statement(table: Table) -> tuple[str, Callable[[dict], tuple], list[tuple[int, Callable[[Any], Any]]]]:
    """The insert, the row's values in column order, and the positions to convert with how. Every column of the
    table: a column added later is written too, or the insert fails loudly (KeyError)."""
    names = [column.name for column in table.columns]
    converted = [(position, write) for position, column in enumerate(table.columns)
                 if (write := _writer(column)) is not None]
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
    return sql, itemgetter(*names), converted


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
