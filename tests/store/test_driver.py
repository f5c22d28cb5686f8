"""SQLite's group inserts through the driver (survey.store.driver) store the same text as SQLAlchemy's insert."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from survey.store.arrivals import store_arrivals
from survey.store.tables import ResponseFlagRow, ResponseRow
from tests.store.test_arrivals import _arrivals, world  # noqa: F401 - world is a fixture


def _raw(session, table, key: str) -> dict[str, dict]:
    names = [column.name for column in table.columns]
    rows = session.connection().exec_driver_sql(f"SELECT {', '.join(names)} FROM {table.name}").all()
    return {row[names.index(key)]: dict(zip(names, row, strict=True)) for row in rows}


def test_a_group_stored_through_the_driver_reads_as_sqlalchemys_insert_of_the_same_values(db, world):  # noqa: F811
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the driver insert is SQLite's; PostgreSQL inserts through SQLAlchemy")
    instrument, enterprises = world
    plan = [(1, enterprises[0], "n1", "d1", False, False, 300, False),   # a response, no flag
            (2, enterprises[0], "n2", None, True, False, 300, False),    # a straight-liner: a flag row
            (3, enterprises[0], None, None, True, True, 60, False)]      # a test response: no hashes
    with db.transaction() as session:
        assert all(isinstance(o, tuple) and o[1] for o in store_arrivals(session, _arrivals(plan, instrument, "wave-g", 7)))
    responses, flags = ResponseRow.__table__, ResponseFlagRow.__table__
    copy = lambda key: key.replace("-0000-4000-", "-0000-4fff-")  # noqa: E731
    with db.transaction() as session:
        stored = [dict(row) for row in session.execute(select(responses)).mappings()]
        flagged = [dict(row) for row in session.execute(select(flags)).mappings()]
        assert len(stored) == 3 and len(flagged) == 1
        session.execute(responses.insert(), [row | {"id": copy(row["id"])} for row in stored])  # through SQLAlchemy
        session.execute(flags.insert(), [row | {"response_id": copy(row["response_id"])} for row in flagged])
        raw_responses, raw_flags = _raw(session, responses, "id"), _raw(session, flags, "response_id")
    for key in [row["id"] for row in stored]:
        ours, theirs = raw_responses[key], raw_responses[copy(key)]
        assert {name: (value, theirs[name]) for name, value in ours.items() if value != theirs[name] and name != "id"} == {}
    for row in flagged:
        ours, theirs = raw_flags[row["response_id"]], raw_flags[copy(row["response_id"])]
        assert {name: (value, theirs[name]) for name, value in ours.items()
                if value != theirs[name] and name != "response_id"} == {}
    first = raw_responses[stored[0]["id"]]
    assert first["received_at"] == "2026-11-20 04:00:00.000000" and first["item_seconds"] == "null"
    assert raw_flags[flagged[0]["response_id"]]["created_at"] == "2026-11-20 04:00:00.000000"
