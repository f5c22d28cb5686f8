"""Stored releases: read in one pass, published once, never changed through any route (on both databases)."""

import numpy as np
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from survey.errors import Conflict
from survey.releases.pipeline import build_release, every_version, publish_release
from survey.store import releases as store
from tests.releases.wave import CAMPAIGN, stored_wave


@pytest.fixture
def published(db):
    catalogue = stored_wave(db)
    built = build_release(db, catalogue, CAMPAIGN, resamples=100, seed=1)
    return catalogue, built, publish_release(db, built.run_id)


def test_read_responses_decodes_the_stored_bytes(db):
    catalogue = stored_wave(db)
    frame = store.read_responses(db, CAMPAIGN, every_version(catalogue))
    assert len(frame) == 16 * 40
    assert set(frame["industry"]) == {"automobile", "e_commerce"}
    assert frame["sat1"].between(1, 10).all()  # satisfaction items are never "not applicable" here
    assert frame["img1"].isna().any() and not frame["img1"].isna().all()
    # an industry's block exists only for its own respondents
    auto = frame["industry"] == "automobile"
    assert frame.loc[auto, "auto1"].notna().any() and frame.loc[~auto, "auto1"].isna().all()
    assert frame["flags"].map(len).eq(0).all() and frame["is_test"].dtype == np.bool_


@pytest.mark.parametrize("statement", [
    "UPDATE release SET series = 'other'",
    "DELETE FROM release",
    "UPDATE release_file SET content = :bytes",
    "DELETE FROM release_file",
])
def test_a_published_release_cannot_be_changed_in_the_database(db, published, statement):
    _, built, release_id = published
    before = store.get_release(db, release_id)
    with pytest.raises(DBAPIError, match="immutable"):
        with db.engine.begin() as connection:
            connection.execute(text(statement), {"bytes": b"{}"})
    assert store.get_release(db, release_id) == before


def test_a_run_is_published_once(db, published):
    _, built, _ = published
    with pytest.raises(Conflict):
        publish_release(db, built.run_id)


def test_release_ids_by_prefix(db, published):
    _, _, release_id = published
    assert store.release_ids(db, release_id[:10]) == [release_id]
    assert store.release_ids(db, "%") == []
