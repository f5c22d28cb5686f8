"""A campaign's responses read for export, in chunks, on both databases."""

import msgspec
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from survey.errors import InvalidInput, NotFound
from survey.exports.selection import ExportFilter
from survey.regions import load_industries, load_regions
from survey.releases.pipeline import every_version
from survey.store.exports import plan_export, planned_chunks, planned_count
from survey.store.releases import read_responses
from survey.store.tables import ResponseFlagRow, ResponseRow
from tests.releases.wave import CAMPAIGN, stored_wave


def plan(db, catalogue, **selection):
    return plan_export(db, catalogue, CAMPAIGN, msgspec.convert(selection, ExportFilter), load_regions(),
                       load_industries())


def exported(db, catalogue, rows=100, **selection) -> pd.DataFrame:
    chunks = list(planned_chunks(db, plan(db, catalogue, **selection), rows=rows))
    assert all(len(chunk) <= rows for chunk in chunks)
    return pa.concat_tables(chunks).to_pandas() if chunks else pd.DataFrame()


def flag(db, response_id: str, rule: str, *, overridden: bool = False) -> None:
    with db.transaction() as session:
        session.add(ResponseFlagRow(response_id=response_id, rule=rule, rule_version=1, overridden=overridden))


def test_every_response_in_id_order_with_the_codebooks_columns(db):
    catalogue = stored_wave(db)
    the_plan = plan(db, catalogue)
    frame = exported(db, catalogue, rows=150)
    assert list(frame.columns) == the_plan.codebook.codes() and len(frame) == 640 == planned_count(db, the_plan)
    assert frame["id"].is_monotonic_increasing and frame["id"].is_unique
    reference = read_responses(db, CAMPAIGN, every_version(catalogue)).set_index("id").loc[frame["id"]]
    for code in the_plan.codebook.items():
        assert np.array_equal(frame[code].to_numpy(np.float64, na_value=np.nan), reference[code].to_numpy(),
                              equal_nan=True), code
    for code in ("enterprise", "industry", "city", "is_test", "version", "instrument"):
        assert frame[code].tolist() == reference[code].tolist(), code
    assert frame["weight"].eq(1.0).all() and not frame["flagged"].any() and frame["flags"].eq("").all()


def test_context_answers_and_times_come_as_stored(db):
    catalogue = stored_wave(db)
    frame = exported(db, catalogue).set_index("id")
    with db.read() as session:
        stored = {row.id: row for row in session.query(ResponseRow).limit(50)}
    for response_id, row in stored.items():
        for code in ("service_type", "service_when", "channel", "warranty", "cmp1"):
            assert frame.at[response_id, code] == row.answers[code], code
        moment = pd.Timestamp(row.submitted_at)  # SQLite keeps no offset: UTC
        assert frame.at[response_id, "submitted_at"] == (moment.tz_localize("UTC") if moment.tzinfo is None else moment)
        assert frame.at[response_id, "submitted_via"] == row.channel and frame.at[response_id, "locale"] == row.locale


def test_flags_that_were_not_overridden(db):
    catalogue = stored_wave(db)
    ids = exported(db, catalogue)["id"].tolist()
    flag(db, ids[0], "straightlining")
    flag(db, ids[0], "speeding")
    flag(db, ids[1], "speeding", overridden=True)
    flag(db, ids[-1], "duplicate")
    frame = exported(db, catalogue, rows=7).set_index("id")
    assert frame.at[ids[0], "flags"] == "speeding,straightlining" and frame.at[ids[-1], "flags"] == "duplicate"
    assert frame.at[ids[1], "flags"] == "" and frame["flagged"].sum() == 2
    assert set(exported(db, catalogue, flags="flagged")["id"]) == {ids[0], ids[-1]}
    assert len(exported(db, catalogue, flags="unflagged")) == 638
    column = {c.code: c for c in plan(db, catalogue).codebook.columns}
    assert [v.value for v in column["flags"].values] == ["duplicate", "speeding", "straightlining"]


def test_filters_by_industry_city_and_enterprise(db):
    catalogue = stored_wave(db)
    every = exported(db, catalogue)
    automobile = exported(db, catalogue, industries=["automobile"])
    assert len(automobile) == (every["industry"] == "automobile").sum() and "ecom1" not in automobile.columns
    city = every["city"].iloc[0]
    assert exported(db, catalogue, cities=[city])["id"].tolist() == every.loc[every["city"] == city, "id"].tolist()
    enterprise = int(every["enterprise"].iloc[0])
    only = exported(db, catalogue, enterprises=[enterprise])
    assert len(only) == 40 and set(only["enterprise"]) == {enterprise}
    assert exported(db, catalogue, industries=["automobile"], cities=["445300"]).empty


def test_unknown_campaign_and_enterprise_are_named(db):
    catalogue = stored_wave(db)
    with pytest.raises(NotFound):
        plan_export(db, catalogue, "nope", ExportFilter(), load_regions(), load_industries())
    with pytest.raises(InvalidInput) as refused:
        plan(db, catalogue, enterprises=[1, 4242])
    assert [(e.field, e.reason) for e in refused.value.errors] == [("enterprise", "no enterprise 4242")]
