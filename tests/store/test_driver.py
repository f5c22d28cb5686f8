"""The group inserts through the driver (survey.store.driver) store what SQLAlchemy's insert stores (on SQLite the
same text), and its list parameters give one statement text whatever their length."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from survey.store.arrivals import _insert, store_arrivals
from survey.store.driver import one_of, postgres_insert
from survey.store.tables import ResponseFlagRow, ResponseRow
from tests.store.test_arrivals import _arrivals, world  # noqa: F401 - world is a fixture


def _raw(session, table, key: str) -> dict[str, dict]:
    names = [column.name for column in table.columns]
    rows = session.connection().exec_driver_sql(f"SELECT {', '.join(names)} FROM {table.name}").all()
    return {row[names.index(key)]: dict(zip(names, row, strict=True)) for row in rows}


def _scalar(db, sql: str):
    with db.read() as session:
        return session.connection().exec_driver_sql(sql).scalar()


def test_a_group_stored_through_the_driver_reads_as_sqlalchemys_insert_of_the_same_values(db, world):  # noqa: F811
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
    if db.engine.dialect.name == "sqlite":  # the text itself
        assert first["received_at"] == "2026-11-20 04:00:00.000000" and first["item_seconds"] == "null"
        assert raw_flags[flagged[0]["response_id"]]["created_at"] == "2026-11-20 04:00:00.000000"
    else:  # JSON null, not SQL NULL, as SQLAlchemy's JSON writes None
        assert first["item_seconds"] is None
        assert _scalar(db, "SELECT count(*) FROM response WHERE item_seconds IS NULL") == 0


def test_a_group_insert_skips_a_stored_id_and_stores_the_others(db, world):  # noqa: F811
    """SQLite: the driver's insert meets the stored id, undoes its savepoint and SQLAlchemy's ON CONFLICT decides;
    PostgreSQL: postgres_insert skips it. Either way only the new id is stored and answered as stored."""
    instrument, enterprises = world
    plan = [(1, enterprises[0], "n1", "d1", False, False, 300, False), (2, enterprises[0], "n2", None, True, False, 300, False)]
    with db.transaction() as session:
        store_arrivals(session, _arrivals(plan, instrument, "wave-g", 8))
    table = ResponseRow.__table__
    with db.transaction() as session:
        stored = [dict(row) for row in session.execute(select(table).order_by(table.c.id)).mappings()]
        fresh = stored[0] | {"id": stored[0]["id"].replace("-0000-4000-", "-0000-4fff-")}
        assert _insert(session.connection(), [stored[1], fresh]) == {fresh["id"]}
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(table)) == 3


def test_postgres_insert_answers_a_database_error_as_sqlalchemys_and_nothing_for_no_rows(db, world):  # noqa: F811
    if db.engine.dialect.name != "postgresql":
        pytest.skip("postgres_insert is PostgreSQL's (SQLite: driver_insert)")
    instrument, enterprises = world
    with db.transaction() as session:
        store_arrivals(session, _arrivals([(1, enterprises[0], "n1", "d1", False, False, 300, False)], instrument,
                                          "wave-g", 7))
    table = ResponseRow.__table__
    with db.transaction() as session:
        row = dict(session.execute(select(table)).mappings().one())
        assert postgres_insert(session.connection(), table, []) == set()
    with pytest.raises(IntegrityError), db.transaction() as session:  # as from any statement: the writer's paths hold
        postgres_insert(session.connection(), table, [row | {"id": "no-such-campaign", "campaign_id": 999_999}])
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(table)) == 1


@pytest.mark.parametrize("count", [0, 1, 3])
def test_one_of_reads_the_rows_named_by_a_list_of_any_length(db, world, count):  # noqa: F811
    instrument, enterprises = world
    plan = [(1, enterprises[0], "a", None, False, False, 300, False), (2, enterprises[0], "b", None, False, False, 300, False),
            (3, enterprises[0], "c", None, False, False, 300, False), (4, enterprises[0], "d", None, False, False, 300, False)]
    with db.transaction() as session:
        store_arrivals(session, _arrivals(plan, instrument, "wave-g", 7))
        hashes = dict(session.execute(select(ResponseRow.id, ResponseRow.network_hash)).all())
    named = set(sorted(hashes)[:count])  # each response of its own network
    query = select(ResponseRow.id).where(one_of(ResponseRow.network_hash, "hashes", db.engine.dialect.name))
    with db.read() as session:
        found = set(session.scalars(query, {"hashes": sorted({hashes[key] for key in named})}))
    assert found == named and len(found) == count


def test_one_of_gives_postgresql_one_text_for_every_length():
    """psycopg converts a new text in Python and the server plans it: the group's reads must not change text with
    the group's size (SQLite's expanding IN does, and SQLite's driver takes it as it is)."""
    def texts(dialect, name):
        query = select(ResponseRow.id).where(one_of(ResponseRow.id, "ids", name))
        return {str(query.params(ids=ids).compile(dialect=dialect, compile_kwargs={"render_postcompile": True}))
                for ids in (["a"], ["a", "b", "c"])}

    assert len(texts(postgresql.dialect(), "postgresql")) == 1
    assert len(texts(sqlite.dialect(), "sqlite")) == 2
