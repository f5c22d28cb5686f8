"""`survey release build|publish|verify|list`: messages and exit codes."""

import re

import pytest

from survey.cli import main
from survey.store.engine import Database, make_engine
from tests.releases.test_pipeline import tamper
from tests.releases.wave import CAMPAIGN, stored_wave


@pytest.fixture
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/survey.db"
    monkeypatch.setenv("SURVEY_DATABASE_URL", url)
    from survey.store.schema import upgrade

    database = Database(make_engine(url))
    upgrade(database.engine)
    stored_wave(database)
    yield database
    database.dispose()


def test_build_publish_verify_list(db, capsys):
    assert main(["release", "build", "--campaign", CAMPAIGN, "--resamples", "100"]) == 0
    out, err = capsys.readouterr()
    run, release_id = re.search(r"run (\d+): release ([0-9a-f]{64})", out).groups()
    assert "bootstrap" in err and "done in" in err
    assert main(["runs", "list", "--campaign", CAMPAIGN]) == 0
    listed = capsys.readouterr().out
    assert re.search(rf"^\s*{run}  .* \d+ of 640\s+scored .* not published\s+{release_id}$", listed, re.M), listed
    assert main(["release", "publish", run]) == 0
    assert release_id in capsys.readouterr().out
    assert main(["runs", "list"]) == 0
    assert re.search(rf"\bpublished\s+{release_id}$", capsys.readouterr().out, re.M)
    assert main(["release", "verify", release_id[:12], "--rebuild"]) == 0
    assert "rebuilt byte for byte" in capsys.readouterr().out
    assert main(["release", "list"]) == 0
    assert release_id in capsys.readouterr().out
    tamper(db, "UPDATE release_file SET content = content || ' ' WHERE name = 'paths'")
    assert main(["release", "verify", release_id]) == 1
    assert "FAILED paths: sha256" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "message"), [
    (["release", "build", "--campaign", "nope"], "not found: campaign 'nope'"),
    (["release", "build", "--campaign", CAMPAIGN, "--resamples", "3"], "resamples: must be"),
    (["release", "build", "--campaign", CAMPAIGN, "--margins", "/no/such/file"], "cannot read"),
    (["release", "build", "--campaign", CAMPAIGN, "--corrects", "abcdefabcdef"], "reason: a correction"),
    (["release", "publish", "42"], "not found: scoring run 42"),
    (["release", "verify", "abc"], "not found: release 'abc'"),
    (["runs", "list", "--campaign", "nope"], "not found: campaign 'nope'"),
    (["runs", "list", "--limit", "0"], "--limit: must be 1-1000"),
])
def test_bad_input_is_a_message_and_exit_2(db, capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_margins_file_is_checked(db, tmp_path, capsys):
    path = tmp_path / "margins.json"
    path.write_text('{"automobile": {"city": {"440100": "many"}}}')
    assert main(["release", "build", "--campaign", CAMPAIGN, "--margins", str(path)]) == 2
    assert "not raking margins" in capsys.readouterr().err
