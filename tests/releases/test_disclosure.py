import pytest

from survey.releases.disclosure import disclose
from survey.releases.tables import IndexCell


def c(level, n, index=80.0, width=4.0, **keys):
    return IndexCell(level=level, n=n, index=index, se=1.0, ci_low=index - width / 2, ci_high=index + width / 2,
                     status="published", vs_target="below", **keys)


def by(cells):
    return {(x.level, x.industry, x.enterprise, x.city): x for x in cells}


def test_primary_rules():
    cells = (c("industry", 300, industry="a"), c("enterprise", 29, industry="a", enterprise=1),
             c("enterprise", 100, industry="a", enterprise=2, width=12.0),
             c("enterprise", 100, industry="a", enterprise=3),
             IndexCell(level="enterprise", industry="a", enterprise=4, n=71, index=80.0, se=None, ci_low=None,
                       ci_high=None, status="published"))
    out = by(disclose(cells, min_n=30, max_ci_width=10.0))
    small = out["enterprise", "a", 1, None]
    assert small.status == "suppressed" and small.reason == "n<30" and small.n == 29
    assert small.index is None and small.ci_low is None and small.vs_target is None
    assert out["enterprise", "a", 2, None].status == "imprecise"
    assert out["enterprise", "a", 2, None].reason == "ci_width>10"
    assert out["enterprise", "a", 4, None].reason == "no interval"
    assert out["industry", "a", None, None].status == "published"


def test_secondary_suppresses_the_smallest_sibling():
    cells = (c("industry", 300, industry="a"), c("enterprise", 20, industry="a", enterprise=1),
             c("enterprise", 120, industry="a", enterprise=2), c("enterprise", 60, industry="a", enterprise=3),
             c("enterprise", 100, industry="a", enterprise=4))
    out = by(disclose(cells))
    assert out["enterprise", "a", 3, None].status == "suppressed"
    assert out["enterprise", "a", 3, None].reason == "secondary"
    assert [out["enterprise", "a", e, None].status for e in (2, 4)] == ["published", "published"]


def test_no_secondary_when_two_are_hidden_or_the_total_is():
    cells = (c("industry", 300, industry="a"), c("enterprise", 20, industry="a", enterprise=1),
             c("enterprise", 25, industry="a", enterprise=2), c("enterprise", 255, industry="a", enterprise=3))
    assert by(disclose(cells))["enterprise", "a", 3, None].status == "published"
    cells = (c("industry", 25, industry="b"), c("enterprise", 20, industry="b", enterprise=5),
             c("enterprise", 5, industry="b", enterprise=6))
    assert all(x.status == "suppressed" and x.reason == "n<30" for x in disclose(cells))


def test_secondary_cascades_across_groups():
    # city X: a x X hidden (n<30) -> within industry a, the smallest sibling a x Y goes; that exposes city Y,
    # where b x Y must go too.
    cells = (c("industry", 200, industry="a"), c("industry", 200, industry="b"),
             c("city", 110, city="X"), c("city", 140, city="Y"),
             c("industry_city", 20, industry="a", city="X"), c("industry_city", 40, industry="a", city="Y"),
             c("industry_city", 140, industry="a", city="Z"),
             c("industry_city", 90, industry="b", city="X"), c("industry_city", 100, industry="b", city="Y"),
             c("industry_city", 10, industry="b", city="W"))
    out = disclose(cells)
    hidden = {(x.industry, x.city): x.reason for x in out if x.status == "suppressed"}
    assert hidden[("a", "X")] == "n<30" and hidden[("b", "W")] == "n<30"
    assert hidden[("a", "Y")] == "secondary"
    assert_nothing_recoverable(out)


def test_lone_child_hides_the_total():
    cells = (c("city", 40, city="X"), IndexCell(level="industry_city", industry="a", city="X", n=40, index=80.0,
                                                 se=None, ci_low=None, ci_high=None, status="published"))
    out = by(disclose(cells))
    assert out["city", None, None, "X"].reason == "secondary"


def assert_nothing_recoverable(cells):
    from survey.releases.disclosure import groups
    from survey.releases.cells import key
    current = {key(x): x for x in cells}
    for total, children in groups(cells):
        hidden = [k for k in children if current[k].status == "suppressed"]
        assert len(hidden) != 1 or current[total].status == "suppressed"


@pytest.mark.parametrize("seed", range(20))
def test_random_layouts_leave_nothing_recoverable(seed):
    import numpy as np
    rng = np.random.default_rng(seed)
    cells = [c("industry", 500, industry=i) for i in "ab"] + [c("city", 500, city=x) for x in "XYZ"]
    cells += [c("industry_city", int(rng.integers(5, 80)), industry=i, city=x) for i in "ab" for x in "XYZ"]
    cells += [c("enterprise", int(rng.integers(5, 80)), industry=i, enterprise=e) for i in "ab" for e in range(4)]
    out = disclose(tuple(cells))
    assert_nothing_recoverable(out)
    assert [key for key in out] and len(out) == len(cells)
