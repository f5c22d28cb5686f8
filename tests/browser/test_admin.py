"""An administrator on a phone: every admin page fits 360 px in both languages, and a refused form says why beside
the field and keeps what was typed."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import Service, fits_phone

if TYPE_CHECKING:
    from playwright.sync_api import Page

PAGES = ["/admin", "/admin/campaigns", "/admin/enterprises", "/admin/flags", "/admin/runs", "/admin/releases",
         "/admin/invitations", "/admin/exports"]


def sign_in(page: Page, service: Service) -> None:
    page.goto("/login")  # no ?next=: an administrator goes on to the admin home
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill((service.home / "admin-password").read_text().strip())
    page.get_by_role("button", name=re.compile("登录")).click()
    page.wait_for_url(re.compile(r"/admin$"))


@pytest.mark.parametrize(("lang", "home"), [("zh", "管理员工作台"), ("en", "Administrators' area")])
def test_every_admin_page_fits_a_phone_in_both_languages(page: Page, service: Service, shot: Callable, lang, home):
    sign_in(page, service)
    for path in PAGES:
        page.goto(f"{path}?lang={lang}")
        assert page.locator("h1").count() == 1, path
        fits_phone(page)
        shot(page, path.strip("/").replace("/", "-"))
    page.goto(f"/admin?lang={lang}")
    assert page.locator("h1").inner_text() == home
    page.locator("ul.cards a").first.click()  # links keep the language
    page.wait_for_url(re.compile(rf"/admin/campaigns\?lang={lang}$"))
    page.locator("ul.cards a", has_text="demo").first.click()
    page.wait_for_url(re.compile(rf"/admin/campaigns/\d+\?lang={lang}$"))
    fits_phone(page)
    shot(page, "campaign")


def test_a_refused_form_says_why_beside_the_field(page: Page, service: Service, shot: Callable):
    sign_in(page, service)
    page.goto("/admin/campaigns?lang=en")
    page.get_by_label("Code").fill("Spring 2027")
    page.get_by_label("Title (Chinese)").fill("2027年春季")
    page.get_by_label("Title (English)").fill("Spring 2027")
    page.get_by_label("automobiles").check()
    page.get_by_label("Opens on").fill("2027-03-01")
    page.get_by_label("Closes on").fill("2027-02-01")
    page.get_by_role("button", name="Create").click()
    error = page.locator("#campaign-code-error")
    error.wait_for()
    assert error.inner_text() == "Not in the expected form; see the hint."
    assert page.get_by_label("Title (Chinese)").input_value() == "2027年春季"
    assert page.get_by_label("automobiles").is_checked()
    fits_phone(page)
    shot(page, "refused")
    page.get_by_label("Code").fill("spring-2027")
    page.get_by_role("button", name="Create").click()
    page.locator("#campaign-closes_on-error").wait_for()
    assert page.locator("#campaign-closes_on-error").inner_text() == "must not be before opens_on"
    page.get_by_label("Closes on").fill("2027-05-31")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r"/admin/campaigns/\d+\?lang=en&done=created$"))
    assert page.locator(".done").inner_text() == "Created."
    shot(page, "created")
