"""The field-work pages: the evaluator's offline audit form (/audit, with its script and service worker) and the
review pages for administrators and organisations (/audits, server-rendered, no script)."""

from __future__ import annotations

import uuid
from importlib import resources
from typing import Annotated
from urllib.parse import quote

import jinja2
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.params import FromPath, QueryParameter, URLEncodedBody
from litestar.response import Redirect

from survey.accounts import Caller
from survey.api.auth import caller_of, check_form_csrf, requires
from survey.api.context import AppContext
from survey.audits.submission import ReviewCreate, Status
from survey.errors import Conflict, InvalidInput, NotFound
from survey.store import accounts as account_store
from survey.store import assignments as assignment_store
from survey.store import audits as store

PAGE_SIZE = 50
WORDS = {
    "submitted": "待审核 submitted", "approved": "已通过 approved", "has_issues": "有问题 has issues",
    "rejected": "不予采用 rejected", "conforms": "符合 conforms", "partly": "部分符合 partly", "not": "不符合 does not",
    "na": "不适用 n/a", "not_compliant": "未达标 not compliant", "compliant": "达标 compliant",
    "three_stars": "三星 three stars", "four_stars": "四星 four stars", "five_stars": "五星 five stars",
}
_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("survey.api", "templates"), autoescape=True, trim_blocks=True, lstrip_blocks=True
)


def _html(body: str, status: int = 200) -> Response:
    return Response(body, media_type=MediaType.HTML, status_code=status, headers={"Cache-Control": "no-store"})


def _signed_in(request: Request, path: str, *roles: str) -> Caller | Response:
    """The caller of a page, or the answer to give instead: sign in first, or this page is not yours."""
    caller = caller_of(request)
    if caller is None or caller.via != "session":
        return Redirect(f"/login?next={quote(path)}", status_code=303)
    if caller.role not in roles:
        return _html("<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>"
                     "<p>此页面不适用于您的账号。This page is not for your account. <a href=/login>登录 Sign in</a></p>", 403)
    return caller


def _script(name: str, extra: dict[str, str] | None = None) -> Response:
    content = resources.files("survey.api").joinpath("static", name).read_bytes()
    return Response(content, media_type="text/javascript; charset=utf-8",
                    headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff", **(extra or {})})


class FieldPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/audit", sync_to_thread=False)
    def audit(self, request: Request) -> Response:
        """The evaluator's audit form: a shell page; the script keeps assignments and drafts on the device."""
        caller = _signed_in(request, "/audit", "evaluator")
        if isinstance(caller, Response):
            return caller
        html = _templates.get_template("audit.html").render(
            csrf=caller.csrf, username=caller.account.username, display_name=caller.account.display_name)
        return _html(html)

    @get("/audit.js", sync_to_thread=False)
    def script(self) -> Response:
        return _script("audit.js")

    @get("/audit-sw.js", sync_to_thread=False)
    def service_worker(self) -> Response:
        return _script("audit-sw.js", {"Service-Worker-Allowed": "/audit"})

    @get("/audits", sync_to_thread=True)
    def audits(
        self, request: Request, context: AppContext,
        status: Annotated[Status | None, QueryParameter()] = None,
        offset: Annotated[int, QueryParameter(ge=0, le=10_000_000)] = 0,
    ) -> Response:
        caller = _signed_in(request, "/audits", "admin", "organisation")
        if isinstance(caller, Response):
            return caller
        scope = {"organisation_id": caller.account.organisation_id} if caller.role == "organisation" else {}
        audits, total = store.list_audits(context.db, offset, PAGE_SIZE, status=status, **scope)
        outlets = {}
        for audit in audits:
            if audit.assignment not in outlets:
                outlets[audit.assignment] = assignment_store.get_assignment(context.db, audit.assignment).outlet_name
        rows = [{"audit": audit, "outlet": outlets[audit.assignment]} for audit in audits]
        html = _templates.get_template("audits.html").render(
            audit=None, rows=rows, total=total, offset=offset, limit=PAGE_SIZE, more=offset + PAGE_SIZE < total,
            status=status, words=WORDS, csrf=caller.csrf, display_name=caller.account.display_name)
        return _html(html)

    @get("/audits/{audit_id:uuid}", sync_to_thread=True)
    def detail(self, request: Request, context: AppContext, audit_id: FromPath[uuid.UUID]) -> Response:
        caller = _signed_in(request, f"/audits/{audit_id}", "admin", "organisation")
        if isinstance(caller, Response):
            return caller
        return self._detail(context, caller, audit_id)

    @post("/audits/{audit_id:uuid}/review", guards=[requires("admin", csrf_in_form=True)], request_max_body_size=8192,
          sync_to_thread=True)
    def review(self, request: Request, context: AppContext, audit_id: FromPath[uuid.UUID],
               data: URLEncodedBody[dict[str, str]]) -> Response:
        """The review form: approve, has issues or reject, with a reason, for the version on the page."""
        check_form_csrf(request, data)
        caller: Caller = request.user
        try:
            version = int(data.get("version", "0"))
            review = ReviewCreate(decision=data.get("decision", ""), reason=data.get("reason", "").strip(), version=version)
            if review.decision not in ("approved", "has_issues", "rejected") or not review.reason or version < 1:
                raise ValueError
        except ValueError:
            return self._detail(context, caller, audit_id, "请选择审核结果并填写理由。Choose a decision and give a reason.", 422)
        try:
            store.review_audit(context.db, context.checklists, audit_id, caller.id, review)
        except (Conflict, InvalidInput) as exc:
            return self._detail(context, caller, audit_id, str(exc), 409 if isinstance(exc, Conflict) else 422)
        return Redirect(f"/audits/{audit_id}", status_code=303)

    def _detail(self, context: AppContext, caller: Caller, audit_id: uuid.UUID, error: str = "",
                status: int = 200) -> Response:
        evaluator_id, organisation = store.audit_owner(context.db, audit_id)
        if caller.role == "organisation" and organisation != caller.account.organisation_id:
            raise NotFound(f"audit {audit_id}")
        audit = store.get_audit(context.db, audit_id, context.checklists)
        html = _templates.get_template("audits.html").render(
            audit=audit, assignment=assignment_store.get_assignment(context.db, audit.assignment),
            checklist=context.checklists.get(audit.checklist, audit.checklist_version).checklist,
            evaluator=account_store.get_account(context.db, evaluator_id).display_name, error=error,
            can_review=caller.role == "admin", words=WORDS, csrf=caller.csrf, display_name=caller.account.display_name)
        return _html(html, status)
