"""From stored responses to a published release: reproducible, tamper-evident, corrected only by a new release."""

import msgspec
import pytest
from sqlalchemy import text

from survey.errors import Conflict, InvalidInput, NotFound
from survey.releases.manifest import Manifest, tables_from_files
from survey.releases.pipeline import build_release, publish_release, resolve_release, verify_release
from survey.store import releases as store
from tests.releases.wave import CAMPAIGN, stored_wave

B = 100  # resamples: enough for intervals, quick enough for a test


@pytest.fixture
def catalogue(db):
    return stored_wave(db)


@pytest.fixture
def release_id(db, catalogue):
    return publish_release(db, build_release(db, catalogue, CAMPAIGN, resamples=B, seed=3).run_id)


def tamper(db, statement, **params):
    """What an intruder with database access would do: switch the store's guard off, change bytes, switch it on."""
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE release_file DISABLE TRIGGER release_file_immutable"))
            connection.execute(text(statement), params)
            connection.execute(text("ALTER TABLE release_file ENABLE TRIGGER release_file_immutable"))
        else:
            connection.execute(text("DROP TRIGGER release_file_no_update"))
            connection.execute(text(statement), params)
            connection.execute(text("CREATE TRIGGER release_file_no_update BEFORE UPDATE ON release_file "
                                    "BEGIN SELECT RAISE(ABORT, 'published releases are immutable'); END"))


def test_a_published_release_verifies_and_rebuilds_byte_for_byte(db, catalogue, release_id):
    assert verify_release(db, catalogue, release_id) == []
    assert verify_release(db, catalogue, release_id, rebuild=True) == []
    stored = store.get_release(db, release_id)
    manifest = msgspec.json.decode(stored.manifest, type=Manifest)
    assert manifest.snapshot.received == 16 * 40 and manifest.snapshot.included <= manifest.snapshot.received
    assert manifest.model.id == "after-sales-csi" and manifest.seed == 3 and manifest.resamples == B
    assert {i.code for i in manifest.instruments} == {"automobile", "e_commerce"}
    assert manifest.exclusion_rules["name"] == "standard" and manifest.previous_release is None
    tables = tables_from_files(stored.files)
    assert tables.campaign == CAMPAIGN and {c.level for c in tables.cells} >= {"programme", "industry", "enterprise"}


def test_one_changed_byte_of_a_published_table_fails_verification(db, catalogue, release_id):
    content = store.get_release(db, release_id).files["cells"]
    flipped = bytes(content[:-2]) + bytes([content[-2] ^ 1]) + content[-1:]
    tamper(db, "UPDATE release_file SET content = :c WHERE release_id = :r AND name = 'cells'", c=flipped, r=release_id)
    problems = verify_release(db, catalogue, release_id)
    assert problems and problems[0].startswith("cells: sha256")


def test_a_rebuild_notices_changed_responses(db, catalogue, release_id):
    with db.engine.begin() as connection:
        response_id, values = connection.execute(text("SELECT id, item_values FROM response ORDER BY id")).first()
        connection.execute(text("UPDATE response SET item_values = :v WHERE id = :id"),
                           {"v": bytes([1] * len(values)), "id": response_id})
    assert verify_release(db, catalogue, release_id) == []  # the release itself is intact
    problems = verify_release(db, catalogue, release_id, rebuild=True)
    assert problems[0].startswith("snapshot:")


def test_the_next_release_of_a_series_names_the_previous_and_reports_change(db, catalogue, release_id):
    second = publish_release(db, build_release(db, catalogue, CAMPAIGN, resamples=B, seed=4).run_id)
    manifest = msgspec.json.decode(store.get_release(db, second).manifest, type=Manifest)
    assert manifest.previous_release == release_id
    industry = [c for c in tables_from_files(store.get_release(db, second).files).cells if c.level == "industry"]
    assert all(c.change is not None and abs(c.change) < 1e-9 for c in industry)  # same data, same index
    assert store.latest_release(db, "programme") == second


def test_publishing_is_refused_when_the_series_moved_on(db, catalogue, release_id):
    stale = build_release(db, catalogue, CAMPAIGN, resamples=B, seed=5)
    publish_release(db, build_release(db, catalogue, CAMPAIGN, resamples=B, seed=6).run_id)
    with pytest.raises(Conflict, match="rebuild"):
        publish_release(db, stale.run_id)


def test_a_correction_supersedes_and_the_old_release_stays_readable(db, catalogue, release_id):
    with pytest.raises(InvalidInput):
        build_release(db, catalogue, CAMPAIGN, resamples=B, corrects=release_id)
    built = build_release(db, catalogue, CAMPAIGN, resamples=B, seed=3, min_n=35, corrects=release_id[:12],
                          reason="threshold was misconfigured")
    correction = publish_release(db, built.run_id)
    old, new = store.get_release(db, release_id), store.get_release(db, correction)
    assert old.superseded_by == correction and new.supersedes == release_id
    assert msgspec.json.decode(new.manifest, type=Manifest).correction_reason == "threshold was misconfigured"
    assert verify_release(db, catalogue, release_id) == [] and verify_release(db, catalogue, correction) == []
    assert store.latest_release(db, "programme") == correction
    with pytest.raises(Conflict, match="corrected already"):
        build_release(db, catalogue, CAMPAIGN, resamples=B, corrects=release_id, reason="again")


@pytest.mark.parametrize(("changes", "field"), [
    ({"resamples": 10}, "resamples"), ({"min_n": 1}, "min_n"), ({"max_ci_width": 0}, "max_ci_width"),
])
def test_bad_build_parameters_are_refused_by_name(db, catalogue, changes, field):
    with pytest.raises(InvalidInput) as caught:
        build_release(db, catalogue, CAMPAIGN, **changes)
    assert [e.field for e in caught.value.errors] == [field]


def test_unknown_campaign_and_release(db, catalogue):
    with pytest.raises(NotFound):
        build_release(db, catalogue, "nope", resamples=B)
    with pytest.raises(NotFound):
        resolve_release(db, "0123456789")
