"""Accounts and organisations (administrators manage them) and bearer tokens (POST /api/tokens)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from anyio import to_thread
from litestar import Controller, Request, delete, get, patch, post
from litestar.exceptions import NotAuthorizedException, TooManyRequestsException
from litestar.params import JSONBody, QueryParameter
from litestar.status_codes import HTTP_204_NO_CONTENT
from msgspec import Meta, Struct

from survey.accounts import Account, AccountCreate, AccountUpdate, Caller, Organisation, OrganisationCreate, Role
from survey.api.auth import admin_only, requires, signed_in
from survey.api.context import AppContext
from survey.api.origin import request_origin
from survey.api.params import RowId
from survey.api.registry import MAX_PAGE, Limit, Offset, Page
from survey.errors import NotFound, RateLimited
from survey.store import accounts as store
from survey.store import limits
from survey.store.limits import RateLimit

AUTH_BODY_LIMIT = 2048
LOGIN_FAILURES = 10  # wrong passwords for one username ...
LOGIN_FAILURE_WINDOW_S = 900  # ... in the current and the previous quarter of an hour refuse it for a while


class TokenRequest(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    username: Annotated[str, Meta(min_length=1, max_length=40)]
    password: Annotated[str, Meta(min_length=1, max_length=200)]


class TokenIssued(Struct, frozen=True, kw_only=True):
    token: str
    token_type: str
    expires_at: dt.datetime
    account: Account


async def sign_in(request: Request, context: AppContext, username: str, password: str) -> Account:
    """The account for these credentials; 401 when wrong; 429 (with Retry-After) when the client's network tried
    more than SURVEY_LOGIN_RATE_PER_MINUTE times this minute, or after LOGIN_FAILURES wrong passwords for the name.
    The counters are in the database, so every worker of the service counts together."""
    network = request_origin(request, context.settings.secret_key).network_hash or "unknown"
    attempts = RateLimit(key=f"login:{network}", hits=context.settings.login_rate_per_minute, window_s=60)
    failures = RateLimit(key=f"login-failed:{username}", hits=LOGIN_FAILURES, window_s=LOGIN_FAILURE_WINDOW_S)
    try:
        await to_thread.run_sync(limits.take_now, context.db, attempts)
        await to_thread.run_sync(limits.check, context.db, failures)
    except RateLimited as exc:
        raise TooManyRequestsException(str(exc), headers={"Retry-After": str(exc.retry_after)}) from None
    account = await to_thread.run_sync(store.authenticate, context.db, username, password)
    if account is None:
        await to_thread.run_sync(limits.count, context.db, failures)
        raise NotAuthorizedException("wrong username or password, or the account is disabled")
    await to_thread.run_sync(limits.forget, context.db, failures.key)
    return account


class TokenController(Controller):
    path = "/api/tokens"
    tags = ["accounts"]

    @post("/", request_max_body_size=AUTH_BODY_LIMIT, opt={"public": True})
    async def issue(self, request: Request, context: AppContext, data: JSONBody[TokenRequest]) -> TokenIssued:
        """A short-lived bearer token for the API (lifetime SURVEY_TOKEN_MINUTES)."""
        account = await sign_in(request, context, data.username, data.password)
        lifetime = dt.timedelta(minutes=context.settings.token_minutes)
        secret, _, expires = await to_thread.run_sync(store.issue_credential, context.db, account.id, "token", lifetime)
        return TokenIssued(token=secret, token_type="bearer", expires_at=expires, account=account)

    @delete("/", guards=[signed_in], status_code=HTTP_204_NO_CONTENT, sync_to_thread=True)
    def revoke(self, request: Request, context: AppContext) -> None:
        """Ends the bearer token this request carries (a session ends at POST /logout)."""
        if request.auth == "token":
            store.revoke_credential(context.db, request.headers["authorization"].partition(" ")[2].strip())


class AccountController(Controller):
    path = "/api/accounts"
    tags = ["accounts"]

    @get("/me", guards=[signed_in], sync_to_thread=False)
    def me(self, request: Request) -> Account:
        return request.user.account

    @get("/", guards=[requires("admin", "organisation")], sync_to_thread=True)
    def list(
        self,
        request: Request,
        context: AppContext,
        offset: Offset = 0,
        limit: Limit = 50,
        role: Annotated[Role | None, QueryParameter()] = None,
    ) -> Page[Account]:
        """Administrators see every account; an organisation sees its own."""
        caller: Caller = request.user
        organisation = caller.account.organisation_id if caller.role == "organisation" else None
        items, total = store.list_accounts(context.db, offset, limit, role=role, organisation_id=organisation)
        return Page(items=items, total=total, offset=offset, limit=limit)

    @get("/{account_id:int}", guards=[requires("admin", "organisation")], sync_to_thread=True)
    def read(self, request: Request, context: AppContext, account_id: RowId) -> Account:
        caller: Caller = request.user
        account = store.get_account(context.db, account_id)
        if caller.role == "organisation" and account.organisation_id != caller.account.organisation_id:
            raise NotFound(f"account {account_id}")
        return account

    @post("/", guards=[admin_only], request_max_body_size=AUTH_BODY_LIMIT, sync_to_thread=True)
    def create(self, context: AppContext, data: JSONBody[AccountCreate]) -> Account:
        return store.create_account(context.db, data)

    @patch("/{account_id:int}", guards=[admin_only], request_max_body_size=AUTH_BODY_LIMIT, sync_to_thread=True)
    def update(
        self, context: AppContext, account_id: RowId, data: JSONBody[AccountUpdate]
    ) -> Account:
        """Rename, set a new password or disable; a new password or disabling signs the account out everywhere."""
        return store.update_account(context.db, account_id, data)


class OrganisationController(Controller):
    path = "/api/organisations"
    tags = ["accounts"]
    guards = [admin_only]

    @get("/", sync_to_thread=True)
    def list(self, context: AppContext, offset: Offset = 0, limit: Limit = MAX_PAGE) -> list[Organisation]:
        return store.list_organisations(context.db, offset, limit)

    @post("/", request_max_body_size=AUTH_BODY_LIMIT, sync_to_thread=True)
    def create(self, context: AppContext, data: JSONBody[OrganisationCreate]) -> Organisation:
        return store.create_organisation(context.db, data)
