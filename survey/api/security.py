"""HTTP hardening around every answer: the Host names served, CORS for named origins only, and security headers."""

from __future__ import annotations

import msgspec
from litestar.config.cors import CORSConfig
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from survey.settings import Settings

# Pages carry no inline script: the audit form loads its own served /audit.js. Styles are inline in the templates.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
).encode()
HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]
HSTS = (b"strict-transport-security", b"max-age=31536000")
DOCS = "/schema"  # Litestar's API explorers load their own scripts; they keep the other headers, not this CSP


async def security_headers(message: Message, scope: Scope) -> None:
    """A before-send hook: the headers every answer carries (HSTS only over https)."""
    if message["type"] != "http.response.start":
        return
    headers = list(message.get("headers") or [])
    present = {name.lower() for name, _ in headers}
    extra = [header for header in HEADERS if header[0] not in present]
    if b"content-security-policy" not in present and not scope.get("path", "").startswith(DOCS):
        extra.append((b"content-security-policy", CONTENT_SECURITY_POLICY))
    if scope.get("scheme") == "https":
        extra.append(HSTS)
    message["headers"] = headers + extra


def host_of(header: str) -> str:
    """The host name of a Host header, without its port, in lower case ("[::1]:8000" -> "::1")."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def host_allowed(host: str, allowed: list[str]) -> bool:
    for pattern in allowed:
        pattern = pattern.lower()
        if pattern == "*" or host == pattern.strip("[]") or (pattern.startswith("*.") and host.endswith(pattern[1:])):
            return True
    return False


class HostCheck:
    """Answers 400 to a request whose Host header names a host not in SURVEY_ALLOWED_HOSTS (DNS rebinding,
    poisoned links built from the Host header)."""

    def __init__(self, app: ASGIApp, hosts: list[str]) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            given = next((value.decode("latin-1") for name, value in scope["headers"] if name == b"host"), "")
            if not host_allowed(host_of(given), self.hosts):
                body = msgspec.json.encode({
                    "status_code": 400,
                    "detail": f"host {given[:100]!r} is not served here (SURVEY_ALLOWED_HOSTS)",
                })
                await send({"type": "http.response.start", "status": 400, "headers": [
                    (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def cors_config(settings: Settings) -> CORSConfig | None:
    """CORS only for the origins named in SURVEY_CORS_ORIGINS; none named, no cross-origin browser calls at all.
    Bearer tokens, not cookies, cross origins (allow_credentials stays off)."""
    origins = settings.cors_origin_list
    if not origins:
        return None
    return CORSConfig(
        allow_origins=origins,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["authorization", "content-type"],
        allow_credentials=False,
        max_age=600,
    )
