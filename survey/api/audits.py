"""On-site audits over HTTP: checklists, assignments, the evaluator's batch upload, photos and the review.

Object-level rule everywhere: an evaluator reaches only their own assignments, audits and photos; an organisation
those of its evaluators; an administrator everything. Anything else answers 404, as if it did not exist.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import msgspec
from anyio import to_thread
from litestar import Controller, Request, Response, get, patch, post
from litestar.params import FromPath, JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from msgspec import Meta, Struct

from survey.accounts import Caller
from survey.api.auth import admin_only, requires, signed_in
from survey.api.context import AppContext
from survey.api.params import RowId as Id
from survey.api.registry import Limit, Offset, Page
from survey.audits.assignment import Assignment, AssignmentCreate, AssignmentUpdate
from survey.audits.catalogue import PublishedChecklist
from survey.audits.photos import PHOTO_MAX_BYTES, media_type, photo_path, save_photo
from survey.audits.submission import Audit, AuditSubmit, AuditSummary, BatchResult, ItemResult, ReviewCreate, Status
from survey.errors import Conflict, FieldError, InvalidInput, NotFound
from survey.store import accounts as account_store
from survey.store import assignments as assignment_store
from survey.store import audits as store

MAX_BATCH = 50
BATCH_BODY_LIMIT = 2 * 1024 * 1024
BODY_LIMIT = 8 * 1024  # an assignment or a review
evaluator_only = requires("evaluator")
everyone = signed_in


class Batch(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Up to 50 audits; each is checked and stored on its own (see AuditSubmit for one audit)."""

    audits: Annotated[list[Annotated[dict[Annotated[str, Meta(max_length=40)], Any], Meta(max_length=20)]],
                     Meta(min_length=1, max_length=MAX_BATCH)]


class PhotoStored(Struct, frozen=True, kw_only=True):
    sha256: str
    media_type: str
    size: int


def may_see(caller: Caller, evaluator_id: int, organisation_id: int | None) -> bool:
    """Whether the caller may reach an object that belongs to this evaluator (of this organisation)."""
    if caller.role == "admin":
        return True
    if caller.role == "organisation":
        return organisation_id is not None and organisation_id == caller.account.organisation_id
    return caller.id == evaluator_id


def _scope(caller: Caller) -> dict:
    if caller.role == "evaluator":
        return {"evaluator_id": caller.id}
    if caller.role == "organisation":
        return {"organisation_id": caller.account.organisation_id}
    return {}


class ChecklistController(Controller):
    path = "/api/checklists"
    tags = ["audits"]
    guards = [everyone]

    @get("/", sync_to_thread=False)
    def list(self, context: AppContext) -> list[PublishedChecklist]:
        """Every published checklist version (kind "audit")."""
        return context.checklists.all_versions()

    @get("/{code:str}/versions/{version:int}", sync_to_thread=False)
    def read(self, context: AppContext, code: FromPath[str], version: Annotated[int, PathParameter(ge=1, le=9999)]) -> PublishedChecklist:
        return context.checklists.get(code, version)


class AssignmentController(Controller):
    path = "/api/assignments"
    tags = ["audits"]

    @get("/", guards=[everyone], sync_to_thread=True)
    def list(
        self, request: Request, context: AppContext, offset: Offset = 0, limit: Limit = 50,
        campaign: Annotated[int | None, QueryParameter(ge=1)] = None,
    ) -> Page[Assignment]:
        """Administrators see all, an organisation its evaluators', an evaluator their own."""
        items, total = assignment_store.list_assignments(
            context.db, offset, limit, campaign_id=campaign, **_scope(request.user))
        return Page(items=items, total=total, offset=offset, limit=limit)

    @get("/{assignment_id:int}", guards=[everyone], sync_to_thread=True)
    def read(self, request: Request, context: AppContext, assignment_id: Id) -> Assignment:
        assignment = assignment_store.get_assignment(context.db, assignment_id)
        organisation = account_store.get_account(context.db, assignment.evaluator_id).organisation_id
        if not may_see(request.user, assignment.evaluator_id, organisation):
            raise NotFound(f"assignment {assignment_id}")
        return assignment

    @post("/", guards=[admin_only], request_max_body_size=BODY_LIMIT, sync_to_thread=True)
    def create(self, request: Request, context: AppContext, data: JSONBody[AssignmentCreate]) -> Assignment:
        return assignment_store.create_assignment(context.db, context.checklists, data, request.user.id)

    @patch("/{assignment_id:int}", guards=[admin_only], request_max_body_size=BODY_LIMIT, sync_to_thread=True)
    def update(self, context: AppContext, assignment_id: Id, data: JSONBody[AssignmentUpdate]) -> Assignment:
        return assignment_store.update_assignment(context.db, assignment_id, data)


class AuditController(Controller):
    path = "/api/audits"
    tags = ["audits"]

    @post("/batch", guards=[evaluator_only], request_max_body_size=BATCH_BODY_LIMIT, status_code=HTTP_200_OK,
          sync_to_thread=True)
    def batch(self, request: Request, context: AppContext, data: JSONBody[Batch]) -> BatchResult:
        """Store each audit on its own and say per audit: stored (201), already stored (200), rejected (422) with
        every field and reason, or conflict (409: the id holds other content, or the edit is stale)."""
        results = [_submit_one(context, request.user.id, index, raw) for index, raw in enumerate(data.audits)]
        count = {outcome: sum(r.outcome == outcome for r in results)
                 for outcome in ("stored", "already_stored", "rejected", "conflict")}
        return BatchResult(results=results, stored=count["stored"], already_stored=count["already_stored"],
                           rejected=count["rejected"], conflicts=count["conflict"])

    @get("/", guards=[everyone], sync_to_thread=True)
    def list(
        self, request: Request, context: AppContext, offset: Offset = 0, limit: Limit = 50,
        campaign: Annotated[int | None, QueryParameter(ge=1)] = None,
        status: Annotated[Status | None, QueryParameter()] = None,
    ) -> Page[AuditSummary]:
        items, total = store.list_audits(context.db, offset, limit, campaign_id=campaign, status=status,
                                         **_scope(request.user))
        return Page(items=items, total=total, offset=offset, limit=limit)

    @get("/{audit_id:uuid}", guards=[everyone], sync_to_thread=True)
    def read(self, request: Request, context: AppContext, audit_id: FromPath[uuid.UUID]) -> Audit:
        _visible(request.user, context, audit_id)
        return store.get_audit(context.db, audit_id, context.checklists)

    @post("/{audit_id:uuid}/review", guards=[admin_only], request_max_body_size=BODY_LIMIT, status_code=HTTP_200_OK,
          sync_to_thread=True)
    def review(self, request: Request, context: AppContext, audit_id: FromPath[uuid.UUID],
               data: JSONBody[ReviewCreate]) -> Audit:
        """Approve (the audit is scored), has issues (the evaluator may edit it) or reject, with a reason."""
        return store.review_audit(context.db, context.checklists, audit_id, request.user.id, data)


class PhotoController(Controller):
    path = "/api/photos"
    tags = ["audits"]

    @post("/", guards=[evaluator_only], request_max_body_size=PHOTO_MAX_BYTES, status_code=HTTP_201_CREATED)
    async def upload(self, request: Request, context: AppContext) -> PhotoStored:
        """An evidence photo as the raw body (JPEG, PNG or WebP, at most 5 MiB); refer to it by its sha256."""
        data = await request.body()
        kind = media_type(data)
        if kind is None:
            raise InvalidInput([FieldError(field="body", reason="not a JPEG, PNG or WebP image")])
        return await to_thread.run_sync(_keep_photo, context, request.user.id, data, kind)

    @get("/{sha256:str}", guards=[everyone], sync_to_thread=True)
    def read(self, request: Request, context: AppContext,
             sha256: Annotated[str, PathParameter(pattern=r"^[0-9a-f]{64}$")]) -> Response:
        owners = store.photo_access(context.db, sha256)
        allowed = [kind for owner, organisation, kind in owners if may_see(request.user, owner, organisation)]
        if not allowed:
            raise NotFound(f"photo {sha256}")
        try:
            content = photo_path(context.settings.data_dir, sha256).read_bytes()
        except FileNotFoundError:  # the data folder was moved or restored without its photos
            raise NotFound(f"the file of photo {sha256}") from None
        return Response(content, media_type=allowed[0], headers={
            "X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=86400"})


def _keep_photo(context: AppContext, owner_id: int, data: bytes, kind: str) -> PhotoStored:
    sha256 = save_photo(context.settings.data_dir, data)  # durably on disk before the row that points at it
    store.add_photo(context.db, owner_id, sha256, kind, len(data))
    return PhotoStored(sha256=sha256, media_type=kind, size=len(data))


def _visible(caller: Caller, context: AppContext, audit_id: uuid.UUID) -> None:
    evaluator, organisation = store.audit_owner(context.db, audit_id)
    if not may_see(caller, evaluator, organisation):
        raise NotFound(f"audit {audit_id}")


def _submit_one(context: AppContext, evaluator_id: int, index: int, raw: dict[str, Any]) -> ItemResult:
    audit_id = raw.get("id") if isinstance(raw.get("id"), str) else None
    try:
        submit = msgspec.convert(raw, AuditSubmit)
    except msgspec.ValidationError as exc:
        reason, _, path = str(exc).partition(" - at ")
        field = path.strip("`").removeprefix("$.").removeprefix("$") or "audit"
        return ItemResult(index=index, id=audit_id, outcome="rejected", status_code=422,
                          errors=[FieldError(field=field, reason=reason)])
    try:
        outcome, audit = store.submit_audit(context.db, context.checklists, evaluator_id, submit)
    except InvalidInput as exc:
        return ItemResult(index=index, id=str(submit.id), outcome="rejected", status_code=422, errors=exc.errors)
    except Conflict as exc:
        return ItemResult(index=index, id=str(submit.id), outcome="conflict", status_code=409,
                          errors=[FieldError(field="id", reason=str(exc))])
    status: Literal[201, 200] = 201 if outcome == "stored" else 200
    return ItemResult(index=index, id=str(audit.id), outcome=outcome, status_code=status, version=audit.version,
                      flags=audit.flags)
