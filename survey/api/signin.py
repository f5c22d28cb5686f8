"""Signing in and out of the web pages: a session cookie (HttpOnly, SameSite=Lax, Secure unless turned off) and its
CSRF token; the sign-in form itself is protected by a double-submit cookie."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from typing import Annotated

import jinja2
from anyio import to_thread
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.exceptions import HTTPException, PermissionDeniedException
from litestar.params import QueryParameter, URLEncodedBody
from litestar.response import Redirect

from survey.accounts import Caller
from survey.api.accounts import AUTH_BODY_LIMIT, sign_in
from survey.api.auth import SESSION_COOKIE, caller_of
from survey.api.context import AppContext
from survey.store import accounts as store

LOGIN_CSRF_COOKIE = "survey_login_csrf"
HOME = {"evaluator": "/audit", "admin": "/admin", "organisation": "/audits"}
_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("survey.api", "templates"), autoescape=True, trim_blocks=True, lstrip_blocks=True
)


def local_path(value: str | None) -> str | None:
    """`value` when it is a path on this site (never another host, so a link cannot send someone elsewhere)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value or len(value) > 300:
        return None
    return value


def _cookie(context: AppContext, key: str, value: str, max_age: int, path: str = "/") -> Cookie:
    return Cookie(key=key, value=value, max_age=max_age, path=path, httponly=True, samesite="lax",
                  secure=context.settings.cookie_secure)


def _form(context: AppContext, status: int, next_path: str, error: str = "", username: str = "",
          signed_in: str = "") -> Response:
    csrf = secrets.token_urlsafe(24)
    html = _templates.get_template("login.html").render(
        csrf=csrf, next=next_path, error=error, username=username, signed_in=signed_in
    )
    return Response(html, media_type=MediaType.HTML, status_code=status,
                    cookies=[_cookie(context, LOGIN_CSRF_COOKIE, csrf, 3600, "/login")],
                    headers={"Cache-Control": "no-store"})


class SignInPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/login", sync_to_thread=False)
    def form(
        self, request: Request, context: AppContext,
        next: Annotated[str | None, QueryParameter(max_length=300)] = None,  # noqa: A002 - the query's name
    ) -> Response:
        caller: Caller | None = caller_of(request)
        signed_in = caller.account.username if caller else ""
        target = local_path(next) or (HOME[caller.role] if caller else "")  # "": the home of whoever signs in
        return _form(context, 200, target, signed_in=signed_in)

    @post("/login", request_max_body_size=AUTH_BODY_LIMIT, opt={"public": True})
    async def submit(self, request: Request, context: AppContext, data: URLEncodedBody[dict[str, str]]) -> Response:
        expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        given = data.get("csrf", "")
        username = data.get("username", "")[:40]
        target = local_path(data.get("next"))
        if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
            return _form(context, 403, target or "", "表单已过期，请重新登录。The form expired; please sign in again.",
                         username)
        try:
            account = await sign_in(request, context, username, data.get("password", "")[:200])
        except HTTPException as exc:
            message = "用户名或密码错误。Wrong username or password." if exc.status_code == 401 else str(exc.detail)
            return _form(context, exc.status_code, target or "", message, username)
        lifetime = dt.timedelta(hours=context.settings.session_hours)
        secret, _, _ = await to_thread.run_sync(store.issue_credential, context.db, account.id, "session", lifetime)
        response = Redirect(target or HOME[account.role], status_code=303)
        response.cookies.append(_cookie(context, SESSION_COOKIE, secret, int(lifetime.total_seconds())))
        response.cookies.append(_cookie(context, LOGIN_CSRF_COOKIE, "", 0, "/login"))
        return response

    @post("/logout", request_max_body_size=AUTH_BODY_LIMIT, opt={"public": True}, sync_to_thread=True)
    def logout(self, request: Request, context: AppContext, data: URLEncodedBody[dict[str, str]]) -> Response:
        """Ends the session when the form carries its CSRF token (so another site cannot sign anyone out)."""
        caller: Caller | None = caller_of(request)
        cookie = request.cookies.get(SESSION_COOKIE)
        if caller is None or not cookie:
            return Redirect("/login", status_code=303)
        if not caller.csrf or not hmac.compare_digest(caller.csrf.encode(), data.get("csrf", "").encode()):
            raise PermissionDeniedException("the form's CSRF token does not match this session")
        store.revoke_credential(context.db, cookie)
        response = Redirect("/login", status_code=303)
        response.cookies.append(_cookie(context, SESSION_COOKIE, "", 0))
        return response
