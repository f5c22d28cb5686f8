"""Service settings, read from SURVEY_-prefixed environment variables."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

import msgspec
from msgspec import Meta, Struct

DEFAULT_DATABASE_URL = "sqlite:///var/survey.db"
READ_ELSEWHERE = frozenset({"SURVEY_ADMIN_PASSWORD"})  # `survey users create-admin` reads it; not a service setting
HostList = Annotated[str, Meta(max_length=2000, pattern=r"^[^\s]*$")]


class SettingsError(ValueError):
    """A SURVEY_ variable has a value that cannot be used."""


class Settings(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything the service needs to start; no import-time globals."""

    database_url: Annotated[str, Meta(min_length=1)] = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: Annotated[int, Meta(ge=1, le=65535)] = 8000
    secret_key: Annotated[str, Meta(min_length=16)] = ""
    data_dir: Annotated[str, Meta(min_length=1)] = "var"  # evidence photos and other files kept outside the database
    cookie_secure: bool = True  # `survey serve` on 127.0.0.1 turns it off unless SURVEY_COOKIE_SECURE is set
    session_hours: Annotated[int, Meta(ge=1, le=24 * 30)] = 24 * 7  # a signed-in page (field work runs for days)
    token_minutes: Annotated[int, Meta(ge=1, le=24 * 60)] = 60  # a bearer token from POST /api/tokens
    default_locale: Literal["zh", "en"] = "zh"
    max_body_bytes: Annotated[int, Meta(ge=1024, le=16 * 1024 * 1024)] = 64 * 1024
    sqlite_synchronous: Literal["NORMAL", "FULL"] = "FULL"
    debug: bool = False
    demo: bool = True  # `survey serve` fills an empty embedded database with the demo wave
    allowed_hosts: HostList = "127.0.0.1,localhost"  # Host header values served (comma-separated); others get 400
    cors_origins: HostList = ""  # origins allowed to call the API from a browser (comma-separated); none by default
    submit_rate_per_minute: Annotated[int, Meta(ge=1, le=10**9)] = 600  # responses per client network, all workers
    login_rate_per_minute: Annotated[int, Meta(ge=1, le=10**9)] = 30  # sign-in attempts per client network
    bench_noop: bool = False  # bench/ingest.py only: compiles in POST /bench/noop and /bench/checks

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Build settings from SURVEY_* variables; unknown SURVEY_ variables are an error."""
        prefix = "SURVEY_"
        fields = set(cls.__struct_fields__)
        raw: dict[str, object] = {}
        for key, value in environ.items():
            if not key.startswith(prefix) or key.startswith("SURVEY_TEST_") or key in READ_ELSEWHERE:
                continue
            name = key[len(prefix):].lower()
            if name not in fields:
                raise SettingsError(f"{key}: unknown setting (known: {', '.join(sorted(fields))})")
            raw[name] = value
        try:
            settings = msgspec.convert(raw, cls, strict=False)
        except msgspec.ValidationError as exc:
            raise SettingsError(f"SURVEY_{_field_of(str(exc))}: {exc}") from None
        if not settings.secret_key:
            settings = msgspec.structs.replace(settings, secret_key=secrets.token_urlsafe(32))
        return settings

    @property
    def allowed_host_list(self) -> list[str]:
        return _items(self.allowed_hosts)

    @property
    def cors_origin_list(self) -> list[str]:
        return _items(self.cors_origins)

    @property
    def is_embedded(self) -> bool:
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        """The SQLite file of an embedded database URL, None for in-memory or other engines."""
        if not self.is_embedded:
            return None
        path = self.database_url.split(":///", 1)[-1]
        return None if path in ("", ":memory:") else Path(path)


def _items(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _field_of(message: str) -> str:
    if "`$." in message:
        return message.split("`$.", 1)[1].split("`", 1)[0].upper()
    return "?"
