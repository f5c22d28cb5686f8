"""What every handler may use: settings, the database, the catalogue and the reference lists."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler

from survey.instruments.catalogue import Catalogue
from survey.regions import IndustryList, RegionList
from survey.settings import Settings
from survey.store.engine import Database


@dataclass(frozen=True)
class Context:
    settings: Settings
    db: Database
    catalogue: Catalogue
    regions: RegionList
    industries: IndustryList


def admin_only(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Guard: the request carries `Authorization: Bearer <SURVEY_ADMIN_TOKEN>`."""
    token = connection.app.state.context.settings.admin_token
    given = connection.headers.get("authorization", "")
    if not token or not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        raise NotAuthorizedException("an administrator token is required (Authorization: Bearer ...)")


AppContext = NamedDependency[Context]  # how handlers ask for the context
