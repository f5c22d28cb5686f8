"""A reader on a phone: the release list and the demo release page in both languages, its charts and a download."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from survey.regions import load_industries
from tests.browser.conftest import PHONE, Service, fits_phone

DEMO = {"zh-CN": "演示数据", "en": "Demo data"}
TARGET_COLUMN = {"zh-CN": "对比目标", "en": "vs target"}


def published(service: Service) -> dict:
    releases = httpx.get(f"{service.base_url}/api/releases", timeout=30).json()
    assert len(releases) == 1 and releases[0]["is_demo"]
    return releases[0]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_reader_finds_the_headline_the_industries_the_charts_and_a_download(page, service, shot, lang):
    release = published(service)
    headline = f"{release['programme_index']:.1f}"
    page.goto("/releases")
    if lang == "en":
        page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == lang
    assert page.get_by_text(DEMO[lang], exact=True).first.is_visible()
    assert page.get_by_text(headline).is_visible()
    fits_phone(page)
    shot(page, "list")

    page.get_by_role("link", name=release["title_en" if lang == "en" else "title_zh"]).click()
    assert release["id"] in page.url
    assert page.locator("#headline .big").inner_text() == headline
    fits_phone(page)
    shot(page, "release")

    names = [industry.en if lang == "en" else industry.zh for industry in load_industries().industries]
    rows = page.locator("#industries tbody tr")
    shown = {rows.nth(n).locator("td").first.inner_text(): rows.nth(n).locator("td").nth(1).inner_text()
             for n in range(rows.count())}
    assert sorted(shown) == sorted(names)
    target = page.locator("#industries th", has_text=TARGET_COLUMN[lang])
    assert target.bounding_box()["x"] + target.bounding_box()["width"] <= PHONE["width"], "seen without scrolling"

    chart = page.locator("#charts svg[role=img]").first
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    assert chart.is_visible() and 200 <= box["width"] <= PHONE["width"] and box["height"] >= 150
    labels = chart.locator("text").all_text_contents()
    assert set(names) <= set(labels), "every industry named in the chart, in the page's language"
    assert page.get_by_role("img", name=page.locator("#charts figcaption").first.inner_text()).count() == 1
    ipma = page.locator("#ipma details").first
    if not ipma.evaluate("e => e.open"):
        ipma.locator("summary").click()
    assert ipma.locator("svg[role=img]").is_visible()
    shot(page, "charts")

    with page.expect_download() as started:
        page.locator("#downloads").get_by_role("link", name="cells.csv").click()
    download = started.value
    assert download.suggested_filename == f"release-{release['id'][:12]}-cells.csv"
    text = open(download.path(), encoding="utf-8").read()
    assert text.startswith("\ufeff"), "a byte order mark, so that Excel reads UTF-8"
    cells = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    programme = next(row for row in cells if row["level"] == "programme")
    assert f"{float(programme['index']):.1f}" == headline
    by_code = {row["industry"]: row for row in cells if row["level"] == "industry"}
    for industry in load_industries().industries:
        name = industry.en if lang == "en" else industry.zh
        if by_code[industry.code]["status"] == "published":
            assert f"{float(by_code[industry.code]['index']):.1f}" == shown[name], name


def test_pages_and_downloads_answer_head_through_the_real_server(service):
    """What a link checker or a download manager asks first: HEAD, answered like GET without the body."""
    release = published(service)
    base = f"/releases/{release['id']}"
    for path in ("/", "/releases", base, f"{base}/cells.csv", f"{base}/cells.json", f"{base}/manifest.json"):
        head = httpx.head(service.base_url + path, timeout=30)
        got = httpx.get(service.base_url + path, timeout=30)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b"" and head.headers["content-type"] == got.headers["content-type"], path
        assert head.headers.get("content-disposition") == got.headers.get("content-disposition"), path
