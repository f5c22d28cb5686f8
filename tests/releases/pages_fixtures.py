"""Release tables built by hand for the page, chart and download tests (small, and full-size for the budget)."""

from __future__ import annotations

import pytest

from survey.releases.audit_cells import ApprovedAudit, audit_cells
from survey.regions import load_industries, load_regions
from survey.releases.tables import (DriverRow, IndexCell, ItemDriverRow, Methods, PathRow, QualityRow,
                                    ReleaseTables, SampleRow)

DRIVERS = ("IMAG", "EXPE", "QUAL", "VAL")
CONSTRUCTS = DRIVERS + ("SAT", "LOY")
METHODS = Methods(model_id="after-sales-csi", target=85.0, resamples=1000, seed=20240917, interval="percentile",
                  cluster="enterprise", min_n=30, max_ci_width=10.0,
                  programme_weighting="equal weights of the industry indices", exclusion_rules="standard-v1",
                  weights="equal")


def cell(level, n, index, half=1.5, vs="below", **keys) -> IndexCell:
    """A published cell with a symmetric interval of half-width ``half``."""
    return IndexCell(level=level, n=n, index=index, se=half / 1.96, ci_low=round(index - half, 6),
                     ci_high=round(index + half, 6), status="published", vs_target=vs, **keys)


def hidden(level, n, reason="n<30", **keys) -> IndexCell:
    """A suppressed cell: keys and n, no numbers."""
    return IndexCell(level=level, n=n, index=None, se=None, ci_low=None, ci_high=None, status="suppressed",
                     reason=reason, **keys)


def model_rows(code: str, base: float):
    """Drivers, item drivers, quality and paths of one industry."""
    drivers = tuple(DriverRow(industry=code, construct=c, importance=0.3 + 0.15 * j, performance=base - 4 + 3 * j,
                              rise_needed=None if base >= 85 else round((85 - base) / (0.3 + 0.15 * j), 6),
                              reachable=base - 4 + 3 * j + (85 - base) / (0.3 + 0.15 * j) <= 100)
                    for j, c in enumerate(DRIVERS))
    items = tuple(ItemDriverRow(industry=code, construct=c, item=f"{c.lower()[:3]}{k}", importance=0.03 * (k + j),
                                performance=base - 5 + k) for j, c in enumerate(DRIVERS) for k in (1, 2))
    quality = tuple(QualityRow(industry=code, construct=c, cronbach_alpha=0.8 + 0.01 * j, rho_c=0.88, rho_a=0.86,
                               ave=0.61 + 0.01 * j, r_squared=None if c == "IMAG" else 0.4 + 0.05 * j)
                    for j, c in enumerate(CONSTRUCTS))
    paths = tuple(PathRow(industry=code, source=s, target="SAT", estimate=0.2, ci_low=0.1, ci_high=0.3)
                  for s in DRIVERS)
    return drivers, items, quality, paths


def sample_row(code: str, scored: int, enterprises: int) -> SampleRow:
    return SampleRow(industry=code, received=scored + 17, excluded={"test": 5, "flagged": 4, "incomplete": 8},
                     scored=scored, enterprises=enterprises, iterations=7, converged=True)


def assemble(cells, codes, bases, scored, enterprises, is_demo=True) -> ReleaseTables:
    """Release tables from cells and per-industry model rows."""
    rows = [model_rows(code, base) for code, base in zip(codes, bases)]
    return ReleaseTables(
        campaign="2024-q3", campaign_title_zh="2024年第三季度售后服务满意度测评",
        campaign_title_en="After-sales service satisfaction, Q3 2024", is_demo=is_demo, methods=METHODS,
        cells=tuple(cells), drivers=tuple(r for x in rows for r in x[0]), item_drivers=tuple(r for x in rows for r in x[1]),
        quality=tuple(r for x in rows for r in x[2]), paths=tuple(r for x in rows for r in x[3]),
        sample=tuple(sample_row(code, scored, enterprises) for code in codes),
        audits=audit_cells([ApprovedAudit(id=f"a{k}", version=1, score=score, outlet=k, enterprise=1 + k // 2,
                                          enterprise_name=f"网点企业{1 + k // 2}", industry=codes[0])
                            for k, score in enumerate((96.5, 88.0, 71.25))]))


def small_tables(is_demo: bool = True) -> ReleaseTables:
    """Three industries: automobiles above 85 with a significant change, phones imprecise, e-commerce
    suppressed; four car makers in two rank groups and one suppressed; cities with one suppressed cell."""
    cells = [
        cell("programme", 1200, 82.345678, half=1.2, vs="below", change=1.5, change_low=0.2, change_high=2.8,
             change_significant=True),
        cell("industry", 700, 87.654321, half=1.4, vs="above", industry="automobile", change=2.25, change_low=0.5,
             change_high=4.0, change_significant=True),
        IndexCell(level="industry", industry="mobile_phone", n=480, index=79.1, se=3.0, ci_low=73.2, ci_high=85.0,
                  status="imprecise", reason="ci_width>10", vs_target="not_significant", change=-0.8,
                  change_low=-3.1, change_high=1.5, change_significant=False),
        hidden("industry", 20, industry="e_commerce"),
        cell("enterprise", 250, 90.2, half=2.0, vs="above", industry="automobile", enterprise=1,
             enterprise_name="粤海汽车服务有限公司", rank_group=1),
        cell("enterprise", 240, 88.9, half=2.0, vs="above", industry="automobile", enterprise=2,
             enterprise_name="=HYPERLINK(\"http://evil.example\")", rank_group=1),
        cell("enterprise", 180, 81.0, half=2.5, vs="below", industry="automobile", enterprise=3,
             enterprise_name="Pearl River Motors <Ltd> & Co", rank_group=2),
        hidden("enterprise", 25, industry="automobile", enterprise=4, enterprise_name="小型维修店"),
        cell("city", 600, 83.2, city="440100"),
        cell("city", 550, 81.4, city="440300"),
        hidden("city", 50, reason="secondary", city="440600"),
        cell("industry_city", 400, 88.1, vs="above", industry="automobile", city="440100"),
        cell("industry_city", 300, 86.9, vs="above", industry="automobile", city="440300"),
        hidden("industry_city", 12, industry="mobile_phone", city="440600"),
    ]
    return assemble(cells, ("automobile", "mobile_phone", "e_commerce"), (87.6, 79.1, 70.0), 700, 4, is_demo)


def full_tables() -> ReleaseTables:
    """All ten industries, ten enterprises each and every city: the size of a real provincial release."""
    codes = load_industries().codes()
    cities = [c.code for c in load_regions().cities]
    cells = [cell("programme", 20000, 81.2, change=0.4, change_low=-0.3, change_high=1.1, change_significant=False)]
    for i, code in enumerate(codes):
        base = 74.0 + 1.3 * i
        cells.append(cell("industry", 2000, base, vs="below" if base < 83 else "not_significant", industry=code,
                          change=0.5 - 0.1 * i, change_low=-0.6 - 0.1 * i, change_high=1.6 - 0.1 * i,
                          change_significant=False))
        cells += [cell("enterprise", 200, base + 5 - k, half=2.2, industry=code, enterprise=100 * i + k,
                       enterprise_name=f"广东示例售后服务有限公司{i}-{k}", rank_group=1 + k // 3) for k in range(10)]
        cells += [cell("industry_city", 95, base + (j % 5) - 2, half=3.0, industry=code, city=city)
                  for j, city in enumerate(cities)]
    cells += [cell("city", 950, 80 + (j % 7) * 0.5, city=city) for j, city in enumerate(cities)]
    return assemble(cells, codes, [74.0 + 1.3 * i for i in range(len(codes))], 2000, 10)


@pytest.fixture
def tables() -> ReleaseTables:
    return small_tables()
