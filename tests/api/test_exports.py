"""The export download: administrators only, streamed, with the format's type and file name."""

import io

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
import pytest

from survey.store.engine import Database, make_engine
from tests.api.conftest import ADMIN
from tests.releases.wave import CAMPAIGN, stored_wave

URL = f"/api/campaigns/{CAMPAIGN}/export"


@pytest.fixture
def wave(client, database_url):
    db = Database(make_engine(database_url))
    stored_wave(db)
    db.dispose()
    return client


def test_csv_download(wave):
    answer = wave.get(URL, params={"format": "csv"}, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == f'attachment; filename="{CAMPAIGN}-responses.csv"'
    assert answer.content.startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(io.BytesIO(answer.content), encoding="utf-8-sig")
    assert len(frame) == 640 and frame.columns[0] == "id"


def test_other_formats_and_labels(wave, tmp_path):
    answer = wave.get(URL, params={"format": "sav", "labels": "en", "industry": "e_commerce"}, headers=ADMIN)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/x-spss-sav"
    (tmp_path / "x.sav").write_bytes(answer.content)
    frame, meta = pyreadstat.read_sav(tmp_path / "x.sav")
    assert len(frame) == 320 and meta.variable_value_labels["industry"] == {10: "e-commerce"}
    answer = wave.get(URL, params={"format": "parquet", "city": ["440100", "440200"]}, headers=ADMIN)
    table = pq.read_table(io.BytesIO(answer.content))
    assert 0 < table.num_rows < 640 and set(table.column("city").to_pylist()) <= {"440100", "440200"}
    answer = wave.get(URL, params={"format": "xlsx", "flags": "flagged"}, headers=ADMIN)
    assert answer.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(answer.content))["responses"].max_row == 1  # no flags: the header only
    answer = wave.get(URL, params={"format": "codebook-json"}, headers=ADMIN)
    assert answer.headers["content-disposition"].endswith(f'{CAMPAIGN}-codebook.json"')
    assert answer.json()["columns"][0]["code"] == "id"


def test_administrators_only(wave):
    assert wave.get(URL, params={"format": "csv"}).status_code == 401
    assert wave.get(URL, params={"format": "csv"}, headers={"Authorization": "Bearer wrong"}).status_code in (401, 403)


@pytest.mark.parametrize(("params", "field"), [
    ({"format": "pdf"}, "format"),
    ({}, "format"),
    ({"format": "csv", "flags": "maybe"}, "flags"),
    ({"format": "csv", "industry": "computer"}, "industry"),
    ({"format": "csv", "industry": "Bad!"}, "industry"),
    ({"format": "csv", "city": "999999"}, "city"),
    ({"format": "csv", "enterprise": "4242"}, "enterprise"),
    ({"format": "csv", "enterprise": "x"}, "enterprise"),
])
def test_bad_query_is_422_naming_the_field(wave, params, field):
    answer = wave.get(URL, params=params, headers=ADMIN)
    assert answer.status_code == 422, answer.text
    named = [f"{error['field']}: {error['reason']}" for error in answer.json()["errors"]]
    assert any(text.startswith(f"{field}:") or f"'{field}'" in text for text in named), named


def test_unknown_campaign_is_404(wave):
    assert wave.get("/api/campaigns/nope/export", params={"format": "csv"}, headers=ADMIN).status_code == 404
