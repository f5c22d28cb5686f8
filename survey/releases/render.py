"""The public release pages: the list of releases and one page per release, Chinese first, no scripts, phone first."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from importlib import resources

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from survey.regions import load_regions
from survey.releases import charts
from survey.releases.tables import IndexCell, ReleaseEntry, ReleaseTables

MARKS = {"above": "▲", "below": "▼", "not_significant": "≈"}


@cache
def words() -> dict[str, tuple[str, str]]:
    """Every page label as (Chinese, English), from templates/words.toml."""
    text = resources.files("survey.releases").joinpath("templates", "words.toml").read_text("utf-8")
    return {key: (zh, en) for key, (zh, en) in tomllib.loads(text).items()}


@cache
def environment() -> Environment:
    """The template environment: package templates, autoescaped, strict about missing names."""
    env = Environment(loader=PackageLoader("survey.releases", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["short"] = lambda value: f"{value:g}"
    return env


def render_release_list(entries: Sequence[ReleaseEntry], *, locale: str, link: Callable[[str], str],
                        switch_url: str) -> str:
    """All releases, newest first, each with its programme index and interval."""
    ordered = sorted(entries, key=lambda e: (e.published_at, e.id), reverse=True)
    return _render("list.html", locale, switch_url, entries=ordered, link=link,
                   any_demo=any(e.is_demo for e in entries))


def render_release(tables: ReleaseTables, *, locale: str, release_id: str, published_at: str, status: str,
                   supersedes: str | None, superseded_by: str | None, correction_reason: str | None,
                   previous_id: str | None, downloads: Mapping[str, str], switch_url: str,
                   link: Callable[[str], str]) -> str:
    """One release: banners, headline, industries, charts, enterprises, cities, drivers, quality, methods."""
    industries = charts.ordered_industries(tables)
    by_level: dict[str, list[IndexCell]] = {}
    for cell in tables.cells:
        by_level.setdefault(cell.level, []).append(cell)
    programme = by_level.get("programme", [None])[0]
    return _render(
        "release.html", locale, switch_url, tables=tables, methods=tables.methods, release_id=release_id,
        published_at=published_at, status=status, supersedes=supersedes, superseded_by=superseded_by,
        correction_reason=correction_reason, previous_id=previous_id, downloads=downloads, link=link,
        programme=programme, industries=charts.industry_cells(tables),
        enterprises={code: ranked([c for c in by_level.get("enterprise", []) if c.industry == code])
                     for code in industries},
        cities=by_city(by_level.get("city", [])),
        industry_city={code: by_city([c for c in by_level.get("industry_city", []) if c.industry == code])
                       for code in industries},
        drivers={code: [d for d in tables.drivers if d.industry == code] for code in industries},
        item_drivers={code: [d for d in tables.item_drivers if d.industry == code] for code in industries},
        quality={code: [q for q in tables.quality if q.industry == code] for code in industries},
        samples=[s for code in industries for s in tables.sample if s.industry == code],
        rule_names=list(dict.fromkeys(rule for s in tables.sample for rule in s.excluded)),
        index_chart=Markup(charts.index_chart(tables, locale)),
        change_chart=Markup(charts.change_chart(tables, locale)),
        captions={key: charts.label(key, locale) for key in ("index", "change")},
        ipma_charts={code: Markup(charts.ipma_chart(tables, locale, code)) for code in industries
                     if any(d.industry == code for d in tables.drivers)},
        industry_name=lambda code: charts.industry_name(code, locale),
        construct_name=lambda code: charts.construct_name(code, locale))


def ranked(cells: list[IndexCell]) -> list[IndexCell]:
    """Enterprises by rank group, by name within a group (no order inside a group), the unpublished last."""
    return sorted(cells, key=lambda c: (c.rank_group is None, c.rank_group or 0, c.enterprise_name or "",
                                        c.enterprise or 0))


def by_city(cells: list[IndexCell]) -> list[IndexCell]:
    """City cells in the order of the region list, unknown codes after them."""
    order = {city.code: k for k, city in enumerate(load_regions().cities)}
    return sorted(cells, key=lambda c: (order.get(c.city or "", len(order)), c.city or ""))


def city_name(code: str | None, locale: str) -> str:
    """A city's name from the region list; unknown codes as they are."""
    found = [c for c in load_regions().cities if c.code == code]
    return found[0].name(locale) if found else str(code)


def number(value: float | None, digits: int = 1) -> str:
    """A published number for reading; "—" when there is none."""
    return "—" if value is None else f"{value:.{digits}f}"


def interval(low: float | None, high: float | None, digits: int = 1) -> str:
    """An interval as "low–high"; "—" without one."""
    return "—" if low is None or high is None else f"{low:.{digits}f}–{high:.{digits}f}"


def change(cell: IndexCell) -> str:
    """The change since the previous release, signed, with * when significant."""
    if cell.change is None:
        return "—"
    return f"{cell.change:+.1f}{'*' if cell.change_significant else ''}"


def _render(template: str, locale: str, switch_url: str, **context: object) -> str:
    en = locale == "en"
    w = {key: pair[en] for key, pair in words().items()}

    def reason(cell: IndexCell) -> str:
        """Why a cell is suppressed or imprecise, in words."""
        text = cell.reason or ""
        key = ("reason_n" if text.startswith("n<") else "reason_secondary" if text == "secondary" else
               "reason_width" if text.startswith("ci_width") else "reason_no_interval" if text == "no interval" else "")
        return w[key] if key else text

    return environment().get_template(template).render(
        lang="en" if en else "zh-CN", switch_lang="zh-CN" if en else "en", switch_url=switch_url, en=en, w=w,
        marks=MARKS, number=number, interval=interval, change=change, reason=reason,
        city_name=lambda code: city_name(code, locale), **context)
