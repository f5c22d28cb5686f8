"""The audit form in a real browser at phone size: drafts stay on the device while offline and are sent, once,
when the network returns. Needs Playwright and Debian's chromium (testing.md); skipped with the reason otherwise."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn

from survey.api import create_app
from tests.api.conftest import PASSWORD, USCC, add_account, make_settings

CHROMIUM = Path("/usr/bin/chromium")
playwright = pytest.importorskip("playwright.sync_api", reason="the browser test needs the playwright package")
if not CHROMIUM.exists():
    pytest.skip("the browser test needs /usr/bin/chromium (Debian's chromium package)", allow_module_level=True)


@pytest.fixture
def server(tmp_path):
    url = f"sqlite:///{tmp_path}/survey.db"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(make_settings(url, tmp_path), migrate=True)
    running = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base) as http:
        add_account(url, "admin", "admin")
        admin = {"Authorization": "Bearer " + http.post("/api/tokens", json={"username": "admin", "password": PASSWORD}).json()["token"]}
        today = dt.date.today()
        campaign = http.post("/api/campaigns", headers=admin, json={
            "code": "wave-1", "title_zh": "第一期", "title_en": "Wave 1", "industries": ["automobile"],
            "opens_on": str(today - dt.timedelta(days=5)), "closes_on": str(today + dt.timedelta(days=5)), "status": "open"}).json()
        enterprise = http.post("/api/enterprises", headers=admin, json={
            "uscc": USCC, "name": "示例汽车服务有限公司", "industry": "automobile", "city": "440100"}).json()
        outlet = http.post("/api/outlets", headers=admin, json={
            "enterprise_id": enterprise["id"], "name": "天河站", "city": "440100", "address": "天河路1号"}).json()
        org = http.post("/api/organisations", headers=admin, json={"code": "gd-eval", "name": "广东测评中心"}).json()
        evaluator = add_account(url, "li", "evaluator", org["id"])
        made = http.post("/api/assignments", headers=admin, json={
            "campaign_id": campaign["id"], "outlet_id": outlet["id"], "evaluator_id": evaluator,
            "opens_on": str(today - dt.timedelta(days=1)), "closes_on": str(today + dt.timedelta(days=1))})
        assert made.status_code == 201, made.text
        yield base, http, admin
    running.should_exit = True
    thread.join(10)


def test_an_audit_made_offline_is_kept_on_the_phone_and_sent_once_online(server, tmp_path):
    base, http, admin = server
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        context = browser.new_context(viewport={"width": 360, "height": 640}, locale="zh-CN")
        page = context.new_page()
        problems: list[str] = []
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(f"{base}/login?next=/audit")
        page.fill("#username", "li")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/audit")
        page.get_by_text("天河站").wait_for(timeout=10_000)
        assert problems == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling on a phone

        context.set_offline(True)
        page.get_by_role("button", name="新测评 New audit").click()
        page.locator("#item-a01").wait_for()
        for item in page.locator("[id^=item-]").all():
            conforms = item.locator("input[type=radio]").first
            numbers = item.locator("input[type=number]")
            if numbers.count():
                numbers.nth(0).fill("10")
                numbers.nth(1).fill("9")
            else:
                conforms.check()
        page.get_by_role("button", name="保存并发送 Save and send").click()
        state = page.locator("#state")
        assert "待发送 1" in state.inner_text() and "离线" in state.inner_text()
        page.get_by_text("在本机，等待发送").wait_for()
        li = {"Authorization": "Bearer " + http.post("/api/tokens", json={"username": "li", "password": PASSWORD}).json()["token"]}
        assert http.get("/api/audits", headers=li).json()["total"] == 0  # nothing has reached the server yet
        page.screenshot(path=str(tmp_path / "offline.png"))
        page.reload()  # offline: the service worker's copy of the page, the draft from the device's storage
        page.get_by_text("在本机，等待发送").wait_for()

        context.set_offline(False)
        page.get_by_text("已送达服务器 v1").wait_for(timeout=15_000)
        assert "已送达服务器：1" in state.inner_text()
        page.evaluate("window.dispatchEvent(new Event('online'))")  # a second 'online' sends nothing again
        page.wait_for_timeout(500)
        stored = http.get("/api/audits", headers=li).json()
        assert stored["total"] == 1
        audit = http.get(f"/api/audits/{stored['items'][0]['id']}", headers=admin).json()
        assert audit["items"]["a02"] == {"result": None, "sample": 10, "conforming": 9, "note": "", "photos": []}
        assert audit["items"]["a01"]["result"] == "conforms"
        browser.close()
