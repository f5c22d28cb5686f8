"""`survey invitations issue|list` on an embedded database."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from survey.cli import main
from survey.registry import CampaignCreate, EnterpriseCreate
from survey.store import registry
from survey.store.engine import Database, make_engine
from survey.store.schema import upgrade
from tests.api.conftest import USCC


@pytest.fixture
def embedded(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/survey.db"
    monkeypatch.setenv("SURVEY_DATABASE_URL", url)
    db = Database(make_engine(url))
    upgrade(db.engine)
    registry.create_campaign(db, CampaignCreate(code="wave-1", title_zh="第一期", title_en="Wave 1",
                                                industries=["automobile"], opens_on=dt.date(2026, 1, 1),
                                                closes_on=dt.date(2026, 12, 31), status="open"))
    enterprise = registry.create_enterprise(db, EnterpriseCreate(uscc=USCC, name="示例", industry="automobile",
                                                                 city="440100"))
    db.dispose()
    return enterprise.id


def test_issue_writes_the_links_and_the_qr_page(embedded, tmp_path, capsys):
    output = tmp_path / "links.csv"
    code = main(["invitations", "issue", "--campaign", "wave-1", "--enterprise", str(embedded), "--count", "3",
                 "--output", str(output), "--base-url", "https://survey.example"])
    assert code == 0, capsys.readouterr().err
    rows = list(csv.DictReader(output.open(encoding="utf-8")))
    assert len(rows) == 3 and all(r["link"].startswith("https://survey.example/i/") for r in rows)
    assert (tmp_path / "links.html").read_text(encoding="utf-8").count("<svg") == 3
    assert main(["invitations", "list", "--campaign", "wave-1"]) == 0
    assert "0 of 3" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "message"), [
    (["--campaign", "nope", "--enterprise", "1", "--count", "3"], "campaign"),
    (["--campaign", "wave-1", "--enterprise", "1", "--count", "0"], "count"),
    (["--campaign", "wave-1", "--enterprise", "99", "--count", "2"], "enterprise"),
])
def test_bad_input_exits_2_with_a_message_and_leaves_no_file(embedded, tmp_path, capsys, args, message):
    output = tmp_path / "x.csv"
    assert main(["invitations", "issue", *args, "--output", str(output)]) == 2
    assert message in capsys.readouterr().err
    assert not output.exists() and not output.with_suffix(".html").exists()


def test_an_existing_file_is_never_replaced(embedded, tmp_path, capsys):
    output = tmp_path / "links.csv"
    output.write_text("earlier tokens")
    assert main(["invitations", "issue", "--campaign", "wave-1", "--enterprise", str(embedded), "--count", "1",
                 "--output", str(output)]) == 2
    assert "exists" in capsys.readouterr().err and output.read_text() == "earlier tokens"
