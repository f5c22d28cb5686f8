"""Built runs as an administrator reviews them: what went in, the release id to be, and whether it was published."""

import pytest

from survey.errors import NotFound
from survey.releases.pipeline import build_release, publish_release
from survey.releases.runs import get_run, list_runs
from survey.store import releases as store
from tests.releases.wave import CAMPAIGN, stored_wave


def test_runs_are_listed_newest_first_with_what_they_scored(db):
    catalogue = stored_wave(db, respondents=10)
    first = build_release(db, catalogue, CAMPAIGN, resamples=100, seed=1)
    second = build_release(db, catalogue, CAMPAIGN, resamples=100, seed=2, min_n=5)
    publish_release(db, first.run_id)
    runs = list_runs(db, CAMPAIGN)
    assert [r.run_id for r in runs] == [second.run_id, first.run_id]
    assert [r.published for r in runs] == [False, True]
    assert runs[1].release_id == first.release_id and runs[0].seed == 2 and runs[0].resamples == 100
    assert runs[0].received == 160 and 0 < runs[0].included <= 160 and runs[0].series == "programme"
    assert list_runs(db, "other") == [] and len(list_runs(db, limit=1)) == 1
    assert store.count_runs(db, CAMPAIGN) == 2 and store.count_runs(db, "other") == 0
    summary, headline = get_run(db, second.run_id)
    assert summary == runs[0] and headline.min_n == 5
    programme = next(c for c in second.tables.cells if c.level == "programme")
    assert (headline.index, headline.n) == (programme.index, programme.n)


def test_a_run_never_built_is_not_found(db):
    with pytest.raises(NotFound, match="scoring run 7"):
        get_run(db, 7)
