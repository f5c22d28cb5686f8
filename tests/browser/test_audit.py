"""An evaluator on a phone with no network: the offline audit form keeps the draft on the device, sends it later."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.browser.conftest import Service, fits_phone

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

PASSWORD = "browser evaluator password"


@pytest.fixture
def assignment(service: Service) -> dict:
    """An evaluator account with an automobile outlet of the demo campaign to audit from today."""
    admin = service.admin_headers()
    with httpx.Client(base_url=service.base_url, headers=admin, timeout=30) as api:
        organisation = api.post("/api/organisations", json={"code": "gd-eval", "name": "广东测评中心"})
        evaluator = api.post("/api/accounts", json={
            "username": "browser-evaluator", "password": PASSWORD, "role": "evaluator", "display_name": "测评员 Eva",
            "organisation_id": organisation.raise_for_status().json()["id"],
        }).raise_for_status().json()
        campaign = next(c for c in api.get("/api/campaigns").raise_for_status().json()["items"] if c["code"] == "demo")
        enterprise = api.get("/api/enterprises", params={"industry": "automobile"}).raise_for_status().json()["items"][0]
        outlet = api.get("/api/outlets", params={"enterprise": enterprise["id"]}).raise_for_status().json()["items"][0]
        today = dt.date.today()
        return api.post("/api/assignments", json={
            "campaign_id": campaign["id"], "outlet_id": outlet["id"], "evaluator_id": evaluator["id"],
            "opens_on": today.isoformat(), "closes_on": (today + dt.timedelta(days=7)).isoformat(),
        }).raise_for_status().json()


def audits(service: Service) -> list[dict]:
    answer = httpx.get(f"{service.base_url}/api/audits", headers=service.admin_headers(), timeout=30)
    return answer.raise_for_status().json()["items"]


def test_an_audit_made_offline_waits_on_the_device_and_reaches_the_server_when_the_network_returns(
    page: Page, context: BrowserContext, service: Service, shot: Callable, assignment: dict
):
    problems: list[str] = []
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto("/login?next=/audit")
    page.get_by_label("用户名").fill("browser-evaluator")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("登录")).click()
    page.wait_for_url(re.compile(r"/audit$"))
    state = page.locator("#state")
    card = page.locator(".card", has_text=assignment["outlet_name"])
    card.wait_for()
    assert "在线" in state.inner_text()
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")  # the page is kept on the device from here on
    fits_phone(page)
    assert problems == [], problems  # online: no failed request, no script error
    shot(page, "assignments")

    context.set_offline(True)
    page.wait_for_function("!navigator.onLine")
    assert "离线：草稿保存在本机" in state.inner_text()
    card.get_by_role("button", name=re.compile("新测评")).click()
    items = page.locator(".item[id^=item-]")
    for n in range(items.count()):
        item = items.nth(n)
        numbers = item.locator("input[type=number]")
        if numbers.count() == 2:  # a sampled item: sample size, then how many conform
            numbers.nth(0).fill("12")
            numbers.nth(1).fill("11")
        else:
            item.locator(".choices label").first.click()
    fits_phone(page)
    shot(page, "audit-offline")
    page.get_by_role("button", name=re.compile("保存并发送")).click()
    waiting = card.locator(".badge", has_text="在本机，等待发送")
    waiting.wait_for()
    assert "待发送 1" in state.inner_text()
    assert audits(service) == [], "nothing reached the server while offline"
    shot(page, "kept-on-device")

    page.reload()  # offline: the page comes from the device, the draft with it
    card.locator(".badge", has_text="在本机，等待发送").wait_for()
    shot(page, "reloaded-offline")

    context.set_offline(False)
    card.locator(".badge", has_text="已送达服务器").wait_for(timeout=30_000)
    assert "已送达服务器：1" in state.inner_text()
    shot(page, "sent")
    page.evaluate("window.dispatchEvent(new Event('online'))")  # a second 'online' sends nothing again
    page.wait_for_timeout(500)
    stored = audits(service)
    assert [audit["assignment"] for audit in stored] == [assignment["id"]]
    answer = httpx.get(f"{service.base_url}/api/audits/{stored[0]['id']}", headers=service.admin_headers(), timeout=30)
    items = answer.raise_for_status().json()["items"]
    sampled = [item for item in items.values() if item["sample"] is not None]
    assert sampled and all((item["sample"], item["conforming"], item["result"]) == (12, 11, None) for item in sampled)
    assert all(item["result"] is not None for item in items.values() if item["sample"] is None), items
