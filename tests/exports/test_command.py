import io

import pandas as pd
import pytest

from survey.cli import main
from survey.store.engine import Database, make_engine
from tests.releases.wave import CAMPAIGN, stored_wave


@pytest.fixture
def database(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/survey.db"
    monkeypatch.setenv("SURVEY_DATABASE_URL", url)
    main(["db", "upgrade"])
    db = Database(make_engine(url))
    stored_wave(db)
    db.dispose()
    return tmp_path


@pytest.mark.parametrize("name", ["csv", "xlsx", "sav", "parquet", "codebook", "codebook-json"])
def test_each_format_is_written_whole(database, capsys, name):
    target = database / f"out.{name}"
    assert main(["export", "--campaign", CAMPAIGN, "--format", name, "--output", str(target)]) == 0
    assert target.stat().st_size > 0 and not [p for p in database.iterdir() if p.name.endswith(".partial")]
    message = capsys.readouterr().err
    assert (f"640 responses to {target}" if name in ("csv", "xlsx", "sav", "parquet") else "columns to") in message


def test_filters_and_standard_output(database, capsys, monkeypatch):
    out = io.BytesIO()
    monkeypatch.setattr("sys.stdout", io.TextIOWrapper(out))
    assert main(["export", "--campaign", CAMPAIGN, "--format", "csv", "--output", "-", "--industry", "automobile",
                 "--city", "440100", "--city", "440200", "--flags", "unflagged"]) == 0
    frame = pd.read_csv(io.BytesIO(out.getvalue()), encoding="utf-8-sig", dtype={"city": str})
    assert len(frame) > 0 and set(frame["industry"]) == {"automobile"} and set(frame["city"]) <= {"440100", "440200"}


@pytest.mark.parametrize(("arguments", "message"), [
    (["--campaign", "nope"], "not found: campaign 'nope'"),
    (["--industry", "computer"], "--industry: campaign wave-t does not cover 'computer'"),
    (["--city", "999999"], "--city: unknown city '999999'"),
    (["--city", "12"], "at `--city[0]`"),
    (["--enterprise", "4242"], "--enterprise: no enterprise 4242"),
])
def test_bad_input_is_a_message_and_exit_2(database, capsys, arguments, message):
    target = database / "out.csv"
    given = ["export", "--campaign", CAMPAIGN, "--format", "csv", "--output", str(target)] + arguments
    assert main(given) == 2
    assert message in capsys.readouterr().err and not target.exists()


def test_an_unwritable_output_is_a_message_and_exit_2(database, capsys):
    assert main(["export", "--campaign", CAMPAIGN, "--format", "csv", "--output", str(database / "no" / "x.csv")]) == 2
    assert "No such file or directory" in capsys.readouterr().err
