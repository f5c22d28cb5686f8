"""`survey campaigns|enterprises|outlets list|create|update` on an embedded database."""

from __future__ import annotations

import pytest

from survey.cli import main
from survey.store import registry
from survey.store.engine import Database, make_engine
from survey.store.schema import upgrade

USCC = "91350100M000100Y43"


@pytest.fixture
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/survey.db"
    monkeypatch.setenv("SURVEY_DATABASE_URL", url)
    database = Database(make_engine(url))
    upgrade(database.engine)
    yield database
    database.dispose()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_campaign_is_created_listed_and_updated(db, capsys):
    code, out, _ = run(capsys, "campaigns", "create", "2026-spring", "--title-zh", "2026年春季", "--title-en",
                       "Spring 2026", "--industry", "automobile", "--industry", "computer", "--opens-on", "2026-03-01",
                       "--closes-on", "2026-05-31", "--invitations-only")
    assert code == 0 and "created campaign 1" in out and "draft" in out and "invitations only" in out
    code, out, _ = run(capsys, "campaigns", "update", "2026-spring", "--status", "open", "--closes-on", "2026-06-30",
                       "--open-links")
    assert code == 0 and "open" in out and "2026-06-30" in out and "open links" in out
    code, out, _ = run(capsys, "campaigns", "list")
    assert code == 0 and "2026-spring" in out and "automobile,computer" in out
    stored = registry.find_campaign(db, "2026-spring")
    assert stored.status == "open" and stored.open_links is True and stored.title_en == "Spring 2026"


@pytest.mark.parametrize(("argv", "message"), [
    (["create", "Bad Code", "--title-zh", "甲", "--title-en", "A", "--industry", "automobile", "--opens-on",
      "2026-03-01", "--closes-on", "2026-04-01"], "CODE: Expected `str` matching regex"),
    (["create", "wave-2", "--title-zh", "甲", "--title-en", "A", "--industry", "shoes", "--opens-on",
      "2026-03-01", "--closes-on", "2026-04-01"], "--industry: unknown industry 'shoes'"),
    (["create", "wave-2", "--title-zh", "甲", "--title-en", "A", "--industry", "automobile", "--opens-on",
      "2026-03-01", "--closes-on", "2026-02-01"], "--closes-on: must not be before opens_on"),
    (["create", "wave-2", "--title-zh", "甲", "--title-en", "A", "--industry", "automobile", "--opens-on",
      "March", "--closes-on", "2026-04-01"], "--opens-on: Invalid RFC3339 encoded date"),
    (["update", "nope", "--status", "open"], "not found: campaign 'nope'"),
])
def test_bad_campaign_input_names_the_option_and_exits_2(db, capsys, argv, message):
    code, _, err = run(capsys, "campaigns", *argv)
    assert code == 2 and message in err, err
    assert registry.list_campaigns(db)[1] == 0


def test_enterprises_and_outlets_are_created_listed_and_updated(db, capsys):
    code, out, _ = run(capsys, "enterprises", "create", "--uscc", USCC, "--name", "示例汽车", "--industry",
                       "automobile", "--city", "440100")
    assert code == 0 and "created enterprise 1" in out
    code, out, err = run(capsys, "enterprises", "list", "--industry", "automobile", "--city", "440100")
    assert code == 0 and "示例汽车" in out and "1 of 1 enterprises" in err
    code, out, err = run(capsys, "enterprises", "list", "--city", "440300")
    assert "示例汽车" not in out and "0 of 0" in err
    code, out, _ = run(capsys, "enterprises", "update", "1", "--name", "示例汽车服务")
    assert code == 0 and "示例汽车服务" in out
    code, out, _ = run(capsys, "outlets", "create", "--enterprise", "1", "--name", "天河站", "--city", "440100",
                       "--address", "天河路1号", "--latitude", "23.13", "--longitude", "113.32")
    assert code == 0 and "created outlet 1" in out and "(23.13000, 113.32000)" in out
    code, out, _ = run(capsys, "outlets", "update", "1", "--address", "天河路2号")
    assert code == 0 and "天河路2号" in out
    code, out, err = run(capsys, "outlets", "list", "--enterprise", "1")
    assert code == 0 and "天河站" in out and "1 of 1 outlets" in err
    assert registry.get_outlet(db, 1).address == "天河路2号" and registry.get_enterprise(db, 1).name == "示例汽车服务"


@pytest.mark.parametrize(("argv", "message"), [
    (["enterprises", "create", "--uscc", USCC[:17] + "0", "--name", "甲", "--industry", "automobile", "--city",
      "440100"], "--uscc: check character is '0'"),
    (["enterprises", "create", "--uscc", USCC, "--name", "甲", "--industry", "automobile", "--city", "110000"],
     "--city: 110000 is not a city of Guangdong"),
    (["enterprises", "update", "9", "--name", "甲"], "not found: enterprise 9"),
    (["enterprises", "list", "--limit", "0"], "--limit: must be 1-1000"),
    (["outlets", "create", "--enterprise", "9", "--name", "甲", "--city", "440100", "--address", "路"],
     "--enterprise: no such enterprise"),
    (["outlets", "list", "--enterprise", "9"], "not found: enterprise 9"),
])
def test_bad_registry_input_names_the_option_and_exits_2(db, capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert code == 2 and message in err, err


def test_an_outlet_position_needs_both_coordinates(db, capsys):
    run(capsys, "enterprises", "create", "--uscc", USCC, "--name", "甲", "--industry", "automobile", "--city", "440100")
    code, _, err = run(capsys, "outlets", "create", "--enterprise", "1", "--name", "乙", "--city", "440100",
                       "--address", "路", "--latitude", "23.1")
    assert code == 2 and "--longitude: give latitude and longitude together" in err
    code, _, err = run(capsys, "outlets", "create", "--enterprise", "1", "--name", "乙", "--city", "440100",
                       "--address", "路", "--latitude", "91", "--longitude", "113")
    assert code == 2 and "--latitude: Expected `float` <= 90" in err
