"""`survey quality check|flags|override` on an embedded database holding a small synthetic wave."""

from __future__ import annotations

import pytest

from survey.cli import main
from survey.store.engine import Database, make_engine
from survey.store.schema import upgrade
from tests.releases.wave import CAMPAIGN, stored_wave


@pytest.fixture
def embedded(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/survey.db"
    monkeypatch.setenv("SURVEY_DATABASE_URL", url)
    db = Database(make_engine(url))
    upgrade(db.engine)
    stored_wave(db, respondents=10)
    db.dispose()


def test_check_then_review_then_override(embedded, capsys):
    assert main(["quality", "check", "--campaign", CAMPAIGN]) == 0
    out = capsys.readouterr().out
    assert "160 responses checked with rule set quality-v1" in out and "straight_lining" in out
    assert main(["quality", "flags", "--campaign", CAMPAIGN, "--standing", "--limit", "1"]) == 0
    response, rule = capsys.readouterr().out.split()[:2]
    assert main(["quality", "override", response, rule, "--reason", "checked with the customer"]) == 0
    assert "no longer excludes" in capsys.readouterr().out
    assert main(["quality", "flags", "--campaign", CAMPAIGN, "--overridden"]) == 0
    assert "checked with the customer" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "message"), [
    (["check", "--campaign", "nope"], "not found"),
    (["override", "not-a-uuid", "speeder", "--reason", "because"], "UUID"),
    (["override", "00000000-0000-0000-0000-000000000001", "speeder", "--reason", "x"], "3-400"),
    (["override", "00000000-0000-0000-0000-000000000001", "speeder", "--reason", "because"], "not found"),
    (["flags", "--campaign", CAMPAIGN, "--limit", "0"], "--limit"),
])
def test_bad_input_exits_2_with_a_message(embedded, capsys, args, message):
    assert main(["quality", *args]) == 2
    assert message in capsys.readouterr().err
