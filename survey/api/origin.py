"""A request's origin for the quality rules: the form's device cookie and the client address, as keyed hashes."""

from __future__ import annotations

import secrets

from litestar import Request, Response
from litestar.datastructures import Cookie

from survey.quality.origin import DEVICE_COOKIE, Origin, origin_of

DEVICE_DAYS = 400


def device_id(request: Request) -> tuple[str, bool]:
    """The browser's device id from its cookie, or a new one (True: set it on the answer)."""
    given = request.cookies.get(DEVICE_COOKIE, "")
    if 16 <= len(given) <= 64 and given.replace("-", "").replace("_", "").isalnum():
        return given, False
    return secrets.token_urlsafe(16), True


def with_device(response: Response, request: Request, device: str, new: bool) -> Response:
    if new:
        response.set_cookie(Cookie(
            key=DEVICE_COOKIE, value=device, max_age=DEVICE_DAYS * 86400, path="/", httponly=True, samesite="lax",
            secure=request.url.scheme == "https",
        ))
    return response


def request_origin(request: Request, secret_key: str) -> Origin:
    """Keyed hashes of the device cookie (when the client has one) and of the client's network."""
    device = request.cookies.get(DEVICE_COOKIE) or None
    address = request.client.host if request.client else None
    return origin_of(secret_key, device[:64] if device else None, address)
