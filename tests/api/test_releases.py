"""Release pages and open data through the real service; build and publish for administrators."""

import csv
import hashlib
import io
import json

import pytest

from survey.store.engine import Database, make_engine
from tests.api.conftest import ADMIN
from tests.releases.wave import CAMPAIGN, stored_wave


@pytest.fixture
def wave(client, database_url):
    db = Database(make_engine(database_url))
    stored_wave(db, demo=True)
    db.dispose()


@pytest.fixture
def release_id(client, wave):
    built = client.post(f"/api/campaigns/{CAMPAIGN}/runs", headers=ADMIN, json={"resamples": 100, "seed": 9})
    assert built.status_code == 201, built.text
    published = client.post(f"/api/runs/{built.json()['run_id']}/publish", headers=ADMIN)
    assert published.status_code == 201, published.text
    assert published.json()["release_id"] == built.json()["release_id"]
    return published.json()["release_id"]


def test_release_list_and_page_in_both_languages(client, release_id):
    listing = client.get("/releases")
    assert listing.status_code == 200 and release_id in listing.text and "演示" in listing.text
    zh = client.get(f"/releases/{release_id}")
    en = client.get(f"/releases/{release_id}?lang=en")
    assert zh.status_code == en.status_code == 200
    assert 'lang="zh-CN"' in zh.text and 'lang="en"' in en.text
    for page in (zh.text, en.text):
        assert "<svg" in page and "85" in page and "<script" not in page and "http://" not in page.replace(
            "http://www.w3.org/2000/svg", "")
        assert f"/releases/{release_id}/cells.csv" in page and f"/releases/{release_id}/manifest.json" in page


def test_every_download_is_served(client, release_id):
    manifest = client.get(f"/releases/{release_id}/manifest.json").json()
    for name in manifest["files"]:
        if name == "release":
            continue
        as_json = client.get(f"/releases/{release_id}/{name}.json")
        as_csv = client.get(f"/releases/{release_id}/{name}.csv")
        assert as_json.status_code == as_csv.status_code == 200, name
        assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
        rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
        assert len(rows) >= 2
    cells = client.get(f"/releases/{release_id}/cells.json").json()
    assert {c["level"] for c in cells} >= {"programme", "industry", "enterprise", "city"}


def test_every_json_file_is_the_published_bytes_the_manifest_names(client, release_id):
    manifest = client.get(f"/releases/{release_id}/manifest.json").content
    assert hashlib.sha256(manifest).hexdigest() == release_id
    for name, sha256 in json.loads(manifest)["files"].items():  # the campaign fields (release.json) too
        download = client.get(f"/releases/{release_id}/{name}.json")
        assert download.status_code == 200, name
        assert hashlib.sha256(download.content).hexdigest() == sha256, name


def test_json_api_matches_the_page_data(client, release_id):
    entries = client.get("/api/releases").json()
    assert [e["id"] for e in entries] == [release_id] and entries[0]["is_demo"]
    detail = client.get(f"/api/releases/{release_id}").json()
    assert detail["status"] == "current" and detail["manifest"]["campaign"] == CAMPAIGN
    assert detail["tables"]["cells"] == client.get(f"/releases/{release_id}/cells.json").json()
    assert client.get(f"/api/releases/{release_id}/verify").json() == {
        "release_id": release_id, "verified": True, "problems": []}


@pytest.mark.parametrize(("path", "status"), [
    ("/releases/" + "0" * 64, 404), ("/releases/abc", 422), ("/api/releases/" + "0" * 64, 404),
])
def test_unknown_releases(client, path, status):
    assert client.get(path).status_code == status


def test_unknown_file_of_a_release(client, release_id):
    response = client.get(f"/releases/{release_id}/secrets.csv")
    assert response.status_code == 404 and "cells.csv" in response.json()["detail"]


@pytest.mark.parametrize(("body", "field"), [
    ({"resamples": 5}, "resamples"),
    ({"margins": {"automobile": {"city": {"440100": 10}}}}, "margins"),
    ({"margins": {"computer": {"city": {"440100": 10}}}}, "margins.computer"),
    ({"margins": {"automobile": {"age": {"old": 10}}}}, "margins.automobile.age"),
    ({"corrects": "0" * 64}, "reason"),
])
def test_bad_builds_name_the_field(client, wave, body, field):
    response = client.post(f"/api/campaigns/{CAMPAIGN}/runs", headers=ADMIN, json={"resamples": 100, **body})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


def test_building_and_publishing_need_an_administrator(client, wave, release_id):
    assert client.post(f"/api/campaigns/{CAMPAIGN}/runs", json={}).status_code == 401
    assert client.post("/api/runs/1/publish").status_code == 401
    again = client.post("/api/runs/1/publish", headers=ADMIN)
    assert again.status_code == 409 and "published already" in again.json()["detail"]
    assert client.post("/api/runs/999/publish", headers=ADMIN).status_code == 404
    assert client.post("/api/campaigns/nope/runs", headers=ADMIN, json={}).status_code == 404


def test_a_correction_marks_the_old_page_superseded(client, release_id):
    built = client.post(f"/api/campaigns/{CAMPAIGN}/runs", headers=ADMIN, json={
        "resamples": 100, "seed": 9, "min_n": 35, "corrects": release_id, "reason": "suppression threshold"})
    correction = client.post(f"/api/runs/{built.json()['run_id']}/publish", headers=ADMIN).json()["release_id"]
    old = client.get(f"/api/releases/{release_id}").json()
    assert old["status"] == "superseded" and old["superseded_by"] == correction
    page = client.get(f"/releases/{release_id}?lang=en").text
    assert correction[:12] in page
    assert "suppression threshold" in client.get(f"/releases/{correction}?lang=en").text
