"""Group inserts through the driver: a group write's rows without SQLAlchemy's processing of every value.

SQLite: SQLAlchemy converts each value of each row in Python (times to text, JSON to text, booleans to 0/1) before
the driver sees it; for the group write's inserts that was a fifth of its work under the write lock. Here each
table's columns and conversions are worked out once, as SQLAlchemy's SQLite dialect writes them
(tests/store/test_driver.py compares the stored text), and the rows go to the driver's executemany.

PostgreSQL: SQLAlchemy sends a group's rows as one INSERT with a VALUES tuple per row, so its text differs with
every group size: psycopg converted each new text's placeholders in Python (a fifth of the writer's time) and the
server parsed and planned each one. Here one statement of fixed text goes to psycopg's executemany (pipelined:
one round trip; prepared once the text repeats), returning the keys it inserted; JSON values are sent as JSON text
and cast, the rest as they are. (One INSERT ... SELECT FROM unnest of an array per column measured a third more
of the writer's time: psycopg builds arrays in Python.)
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Sequence
from functools import cache
from operator import itemgetter
from typing import Any

from sqlalchemy import ARRAY, JSON, Boolean, ColumnElement, Connection, DateTime, Table, any_, bindparam, cast
from sqlalchemy.exc import DBAPIError

from survey.store.engine import json_text


def one_of(column: ColumnElement, name: str, dialect: str) -> ColumnElement[bool]:
    """`column` among the values of the list parameter `name`, in a statement whose text does not depend on the
    list's length: = ANY(an array) on PostgreSQL (psycopg converts the text once, the server can keep its plan); an
    expanding IN elsewhere (SQLite has no arrays), whose text SQLite's driver takes as it is."""
    if dialect == "postgresql":
        return column == any_(cast(bindparam(name), ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


def driver_insert(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> bool:
    """SQLite: insert the rows (each a value for every column of the table) in the connection's transaction; True
    once every row is in. False, inserting nothing, on another database (the caller inserts through SQLAlchemy, or
    postgres_insert) or when a row's key is there already (the caller then decides with ON CONFLICT)."""
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


def postgres_insert(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> set[tuple]:
    """PostgreSQL: insert the rows (each a value for every column of the table) in the connection's transaction,
    skipping any whose primary key is stored already (by another transaction, say); the primary keys inserted.
    A database error arrives as SQLAlchemy's (OperationalError, IntegrityError, ...), as from any other statement."""
    if not rows:
        return set()
    sql, values, json = _postgres_statement(table)
    params = []
    for row in rows:
        param = list(values(row))
        for position in json:
            param[position] = json_text(param[position])
        params.append(param)
    inserted: set[tuple] = set()
    dbapi = connection.dialect.loaded_dbapi
    try:
        with connection.connection.driver_connection.cursor() as cursor:
            cursor.executemany(sql, params, returning=True)
            while True:
                inserted.update(cursor.fetchall())
                if not cursor.nextset():
                    break
    except dbapi.Error as exc:
        raise DBAPIError.instance(sql, None, exc, dbapi.Error) from exc
    return inserted


@cache
def _postgres_statement(table: Table) -> tuple[str, Callable[[dict], tuple], list[int]]:
    """The insert, a placeholder per column (JSON ones cast from text), skipping a stored key and returning the
    primary key of each row inserted; the row's values in column order; the positions of the JSON columns."""
    names = [column.name for column in table.columns]
    json = [position for position, column in enumerate(table.columns) if isinstance(column.type, JSON)]
    slots = ", ".join("CAST(%s AS JSON)" if position in json else "%s" for position in range(len(names)))
    keys = ", ".join(column.name for column in table.primary_key.columns)
    return (f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({slots}) ON CONFLICT DO NOTHING RETURNING {keys}",
            itemgetter(*names), json)


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
