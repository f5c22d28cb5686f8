import re

from tests.api.conftest import PASSWORD
from tests.api.test_audits import field, send  # noqa: F401 - field is the fixture of the field work
from tests.api.test_signin import sign_in
from tests.audits.builders import audit_body


def page_csrf(html: str) -> str:
    return re.search(r'name="csrf" (?:value|content)="([^"]+)"', html)[1]


def test_the_audit_form_needs_an_evaluator_session(client, field):
    answer = client.get("/audit", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/audit"
    with_token = client.get("/audit", headers=field["tokens"]["li"], follow_redirects=False)
    assert with_token.status_code == 303  # pages go by the session cookie, not by API tokens
    assert sign_in(client, "li", PASSWORD).headers["location"] == "/audit"
    page = client.get("/audit")
    assert page.status_code == 200 and "现场测评" in page.text and "Field audit" in page.text
    assert 'src="/audit.js"' in page.text and "cdn" not in page.text.lower() and len(page_csrf(page.text)) > 30
    assert page.headers["cache-control"] == "no-store"
    script = client.get("/audit.js")
    assert script.headers["content-type"].startswith("text/javascript") and "localStorage" in script.text
    assert "indexedDB" in script.text and "/api/audits/batch" in script.text
    worker = client.get("/audit-sw.js")
    assert worker.headers["service-worker-allowed"] == "/audit" and "caches" in worker.text


def test_administrators_review_on_the_audits_pages(client, field):
    body = audit_body(field["assignment"])
    send(client, field["tokens"]["li"], body)
    sign_in(client, "admin", PASSWORD)
    listed = client.get("/audits")
    assert listed.status_code == 200 and "天河站" in listed.text and body["id"] in listed.text
    detail = client.get(f"/audits/{body['id']}")
    assert "A 服务体系" in detail.text and "name=\"decision\"" in detail.text and "符合 conforms" in detail.text
    path = f"/audits/{body['id']}/review"
    form = {"decision": "approved", "reason": "证据完整", "version": "1"}
    forged = client.post(path, data=form | {"csrf": "forged"}, follow_redirects=False)
    assert forged.status_code == 403
    empty = client.post(path, data=form | {"reason": " ", "csrf": page_csrf(detail.text)}, follow_redirects=False)
    assert empty.status_code == 422 and "理由" in empty.text
    done = client.post(path, data=form | {"csrf": page_csrf(detail.text)}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/audits/{body['id']}"
    after = client.get(f"/audits/{body['id']}")
    assert "得分 Score 100.0" in after.text and "五星 five stars" in after.text and 'name="decision"' not in after.text
    stale = client.post(path, data=form | {"csrf": page_csrf(detail.text)}, follow_redirects=False)
    assert stale.status_code == 409 and "already approved" in stale.text


def test_an_organisation_reads_its_evaluators_audits_without_a_review_form(client, field):
    body = audit_body(field["assignment"])
    send(client, field["tokens"]["li"], body)
    sign_in(client, "manager", PASSWORD)
    assert body["id"] in client.get("/audits").text
    detail = client.get(f"/audits/{body['id']}")
    assert detail.status_code == 200 and 'name="decision"' not in detail.text
    assert client.post(f"/audits/{body['id']}/review", data={"csrf": page_csrf(detail.text)}).status_code == 403
    client.cookies.clear()
    sign_in(client, "stranger", PASSWORD)
    assert body["id"] not in client.get("/audits").text
    assert client.get(f"/audits/{body['id']}").status_code == 404


def test_an_evaluator_is_not_shown_the_review_pages(client, field):
    sign_in(client, "li", PASSWORD)
    assert client.get("/audits").status_code == 403
