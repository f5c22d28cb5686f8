import msgspec
import numpy as np
import pytest

from survey.releases.compute import compute_release, rise_to_target
from survey.releases.rules import STANDARD
from survey.releases.synthetic import CITIES, default_truth, roster, simulate
from survey.scoring import DataError, compute_index, fit, group_index, ipma, load_model, rake

INDUSTRIES = ["automobile", "computer", "mobile_phone"]
ITEMS = {"automobile": [f"auto{i}" for i in range(1, 6)], "computer": [f"comp{i}" for i in range(1, 6)],
         "mobile_phone": [f"phon{i}" for i in range(1, 6)]}
SPEC = load_model("models/after-sales-csi.toml")


def wave(seed=3):
    f = simulate(roster(INDUSTRIES, 8, cities=CITIES[:3], seed=1), 40, industry_items=ITEMS,
                 truth=default_truth(INDUSTRIES), seed=seed)
    f.loc[[0, 1], "is_test"] = True
    f.loc[2, "sat1"] = np.nan
    f.at[3, "flags"] = ("speeding",)
    return f


def release(frame, **kw):
    return compute_release(frame, SPEC, industry_items=ITEMS, campaign="demo-2026", campaign_title_zh="演示",
                           campaign_title_en="Demo", is_demo=True, rule_set=STANDARD,
                           **{"resamples": 200, "seed": 7, **kw})


@pytest.fixture(scope="module")
def tables():
    return release(wave())


def cells(tables, level):
    return [c for c in tables.cells if c.level == level]


def test_every_level_and_sample_counts(tables):
    assert len(cells(tables, "programme")) == 1
    assert {c.industry for c in cells(tables, "industry")} == set(INDUSTRIES)
    assert len(cells(tables, "enterprise")) == 24
    assert {c.city for c in cells(tables, "city")} <= set(CITIES[:3]) and cells(tables, "industry_city")
    auto = next(s for s in tables.sample if s.industry == "automobile")
    assert auto.excluded == {"test": 2, "flagged": 1, "incomplete": 1}
    assert auto.received == 320 and auto.scored == 316 and auto.enterprises == 8 and auto.converged
    assert sum(c.n for c in cells(tables, "enterprise") if c.industry == "automobile") == 316
    assert tables.methods.exclusion_rules == "standard-v1" and tables.methods.resamples == 200


def test_indices_are_the_fitted_weights_on_the_item_means(tables):
    f = wave()
    for code in INDUSTRIES:
        rows = f[(f.industry == code) & ~f.is_test & (f["flags"].map(len) == 0) & f.sat1.notna()]
        result = fit(SPEC.with_items("QUAL", ITEMS[code]), rows, scores=False)
        idx = compute_index(result)
        sat = [i for i, item in enumerate(idx.items) if item.startswith("sat")]
        by_hand = float(idx.weights[sat] @ ((rows[[idx.items[i] for i in sat]].mean().to_numpy() - 1) / 9 * 100))
        cell = next(c for c in cells(tables, "industry") if c.industry == code)
        assert cell.index == pytest.approx(by_hand, abs=1e-6)
        groups = group_index(result, rows, "enterprise")
        for e, value in zip(groups.groups, groups.index):
            mine = next(c for c in cells(tables, "enterprise") if c.enterprise == e)
            assert mine.index == pytest.approx(value, abs=1e-6)
    industries = [c.index for c in cells(tables, "industry")]
    assert cells(tables, "programme")[0].index == pytest.approx(np.mean(industries), abs=1e-5)


def test_intervals_contain_the_estimates(tables):
    shown = [c for c in tables.cells if c.status != "suppressed"]
    assert len(shown) > 30
    for c in shown:
        assert c.ci_low <= c.index <= c.ci_high and c.se > 0
        assert c.vs_target == ("above" if c.ci_low > 85 else "below" if c.ci_high < 85 else "not_significant")
    for p in tables.paths:
        assert p.ci_low <= p.estimate <= p.ci_high


def test_byte_identical_rebuild(tables):
    assert msgspec.json.encode(release(wave())) == msgspec.json.encode(tables)
    assert msgspec.json.encode(release(wave(), seed=8)) != msgspec.json.encode(tables)


def test_change_against_previous(tables):
    later = release(wave(seed=4), previous=tables)
    before = {(c.level, c.industry, c.enterprise, c.city): c for c in tables.cells}
    compared = 0
    for c in later.cells:
        old = before.get((c.level, c.industry, c.enterprise, c.city))
        if c.index is None or old is None or old.index is None:
            assert c.change is None
            continue
        compared += 1
        assert c.change == pytest.approx(c.index - old.index, abs=2e-6)
        half = 1.959963984540054 * np.hypot(c.se, old.se)
        assert c.change_low == pytest.approx(c.change - half, abs=1e-5)
        assert c.change_significant == (c.change_low > 0 or c.change_high < 0)
    assert compared > 20
    assert all(c.change is None for c in tables.cells)


def test_rank_groups_are_monotone_and_never_separate_overlaps(tables):
    for code in INDUSTRIES:
        ranked = sorted((c for c in cells(tables, "enterprise") if c.industry == code and c.rank_group),
                        key=lambda c: -c.index)
        assert ranked[0].rank_group == 1
        groups = [c.rank_group for c in ranked]
        assert groups == sorted(groups) and all(b - a in (0, 1) for a, b in zip(groups, groups[1:]))
        for group in set(groups):
            members = [c for c in ranked if c.rank_group == group]
            assert all(c.ci_high >= members[0].ci_low for c in members)
            later = [c for c in ranked if c.rank_group == group + 1]
            assert not later or later[0].ci_high < members[0].ci_low


def test_ipma_rise_reaches_the_target(tables):
    f = wave()
    rows = f[(f.industry == "automobile") & ~f.is_test & (f["flags"].map(len) == 0) & f.sat1.notna()]
    result = fit(SPEC.with_items("QUAL", ITEMS["automobile"]), rows, scores=False)
    imp = ipma(result, 85.0)
    assert imp.index < 85
    for d in imp.constructs:
        needed, reachable = rise_to_target(imp.index, 85.0, d.importance, d.performance)
        assert imp.index + d.importance * needed == pytest.approx(85.0, abs=1e-9)
        assert reachable == (d.performance + needed <= 100)
        row = next(r for r in tables.drivers if r.industry == "automobile" and r.construct == d.construct)
        assert row.rise_needed == pytest.approx(needed, abs=1e-6) and row.reachable == reachable
    assert {r.construct for r in tables.drivers} == {"IMAG", "EXPE", "QUAL", "VAL"}
    assert rise_to_target(86.0, 85.0, 0.3, 80.0) == (None, True)
    assert rise_to_target(80.0, 85.0, 0.0, 80.0) == (None, False)
    assert len([r for r in tables.item_drivers if r.industry == "automobile"]) == 3 + 3 + 11 + 2


def test_quality_rows(tables):
    rows = [q for q in tables.quality if q.industry == "computer"]
    assert {q.construct for q in rows} == {"IMAG", "EXPE", "QUAL", "VAL", "SAT", "LOY"}
    assert next(q for q in rows if q.construct == "IMAG").r_squared is None
    assert all(0 < q.ave <= 1 and q.rho_c > 0.5 for q in rows)


def test_small_cells_suppressed_and_bca_interval():
    f = wave()
    f = f[~((f.industry == "computer") & (f.enterprise == 9) & (f.index % 2 == 0))]  # enterprise 9: 20 answers
    t = release(f, interval="bca", min_n=30)
    e9 = next(c for c in t.cells if c.enterprise == 9)
    assert e9.status == "suppressed" and e9.index is None and e9.reason == "n<30"
    secondary = [c for c in t.cells if c.level == "enterprise" and c.industry == "computer" and c.reason == "secondary"]
    assert len(secondary) == 1
    assert t.methods.interval == "bca"


def test_raked_weights_and_population_shares():
    f = wave()
    present = f.groupby("industry")["city"].unique()
    margins = {code: {"city": {city: 1000.0 * (k + 1) * (j + 1) / len(present[code])
                               for j, city in enumerate(sorted(present[code]))}} for k, code in enumerate(INDUSTRIES)}
    t = release(f, margins=margins, resamples=50)
    with pytest.raises(DataError):
        release(f, margins={"automobile": {"city": {"440100": 1.0}}}, resamples=10)
    assert "population" in t.methods.programme_weighting and t.methods.weights.startswith("raked")
    industry = {c.industry: c.index for c in cells(t, "industry")}
    size = np.array([sum(margins[c]["city"].values()) for c in INDUSTRIES])
    assert cells(t, "programme")[0].index == pytest.approx(size @ [industry[c] for c in INDUSTRIES] / size.sum(),
                                                           abs=1e-5)
    rows = f[(f.industry == "mobile_phone") & ~f.is_test & (f["flags"].map(len) == 0) & f.sat1.notna()]
    rows = rows.reset_index(drop=True)
    w = rake(rows, margins["mobile_phone"]).weights
    result = fit(SPEC.with_items("QUAL", ITEMS["mobile_phone"]), rows, weights=w, scores=False)
    assert industry["mobile_phone"] == pytest.approx(compute_index(result).index, abs=1e-6)


def test_progress_is_reported():
    seen = []
    release(wave(), resamples=20, progress=lambda stage, fraction: seen.append((stage, fraction)))
    assert {s for s, _ in seen} == {"weights", "fit", "bootstrap", "tables"} and seen[-1] == ("tables", 1.0)


def test_an_industry_that_cannot_be_fitted_is_suppressed():
    f = wave()
    f = f[(f.industry != "computer") | (f.index < 330)]  # computer keeps 10 responses of one enterprise
    t = release(f, resamples=20)
    computer = next(c for c in cells(t, "industry") if c.industry == "computer")
    assert computer.status == "suppressed" and computer.index is None
    assert not next(s for s in t.sample if s.industry == "computer").converged
    assert not [c for c in t.cells if c.industry == "computer" and c.level != "industry"]
    assert {d.industry for d in t.drivers} == {"automobile", "mobile_phone"}
    shown = [c.index for c in cells(t, "industry") if c.index is not None]
    assert cells(t, "programme")[0].index == pytest.approx(np.mean(shown), abs=1e-5)


def test_an_empty_wave_gives_empty_tables():
    t = release(wave().iloc[:0], resamples=20)
    assert t.cells == () and t.sample == () and t.drivers == ()
