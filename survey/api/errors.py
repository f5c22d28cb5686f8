"""Domain errors to HTTP answers: the field and the reason, never a stack trace or SQL."""

from __future__ import annotations

import logging
import re

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import (
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from survey.errors import Conflict, FieldError, InvalidInput, NotFound, RateLimited, Unavailable

log = logging.getLogger("survey.api")
_NAMED_FIELD = re.compile(r"(?:missing required|unknown) field `([^`]+)`")


def _body(status: int, detail: str, errors: list[FieldError] | None = None, headers: dict | None = None) -> Response:
    content: dict = {"status_code": status, "detail": detail}
    if errors is not None:
        content["errors"] = [{"field": e.field, "reason": e.reason} for e in errors]
    if status == HTTP_503_SERVICE_UNAVAILABLE:
        headers = {"Retry-After": "1"}
    return Response(content, status_code=status, headers=headers)


def invalid_input(_: Request, exc: InvalidInput) -> Response:
    return _body(HTTP_422_UNPROCESSABLE_ENTITY, "the input breaks the rules below; nothing was stored", exc.errors)


def invalid_body(_: Request, exc: ValidationException) -> Response:
    """Litestar's decode errors (wrong type, missing field, bad JSON) as 422 with field errors."""
    errors = []
    for entry in exc.extra if isinstance(exc.extra, list) else []:
        key = str(entry.get("key") or entry.get("source") or "body")
        message = str(entry.get("message", exc.detail))
        named = _NAMED_FIELD.search(message)  # "Object missing required field `reason`": name that field
        if named:
            key = named[1] if key in ("data", "body") else f"{key}.{named[1]}"
        errors.append(FieldError(field=key, reason=message))
    if not errors:
        errors.append(FieldError(field="body", reason=str(exc.detail)))
    return _body(HTTP_422_UNPROCESSABLE_ENTITY, "the request could not be read; nothing was stored", errors)


def conflict(_: Request, exc: Conflict) -> Response:
    return _body(HTTP_409_CONFLICT, str(exc))


def not_found(_: Request, exc: NotFound) -> Response:
    return _body(HTTP_404_NOT_FOUND, f"not found: {exc}")


def unavailable(_: Request, exc: Unavailable) -> Response:
    log.warning("database unavailable: %r", exc.__cause__)
    return _body(HTTP_503_SERVICE_UNAVAILABLE, str(exc))


def rate_limited(_: Request, exc: RateLimited) -> Response:
    return _body(HTTP_429_TOO_MANY_REQUESTS, str(exc), headers={"Retry-After": str(exc.retry_after)})


def http_error(_: Request, exc: HTTPException) -> Response:
    return _body(exc.status_code, str(exc.detail), headers=exc.headers)  # e.g. Retry-After of a 429


def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _body(HTTP_500_INTERNAL_SERVER_ERROR, "internal error; it has been logged")


HANDLERS = {
    InvalidInput: invalid_input,
    ValidationException: invalid_body,
    Conflict: conflict,
    NotFound: not_found,
    Unavailable: unavailable,
    RateLimited: rate_limited,
    HTTPException: http_error,
    Exception: server_error,
}
