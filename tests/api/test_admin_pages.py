"""The administrators' area under /admin: every page in both languages, every form's action and the reasons it
gives beside its fields, and nobody but a signed-in administrator let in."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest

from tests.api.conftest import ADMIN, PASSWORD, USCC, add_account, bearer, submission
from tests.api.test_signin import sign_in

OTHER_USCC = "91440101MA59UQHT68"  # a second valid unified social credit code


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html)[1]


def error_beside(html: str, form: str, field: str) -> str:
    """The reason shown under a field (its <span class="err">), or "" when there is none."""
    found = re.search(rf'id="{form}-{field}-error">([^<]*)<', html)
    return found[1] if found else ""


@pytest.fixture
def admin(client, registry):
    """The client signed in as the administrator (a session cookie), with the registry's campaign and enterprise."""
    assert sign_in(client).status_code == 303
    registry["csrf"] = csrf_of(client.get("/admin").text)
    return registry


def post(client, path: str, admin: dict, **fields):
    return client.post(path, data={"csrf": admin["csrf"], **fields}, follow_redirects=False)


def pages(admin: dict) -> list[str]:
    return ["/admin", "/admin/campaigns", f"/admin/campaigns/{admin['campaign']['id']}", "/admin/enterprises",
            f"/admin/enterprises/{admin['enterprise']['id']}", f"/admin/outlets/{admin['outlet']['id']}",
            "/admin/flags", "/admin/runs", "/admin/releases", "/admin/invitations", "/admin/exports"]


@pytest.mark.parametrize(("lang", "html_lang", "switch", "word"), [
    ("zh", "zh-CN", "English", "管理首页"), ("en", "en", "中文", "Admin home")])
def test_every_page_renders_for_an_administrator_in_both_languages(client, admin, lang, html_lang, switch, word):
    for path in pages(admin):
        page = client.get(path, params={"lang": lang})
        assert page.status_code == 200, (path, page.text[:500])
        assert f'<html lang="{html_lang}">' in page.text and word in page.text, path
        other = "zh" if lang == "en" else "en"
        assert re.search(rf'<a href="{re.escape(path)}\?lang={other}"[^>]*>{switch}</a>', page.text), path
        assert 'name="viewport"' in page.text and "<script" not in page.text and "http://" not in page.text, path
        assert page.headers["cache-control"] == "no-store"


def test_the_home_page_links_every_part(client, admin):
    home = client.get("/admin").text
    for href in ("/admin/campaigns", "/admin/enterprises", "/admin/progress?campaign=wave-1", "/admin/flags",
                 "/admin/runs", "/admin/releases", "/admin/invitations", "/admin/exports", "/audits"):
        assert f'href="{href}' in home, href


def test_signing_in_takes_an_administrator_to_the_admin_home(client, registry):
    form = client.get("/login").text
    hidden = dict(re.findall(r'name="(csrf|next)" value="([^"]*)"', form))
    answer = client.post("/login", data=hidden | {"username": "admin", "password": PASSWORD}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/admin"


def test_nobody_else_gets_in(client, registry, database_url):
    answer = client.get("/admin/campaigns", params={"lang": "en"}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/admin/campaigns%3Flang%3Den"
    assert client.get("/admin", headers=ADMIN, follow_redirects=False).status_code == 303  # pages go by the session
    assert client.post("/admin/campaigns", data={"code": "x"}).status_code == 401
    organisation = client.post("/api/organisations", headers=ADMIN, json={"code": "gd-eval", "name": "测评中心"})
    add_account(database_url, "li", "evaluator", organisation.json()["id"])
    sign_in(client, "li", PASSWORD)
    for path in pages(registry):
        assert client.get(path, follow_redirects=False).status_code == 403, path
    assert client.post("/admin/campaigns", data={"code": "x"}).status_code == 403
    assert client.post("/admin/runs/1/publish", data={}).status_code == 403


def test_a_form_without_the_sessions_csrf_token_is_refused(client, admin):
    answer = client.post("/admin/campaigns", data={"csrf": "forged", "code": "wave-2"})
    assert answer.status_code == 403
    assert client.get("/api/campaigns").json()["total"] == 1


def test_a_campaign_is_created_and_its_status_and_dates_changed(client, admin):
    created = post(client, "/admin/campaigns", admin, code="wave-2", title_zh="第二期", title_en="Wave 2",
                   **{"industry:automobile": "1", "industry:computer": "1"}, opens_on="2026-03-01",
                   closes_on="2026-05-31", status="draft", open_links="1", lang="en")
    assert created.status_code == 303
    assert re.fullmatch(r"/admin/campaigns/\d+\?lang=en&done=created", created.headers["location"])
    shown = client.get(created.headers["location"]).text
    assert "Created." in shown and "Wave 2" in shown and "automobiles, computers" in shown
    campaign_id = int(created.headers["location"].split("/")[3].split("?")[0])
    changed = post(client, f"/admin/campaigns/{campaign_id}", admin, title_zh="第二期", title_en="Wave 2",
                   opens_on="2026-03-02", closes_on="2026-06-30", status="open")
    assert changed.status_code == 303 and changed.headers["location"].endswith("lang=zh&done=saved")
    stored = client.get(f"/api/campaigns/{campaign_id}").json()
    assert stored["status"] == "open" and stored["closes_on"] == "2026-06-30" and stored["open_links"] is False
    assert stored["industries"] == ["automobile", "computer"]


def test_a_refused_campaign_says_why_beside_each_field_and_keeps_the_answers(client, admin):
    refused = post(client, "/admin/campaigns", admin, code="Wave Two", title_zh="第二期", title_en="",
                   opens_on="2026-03-01", closes_on="2026-02-30", status="draft", lang="en")
    assert refused.status_code == 422
    html = refused.text
    assert "nothing was saved" in html and 'value="Wave Two"' in html and 'value="第二期"' in html
    assert error_beside(html, "campaign", "code") == "Not in the expected form; see the hint."
    assert error_beside(html, "campaign", "title_en") == "Required."
    assert error_beside(html, "campaign", "closes_on").startswith("Enter a date as YYYY-MM-DD")
    assert "Choose at least 1." in html  # no industry ticked
    order = post(client, "/admin/campaigns", admin, code="wave-2", title_zh="第二期", title_en="Wave 2",
                 **{"industry:automobile": "1"}, opens_on="2026-03-01", closes_on="2026-02-01", status="draft")
    assert order.status_code == 422 and error_beside(order.text, "campaign", "closes_on").startswith("结束日期不能早于开始日期")
    taken = post(client, "/admin/campaigns", admin, code="wave-1", title_zh="第二期", title_en="Wave 2",
                 **{"industry:automobile": "1"}, opens_on="2026-03-01", closes_on="2026-04-01", status="draft")
    assert taken.status_code == 422 and error_beside(taken.text, "campaign", "code").startswith("已存在")
    edit = post(client, f"/admin/campaigns/{admin['campaign']['id']}", admin, title_zh="第一期", title_en="Wave 1",
                opens_on="2026-03-01", closes_on="2026-01-01", status="later")
    assert edit.status_code == 422
    assert error_beside(edit.text, "campaign", "status") == "请从列表中选择。"
    assert client.get("/api/campaigns").json()["total"] == 1


def test_enterprises_are_searched_created_and_edited(client, admin):
    listed = client.get("/admin/enterprises", params={"industry": "automobile", "city": "440100"}).text
    assert "示例汽车服务有限公司" in listed and "共 1 条" in listed
    assert "示例汽车服务有限公司" not in client.get("/admin/enterprises", params={"city": "440300"}).text
    created = post(client, "/admin/enterprises", admin, uscc=OTHER_USCC, name="深圳家电维修", industry="home_appliance",
                   city="440300")
    assert created.status_code == 303, created.text[:3000]
    enterprise = client.get(created.headers["location"]).text
    assert "深圳家电维修" in enterprise and "已新建" in enterprise
    enterprise_id = int(created.headers["location"].split("/")[3].split("?")[0])
    renamed = post(client, f"/admin/enterprises/{enterprise_id}", admin, name="深圳家电维修中心", city="440300")
    assert renamed.status_code == 303
    assert client.get(f"/api/enterprises/{enterprise_id}").json()["name"] == "深圳家电维修中心"


def test_a_refused_enterprise_says_why(client, admin):
    empty = post(client, "/admin/enterprises", admin, uscc="", name="", industry="", city="", lang="en")
    assert empty.status_code == 422
    fields = ("uscc", "name", "industry", "city")
    assert [error_beside(empty.text, "enterprise", field) for field in fields] == ["Required."] * 4
    bad = post(client, "/admin/enterprises", admin, uscc=USCC[:17] + "0", name="x", industry="shoes", city="110000",
               lang="en")
    assert bad.status_code == 422
    assert error_beside(bad.text, "enterprise", "uscc").startswith("check character is")
    assert error_beside(bad.text, "enterprise", "industry").startswith("unknown industry")
    assert "is not a city of Guangdong" in bad.text
    again = post(client, "/admin/enterprises", admin, uscc=USCC, name="又一家", industry="automobile", city="440100")
    assert again.status_code == 422 and error_beside(again.text, "enterprise", "uscc").startswith("已存在")
    edit = post(client, f"/admin/enterprises/{admin['enterprise']['id']}", admin, name="x" * 201, city="440100")
    assert edit.status_code == 422 and error_beside(edit.text, "enterprise", "name") == "最多 200 个字符。"


def test_outlets_are_created_and_edited_with_their_position_checked(client, admin):
    enterprise = admin["enterprise"]["id"]
    path = f"/admin/enterprises/{enterprise}/outlets"
    half = post(client, path, admin, name="越秀站", city="440100", address="中山路2号", latitude="23.13")
    assert half.status_code == 422 and error_beside(half.text, "outlet", "longitude").startswith("纬度和经度须同时填写")
    assert 'value="越秀站"' in half.text and f'href="/admin/enterprises/{enterprise}?lang=en"' in half.text
    far = post(client, path, admin, name="越秀站", city="440100", address="中山路2号", latitude="95", longitude="x")
    assert error_beside(far.text, "outlet", "latitude") == "不能大于 90。"
    assert error_beside(far.text, "outlet", "longitude") == "请填写数字。"
    made = post(client, path, admin, name="越秀站", city="440100", address="中山路2号", latitude="23.13",
                longitude="113.26")
    assert made.status_code == 303
    outlets = client.get("/api/outlets", params={"enterprise": enterprise}).json()["items"]
    outlet = next(o for o in outlets if o["name"] == "越秀站")
    assert outlet["latitude"] == 23.13 and "越秀站" in client.get(made.headers["location"]).text
    moved = post(client, f"/admin/outlets/{outlet['id']}", admin, name="越秀站", city="440100", address="中山路8号",
                 latitude="23.14", longitude="113.27")
    assert moved.status_code == 303 and client.get(f"/api/outlets/{outlet['id']}").json()["address"] == "中山路8号"
    empty = post(client, f"/admin/outlets/{outlet['id']}", admin, name="越秀站", city="440100", address=" ")
    assert empty.status_code == 422 and error_beside(empty.text, "outlet", "address") == "必填。"


def test_flags_are_listed_by_rule_checked_and_overridden_with_a_reason(client, admin):
    answer = client.post("/api/responses", json=submission(client, admin))
    assert answer.status_code == 201, answer.text
    page = client.get("/admin/flags", params={"campaign": "wave-1", "lang": "en"}).text
    assert "straight_lining" in page and answer.json()["id"] in page
    checked = post(client, "/admin/flags/check", admin, campaign="wave-1")
    assert checked.status_code == 303 and "done=checked" in checked.headers["location"]
    response, rule = answer.json()["id"], "straight_lining"
    short = post(client, "/admin/flags/override", admin, campaign="wave-1", which="standing", response=response,
                 rule=rule, reason="no")
    assert short.status_code == 422 and "至少 3 个字符。" in short.text and "aria-invalid" not in short.text
    assert 'href="/admin/flags?campaign=wave-1&amp;which=standing&amp;lang=en"' in short.text  # the switch: a page
    overridden = post(client, "/admin/flags/override", admin, campaign="wave-1", which="standing", response=response,
                      rule=rule, reason="called the customer: real answers", lang="en")
    assert overridden.status_code == 303
    after = client.get(overridden.headers["location"]).text
    assert "The flag was overridden." in after and response not in after  # no longer standing
    shown = client.get("/admin/flags", params={"campaign": "wave-1", "which": "overridden", "rule": rule}).text
    assert "called the customer: real answers" in shown
    unknown = post(client, "/admin/flags/override", admin, campaign="wave-1", response="not-a-uuid", rule=rule,
                   reason="a good reason")
    assert unknown.status_code == 422 and "not found" in unknown.text


def test_a_run_is_built_checked_and_published_and_the_release_verifies(client, admin):
    from tests.releases.wave import CAMPAIGN, stored_wave

    stored_wave(client.app.state.context.db, respondents=10)
    page = client.get("/admin/runs", params={"campaign": CAMPAIGN}).text
    assert "计算需要时间" in page and 'value="1000"' in page
    bad = post(client, "/admin/runs", admin, campaign=CAMPAIGN, resamples="5", seed="x", min_n="30",
               max_ci_width="10", lang="en")
    assert bad.status_code == 422
    assert error_beside(bad.text, "build", "resamples") == "Must be at least 100."
    assert error_beside(bad.text, "build", "seed") == "Enter a whole number."
    lone = post(client, "/admin/runs", admin, campaign=CAMPAIGN, resamples="100", seed="1", min_n="30",
                max_ci_width="10", corrects="abcdefabcdef")
    assert lone.status_code == 422 and "correction" in error_beside(lone.text, "build", "reason")
    built = post(client, "/admin/runs", admin, campaign=CAMPAIGN, resamples="100", seed="7", min_n="30",
                 max_ci_width="10", lang="en")
    assert built.status_code == 303, built.text[:3000]
    run_path = built.headers["location"].split("?")[0]
    run = client.get(built.headers["location"]).text
    release_id = re.search(r"<code>([0-9a-f]{64})</code>", run)[1]
    assert "Release id (once published)" in run and "Received</th><td>160" in run and "Publish" in run
    published = post(client, f"{run_path}/publish", admin)
    assert published.status_code == 303
    after = client.get(published.headers["location"]).text
    assert "已发布" in after and f'href="/releases/{release_id}"' in after and "/publish" not in after
    again = post(client, f"{run_path}/publish", admin, lang="en")
    assert again.status_code == 409 and "published already" in again.text
    releases = client.get("/admin/releases", params={"lang": "en"}).text
    assert release_id in releases and "verified" in releases and "FAILED" not in releases
    assert f"Run {run_path.rsplit('/', 1)[1]}" in client.get("/admin/runs", params={"lang": "en"}).text


def test_an_invitation_batch_is_issued_as_a_download(client, admin):
    enterprise, outlet = admin["enterprise"]["id"], admin["outlet"]["id"]
    issued = post(client, "/admin/invitations", admin, campaign="wave-1", enterprise=str(enterprise),
                  outlet=str(outlet), count="3", download="zip")
    assert issued.status_code == 201 and issued.headers["content-type"] == "application/zip"
    assert 'filename="invitations-wave-1-batch-1.zip"' in issued.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(issued.content))
    assert sorted(archive.namelist()) == ["batch-1.csv", "batch-1.html"]
    links = [row["link"] for row in csv.DictReader(io.StringIO(archive.read("batch-1.csv").decode()))]
    assert len(links) == 3 and all("/i/" in link for link in links)
    assert archive.read("batch-1.html").decode().count("<svg") == 3
    only_csv = post(client, "/admin/invitations", admin, campaign="wave-1", enterprise=str(enterprise), count="2",
                    download="csv")
    assert only_csv.headers["content-type"].startswith("text/csv") and only_csv.text.count("/i/") == 2
    listed = client.get("/admin/invitations", params={"campaign": "wave-1"}).text
    assert "0 / 3" in listed and "0 / 2" in listed


def test_a_refused_batch_says_why(client, admin):
    zero = post(client, "/admin/invitations", admin, campaign="wave-1", enterprise="", count="0", lang="en")
    assert zero.status_code == 422
    assert error_beside(zero.text, "issue", "enterprise") == "Required."
    assert error_beside(zero.text, "issue", "count") == "Must be at least 1."
    other = post(client, "/admin/enterprises", admin, uscc=OTHER_USCC, name="深圳家电维修", industry="home_appliance",
                 city="440300")
    other_id = other.headers["location"].split("/")[3].split("?")[0]
    wrong = post(client, "/admin/invitations", admin, campaign="wave-1", enterprise=other_id, count="5")
    assert wrong.status_code == 422 and error_beside(wrong.text, "issue", "enterprise").startswith("该企业的行业不在")
    stray = post(client, "/admin/invitations", admin, campaign="wave-1", enterprise=str(admin["enterprise"]["id"]),
                 outlet="999", count="5")
    assert stray.status_code == 422 and error_beside(stray.text, "issue", "outlet").startswith("该企业没有这个网点")


def test_the_exports_page_links_downloads_that_a_session_may_fetch(client, admin):
    page = client.get("/admin/exports", params={"campaign": "wave-1"}).text
    for name in ("csv", "xlsx", "sav", "parquet", "codebook"):
        assert f'href="/api/campaigns/wave-1/export?format={name}"' in page
    client.post("/api/responses", json=submission(client, admin))
    download = client.get("/api/campaigns/wave-1/export", params={"format": "csv", "industry": "", "city": "",
                                                                   "flags": "all", "labels": "zh"})
    assert download.status_code == 200 and download.text.count("\n") == 2


def test_an_unknown_campaign_or_object_is_404_not_500(client, admin):
    assert client.get("/admin/flags", params={"campaign": "nope"}).status_code == 404
    assert client.get("/admin/campaigns/999").status_code == 404
    assert client.get("/admin/runs/999").status_code == 404
    wrong = client.get("/admin/flags", params={"which": "everything"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "which"


def test_pages_carry_the_csrf_token_of_the_session(client, admin, database_url):
    """The token in the forms is the session's own: a token of another session is refused."""
    from tests.api.test_signin import session_csrf

    assert admin["csrf"] == session_csrf(database_url, client)
    headers = bearer(client, "admin")
    assert client.post("/admin/campaigns", headers=headers, data={}).status_code == 422  # a token needs no csrf
