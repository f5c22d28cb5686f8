import re
from html.parser import HTMLParser

import pytest

from survey.releases.render import render_release, render_release_list, words
from survey.releases.tables import ReleaseEntry
from tests.releases.pages_fixtures import full_tables, small_tables, tables  # noqa: F401  (fixture)

ID, NEWER, PREVIOUS = "a1" * 32, "b2" * 32, "c3" * 32
DOWNLOADS = {"cells.csv": "/releases/a1/cells.csv", "cells.json": "/releases/a1/cells.json"}


def page(tables, locale="zh", **overrides) -> str:
    args = dict(locale=locale, release_id=ID, published_at="2024-10-01T08:00:00Z", status="current",
                supersedes=None, superseded_by=None, correction_reason=None, previous_id=PREVIOUS,
                downloads=DOWNLOADS, switch_url="?lang=en", link=lambda i: f"/releases/{i}")
    return render_release(tables, **{**args, **overrides})


class Rows(HTMLParser):
    """The text of every table row, one string per row."""

    def __init__(self):
        super().__init__()
        self.rows: list[str] = []
        self.open = False

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append("")
            self.open = True

    def handle_endtag(self, tag):
        self.open = self.open and tag != "tr"

    def handle_data(self, data):
        if self.open and data.strip():
            self.rows[-1] += data.strip() + "|"


def rows(html: str) -> list[str]:
    parser = Rows()
    parser.feed(html)
    return parser.rows


def test_every_word_is_in_both_languages():
    assert all(zh and en and zh != "" for zh, en in words().values())


@pytest.mark.parametrize("locale, names, demo", [
    ("zh", ["汽车", "手机", "电子商务"], "演示数据"), ("en", ["automobiles", "mobile phones", "e-commerce"], "Demo data")])
def test_both_locales_show_every_industry_and_the_demo_banner(tables, locale, names, demo):
    html = page(tables, locale)
    assert f'<html lang="{"en" if locale == "en" else "zh-CN"}">' in html
    assert all(name in html for name in names)
    assert f'class="banner demo" role="note"><strong>{demo}</strong>' in html
    assert 'href="?lang=en"' in html


def test_no_demo_banner_for_real_data():
    assert "banner demo" not in page(small_tables(is_demo=False))


def test_headline_against_the_target(tables):
    html = page(tables)
    assert '<span class="big below">82.3</span>' in html and "95%置信区间 81.1–83.5" in html
    assert "▼ 显著低于目标值 85" in html
    assert "+1.5*" in html and f'href="/releases/{PREVIOUS}"' in html
    assert "8.65" in html


def test_industry_table_numbers_marks_and_suppression(tables):
    table = rows(page(tables, "en"))
    car = next(r for r in table if r.startswith("automobiles|"))
    assert car == "automobiles|87.7|86.3–89.1|700|▲|+2.2*|"
    phone = next(r for r in table if r.startswith("mobile phones|"))
    assert phone.startswith("mobile phones|79.1|†|73.2–85.0|480|≈|-0.8|")
    shop = next(r for r in table if r.startswith("e-commerce|"))
    assert shop == "e-commerce|—|insufficient sample|—|20|—|—|"
    assert not re.search(r"\d\.\d", shop)


def test_rank_groups_not_ranks(tables):
    html = page(tables)
    table = rows(html)
    cars = [r for r in table if r.startswith(("第1组", "第2组", "—|小型"))]
    assert [r.split("|")[0] for r in cars] == ["第1组", "第1组", "第2组", "—"]
    assert cars[0].startswith("第1组|=HYPERLINK") and cars[1].startswith("第1组|粤海")  # by name inside a group
    assert cars[3] == "—|小型维修店|—|样本量不足|—|25|—|—|"
    assert "置信区间无法区分的企业归入同一组" in html
    assert "Pearl River Motors &lt;Ltd&gt; &amp; Co" in html


def test_cities_by_name_and_suppressed_cells(tables):
    table = rows(page(tables, "en"))
    assert next(r for r in table if r.startswith("Guangzhou|")).startswith("Guangzhou|83.2|81.7–84.7|600|▼|—|")
    assert next(r for r in table if r.startswith("Foshan|")) == "Foshan|—|hidden against subtraction|—|50|—|—|"
    assert "Foshan|—|insufficient sample|—|12|—|" in table  # mobile phones x Foshan


def test_drivers_rise_and_quality(tables):
    table = rows(page(tables, "en"))
    assert "image|0.300|83.6|target reached|" in table
    assert "image|0.300|66.0|not reachable (above 100)|" in table
    assert "perceived value|0.750|84.1|+7.9|" in table
    assert "satisfaction|0.840|0.880|0.860|0.650|0.600|" in table


def test_methods_numbers(tables):
    html = page(tables, "en")
    for text in ("after-sales-csi", "standard-v1", "<dd>1000</dd>", "<dd>20240917</dd>", "<dd>percentile</dd>",
                 "fewer than 30 respondents", "wider than 10 points", "secondary suppression",
                 "equal weights of the industry indices"):
        assert text in html
    assert "automobiles|717|5|4|8|700|4|7|yes|" in rows(html)


def test_downloads_and_verification(tables):
    html = page(tables, "en")
    assert all(f'<a href="{url}" download>{label}</a>' in html for label, url in DOWNLOADS.items())
    assert f"survey release verify {ID}" in html


def test_superseded_banner_links_the_correction(tables):
    html = page(tables, status="superseded", superseded_by=NEWER, correction_reason="城市编码<错误>")
    assert 'class="banner old"' in html and f'href="/releases/{NEWER}"' in html
    assert "更正原因: 城市编码&lt;错误&gt;" in html
    assert "banner old" not in page(tables)


def test_correction_names_what_it_supersedes(tables):
    html = page(tables, "en", supersedes=NEWER, correction_reason="wrong city codes")
    assert f'This release corrects and supersedes <a href="/releases/{NEWER}">' in html
    assert "wrong city codes" in html


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_no_script_no_external_urls_and_a_size_budget(locale):
    html = page(full_tables(), locale)
    assert "<script" not in html.lower() and "javascript:" not in html.lower()
    assert not re.findall(r"(?:href|src)=\"(?:https?:)?//", html)
    assert not re.findall(r"https?://(?!www\.w3\.org/2000/svg)", html)
    assert len(html.encode()) < 150_000
    assert html.count("<svg") == 12  # index, change and one importance-performance chart per industry


def test_release_list(tables):
    entries = [ReleaseEntry(id=ID, campaign="2024-q3", title_zh="2024年第三季度", title_en="Q3 2024",
                            published_at="2024-10-01T08:00:00Z", status="superseded", is_demo=True,
                            programme_index=82.345678, ci_low=81.1, ci_high=83.5),
               ReleaseEntry(id=NEWER, campaign="2024-q3", title_zh="2024年第三季度（更正）", title_en="Q3 2024 (corrected)",
                            published_at="2024-10-05T08:00:00Z", status="current", is_demo=False,
                            programme_index=None, ci_low=None, ci_high=None)]
    html = render_release_list(entries, locale="zh", link=lambda i: f"/releases/{i}", switch_url="?lang=en")
    assert html.index(NEWER[:12]) < html.index(ID[:12])  # newest first
    assert f'href="/releases/{ID}"' in html and "82.3" in html and "81.1–83.5" in html
    assert "已被取代" in html and "演示数据" in html and "<script" not in html
    english = render_release_list([], locale="en", link=str, switch_url="?lang=zh")
    assert "No releases yet." in english and "banner demo" not in english


def test_the_first_release_of_a_series_says_there_is_no_change_yet():
    html = page(full_tables(), locale="en", previous_id=None)
    assert html.count("<svg") == 11 and "first release of its series" in html
