"""Who is calling: bearer tokens for the API, session cookies (with CSRF tokens) for pages, and role guards.

Every request is resolved to a Caller or to nobody. Guards name the roles they let in and refuse everyone else:
nobody is 401, a wrong role is 403, and an unsafe request made with a session cookie must also carry that
session's CSRF token in the X-CSRF-Token header (forms check their hidden `csrf` field themselves).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from anyio import to_thread
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.authentication import AbstractAuthenticationMiddleware, AuthenticationResult

from survey.accounts import Caller, Role
from survey.store.accounts import resolve_credential

SESSION_COOKIE = "survey_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
Guard = Callable[[ASGIConnection, BaseRouteHandler], None]


class CallerMiddleware(AbstractAuthenticationMiddleware):
    """Sets `connection.user` to the Caller (or None) and `connection.auth` to how it was proved."""

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        db = connection.app.state.context.db
        header = connection.headers.get("authorization")
        if header is not None:
            scheme, _, secret = header.partition(" ")
            if scheme.lower() != "bearer" or not secret.strip() or len(secret) > 200:
                return AuthenticationResult(user=None, auth=None)
            caller = await to_thread.run_sync(resolve_credential, db, secret.strip(), "token")
            return AuthenticationResult(user=caller, auth="token" if caller else None)
        cookie = connection.cookies.get(SESSION_COOKIE)
        if not cookie or len(cookie) > 200:
            return AuthenticationResult(user=None, auth=None)
        caller = await to_thread.run_sync(resolve_credential, db, cookie, "session")
        if caller is None:
            return AuthenticationResult(user=None, auth=None)
        given = connection.headers.get(CSRF_HEADER, "")
        verified = connection.scope["method"] in SAFE_METHODS or (
            caller.csrf is not None and hmac.compare_digest(given.encode(), caller.csrf.encode())
        )
        return AuthenticationResult(user=caller, auth="session" if verified else "session-without-csrf")


def caller_of(connection: ASGIConnection) -> Caller | None:
    return connection.scope.get("user")


def requires(*roles: Role, csrf_in_form: bool = False) -> Guard:
    """A guard that lets in only signed-in callers of these roles (and a verified CSRF token with a cookie).

    `csrf_in_form`: for a server-rendered form whose handler checks the hidden `csrf` field (check_form_csrf)
    because a guard cannot read the body.
    """

    def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        caller = caller_of(connection)
        if caller is None:
            raise NotAuthorizedException("sign in first: Authorization: Bearer <token from POST /api/tokens>")
        if connection.scope.get("auth") == "session-without-csrf" and not csrf_in_form:
            raise PermissionDeniedException("the X-CSRF-Token header is missing or does not match this session")
        if caller.role not in roles:
            raise PermissionDeniedException(f"this needs the role {' or '.join(roles)}; you are {caller.role}")

    guard.__name__ = f"requires_{'_'.join(roles)}"
    return guard


def check_form_csrf(connection: ASGIConnection, form: dict[str, str]) -> None:
    """A form sent with the session cookie must carry that session's CSRF token in its `csrf` field."""
    caller = caller_of(connection)
    if connection.scope.get("auth") == "token":
        return
    given = form.get("csrf", "")
    if caller is None or caller.csrf is None or not hmac.compare_digest(given.encode(), caller.csrf.encode()):
        raise PermissionDeniedException("the form's CSRF token does not match this session; reload the page")


admin_only = requires("admin")
signed_in = requires("admin", "organisation", "evaluator")

